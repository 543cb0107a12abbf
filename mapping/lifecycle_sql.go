package mapping

import (
	"reflect"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// The statements of a Lifecycle. Reading active selects the condition
// itself, with the mapping's constants as literals (a subquery of the
// select list takes no placeholders); a filter on active uses the same
// condition with placeholders; deactivation and reactivation are column
// writes in the row's UPDATE, then writes of the other tables' rows, each
// confined to key = the user's id and the selector's values.

var typeOfActionSpec = reflect.TypeOf(&ActionSpec{})

// lifePred is the condition under which a user is active, on the
// unqualified columns of the user's table (other tables' rows are
// correlated to it by its qualified id).
func (r *Resource) lifePred() sqlstmt.Pred {
	out := sqlstmt.True
	for _, t := range r.Active.Life.When {
		var c sqlstmt.Pred
		switch {
		case t.Row != nil:
			c = r.rowExists(t.Row)
			if t.NoRow {
				c = sqlstmt.Not(c)
			}
		default:
			col := sqlstmt.Ident(t.Column)
			c = sqlstmt.In(col, t.Values)
			if t.Negate {
				c = sqlstmt.And(sqlstmt.Cond(col+" IS NOT NULL"), sqlstmt.Not(c))
			}
		}
		out = sqlstmt.And(out, c)
	}
	return out
}

// rowExists is "the user has a row of ref's table with its values".
func (r *Resource) rowExists(ref *RowRef) sqlstmt.Pred {
	c := sqlstmt.Cond(sqlstmt.Col(ref.Table, ref.Key) + " = " + r.qualified(r.IDColumn))
	for _, w := range ref.Where {
		c = sqlstmt.And(c, sqlstmt.Eq(sqlstmt.Col(ref.Table, w.Column), w.Value))
	}
	return sqlstmt.Exists(sqlstmt.Ident(ref.Table), c)
}

// inlineSQL renders p with its arguments as literals. Every argument is a
// constant of the mapping that the loader accepted as one (an integer or
// a plain word), and identifiers cannot hold a "?", so each "?" is a
// placeholder.
func inlineSQL(p sqlstmt.Pred) string {
	sql, args := p.SQL(), p.Args()
	var b strings.Builder
	for _, c := range sql {
		if c == '?' && len(args) > 0 {
			lit, _ := sqlstmt.Literal(args[0])
			b.WriteString(lit)
			args = args[1:]
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// addLifecycleSelect appends what a read needs for the lifecycle: the
// condition as 1 or 0, and whether each write_row's row exists (a write
// then knows whether to UPDATE or INSERT it).
func (r *Resource) addLifecycleSelect() {
	if r.Active == nil || r.Active.Life == nil {
		return
	}
	l := r.Active.Life
	r.selectExprs = append(r.selectExprs, "("+inlineSQL(r.lifePred())+") IS TRUE")
	l.idx = len(r.selectExprs) - 1
	at := map[string]int{} // one expression per row, however many actions write it
	for _, acts := range [][]LifeAction{l.Deactivate, l.Reactivate} {
		for i := range acts {
			if a := &acts[i]; a.Row != nil && !a.Delete {
				expr := "(" + inlineSQL(r.rowExists(a.Row)) + ") IS TRUE"
				if j, ok := at[expr]; ok {
					a.existsIdx = j
					continue
				}
				r.selectExprs = append(r.selectExprs, expr)
				a.existsIdx = len(r.selectExprs) - 1
				at[expr] = a.existsIdx
			}
		}
	}
}

// lifeActive reads the condition from a row.
func (r *Resource) lifeActive(row Row) bool {
	return rowFlag(row, r.Active.Life.idx)
}

// rowFlag reads a 1/0 value the select list computed.
func rowFlag(row Row, i int) bool {
	if i < 0 || i >= len(row) {
		return false
	}
	s, _ := textOf(row[i])
	return s == "1"
}

// lifeActions are the actions that bring a user to state active.
func (l *Lifecycle) actions(active bool) []LifeAction {
	if active {
		return l.Reactivate
	}
	return l.Deactivate
}

// lifeAssignments are the column writes of actions on the user's row.
func lifeAssignments(acts []LifeAction) []Assignment {
	var out []Assignment
	for _, a := range acts {
		if a.Row != nil {
			continue
		}
		for _, s := range a.Set {
			asg := s.assignment()
			out = append(out, Assignment{Column: asg.Column, Value: asg.Value, SQL: asg.Expr})
		}
	}
	return out
}

// lifeRowStatements are the writes of actions on other tables' rows for
// the user whose key is user. row is the user's row as locked, nil for a
// create (the user has no such rows yet: write_row inserts, delete_row
// has nothing to delete).
func lifeRowStatements(acts []LifeAction, user any, row Row) []sqlstmt.Statement {
	if b, ok := user.([]byte); ok {
		user = string(b)
	}
	var out []sqlstmt.Statement
	for _, a := range acts {
		if a.Row == nil {
			continue
		}
		mine := sqlstmt.Eq(sqlstmt.Ident(a.Row.Key), user)
		for _, w := range a.Row.Where {
			mine = sqlstmt.And(mine, sqlstmt.Eq(sqlstmt.Ident(w.Column), w.Value))
		}
		var set []sqlstmt.Assignment
		for _, s := range a.Set {
			set = append(set, s.assignment())
		}
		switch {
		case a.Delete:
			if row != nil {
				out = append(out, sqlstmt.Delete{Table: a.Row.Table, Where: mine})
			}
		case row != nil && rowFlag(row, a.existsIdx):
			out = append(out, sqlstmt.Update{Table: a.Row.Table, Set: set, Where: mine})
		default:
			in := sqlstmt.Insert{Table: a.Row.Table, Set: []sqlstmt.Assignment{{Column: a.Row.Key, Value: user}}}
			for _, w := range a.Row.Where {
				in.Set = append(in.Set, sqlstmt.Assignment{Column: w.Column, Value: w.Value})
			}
			out = append(out, sqlstmt.Insert{Table: in.Table, Set: append(in.Set, set...)})
		}
	}
	return out
}

// lifeRowDeletes are the DELETEs of the other tables' rows the lifecycle
// actions write (write_row, delete_row) for the user whose key is user,
// run before the user's row is deleted so that no row is left behind
// and a foreign key to the user does not refuse the delete.
func (r *Resource) lifeRowDeletes(user any) []sqlstmt.Statement {
	if r.Active == nil || r.Active.Life == nil {
		return nil
	}
	l := r.Active.Life
	seen := map[string]bool{}
	var out []sqlstmt.Statement
	for _, a := range append(append([]LifeAction(nil), l.Deactivate...), l.Reactivate...) {
		if a.Row == nil {
			continue
		}
		st := lifeRowStatements([]LifeAction{{Row: a.Row, Delete: true}}, user, Row{user})[0]
		sql, _ := st.SQL()
		if !seen[sql] {
			seen[sql] = true
			out = append(out, st)
		}
	}
	return out
}
