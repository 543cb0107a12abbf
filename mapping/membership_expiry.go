package mapping

import (
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"gopkg.in/yaml.v3"
)

// Expiry is the column that ends a membership row at a time, as
// MediaWiki's user_groups.ug_expiry ('20300101000000', NULL for never): a
// row whose time has passed is not a membership, and adding its user
// again makes it one by writing NULL.
type Expiry struct {
	Column string
	Format ExpiryFormat
	line   int
}

// ExpiryFormat is how an expiry column holds its time.
type ExpiryFormat string

// Expiry formats of groups.rows.expiry.format.
const (
	// ExpiryDatetime is a DATETIME or TIMESTAMP column.
	ExpiryDatetime ExpiryFormat = "datetime"
	// ExpiryEpochSeconds is an integer of seconds since 1970 (epoch_seconds
	// as membership defaults write it).
	ExpiryEpochSeconds ExpiryFormat = "epoch_seconds"
	// ExpiryEpochMillis is an integer of milliseconds since 1970 (epoch_ms).
	ExpiryEpochMillis ExpiryFormat = "epoch_ms"
	// ExpiryMediaWiki is a 14-character UTC timestamp YYYYMMDDHHMMSS
	// (MediaWiki's TS_MW), compared as a string.
	ExpiryMediaWiki ExpiryFormat = "yyyymmddhhmmss"
)

// expiryNow is the current time in each format, in SQL: the clock
// expressions of membership defaults, and UTC digits for MediaWiki.
var expiryNow = map[ExpiryFormat]string{
	ExpiryDatetime:     clockSQL[ClockDatetime],
	ExpiryEpochSeconds: clockSQL[ClockEpochSeconds],
	ExpiryEpochMillis:  clockSQL[ClockEpochMillis],
	ExpiryMediaWiki:    "DATE_FORMAT(UTC_TIMESTAMP(), '%Y%m%d%H%i%s')",
}

// compileExpiry validates groups.rows.expiry; ok is false on a problem.
func compileExpiry(spec *ExpirySpec, n *yaml.Node, p *problems) (*Expiry, bool) {
	if spec == nil {
		return nil, true
	}
	if !isIdent(spec.Column) {
		p.add(n.Line, "groups.rows.expiry.column", "%q is not a valid column name: name the column that holds when the membership ends (MediaWiki's ug_expiry)", spec.Column)
		return nil, false
	}
	f := ExpiryFormat(spec.Format)
	if _, ok := expiryNow[f]; !ok {
		p.add(lineOf(n, "format"), "groups.rows.expiry.format", "%q is not an expiry format: use yyyymmddhhmmss (MediaWiki's ug_expiry, '20300101000000'), datetime, epoch_seconds or epoch_ms", spec.Format)
		return nil, false
	}
	return &Expiry{Column: spec.Column, Format: f, line: n.Line}, true
}

// live is the condition, on the column qualified by alias, that a row has
// not expired: NULL never expires, and a row is live up to and including
// its time (MediaWiki: expired once now > ug_expiry).
func (e *Expiry) live(alias string) sqlstmt.Pred {
	col := sqlstmt.Col(alias, e.Column)
	return sqlstmt.Cond("(" + col + " IS NULL OR " + col + " >= " + expiryNow[e.Format] + ")")
}

// expired is the condition, on the bare column, that a row's time has
// passed.
func (e *Expiry) expired() sqlstmt.Pred {
	return sqlstmt.Cond(sqlstmt.Ident(e.Column) + " < " + expiryNow[e.Format])
}

// check verifies the live column: a type that holds the format, and NULL
// allowed, since reviving a membership writes it.
func (e *Expiry) check(table string, cols map[string]*Column, p *problems) {
	c, ok := cols[strings.ToLower(e.Column)]
	if !ok {
		return // reported as a missing column
	}
	key := "groups.rows.expiry"
	var fits bool
	switch e.Format {
	case ExpiryMediaWiki:
		fits = (c.kind() == kindText || c.kind() == kindBinary) && c.MaxChars >= 14
	case ExpiryDatetime:
		fits = c.DataType == "datetime" || c.DataType == "timestamp"
	case ExpiryEpochSeconds:
		fits = c.DataType == "int" || c.DataType == "bigint"
	case ExpiryEpochMillis:
		fits = c.DataType == "bigint"
	}
	if !fits {
		p.add(e.line, key+".format", "%s.%s is %s, which cannot hold %s: yyyymmddhhmmss needs a string column of 14 characters or more (MediaWiki: varbinary(14)), datetime a DATETIME or TIMESTAMP, epoch_seconds an INT or BIGINT, epoch_ms a BIGINT", table, c.Name, c.ColumnType, e.Format)
	}
	if !c.Nullable {
		p.add(e.line, key+".column", "%s.%s is NOT NULL: adding a user whose membership expired writes NULL there (no expiry), so the column must allow NULL", table, c.Name)
	}
}
