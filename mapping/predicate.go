package mapping

import "strings"

// Predicate is a SQL boolean expression over one resource's table, with its
// bind arguments. SQL never contains a value: every value is an argument,
// and every identifier comes from the validated mapping.
type Predicate struct {
	SQL  string
	Args []any
}

// cond is a compiled condition: SQL text, or a constant when k != 0.
// chain records whether sql is a bare "x AND y" or "x OR y" chain, so that
// parentheses are added exactly where precedence needs them.
type cond struct {
	sql   string
	args  []any
	k     int8 // 1 always true, -1 always false, 0 see sql
	chain byte // 0 atomic, 'a' bare AND chain, 'o' bare OR chain
}

var (
	condTrue  = cond{k: 1}
	condFalse = cond{k: -1}
)

func constCond(b bool) cond {
	if b {
		return condTrue
	}
	return condFalse
}

func sqlCond(sql string, args ...any) cond { return cond{sql: sql, args: args} }

// predicate renders the condition so that it can be joined with AND to
// any other predicate: a bare OR chain is parenthesised.
func (c cond) predicate() Predicate {
	switch c.k {
	case 1:
		return Predicate{SQL: "TRUE"}
	case -1:
		return Predicate{SQL: "FALSE"}
	}
	return Predicate{SQL: c.operand('a'), Args: c.args}
}

// operand renders c as an operand of a chain of kind op.
func (c cond) operand(op byte) string {
	if c.chain != 0 && c.chain != op {
		return "(" + c.sql + ")"
	}
	return c.sql
}

func andCond(a, b cond) cond {
	switch {
	case a.k == -1 || b.k == -1:
		return condFalse
	case a.k == 1:
		return b
	case b.k == 1:
		return a
	}
	return cond{sql: a.operand('a') + " AND " + b.operand('a'), args: concatArgs(a.args, b.args), chain: 'a'}
}

func orCond(a, b cond) cond {
	switch {
	case a.k == 1 || b.k == 1:
		return condTrue
	case a.k == -1:
		return b
	case b.k == -1:
		return a
	}
	return cond{sql: a.operand('o') + " OR " + b.operand('o'), args: concatArgs(a.args, b.args), chain: 'o'}
}

// notCond negates with SQL's three-valued logic in mind: a comparison on a
// NULL column is unknown, and "not unknown" must be true (the attribute is
// unassigned, so it does not equal the value). IS NOT TRUE says exactly that.
func notCond(a cond) cond {
	if a.k != 0 {
		return cond{k: -a.k}
	}
	return cond{sql: "(" + a.sql + ") IS NOT TRUE", args: a.args}
}

func concatArgs(a, b []any) []any {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := make([]any, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// inList compiles qc IN (values), qc being a quoted column, with a nil
// value meaning IS NULL.
func inList(qc string, values []any) cond {
	var nonNull []any
	hasNull := false
	for _, v := range values {
		if v == nil {
			hasNull = true
			continue
		}
		nonNull = append(nonNull, v)
	}
	out := condFalse
	switch len(nonNull) {
	case 0:
	case 1:
		out = sqlCond(qc+" = ?", nonNull[0])
	default:
		out = sqlCond(qc+" IN ("+placeholders(len(nonNull))+")", nonNull...)
	}
	if hasNull {
		out = orCond(out, sqlCond(qc+" IS NULL"))
	}
	return out
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

// quoteIdent quotes a column or table name for MySQL. Names come from the
// validated mapping; quoting also covers reserved words such as `order`.
func quoteIdent(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return quoteIdent(name[:i]) + "." + quoteIdent(name[i+1:])
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
