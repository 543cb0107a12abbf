package mapping

import (
	"strings"
	"testing"
)

// TestMembershipFallback: with on_remove, removal from a group held in a
// single column writes the named group, and under first_wins a user who
// holds only that group is free to join another.
func TestMembershipFallback(t *testing.T) {
	m := groupsConfig(t, "    column: role_id\n    on_remove: 1\n").Members
	free, ok := m.Unclaimed([]any{int64(7)}, "1")
	if !ok {
		t.Fatal("Unclaimed: not asked under first_wins")
	}
	tests := []struct {
		name string
		got  []string
		want string
	}{
		{"remove", sqlOf(m.RemoveMembers(int64(3), []any{int64(7)}, "1")...),
			"UPDATE `users` SET `role_id` = ? WHERE `auth_source` = ? AND `org_id` = ? AND `id` IN (?) AND `role_id` = ?"},
		{"add first_wins", sqlOf(m.AddMembers(int64(3), []any{int64(7)}, "1")...),
			"UPDATE `users` SET `role_id` = ? WHERE `auth_source` = ? AND `org_id` = ? AND `id` IN (?) AND (`role_id` IS NULL OR `role_id` = ? OR `role_id` = ?)"},
		{"unclaimed", sqlOf(free),
			"SELECT `id` FROM `users` WHERE `auth_source` = ? AND `org_id` = ? AND `id` IN (?) AND (`role_id` IS NULL OR `role_id` = ?)"},
		{"group delete", sqlOf(m.DeleteMemberships(int64(3), "1")...),
			"UPDATE `users` SET `role_id` = ? WHERE `auth_source` = ? AND `org_id` = ? AND `role_id` = ?"},
	}
	for _, tt := range tests {
		if tt.got[0] != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, tt.got[0], tt.want)
		}
	}
	if a := args(m.RemoveMembers(int64(3), []any{int64(7)}, "1")[0]); a[0] != int64(1) {
		t.Errorf("removal writes %v, want 1", a[0])
	}
	if !m.FallbackGroup("1") || m.FallbackGroup("3") {
		t.Error("FallbackGroup")
	}
	if err := m.FallbackRemoval("1"); err == nil || !strings.Contains(err.Error(), "sets users.role_id to 1 (groups.members.on_remove)") {
		t.Errorf("FallbackRemoval = %v", err)
	}
	// Without on_remove, removal writes NULL as before.
	if a := args(groupsConfig(t, "    column: role_id\n").Members.RemoveMembers(int64(3), []any{int64(7)}, "1")[0]); a[0] != nil {
		t.Errorf("removal without on_remove writes %v, want NULL", a[0])
	}
	for members, want := range map[string]string{
		"    column: role_id\n    on_remove: [1]\n":                                          "on_remove is the group id removal writes to role_id",
		"    column: role_id\n    on_remove: null\n":                                         "on_remove is the group id removal writes to role_id",
		"    join: { table: user_roles, user: user_id, group: role_id }\n    on_remove: 1\n": "on_remove here applies to the single-column model",
	} {
		if _, err := Parse("g.yaml", []byte(groupsYAML+members)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", members, err, want)
		}
	}
	// A NOT NULL group column is accepted once removal has a value to write.
	notNull := map[string][]Column{
		"users": {{Name: "id", DataType: "bigint"}, {Name: "org_id", DataType: "int"}, ci("auth_source", 10, false), ci("login", 50, false), ci("display_name", 50, true), {Name: "role_id", DataType: "int"}},
		"roles": {{Name: "id", DataType: "int"}, {Name: "org_id", DataType: "int"}, ci("name", 50, false)},
	}
	for members, want := range map[string]string{"    column: role_id\n": "could not leave a group", "    column: role_id\n    on_remove: 1\n": ""} {
		cfg, err := Parse("g.yaml", []byte(groupsYAML+members))
		if err != nil {
			t.Fatal(err)
		}
		err = cfg.Bind(notNull)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: Bind = %v, want %q", members, err, want)
		}
	}
}
