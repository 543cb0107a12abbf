package sqlstmt

import "testing"

func TestLiteral(t *testing.T) {
	tests := []struct {
		in   any
		want string
		ok   bool
	}{
		{1, "1", true},
		{int64(-3), "-3", true},
		{"first_name", "'first_name'", true},
		{"auth.saml", "'auth.saml'", true},
		{"", "''", true},
		{"it's", "", false},
		{`a\`, "", false},
		{`a"b`, "", false},
		{"a`b", "", false},
		{"é", "", false},
		{"a\nb", "", false},
		{1.5, "", false},
		{nil, "", false},
		{true, "", false},
	}
	for _, tt := range tests {
		got, ok := Literal(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Literal(%#v) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestUpdateOrderLimit(t *testing.T) {
	u := Update{Table: "email_addresses", Set: []Assignment{{Column: "address", Value: "a@x.io"}}, Where: Eq("`user_id`", 7), Order: []OrderKey{{Expr: "`id`"}}, Limit: 1}
	sql, args := u.SQL()
	if want := "UPDATE `email_addresses` SET `address` = ? WHERE `user_id` = ? ORDER BY `id` LIMIT 1"; sql != want || len(args) != 2 || args[0] != "a@x.io" || args[1] != 7 {
		t.Errorf("got %s %v, want %s", sql, args, want)
	}
}
