package mapping

import (
	"math"
	"time"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping/filter"
	"gopkg.in/yaml.v3"
)

// Epoch is the unit of an integer column that holds a time as a count
// since 1970-01-01 00:00:00 UTC: Gitea's created_unix (seconds),
// Mattermost's UpdateAt (milliseconds).
type Epoch string

// Epoch units; EpochNone marks a DATETIME or TIMESTAMP column.
const (
	EpochNone         Epoch = ""
	EpochSeconds      Epoch = "seconds"
	EpochMilliseconds Epoch = "milliseconds"
)

// tick is the duration one unit of the epoch counts.
func (e Epoch) tick() time.Duration {
	if e == EpochMilliseconds {
		return time.Millisecond
	}
	return time.Second
}

// nowSQL is the expression that stamps the current time in the unit.
func (e Epoch) nowSQL() string {
	switch e {
	case EpochSeconds:
		return "UNIX_TIMESTAMP()"
	case EpochMilliseconds:
		return "ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000)"
	}
	return "NOW(6)"
}

// metaColumnSpec is a meta: entry written as a mapping:
// last_modified: { column: updated_unix, epoch: seconds }.
type metaColumnSpec struct {
	Column string `yaml:"column"`
	Epoch  string `yaml:"epoch"`
}

// compileMetaColumn reads one meta: entry, a column name or { column,
// epoch }, and returns the column and its epoch unit.
func (r *Resource) compileMetaColumn(n *yaml.Node, key string, p *problems) (string, Epoch, bool) {
	if n == nil || n.Kind == 0 {
		return "", EpochNone, true
	}
	if n.Kind == yaml.ScalarNode {
		return n.Value, EpochNone, true
	}
	before := len(p.list)
	var spec metaColumnSpec
	decodeStrict(n, key, &spec, p)
	if len(p.list) > before {
		return "", EpochNone, false
	}
	switch Epoch(spec.Epoch) {
	case EpochNone:
		p.add(n.Line, key+".epoch", "missing: give epoch: seconds or epoch: milliseconds for an integer column, or write the column alone for a DATETIME or TIMESTAMP")
		return "", EpochNone, false
	case EpochSeconds, EpochMilliseconds:
	default:
		p.add(lineOf(n, "epoch"), key+".epoch", "%q is not an epoch unit: use seconds (Gitea's created_unix, Moodle's timemodified) or milliseconds (Mattermost's UpdateAt)", spec.Epoch)
		return "", EpochNone, false
	}
	if spec.Column == "" {
		p.add(n.Line, key+".column", "missing: name the integer column")
		return "", EpochNone, false
	}
	return spec.Column, Epoch(spec.Epoch), true
}

// epochOf is the epoch unit of a meta column; EpochNone for others.
func (r *Resource) epochOf(col string) Epoch {
	e, _ := byName(r.metaEpoch, col)
	return e
}

// nowSQL is the expression that stamps col with the current time: NOW(6)
// for a DATETIME, the epoch count for an integer column.
func (r *Resource) nowSQL(col string) string { return r.epochOf(col).nowSQL() }

// checkEpochColumns, once columns are known, refuses an epoch unit on a
// column that is not an integer, and an integer meta.created or
// meta.lastModified column without one: seconds and milliseconds cannot
// be told apart from the values.
func (r *Resource) checkEpochColumns(p *problems) {
	for _, m := range []struct{ col, key string }{{r.CreatedColumn, "created"}, {r.LastModifiedColumn, "last_modified"}, {r.VersionColumn, "version"}} {
		if m.col == "" || !r.hasColumn(m.col) {
			continue
		}
		col, unit := r.column(m.col), r.epochOf(m.col)
		key := r.key + ".meta." + m.key
		switch {
		case unit != EpochNone && col.kind() != kindInteger:
			p.add(r.line, key, "%s is %s: epoch: %s needs an integer column (write the column alone for a DATETIME or TIMESTAMP)", m.col, col.ColumnType, unit)
		case unit == EpochNone && col.kind() == kindInteger && m.key != "version":
			p.add(r.line, key, "%s is %s: if it counts time since 1970, say in which unit, as %s: { column: %s, epoch: seconds } (or milliseconds); meta.%s needs a time", m.col, col.ColumnType, m.key, m.col, m.key)
		}
	}
}

// metaColumn is a meta column (created, last modified, version): where a
// row holds it and its epoch unit, found once by buildSelect. Rendering
// reads two or three of them per row, and finding each by name was two
// map lookups.
type metaColumn struct {
	name string
	idx  int
	unit Epoch
}

// metaColumn is where a row holds the meta column col, and its unit.
func (r *Resource) metaColumn(col string) (int, Epoch) {
	for _, m := range r.metaCols {
		if m.name == col {
			return m.idx, m.unit
		}
	}
	i, _ := byName(r.colIndex, col)
	return i, r.epochOf(col)
}

// metaTime reads a meta column's time from a row: a DATETIME value, or an
// epoch count.
func (r *Resource) metaTime(row Row, col string) (time.Time, bool) {
	i, unit := r.metaColumn(col)
	v := row[i]
	if unit == EpochNone {
		return timeOf(v)
	}
	s, ok := textOf(v)
	if !ok {
		return time.Time{}, false
	}
	n, ok := parseNumber(s, true)
	if !ok {
		return time.Time{}, false
	}
	var count int64
	switch x := n.(type) {
	case int64:
		count = x
	case uint64:
		if x > math.MaxInt64 {
			return time.Time{}, false
		}
		count = int64(x)
	default:
		return time.Time{}, false
	}
	if count <= 0 {
		return time.Time{}, false // 0 is how these apps say "never"
	}
	if unit == EpochMilliseconds {
		return time.UnixMilli(count).UTC(), true
	}
	return time.Unix(count, 0).UTC(), true
}

// compareEpoch compiles `meta.lastModified op "<RFC 3339>"` on an epoch
// column: the time becomes the integer the column would hold, rounded so
// that the integer comparison agrees with comparing times (gt 10.5 s is
// > 10, ge 10.5 s is >= 11, eq 10.5 s matches nothing). NULL never
// matches, being NULL in SQL too.
func compareEpoch(t target, op filter.Operator, tm time.Time) sqlstmt.Pred {
	tick := t.epoch.tick()
	floor := tm.UnixNano() / int64(tick)
	if tm.UnixNano()%int64(tick) < 0 {
		floor-- // before 1970: integer division truncates toward zero
	}
	exact := tm.UnixNano()%int64(tick) == 0
	ceil := floor
	if !exact {
		ceil++
	}
	col := t.sqlCol()
	// A count of 0 or less reads as no time (metaTime): such rows match
	// no comparison, as an unassigned attribute does not.
	assigned := sqlstmt.Cond(col + " > 0")
	switch op {
	case filter.Gt:
		if floor < 0 {
			return assigned
		}
		return sqlstmt.Cond(col+" > ?", floor)
	case filter.Ge:
		if ceil < 1 {
			return assigned
		}
		return sqlstmt.Cond(col+" >= ?", ceil)
	case filter.Lt:
		if ceil <= 1 {
			return sqlstmt.False
		}
		return sqlstmt.And(assigned, sqlstmt.Cond(col+" < ?", ceil))
	case filter.Le:
		if floor < 1 {
			return sqlstmt.False
		}
		return sqlstmt.And(assigned, sqlstmt.Cond(col+" <= ?", floor))
	}
	if !exact || floor < 1 {
		return sqlstmt.False
	}
	return sqlstmt.Cond(col+" = ?", floor)
}

// epochPresent is `pr` on an epoch column: a count above 0.
func epochPresent(t target) sqlstmt.Pred { return sqlstmt.Cond(t.sqlCol() + " > 0") }

// versionIsTime reports whether the version column holds a time that
// can stand for meta.lastModified: a DATETIME or an epoch count.
func (r *Resource) versionIsTime() bool {
	return r.column(r.VersionColumn).kind() == kindTemporal || r.epochOf(r.VersionColumn) != EpochNone
}
