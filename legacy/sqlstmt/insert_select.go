package sqlstmt

import "strings"

// InsertSelect is INSERT INTO Table (Columns) SELECT Select: the rows a
// query produces (a companion row per added member, its values read from
// the group's row).
type InsertSelect struct {
	Table   string
	Columns []string
	Select  Select
}

// SQL renders the statement.
func (in InsertSelect) SQL() (string, []any) {
	cols := make([]string, len(in.Columns))
	for i, c := range in.Columns {
		cols[i] = Ident(c)
	}
	sel, args := in.Select.SQL()
	return "INSERT INTO " + Ident(in.Table) + " (" + strings.Join(cols, ", ") + ") " + sel, args
}
