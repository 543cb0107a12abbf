package sqlstmt

import (
	"strconv"
	"strings"
)

// Statement is anything that renders to one SQL statement with ?
// placeholders and their arguments.
type Statement interface {
	SQL() (string, []any)
}

// Select is a SELECT statement.
type Select struct {
	// Columns are the select list: SQL expressions built with Ident and Col
	// (or a subquery for a looked-up value); ColumnArgs fill their
	// placeholders.
	Columns    []string
	ColumnArgs []any
	// From is the table reference: Table(name, alias) or a join of them.
	From string
	// Index, when set, names an index of the table From refers to (a
	// single table, not a join) that the statement must read through:
	// FORCE INDEX (`Index`). mapping sets it for the walk of a keyset
	// list, where the optimizer's own choice can read a tenant's index
	// entries from the start on every page (see mapping.KeysetIndex).
	Index string
	// Where selects the rows; the zero value selects every row.
	Where   Pred
	GroupBy []string
	Order   []OrderKey
	// Limit > 0 and Offset > 0 add LIMIT and OFFSET. They are written as
	// numbers, not placeholders: an int cannot carry SQL, and a DBA reading
	// the statement (retroscim explain, the slow log) sees the page size.
	Limit  int
	Offset int
	// Lock makes the read a locking one (FOR UPDATE).
	Lock bool
}

// SQL renders the statement.
func (s Select) SQL() (string, []any) {
	var where string
	if !s.Where.IsTrue() {
		where = s.Where.SQL()
	}
	// One allocation for the text: the statement of a list is a few
	// hundred bytes, and growing the builder step by step copied it
	// several times.
	n := len("SELECT  FROM  WHERE ") + len(s.From) + len(where) + len(s.Index) + 64
	for _, c := range s.Columns {
		n += len(c) + 2
	}
	for _, g := range s.GroupBy {
		n += len(g) + 2
	}
	for _, k := range s.Order {
		n += 2*len(k.Expr) + 24
	}
	var b strings.Builder
	b.Grow(n)
	args := make([]any, 0, len(s.ColumnArgs)+len(s.Where.args)+2)
	args = append(args, s.ColumnArgs...)
	b.WriteString("SELECT ")
	for i, c := range s.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c)
	}
	b.WriteString(" FROM ")
	b.WriteString(s.From)
	if s.Index != "" {
		b.WriteString(" FORCE INDEX (")
		b.WriteString(Ident(s.Index))
		b.WriteString(")")
	}
	if !s.Where.IsTrue() {
		b.WriteString(" WHERE ")
		b.WriteString(where)
		args = append(args, s.Where.args...)
	}
	if len(s.GroupBy) > 0 {
		b.WriteString(" GROUP BY ")
		b.WriteString(strings.Join(s.GroupBy, ", "))
	}
	if len(s.Order) > 0 {
		b.WriteString(" ORDER BY ")
		orderBy(&b, s.Order)
	}
	var num [20]byte // the digits of LIMIT and OFFSET, without a string each
	if s.Limit > 0 {
		b.WriteString(" LIMIT ")
		b.Write(strconv.AppendInt(num[:0], int64(s.Limit), 10))
	}
	if s.Offset > 0 {
		b.WriteString(" OFFSET ")
		b.Write(strconv.AppendInt(num[:0], int64(s.Offset), 10))
	}
	if s.Lock {
		b.WriteString(" FOR UPDATE")
	}
	return b.String(), args
}

// Count is the statement that counts the rows s selects, ignoring its
// order, limit, offset and index hint (the index that gives the order is
// not the one that counts fastest; the optimizer picks that one).
func (s Select) Count() Select {
	return Select{Columns: []string{"COUNT(*)"}, From: s.From, Where: s.Where}
}

// Assignment is one column = value of an UPDATE or INSERT. When Expr is set
// it is written as SQL (DEFAULT, NOW(6), `v` + 1, a CASE) and Value is
// unused; Args fill the placeholders of Expr.
type Assignment struct {
	Column string
	Value  any
	Expr   string
	Args   []any
}

// value renders the assignment's right-hand side and appends its arguments.
func (a Assignment) value(args []any) (string, []any) {
	if a.Expr != "" {
		return a.Expr, append(args, a.Args...)
	}
	return "?", append(args, a.Value)
}

// Insert is an INSERT of one row.
type Insert struct {
	Table string
	Set   []Assignment
}

// SQL renders the statement.
func (in Insert) SQL() (string, []any) {
	cols := make([]string, len(in.Set))
	vals := make([]string, len(in.Set))
	args := make([]any, 0, len(in.Set))
	for i, a := range in.Set {
		cols[i] = Ident(a.Column)
		vals[i], args = a.value(args)
	}
	return "INSERT INTO " + Ident(in.Table) + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(vals, ", ") + ")", args
}

// Update is an UPDATE of the rows Where matches. An Update without a Where
// is refused when rendered: no statement here changes a whole table.
// Order and Limit > 0 confine it to the first rows in that order (the one
// related row a read shows, when several match its selector).
type Update struct {
	Table string
	Set   []Assignment
	Where Pred
	Order []OrderKey
	Limit int
}

// SQL renders the statement.
func (u Update) SQL() (string, []any) {
	var b strings.Builder
	args := make([]any, 0, len(u.Set)+len(u.Where.args))
	b.WriteString("UPDATE ")
	b.WriteString(Ident(u.Table))
	b.WriteString(" SET ")
	for i, a := range u.Set {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(Ident(a.Column))
		b.WriteString(" = ")
		var v string
		v, args = a.value(args)
		b.WriteString(v)
	}
	b.WriteString(" WHERE ")
	b.WriteString(guard(u.Where))
	if len(u.Order) > 0 {
		b.WriteString(" ORDER BY ")
		orderBy(&b, u.Order)
	}
	if u.Limit > 0 {
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.Itoa(u.Limit))
	}
	return b.String(), append(args, u.Where.args...)
}

// Delete removes the rows Where matches.
type Delete struct {
	Table string
	Where Pred
}

// SQL renders the statement.
func (d Delete) SQL() (string, []any) {
	return "DELETE FROM " + Ident(d.Table) + " WHERE " + guard(d.Where), d.Where.args
}

// guard renders the predicate of a write. A write whose predicate is TRUE
// would change every row of a table the app owns; it is rendered FALSE
// instead, so a builder's mistake changes nothing rather than everything.
func guard(p Pred) string {
	if p.IsTrue() {
		return "FALSE"
	}
	return p.SQL()
}

// InsertRows is a multi-row INSERT: one row of Columns per entry of Rows.
type InsertRows struct {
	Table   string
	Columns []string
	// Values, when set, is the SQL of each column's value in every row
	// ("?", NOW(6), a scalar subquery); each ? takes the row's next
	// argument. Nil: one placeholder per column.
	Values []string
	Rows   [][]any
}

// SQL renders the statement.
func (in InsertRows) SQL() (string, []any) {
	cols := make([]string, len(in.Columns))
	for i, c := range in.Columns {
		cols[i] = Ident(c)
	}
	row := "(" + Placeholders(len(cols)) + ")"
	if in.Values != nil {
		row = "(" + strings.Join(in.Values, ",") + ")"
	}
	rows := make([]string, len(in.Rows))
	args := make([]any, 0, len(in.Rows)*len(cols))
	for i, r := range in.Rows {
		rows[i] = row
		args = append(args, r...)
	}
	return "INSERT INTO " + Ident(in.Table) + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Join(rows, ", "), args
}
