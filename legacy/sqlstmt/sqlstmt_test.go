package sqlstmt

import (
	"reflect"
	"strings"
	"testing"
)

func TestIdent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"users", "`users`"},
		{"app.users", "`app`.`users`"},
		{"we`ird", "`we``ird`"},
		{"a`.`b", "`a```.```b`"},
	}
	for _, tt := range tests {
		if got := Ident(tt.in); got != tt.want {
			t.Errorf("Ident(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestPredAlgebra(t *testing.T) {
	a, b, c := Cond("a = ?", 1), Cond("b = ?", 2), Cond("c IS NULL")
	tests := []struct {
		name string
		p    Pred
		sql  string
		args []any
	}{
		{"zero is true", Pred{}, "TRUE", nil},
		{"empty cond is true", Cond(""), "TRUE", nil},
		{"and of nothing", And(), "TRUE", nil},
		{"or of nothing", Or(), "FALSE", nil},
		{"and folds true", And(True, a, True), "a = ?", []any{1}},
		{"and folds false", And(a, False, b), "FALSE", nil},
		{"or folds true", Or(a, True), "TRUE", nil},
		{"or folds false", Or(False, a), "a = ?", []any{1}},
		{"and chain flat", And(a, b, c), "a = ? AND b = ? AND c IS NULL", []any{1, 2}},
		{"or inside and", And(Or(a, b), c), "(a = ? OR b = ?) AND c IS NULL", []any{1, 2}},
		{"and inside or", Or(And(a, b), c), "((a = ? AND b = ?) OR c IS NULL)", []any{1, 2}},
		{"bare or parenthesised for AND", Or(a, b), "(a = ? OR b = ?)", []any{1, 2}},
		{"not is three-valued", Not(a), "(a = ?) IS NOT TRUE", []any{1}},
		{"not true", Not(True), "FALSE", nil},
		{"not false", Not(False), "TRUE", nil},
		{"not not", Not(Not(a)), "((a = ?) IS NOT TRUE) IS NOT TRUE", []any{1}},
		{"in empty", In("`x`", nil), "FALSE", nil},
		{"in one", In("`x`", []any{1}), "`x` = ?", []any{1}},
		{"in many", In("`x`", []any{1, 2, 3}), "`x` IN (?,?,?)", []any{1, 2, 3}},
		{"in with null", In("`x`", []any{1, nil}), "(`x` = ? OR `x` IS NULL)", []any{1}},
		{"in only null", In("`x`", []any{nil}), "`x` IS NULL", nil},
		{"exists", Exists(Table("t", "m"), And(a, b)), "EXISTS (SELECT 1 FROM `t` `m` WHERE a = ? AND b = ?)", []any{1, 2}},
		{"in select", InSelect("`id`", Select{Columns: []string{"`uid`"}, From: Table("m", ""), Where: a}), "`id` IN (SELECT `uid` FROM `m` WHERE a = ?)", []any{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.SQL(); got != tt.sql {
				t.Errorf("SQL() = %s, want %s", got, tt.sql)
			}
			if got := tt.p.Args(); !reflect.DeepEqual(got, tt.args) {
				t.Errorf("Args() = %v, want %v", got, tt.args)
			}
		})
	}
}

func TestStatements(t *testing.T) {
	id := Cond("`id` = ?", 7)
	tests := []struct {
		name string
		s    Statement
		sql  string
		args []any
	}{
		{"select all", Select{Columns: []string{"`id`"}, From: Table("users", "")}, "SELECT `id` FROM `users`", []any{}},
		{"select everything", Select{
			Columns: []string{"`id`", "(SELECT `name` FROM `roles` WHERE `id` = `role_id` AND `org` = ?)"}, ColumnArgs: []any{"o"},
			From: Table("users", ""), Where: id, Order: []OrderKey{{Expr: "`login`", Nullable: true}, {Expr: "`id`"}},
			Limit: 10, Offset: 20, Lock: true,
		}, "SELECT `id`, (SELECT `name` FROM `roles` WHERE `id` = `role_id` AND `org` = ?) FROM `users` WHERE `id` = ? ORDER BY `login` IS NULL, `login`, `id` LIMIT 10 OFFSET 20 FOR UPDATE", []any{"o", 7}},
		{"index hint", Select{Columns: []string{"`id`"}, From: Table("users", ""), Index: "ix_org", Where: id, Order: []OrderKey{{Expr: "`id`"}}, Limit: 101},
			"SELECT `id` FROM `users` FORCE INDEX (`ix_org`) WHERE `id` = ? ORDER BY `id` LIMIT 101", []any{7}},
		{"count drops the hint", Select{Columns: []string{"`id`"}, From: Table("users", ""), Index: "ix_org", Where: id}.Count(), "SELECT COUNT(*) FROM `users` WHERE `id` = ?", []any{7}},
		{"group by", Select{Columns: []string{"`org`", "COUNT(*)"}, From: Table("users", ""), GroupBy: []string{"`org`"}}, "SELECT `org`, COUNT(*) FROM `users` GROUP BY `org`", []any{}},
		{"count", Select{Columns: []string{"`id`"}, From: Table("users", ""), Where: id, Order: []OrderKey{{Expr: "`id`"}}, Limit: 5}.Count(), "SELECT COUNT(*) FROM `users` WHERE `id` = ?", []any{7}},
		{"insert", Insert{Table: "users", Set: []Assignment{{Column: "login", Value: "a"}, {Column: "created", Expr: "NOW(6)"}}}, "INSERT INTO `users` (`login`, `created`) VALUES (?, NOW(6))", []any{"a"}},
		{"update", Update{Table: "users", Set: []Assignment{{Column: "v", Expr: "`v` + 1"}, {Column: "t", Value: "x"}}, Where: id}, "UPDATE `users` SET `v` = `v` + 1, `t` = ? WHERE `id` = ?", []any{"x", 7}},
		{"update never whole table", Update{Table: "users", Set: []Assignment{{Column: "t", Value: "x"}}}, "UPDATE `users` SET `t` = ? WHERE FALSE", []any{"x"}},
		{"delete", Delete{Table: "m", Where: In("`u`", []any{1, 2})}, "DELETE FROM `m` WHERE `u` IN (?,?)", []any{1, 2}},
		{"delete never whole table", Delete{Table: "m"}, "DELETE FROM `m` WHERE FALSE", nil},
		{"insert rows", InsertRows{Table: "m", Columns: []string{"u", "g"}, Rows: [][]any{{1, 5}, {2, 5}}}, "INSERT INTO `m` (`u`, `g`) VALUES (?,?), (?,?)", []any{1, 5, 2, 5}},
		{"insert rows with values", InsertRows{Table: "m", Columns: []string{"u", "g", "t", "o"}, Values: []string{"?", "?", "NOW(6)", "(SELECT `o` FROM `g` WHERE `id` = ?)"}, Rows: [][]any{{1, 5, 5}}},
			"INSERT INTO `m` (`u`, `g`, `t`, `o`) VALUES (?,?,NOW(6),(SELECT `o` FROM `g` WHERE `id` = ?))", []any{1, 5, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, args := tt.s.SQL()
			if sql != tt.sql {
				t.Errorf("SQL =\n %s\nwant\n %s", sql, tt.sql)
			}
			if len(args) != len(tt.args) || (len(args) > 0 && !reflect.DeepEqual(args, tt.args)) {
				t.Errorf("args = %v, want %v", args, tt.args)
			}
		})
	}
}

func TestAfter(t *testing.T) {
	id := OrderKey{Expr: "`id`"}
	login := OrderKey{Expr: "`login`", Nullable: true}
	tests := []struct {
		name  string
		order []OrderKey
		key   []any
		sql   string
		args  []any
	}{
		{"one key", []OrderKey{id}, []any{5}, "`id` > ?", []any{5}},
		{"one key desc", []OrderKey{{Expr: "`id`", Desc: true}}, []any{5}, "`id` < ?", []any{5}},
		{"row comparison", []OrderKey{{Expr: "`a`"}, id}, []any{"x", 5}, "(`a`, `id`) > (?, ?)", []any{"x", 5}},
		{"nullable spelled out", []OrderKey{login, id}, []any{"x", 5}, "(`login` > ? OR `login` IS NULL OR (`login` = ? AND `id` > ?))", []any{"x", "x", 5}},
		{"null ascending: only ties follow", []OrderKey{login, id}, []any{nil, 5}, "`login` IS NULL AND `id` > ?", []any{5}},
		{"null descending", []OrderKey{{Expr: "`login`", Desc: true, Nullable: true}, {Expr: "`id`", Desc: true}}, []any{nil, 5}, "(`login` IS NOT NULL OR (`login` IS NULL AND `id` < ?))", []any{5}},
		{"nothing after", []OrderKey{login}, []any{nil}, "FALSE", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := After(tt.order, tt.key)
			if p.SQL() != tt.sql || !reflect.DeepEqual(p.Args(), tt.args) {
				t.Errorf("After = %s %v, want %s %v", p.SQL(), p.Args(), tt.sql, tt.args)
			}
		})
	}
}

// TestOrderBy shows the ORDER BY each kind of key becomes: a key that
// cannot be NULL stays a bare column, so an index on it gives the order.
func TestOrderBy(t *testing.T) {
	tests := []struct {
		order []OrderKey
		want  string
	}{
		{[]OrderKey{{Expr: "`login`"}, {Expr: "`id`"}}, "`login`, `id`"},
		{[]OrderKey{{Expr: "`login`", Desc: true}, {Expr: "`id`", Desc: true}}, "`login` DESC, `id` DESC"},
		{[]OrderKey{{Expr: "`title`", Nullable: true}, {Expr: "`id`"}}, "`title` IS NULL, `title`, `id`"},
		{[]OrderKey{{Expr: "LOWER(`title`)", Desc: true, Nullable: true}, {Expr: "`id`", Desc: true}}, "LOWER(`title`) IS NULL DESC, LOWER(`title`) DESC, `id` DESC"},
	}
	for _, tt := range tests {
		var b strings.Builder
		if orderBy(&b, tt.order); b.String() != tt.want {
			t.Errorf("orderBy(%v) = %q, want %q", tt.order, b.String(), tt.want)
		}
	}
}
