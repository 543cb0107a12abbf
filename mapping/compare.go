package mapping

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping/filter"
)

// compare compiles `attr op value` for one target.
func (r *Resource) compare(t target, e *filter.Compare) (sqlstmt.Pred, error) {
	v := e.Value
	op := e.Op
	if v.Kind == filter.Null {
		switch op {
		case filter.Eq:
			return sqlstmt.Not(r.present(t)), nil
		case filter.Ne:
			return r.present(t), nil
		}
		return sqlstmt.Pred{}, &FilterError{Pos: e.At, Msg: fmt.Sprintf("null can only be compared with eq or ne, not %s", op)}
	}
	if op == filter.Ne {
		c, err := r.compare(t, &filter.Compare{At: e.At, Attr: e.Attr, Op: filter.Eq, Value: v})
		if err != nil {
			return sqlstmt.Pred{}, err
		}
		return sqlstmt.Not(c), nil
	}
	if err := checkOperator(t, e); err != nil {
		return sqlstmt.Pred{}, err
	}
	switch {
	case t.absent:
		return sqlstmt.False, nil
	case t.isConst:
		return compareConst(t, op, v, e.At)
	case t.active:
		b, err := boolValue(v, t, e.At)
		if err != nil {
			return sqlstmt.Pred{}, err
		}
		if r.Active.Column == "" && r.Active.Life == nil {
			return sqlstmt.Const(b), nil // every existing row is active
		}
		in := r.activeIn()
		if b {
			return in, nil
		}
		return sqlstmt.Not(in), nil
	case t.lookup != nil:
		// The value lives in the lookup table: match the keys there.
		l := t.lookup.Lookup
		inner := t
		inner.lookup = nil
		inner.expr = sqlstmt.Ident(l.Table) + "." + sqlstmt.Ident(l.Match)
		c, err := r.compareColumn(inner, r.columnOf(l.Table, l.Match), op, v, e.At)
		if err != nil || c.Constant() {
			return c, err
		}
		return r.lookupIn(t.lookup, c), nil
	case t.related != nil:
		inner := r.relatedTarget(t)
		c, err := r.compareColumn(inner, inner.colFacts, op, v, e.At)
		if err != nil || c.IsFalse() {
			return c, err
		}
		return r.relatedIn(t.related, c), nil
	}
	col := r.column(t.column)
	if t.colFacts != nil {
		col = t.colFacts
	}
	return r.compareColumn(t, col, op, v, e.At)
}

// lookupIn is "the key column holds a key whose looked-up row meets c".
func (r *Resource) lookupIn(a *Attribute, c sqlstmt.Pred) sqlstmt.Pred {
	l := a.Lookup
	where := c
	if l.Tenant != "" {
		where = sqlstmt.And(c, sqlstmt.Cond(sqlstmt.Col(l.Table, l.Tenant)+" = "+r.qualified(r.TenantColumn)))
	}
	return sqlstmt.InSelect(sqlstmt.Ident(a.Column), sqlstmt.Select{Columns: []string{sqlstmt.Col(l.Table, l.Key)}, From: sqlstmt.Ident(l.Table), Where: where})
}

// compareColumn compiles a comparison on one column of known type.
func (r *Resource) compareColumn(t target, col *Column, op filter.Operator, v filter.Value, pos int) (sqlstmt.Pred, error) {
	e := &filter.Compare{At: pos, Op: op, Value: v}
	switch t.typ {
	case TypeBoolean:
		b, err := boolValue(v, t, e.At)
		if err != nil {
			return sqlstmt.Pred{}, err
		}
		truth := sqlstmt.Cond(t.sqlCol() + " <> 0")
		if col.kind() == kindText {
			truth = sqlstmt.Cond("LOWER(" + t.sqlCol() + ") IN ('1','true','t','yes','y','on')")
		}
		if b {
			return truth, nil
		}
		return sqlstmt.Not(truth), nil
	case TypeDateTime:
		tm, err := timeValue(v, t, e.At)
		if err != nil {
			return sqlstmt.Pred{}, err
		}
		if t.epoch != EpochNone {
			return compareEpoch(t, op, tm), nil
		}
		return sqlstmt.Cond(t.sqlCol()+" "+sqlOps[op]+" ?", tm), nil
	case TypeInteger, TypeDecimal:
		n, err := numberValue(v, t, e.At)
		if err != nil {
			return sqlstmt.Pred{}, err
		}
		return sqlstmt.Cond(t.sqlCol()+" "+sqlOps[op]+" ?", n), nil
	}
	// String-like attributes (string, reference, binary).
	if v.Kind != filter.String && v.Kind != filter.Number {
		return sqlstmt.Pred{}, &FilterError{Pos: e.At, Msg: fmt.Sprintf("%s is a string attribute; compare it with a quoted string", t.name)}
	}
	s := v.Str
	switch col.kind() {
	case kindInteger, kindDecimal:
		return compareNumericColumn(t, col, op, s, e.At)
	case kindTemporal:
		tm, err := timeValue(filter.Value{Kind: filter.String, Str: s}, t, e.At)
		if err != nil {
			return sqlstmt.Pred{}, err
		}
		return sqlstmt.Cond(t.sqlCol()+" "+sqlOps[op]+" ?", tm), nil
	}
	return compareText(t, col, op, s), nil
}

var sqlOps = map[filter.Operator]string{
	filter.Eq: "=", filter.Gt: ">", filter.Ge: ">=", filter.Lt: "<", filter.Le: "<=",
}

// checkOperator enforces RFC 7644 §3.4.2.2: ordering operators do not apply
// to booleans or binary values, and co/sw/ew only to strings.
func checkOperator(t target, e *filter.Compare) error {
	switch e.Op {
	case filter.Gt, filter.Ge, filter.Lt, filter.Le:
		if t.typ == TypeBoolean || t.typ == TypeBinary || t.active {
			return &FilterError{Pos: e.At, Msg: fmt.Sprintf("%s is %s: %s does not apply; use eq or ne", t.name, article(t.typ), e.Op)}
		}
	case filter.Co, filter.Sw, filter.Ew:
		if t.typ != TypeString && t.typ != TypeReference {
			return &FilterError{Pos: e.At, Msg: fmt.Sprintf("%s is %s: %s applies to strings only", t.name, article(t.typ), e.Op)}
		}
	}
	return nil
}

func article(t AttrType) string {
	if t == TypeInteger {
		return "an integer"
	}
	return "a " + string(t)
}

// compareText compiles a string comparison on a text column. Case is
// handled by the column's collation when it already ignores case, so its
// index stays usable; otherwise both sides are folded with LOWER().
// Case-exact attributes on a case-insensitive column are compared under the
// binary collation, next to a plain equality that can use the index.
//
// Equality is exact beyond that. A _ci collation (utf8mb4_general_ci,
// _unicode_ci, MySQL 8's _0900_ai_ci) also ignores accents, so "josé"
// equals "jose", and a PAD SPACE collation (every MariaDB collation but
// the _nopad_ ones, utf8mb4_bin included) ignores trailing spaces. An
// identity provider links accounts with userName eq, so that would link
// the wrong person. The plain equality narrows the rows through the
// index; then both sides are compared as bytes (exactText), with case
// folded for a case-insensitive attribute and nothing else.
func compareText(t target, col *Column, op filter.Operator, s string) sqlstmt.Pred {
	qc := t.sqlCol()
	fold := !t.caseExact && !col.CaseInsensitive()
	exact := t.caseExact && col.CaseInsensitive()
	expr, arg := qc, "?"
	switch {
	case fold && col.kind() == kindBinary:
		expr, arg = "LOWER(CONVERT("+qc+" USING utf8mb4))", "LOWER(?)"
	case fold:
		expr, arg = "LOWER("+qc+")", "LOWER(?)"
	case exact:
		expr = qc + " COLLATE " + col.binCollation()
	}
	switch op {
	case filter.Co, filter.Sw, filter.Ew:
		return sqlstmt.Cond(expr+" LIKE "+arg+" ESCAPE '!'", likePattern(op, s))
	case filter.Eq:
		switch {
		case t.caseExact && col.kind() == kindBinary:
			return sqlstmt.Cond(qc+" = ?", s) // bytes already
		case fold && col.kind() == kindBinary:
			// No index can serve the narrowing: compare exactly at once.
			return sqlstmt.Cond(exactText(qc, true)+" = "+exactText("?", true), s)
		}
		narrow := expr + " = " + arg
		if exact {
			narrow = qc + " = ?"
		}
		return sqlstmt.And(sqlstmt.Cond(narrow, s), sqlstmt.Cond(exactText(qc, !t.caseExact)+" = "+exactText("?", !t.caseExact), s))
	default:
		return sqlstmt.Cond(expr+" "+sqlOps[op]+" "+arg, s)
	}
}

// exactText is the byte form of a text expression: converted to utf8mb4
// (so both sides of a comparison share one character set and one case
// mapping, whatever the column's and the connection's are), lower-cased
// when fold is set, and cast to binary, which compares byte by byte:
// accents and trailing spaces count.
func exactText(expr string, fold bool) string {
	e := "CONVERT(" + expr + " USING utf8mb4)"
	if fold {
		e = "LOWER(" + e + ")"
	}
	return "CAST(" + e + " AS BINARY)"
}

// likePattern builds the LIKE pattern for co, sw or ew.
func likePattern(op filter.Operator, s string) string {
	pattern := escapeLike(s)
	if op != filter.Sw {
		pattern = "%" + pattern
	}
	if op != filter.Ew {
		pattern += "%"
	}
	return pattern
}

// escapeLike escapes LIKE's wildcards with "!", the escape character named
// in every generated LIKE (a backslash would depend on NO_BACKSLASH_ESCAPES).
func escapeLike(s string) string {
	if !strings.ContainsAny(s, "%_!") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '%' || r == '_' || r == '!' {
			b.WriteByte('!')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// compareNumericColumn compares a string attribute stored in a numeric
// column, such as an id. The value is parsed strictly: MySQL would turn
// '12abc' into 12, and GET /Users?filter=id eq "12abc" must not find user 12.
func compareNumericColumn(t target, col *Column, op filter.Operator, s string, pos int) (sqlstmt.Pred, error) {
	qc := t.sqlCol()
	if op == filter.Co || op == filter.Sw || op == filter.Ew {
		return sqlstmt.Cond("CAST("+qc+" AS CHAR) LIKE ? ESCAPE '!'", likePattern(op, s)), nil
	}
	n, ok := parseNumber(s, col.kind() == kindInteger)
	if !ok {
		if op == filter.Eq {
			return sqlstmt.False, nil
		}
		return sqlstmt.Pred{}, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s is stored as a number; %q is not one", t.name, s)}
	}
	return sqlstmt.Cond(qc+" "+sqlOps[op]+" ?", n), nil
}

// parseNumber parses s as an integer (int64 or uint64) or, when integer is
// false, as a decimal number.
func parseNumber(s string, integer bool) (any, bool) {
	if integer {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return n, true
		}
		return nil, false
	}
	if _, ok := new(big.Float).SetString(s); !ok || strings.ContainsAny(s, "xXpP_") {
		return nil, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, false
	}
	return f, true
}

func numberValue(v filter.Value, t target, pos int) (any, error) {
	if v.Kind != filter.Number {
		return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s is %s; compare it with a number, not %s", t.name, article(t.typ), v)}
	}
	n, ok := parseNumber(v.Str, t.typ == TypeInteger)
	if !ok {
		return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s is %s; %s is not one", t.name, article(t.typ), v.Str)}
	}
	return n, nil
}

func boolValue(v filter.Value, t target, pos int) (bool, error) {
	switch {
	case v.Kind == filter.Bool:
		return v.Bool, nil
	case v.Kind == filter.String && strings.EqualFold(v.Str, "true"):
		return true, nil
	case v.Kind == filter.String && strings.EqualFold(v.Str, "false"):
		return false, nil
	}
	return false, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s is a boolean; compare it with true or false, not %s", t.name, v)}
}

// timeValue parses an RFC 3339 dateTime (a date alone is midnight UTC).
func timeValue(v filter.Value, t target, pos int) (time.Time, error) {
	if v.Kind == filter.String {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
			if tm, err := time.Parse(layout, v.Str); err == nil {
				return tm.UTC(), nil
			}
		}
	}
	return time.Time{}, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s is a dateTime; compare it with a quoted RFC 3339 time such as \"2024-05-13T04:42:34Z\", not %s", t.name, v)}
}

// compareConst evaluates a comparison whose left side the mapping fixes.
func compareConst(t target, op filter.Operator, v filter.Value, pos int) (sqlstmt.Pred, error) {
	switch x := t.value.(type) {
	case bool:
		b, err := boolValue(v, t, pos)
		if err != nil {
			return sqlstmt.Pred{}, err
		}
		return sqlstmt.Const(x == b), nil
	case string:
		if v.Kind != filter.String {
			return sqlstmt.False, nil
		}
		a, b := strings.ToLower(x), strings.ToLower(v.Str)
		switch op {
		case filter.Eq:
			return sqlstmt.Const(a == b), nil
		case filter.Co:
			return sqlstmt.Const(strings.Contains(a, b)), nil
		case filter.Sw:
			return sqlstmt.Const(strings.HasPrefix(a, b)), nil
		case filter.Ew:
			return sqlstmt.Const(strings.HasSuffix(a, b)), nil
		case filter.Gt:
			return sqlstmt.Const(a > b), nil
		case filter.Ge:
			return sqlstmt.Const(a >= b), nil
		case filter.Lt:
			return sqlstmt.Const(a < b), nil
		case filter.Le:
			return sqlstmt.Const(a <= b), nil
		}
	}
	return sqlstmt.False, nil
}

// present compiles `attr pr`: the attribute has a non-empty value.
func (r *Resource) present(t target) sqlstmt.Pred {
	switch {
	case t.absent:
		return sqlstmt.False
	case t.isConst:
		s, _ := textOf(t.value)
		return sqlstmt.Const(s != "")
	case t.active:
		return sqlstmt.True
	case t.lookup != nil:
		return r.lookupIn(t.lookup, sqlstmt.True)
	case t.related != nil:
		return r.relatedIn(t.related, r.present(r.relatedTarget(t)))
	}
	if t.epoch != EpochNone {
		return epochPresent(t)
	}
	qc := t.sqlCol()
	col := r.column(t.column)
	if t.colFacts != nil {
		col = t.colFacts
	}
	if col.kind() == kindText || col.kind() == kindBinary {
		if !col.Nullable {
			return sqlstmt.Cond(qc + " <> ''")
		}
		return sqlstmt.Cond("(" + qc + " IS NOT NULL AND " + qc + " <> '')")
	}
	if !col.Nullable {
		return sqlstmt.True
	}
	return sqlstmt.Cond(qc + " IS NOT NULL")
}

// activeIn is the condition "the active column holds a true value".
func (r *Resource) activeIn() sqlstmt.Pred {
	if r.Active.Life != nil {
		return r.lifePred()
	}
	return sqlstmt.In(sqlstmt.Ident(r.Active.Column), r.Active.True)
}
