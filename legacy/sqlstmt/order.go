package sqlstmt

import "strings"

// OrderKey is one ORDER BY key: a SQL expression over the statement's
// tables. The last key of a paged list must be unique (the primary key) so
// that the order is total.
//
// A Nullable key sorts the rows where it is NULL last in ascending order and
// first in descending order, as RFC 7644 §3.4.2.3 wants rows without a
// value sorted, whatever the server's own NULL ordering (MySQL and MariaDB
// put NULL first in ascending order): the ORDER BY gets an `Expr IS NULL`
// term before the key. A key that cannot be NULL gets no such term, so an
// index on it still gives the order.
type OrderKey struct {
	Expr     string
	Desc     bool
	Nullable bool
}

// orderBy renders the ORDER BY list of the keys. A nullable key is preceded
// by `Expr IS NULL` in the key's direction: 0 (a value) before 1 (NULL) in
// ascending order, 1 before 0 in descending order. (Neither MySQL nor
// MariaDB has the standard NULLS FIRST / NULLS LAST.)
func orderBy(b *strings.Builder, order []OrderKey) {
	for i, k := range order {
		if i > 0 {
			b.WriteString(", ")
		}
		dir := ""
		if k.Desc {
			dir = " DESC"
		}
		if k.Nullable {
			b.WriteString(k.Expr)
			b.WriteString(" IS NULL")
			b.WriteString(dir)
			b.WriteString(", ")
		}
		b.WriteString(k.Expr)
		b.WriteString(dir)
	}
}

// After is the predicate "the row sorts strictly after key" in the order
// of keys (key holds one value per order key), the step of keyset paging.
// When every key has one direction and none is nullable or NULL, it is a
// plain comparison (a single key) or a row comparison, (a, b) > (?, ?),
// which MySQL and MariaDB turn into an index range scan; otherwise it is
// spelled out, NULLs sorting last in ascending order and first in
// descending order, as ORDER BY sorts them here.
func After(order []OrderKey, key []any) Pred {
	simple := true
	for _, k := range order {
		if k.Nullable || k.Desc != order[0].Desc {
			simple = false
		}
	}
	for _, v := range key {
		if v == nil {
			simple = false
		}
	}
	if simple {
		op := " > "
		if order[0].Desc {
			op = " < "
		}
		if len(order) == 1 {
			return Cond(order[0].Expr+op+"?", key[0])
		}
		exprs := make([]string, len(order))
		for i, k := range order {
			exprs[i] = k.Expr
		}
		return Cond("("+strings.Join(exprs, ", ")+")"+op+"("+strings.TrimSuffix(strings.Repeat("?, ", len(order)), ", ")+")", append([]any(nil), key...)...)
	}
	out := False
	for i := range order {
		step := True
		for j := 0; j < i; j++ {
			if key[j] == nil {
				step = And(step, Cond(order[j].Expr+" IS NULL"))
			} else {
				step = And(step, Cond(order[j].Expr+" = ?", key[j]))
			}
		}
		after, possible := afterOne(order[i], key[i])
		if !possible {
			continue
		}
		out = Or(out, And(step, after))
	}
	return out
}

// afterOne is "k sorts strictly after v" for one key, NULL sorting after
// every value in ascending order and before every value in descending
// order; possible is false when nothing can (v is NULL, ascending).
func afterOne(k OrderKey, v any) (p Pred, possible bool) {
	switch {
	case v == nil && !k.Desc:
		return False, false
	case v == nil:
		return Cond(k.Expr + " IS NOT NULL"), true
	case k.Desc:
		return Cond(k.Expr+" < ?", v), true
	case k.Nullable:
		return Or(Cond(k.Expr+" > ?", v), Cond(k.Expr+" IS NULL")), true
	default:
		return Cond(k.Expr+" > ?", v), true
	}
}
