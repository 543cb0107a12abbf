package legacy

import "testing"

// TestQuotedAfter names the column or key of a server message, never the
// database that MariaDB puts in front of it.
func TestQuotedAfter(t *testing.T) {
	tests := []struct{ msg, marker, want string }{
		{"Incorrect integer value: 'ReadOnlyAnalyst' for column `app`.`panther_users`.`role_id` at row 1", "column ", "role_id"},
		{"Data too long for column 'title' at row 1", "column ", "title"},
		{"Duplicate entry '1-alice@acme.test' for key 'uq_users_org_login'", "for key ", "uq_users_org_login"},
		{"Duplicate entry 'x' for key 'users.uq_login'", "for key ", "users.uq_login"},
		{"Column 'login' cannot be null", "column ", ""},
		{"Data too long for column 'unterminated", "column ", ""},
	}
	for _, tt := range tests {
		if got := quotedAfter(tt.msg, tt.marker); got != tt.want {
			t.Errorf("quotedAfter(%q) = %q, want %q", tt.msg, got, tt.want)
		}
	}
}
