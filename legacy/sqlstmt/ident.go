package sqlstmt

import "strings"

// Ident quotes a table or column name for MySQL and MariaDB. A name with a
// dot ("db.table") is quoted per part. It is the only function that quotes
// identifiers: names come from the validated mapping, and a backtick in a
// name is doubled, so no name can end the quoting.
func Ident(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return Ident(name[:i]) + "." + Ident(name[i+1:])
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// Col is a column of a table reference: `alias`.`column`, or `column` when
// alias is empty.
func Col(alias, column string) string {
	if alias == "" {
		return Ident(column)
	}
	return Ident(alias) + "." + Ident(column)
}

// Table is a table reference for FROM: `table`, or `table` `alias`.
func Table(name, alias string) string {
	if alias == "" {
		return Ident(name)
	}
	return Ident(name) + " " + Ident(alias)
}

// Placeholders is n comma-separated ? placeholders.
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

// Join is from JOIN `table` `alias` ON on: on is a predicate built from Col
// references (the join's key columns).
func Join(from, table, alias, on string) string {
	return from + " JOIN " + Table(table, alias) + " ON " + on
}

// LeftJoin is from LEFT JOIN `table` `alias` ON on.
func LeftJoin(from, table, alias, on string) string {
	return from + " LEFT JOIN " + Table(table, alias) + " ON " + on
}
