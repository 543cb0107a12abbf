package mapping

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

const groupsYAML = `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "0123456789abcdef", tenant: "1" } ] }
users:
  table: users
  tenant: org_id
  scope: { auth_source: saml }
  attributes:
    userName: { column: login }
    displayName: { column: display_name }
groups:
  table: roles
  tenant: org_id
  scope: all
  attributes:
    displayName: { column: name }
  members:
`

func groupsConfig(t *testing.T, members string) *Config {
	t.Helper()
	cfg, err := Parse("g.yaml", []byte(groupsYAML+members))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(map[string][]Column{
		"users":      {{Name: "id", DataType: "bigint"}, {Name: "org_id", DataType: "int"}, ci("auth_source", 10, false), ci("login", 50, false), ci("display_name", 50, true), {Name: "role_id", DataType: "int", Nullable: true}, {Name: "updated_at", DataType: "datetime", ColumnType: "datetime(6)", Nullable: true}},
		"roles":      {{Name: "id", DataType: "int"}, {Name: "org_id", DataType: "int"}, ci("name", 50, false)},
		"user_roles": {{Name: "user_id", DataType: "bigint"}, {Name: "role_id", DataType: "int"}, {Name: "granted_by", DataType: "varchar", Nullable: true}},
	}); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestMembershipStatements(t *testing.T) {
	join := groupsConfig(t, "    join: { table: user_roles, user: user_id, group: role_id, defaults: { granted_by: scim } }\n").Members
	col := groupsConfig(t, "    column: role_id\n").Members
	tests := []struct {
		name string
		got  sqlstmt.Statement
		want string
	}{
		{"members join", join.MembersQuery(int64(3), "1"),
			"SELECT `rs_u`.`id`, COALESCE(NULLIF(`rs_u`.`display_name`, ''), `rs_u`.`login`) FROM `users` `rs_u` WHERE `rs_u`.`id` IN (SELECT `rs_m`.`user_id` FROM `user_roles` `rs_m` WHERE `rs_m`.`role_id` = ?) AND `rs_u`.`auth_source` = ? AND `rs_u`.`org_id` = ? ORDER BY `rs_u`.`id`"},
		{"members column", col.MembersQuery(int64(3), "1"),
			"SELECT `rs_u`.`id`, COALESCE(NULLIF(`rs_u`.`display_name`, ''), `rs_u`.`login`) FROM `users` `rs_u` WHERE `rs_u`.`role_id` = ? AND `rs_u`.`auth_source` = ? AND `rs_u`.`org_id` = ? ORDER BY `rs_u`.`id`"},
		{"in scope", join.InScopeUsers([]any{int64(1), int64(2)}, "1"),
			"SELECT `id` FROM `users` WHERE `auth_source` = ? AND `org_id` = ? AND `id` IN (?,?)"},
		{"add join", join.AddMembers(int64(3), []any{int64(1), int64(2)}, "1")[0],
			"INSERT INTO `user_roles` (`user_id`, `role_id`, `granted_by`) VALUES (?,?,?), (?,?,?)"},
		{"add first_wins", col.AddMembers(int64(3), []any{int64(1)}, "1")[0],
			"UPDATE `users` SET `role_id` = ? WHERE `auth_source` = ? AND `org_id` = ? AND `id` IN (?) AND (`role_id` IS NULL OR `role_id` = ?)"},
		{"remove join", join.RemoveMembers(int64(3), []any{int64(1)}, "1")[0],
			"DELETE FROM `user_roles` WHERE `role_id` = ? AND `user_id` IN (?) AND `user_id` IN (SELECT `id` FROM `users` WHERE `auth_source` = ? AND `org_id` = ?)"},
		{"remove column", col.RemoveMembers(int64(3), []any{int64(1)}, "1")[0],
			"UPDATE `users` SET `role_id` = ? WHERE `auth_source` = ? AND `org_id` = ? AND `id` IN (?) AND `role_id` = ?"},
		{"outside holders", join.OutsideHolders(int64(3), "1"),
			"SELECT COUNT(*) FROM `user_roles` `rs_m` LEFT JOIN `users` `rs_u` ON `rs_u`.`id` = `rs_m`.`user_id` WHERE `rs_m`.`role_id` = ? AND (`rs_u`.`auth_source` = ? AND `rs_u`.`org_id` = ?) IS NOT TRUE"},
	}
	for _, tt := range tests {
		sql, args := tt.got.SQL()
		if sql != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, sql, tt.want)
		}
		if n := strings.Count(sql, "?"); n != len(args) {
			t.Errorf("%s: %d placeholders, %d args", tt.name, n, len(args))
		}
	}
	// A thousand members are one statement.
	keys := make([]any, 1000)
	for i := range keys {
		keys[i] = int64(i + 1)
	}
	if st := join.AddMembers(int64(3), keys, "1"); len(st) != 1 || len(args(st[0])) != 3000 {
		t.Errorf("adding 1,000 members: %d statements", len(st))
	}
	if st := join.RemoveMembers(int64(3), keys, "1"); len(st) != 1 {
		t.Errorf("removing 1,000 members: %d statements", len(st))
	}
	// last_wins moves users whatever group they had.
	last := groupsConfig(t, "    column: role_id\n    rule: last_wins\n").Members
	if sql, _ := last.AddMembers(int64(3), []any{int64(1)}, "1")[0].SQL(); strings.Contains(sql, "IS NULL") {
		t.Errorf("last_wins keeps the first group: %s", sql)
	}
}

// args are a statement's arguments.
func args(st sqlstmt.Statement) []any {
	_, a := st.SQL()
	return a
}

func TestMembershipFilters(t *testing.T) {
	cfg := groupsConfig(t, "    join: { table: user_roles, user: user_id, group: role_id }\n")
	tests := []struct {
		r      *Resource
		filter string
		want   string
	}{
		{cfg.Users, `groups[value eq "3"]`, "EXISTS (SELECT 1 FROM `user_roles` `rs_m` JOIN `roles` `rs_g` ON `rs_g`.`id` = `rs_m`.`role_id` WHERE `rs_m`.`user_id` = `users`.`id` AND `rs_g`.`org_id` = `users`.`org_id` AND `rs_g`.`id` = ?)"},
		{cfg.Users, `groups.display sw "Ad"`, "EXISTS (SELECT 1 FROM `user_roles` `rs_m` JOIN `roles` `rs_g` ON `rs_g`.`id` = `rs_m`.`role_id` WHERE `rs_m`.`user_id` = `users`.`id` AND `rs_g`.`org_id` = `users`.`org_id` AND `rs_g`.`name` LIKE ? ESCAPE '!')"},
		{cfg.Users, `groups pr`, "EXISTS (SELECT 1 FROM `user_roles` `rs_m` JOIN `roles` `rs_g` ON `rs_g`.`id` = `rs_m`.`role_id` WHERE `rs_m`.`user_id` = `users`.`id` AND `rs_g`.`org_id` = `users`.`org_id`)"},
		{cfg.Users, `groups[value eq "x3"]`, "FALSE"},
		{cfg.Groups, `members[value eq "7"]`, "EXISTS (SELECT 1 FROM `user_roles` `rs_m` JOIN `users` `rs_u` ON `rs_u`.`id` = `rs_m`.`user_id` WHERE `rs_m`.`role_id` = `roles`.`id` AND `rs_u`.`auth_source` = ? AND `rs_u`.`org_id` = `roles`.`org_id` AND `rs_u`.`id` = ?)"},
		{cfg.Groups, `not (members pr)`, "(EXISTS (SELECT 1 FROM `user_roles` `rs_m` JOIN `users` `rs_u` ON `rs_u`.`id` = `rs_m`.`user_id` WHERE `rs_m`.`role_id` = `roles`.`id` AND `rs_u`.`auth_source` = ? AND `rs_u`.`org_id` = `roles`.`org_id`)) IS NOT TRUE"},
	}
	for _, tt := range tests {
		p, err := tt.r.CompileFilter(tt.filter)
		if err != nil || p.SQL() != tt.want {
			t.Errorf("CompileFilter(%q) = %s, %v\nwant %s", tt.filter, p.SQL(), err, tt.want)
		}
	}
	if _, err := cfg.Users.CompileFilter(`groups[nope eq "x"]`); err == nil || !strings.Contains(err.Error(), "membership filters use value, display or type") {
		t.Errorf("unknown membership sub-attribute: %v", err)
	}
	if _, err := cfg.Users.Order("groups", false); err == nil {
		t.Error("sortBy=groups accepted")
	}
}

func TestSplitMemberOps(t *testing.T) {
	tests := []struct {
		body     string
		want     MemberOps
		wantRest int
	}{
		{`{"Operations":[{"op":"add","path":"members","value":[{"value":"1"},{"value":2}]}]}`, MemberOps{Add: []string{"1", "2"}}, 0},
		{`{"Operations":[{"op":"remove","path":"members[value eq \"1\" or value eq \"2\"]"}]}`, MemberOps{Remove: []string{"1", "2"}}, 0},
		{`{"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"1"}]}]}`, MemberOps{Remove: []string{"1"}}, 0},
		{`{"Operations":[{"op":"remove","path":"members"}]}`, MemberOps{Replace: true}, 0},
		{`{"Operations":[{"op":"replace","path":"members","value":[{"value":"1"}]},{"op":"add","path":"members","value":[{"value":"2"}]},{"op":"remove","path":"members[value eq \"1\"]"}]}`, MemberOps{Replace: true, Set: []string{"2"}}, 0},
		{`{"Operations":[{"op":"add","path":"members","value":[{"value":"1"}]},{"op":"remove","path":"members[value eq \"1\"]"}]}`, MemberOps{Remove: []string{"1"}}, 0},
		{`{"Operations":[{"op":"replace","value":{"id":"9","displayName":"X","members":[{"value":"3"}]}}]}`, MemberOps{Replace: true, Set: []string{"3"}}, 1},
		{`{"Operations":[{"op":"replace","path":"displayName","value":"X"}]}`, MemberOps{}, 1},
	}
	for _, tt := range tests {
		rest, mo, err := SplitMemberOps(ops(t, tt.body))
		if err != nil {
			t.Errorf("%s: %v", tt.body, err)
			continue
		}
		if diff := cmp.Diff(tt.want, mo); diff != "" || len(rest) != tt.wantRest {
			t.Errorf("%s: rest %d, mismatch (-want +got):\n%s", tt.body, len(rest), diff)
		}
	}
	add, remove := DiffMembers(MemberOps{Replace: true, Set: []string{"2", "3"}}, []string{"1", "2"})
	if !cmp.Equal(add, []string{"3"}) || !cmp.Equal(remove, []string{"1"}) {
		t.Errorf("DiffMembers(replace) = %v, %v", add, remove)
	}
	add, remove = DiffMembers(MemberOps{Add: []string{"1", "4"}, Remove: []string{"2", "5"}}, []string{"1", "2"})
	if !cmp.Equal(add, []string{"4"}) || !cmp.Equal(remove, []string{"2"}) {
		t.Errorf("DiffMembers(add/remove) = %v, %v", add, remove)
	}
}

func TestMembershipConfigErrors(t *testing.T) {
	for members, want := range map[string]string{
		"    join: { table: user_roles }\n":                                "needs table, user and group",
		"    column: role_id\n    join: { table: a, user: b, group: c }\n": "give join or column, not both",
		"    {}\n": "needs join: { table, user, group } or column",
	} {
		_, err := Parse("g.yaml", []byte(groupsYAML+members))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("members %q: %v, want %q", members, err, want)
		}
	}
	// The join table's other NOT NULL columns must be filled.
	cfg, err := Parse("g.yaml", []byte(groupsYAML+"    join: { table: user_roles, user: user_id, group: role_id }\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.Bind(map[string][]Column{
		"users":      {{Name: "id", DataType: "bigint"}, {Name: "org_id", DataType: "int"}, ci("auth_source", 10, false), ci("login", 50, false), ci("display_name", 50, true)},
		"roles":      {{Name: "id", DataType: "int"}, {Name: "org_id", DataType: "int"}, ci("name", 50, false)},
		"user_roles": {{Name: "user_id", DataType: "bigint"}, {Name: "role_id", DataType: "int"}, {Name: "granted_by", DataType: "varchar"}},
	})
	if err == nil || !strings.Contains(err.Error(), "NOT NULL columns without a default that adding a member must fill: granted_by") {
		t.Errorf("Bind = %v", err)
	}
}
