package sqlstmt

import "reflect"

// Pred is a SQL boolean expression and its arguments. The zero value is
// TRUE. Predicates know when they are constant, so that AND and OR fold
// them away (a filter on an attribute that is a constant for the mapping
// never reaches the server as "1 = 1"), and they know whether they are a
// bare AND or OR chain, so that joining them parenthesises only where
// precedence needs it.
type Pred struct {
	sql   string
	args  []any
	k     int8 // 1 always true, -1 always false, 0 see sql; 0 with sql "" is true
	chain byte // 0 atomic, 'a' bare AND chain, 'o' bare OR chain
}

var (
	// True is the predicate every row satisfies.
	True = Pred{k: 1}
	// False is the predicate no row satisfies.
	False = Pred{k: -1}
)

// Const is True or False.
func Const(b bool) Pred {
	if b {
		return True
	}
	return False
}

// Cond is an atomic predicate: a comparison or a function call whose ?
// placeholders take args, in order. sql must bind tighter than AND and OR
// (parenthesise it if it does not).
func Cond(sql string, args ...any) Pred {
	if sql == "" {
		return True
	}
	return Pred{sql: sql, args: args}
}

// IsTrue says p holds for every row.
func (p Pred) IsTrue() bool { return p.k == 1 || (p.k == 0 && p.sql == "") }

// IsFalse says p holds for no row.
func (p Pred) IsFalse() bool { return p.k == -1 }

// SQL renders p so that it can be joined with AND to any other SQL: a bare
// OR chain is parenthesised; a constant is TRUE or FALSE.
func (p Pred) SQL() string {
	switch {
	case p.IsTrue():
		return "TRUE"
	case p.k == -1:
		return "FALSE"
	}
	return p.operand('a')
}

// Args are the arguments of p's placeholders, in order.
func (p Pred) Args() []any { return p.args }

// operand renders p as an operand of a chain of kind op.
func (p Pred) operand(op byte) string {
	if p.chain != 0 && p.chain != op {
		return "(" + p.sql + ")"
	}
	return p.sql
}

// And is the conjunction of ps: FALSE if any is, without the TRUE ones.
func And(ps ...Pred) Pred {
	out := True
	for _, p := range ps {
		out = and2(out, p)
	}
	return out
}

func and2(a, b Pred) Pred {
	switch {
	case a.IsFalse() || b.IsFalse():
		return False
	case a.IsTrue():
		return b
	case b.IsTrue():
		return a
	}
	return Pred{sql: a.operand('a') + " AND " + b.operand('a'), args: concatArgs(a.args, b.args), chain: 'a'}
}

// Or is the disjunction of ps: TRUE if any is, without the FALSE ones. Or
// of nothing is FALSE.
func Or(ps ...Pred) Pred {
	out := False
	for _, p := range ps {
		out = or2(out, p)
	}
	return out
}

func or2(a, b Pred) Pred {
	switch {
	case a.IsTrue() || b.IsTrue():
		return True
	case a.IsFalse():
		return b
	case b.IsFalse():
		return a
	}
	return Pred{sql: a.operand('o') + " OR " + b.operand('o'), args: concatArgs(a.args, b.args), chain: 'o'}
}

// Not negates p with SQL's three-valued logic in mind: a comparison on a
// NULL column is unknown, and "not unknown" must be true (an unassigned
// attribute does not equal the value). IS NOT TRUE says exactly that.
func Not(p Pred) Pred {
	switch {
	case p.IsTrue():
		return False
	case p.IsFalse():
		return True
	}
	return Pred{sql: "(" + p.sql + ") IS NOT TRUE", args: p.args}
}

// In is expr IN (values...), with a NULL among values matching expr IS
// NULL, as a SQL IN list never does. An empty list matches nothing.
func In(expr string, values []any) Pred {
	var nonNull []any
	hasNull := false
	for _, v := range values {
		if v == nil {
			hasNull = true
			continue
		}
		nonNull = append(nonNull, v)
	}
	out := False
	switch len(nonNull) {
	case 0:
	case 1:
		out = Cond(expr+" = ?", nonNull[0])
	default:
		out = Cond(expr+" IN ("+Placeholders(len(nonNull))+")", nonNull...)
	}
	if hasNull {
		out = Or(out, Cond(expr+" IS NULL"))
	}
	return out
}

// Exists is EXISTS (SELECT 1 FROM from WHERE where). from is a table
// reference built with Table (or a join of them).
func Exists(from string, where Pred) Pred {
	return Pred{sql: "EXISTS (SELECT 1 FROM " + from + " WHERE " + where.SQL() + ")", args: where.args}
}

// InSelect is expr IN (sub): expr is one of the values sub selects.
func InSelect(expr string, sub Select) Pred {
	sql, args := sub.SQL()
	return Pred{sql: expr + " IN (" + sql + ")", args: args}
}

func concatArgs(a, b []any) []any {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := make([]any, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// Eq is expr = ?, with v as the argument.
func Eq(expr string, v any) Pred { return Cond(expr+" = ?", v) }

// IsNull is expr IS NULL.
func IsNull(expr string) Pred { return Cond(expr + " IS NULL") }

// Constant says p is TRUE or FALSE whatever the row.
func (p Pred) Constant() bool { return p.IsTrue() || p.IsFalse() }

// A Marker stands in for an argument that changes from call to call (the
// caller's tenant) in a predicate built once: Bind puts the value in.
type Marker struct{ name string }

// NewMarker returns a marker; name is for debugging only.
func NewMarker(name string) *Marker { return &Marker{name: name} }

// Bind returns p with every argument that is m replaced by v. The SQL text
// is p's own, not rebuilt: a predicate whose text does not depend on the
// value is built once and bound per call.
func (p Pred) Bind(m *Marker, v any) Pred {
	if len(p.args) == 0 {
		return p
	}
	args := make([]any, len(p.args))
	for i, a := range p.args {
		if x, ok := a.(*Marker); ok && x == m {
			a = v
		}
		args[i] = a
	}
	p.args = args
	return p
}

// Rebind returns p with args in place of its arguments, in order; the SQL
// text is p's own, not rebuilt. args must be as many as p has: it panics
// otherwise. A predicate compiled once for a shape of filter takes each
// request's values this way.
func (p Pred) Rebind(args []any) Pred {
	if len(args) != len(p.args) {
		panic("sqlstmt: Rebind with the wrong number of arguments")
	}
	p.args = args
	return p
}

// Same reports whether p and q are the same predicate: the same SQL text
// in every context they may be joined into, and equal arguments.
func (p Pred) Same(q Pred) bool {
	if p.IsTrue() != q.IsTrue() || p.IsFalse() != q.IsFalse() || p.sql != q.sql || p.chain != q.chain || len(p.args) != len(q.args) {
		return false
	}
	for i := range p.args {
		if !reflect.DeepEqual(p.args[i], q.args[i]) {
			return false
		}
	}
	return true
}
