package mapping

import (
	"strings"
	"testing"
)

// throughYAML maps Grafana's user with organisations through org_user.
const throughYAML = `server: { base_path: /scim/v2 }
database: { dsn: x }
auth: { bearer_tokens: [ { name: globex, token: "0123456789abcdef0123", tenant: "2" } ] }
users:
  table: user
  scope: { is_admin: 0 }
  tenant_through: { table: org_user, user: user_id, tenant: org_id, defaults: { created: now } }
  create: allow
  attributes:
    userName: { column: login }
`

// throughColumns are Grafana's user and org_user, as INFORMATION_SCHEMA
// describes them (the columns the tests use).
func throughColumns() map[string][]Column {
	bigint := func(name string) Column { return Column{Name: name, DataType: "bigint", ColumnType: "bigint(20)"} }
	return map[string][]Column{
		"user": {{Name: "id", DataType: "bigint", ColumnType: "bigint(20)", AutoIncrement: true}, ci("login", 190, false),
			{Name: "is_admin", DataType: "tinyint", ColumnType: "tinyint(1)"}},
		"org_user": {{Name: "id", DataType: "bigint", ColumnType: "bigint(20)", AutoIncrement: true}, bigint("org_id"), bigint("user_id"),
			ci("role", 20, false), {Name: "created", DataType: "datetime", ColumnType: "datetime"}},
	}
}

// TestTenantThroughSQL: every statement on the users table carries the
// EXISTS on org_user for the token's tenant, with the tenant bound as an
// integer and the user's id qualified (org_user has an id of its own).
func TestTenantThroughSQL(t *testing.T) {
	cfg, err := Parse("through.yaml", []byte(throughYAML))
	if err != nil {
		t.Fatal(err)
	}
	cols := throughColumns()
	cols["org_user"][3].Default = new(string) // role has a default here
	if err := cfg.Bind(cols); err != nil {
		t.Fatal(err)
	}
	u := cfg.Users
	exists := "EXISTS (SELECT 1 FROM `org_user` `rs_t` WHERE `rs_t`.`user_id` = `user`.`id` AND `rs_t`.`org_id` = ?)"
	q, err := u.ListQuery(ListRequest{Filter: `userName eq "alice" or id eq "2"`}, "2")
	if err != nil {
		t.Fatal(err)
	}
	sql, args := q.SQL()
	if !strings.Contains(sql, exists) || !strings.Contains(sql, "`is_admin`") {
		t.Errorf("list SQL lacks the tenant's EXISTS:\n%s", sql)
	}
	found := false
	for _, a := range args {
		if a == int64(2) {
			found = true
		}
	}
	if !found {
		t.Errorf("list args %v lack the tenant 2 as an integer", args)
	}
	target, _ := u.Target("7", "2")
	for name, st := range map[string]interface{ SQL() (string, []any) }{"read": target.Read(Projection{}), "lock": target.Lock(), "delete": target.Delete(), "count": q.Count()} {
		if s, _ := st.SQL(); !strings.Contains(s, exists) {
			t.Errorf("%s SQL lacks the tenant's EXISTS:\n%s", name, s)
		}
	}
	join, _ := u.JoinTenant(int64(7), "2").SQL()
	if want := "INSERT INTO `org_user` (`user_id`, `org_id`, `created`) VALUES (?,?,NOW(6))"; !strings.HasPrefix(join, want) {
		t.Errorf("join SQL = %s, want %s", join, want)
	}
	leave, largs := u.LeaveTenant(int64(7), "2").SQL()
	if leave != "DELETE FROM `org_user` WHERE `user_id` = ? AND `org_id` = ?" || len(largs) != 2 {
		t.Errorf("leave SQL = %s %v", leave, largs)
	}
}

// TestTenantThroughCheck: Bind names the NOT NULL columns a new
// membership leaves empty; check proposes (org_id, user_id) unless an
// index leads with both columns in either order.
func TestTenantThroughCheck(t *testing.T) {
	cfg, err := Parse("through.yaml", []byte(throughYAML))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(throughColumns()); err == nil || !strings.Contains(err.Error(), "org_user has NOT NULL columns without a default that a new membership must fill: role") {
		t.Errorf("bind error = %v, want role named", err)
	}
	cfg, _ = Parse("through.yaml", []byte(strings.Replace(throughYAML, "created: now", "created: now, role: Viewer", 1)))
	facts := SchemaFacts{Columns: throughColumns(), Indexes: map[string][]Index{
		"user":     {{Name: "PRIMARY", Unique: true, Columns: []string{"id"}}, {Name: "UQE_user_login", Unique: true, Columns: []string{"login"}}},
		"org_user": {{Name: "PRIMARY", Unique: true, Columns: []string{"id"}}, {Name: "IDX_org_user_user_id", Columns: []string{"user_id"}}},
	}}
	var got []string
	for _, f := range cfg.Check(facts) {
		if f.Key == "users.tenant_through" {
			got = append(got, f.Message+" | "+f.Fix)
		}
	}
	want := "no index on org_user starts with (org_id, user_id) or (user_id, org_id): every read, list and write of a user checks the tenant's membership row, and without it reads every membership of each user | CREATE INDEX `ix_org_user_org_id_user_id` ON `org_user` (`org_id`, `user_id`);"
	if len(got) != 1 || got[0] != want {
		t.Errorf("findings = %q\nwant %q", got, want)
	}
	for _, ix := range [][]string{{"org_id", "user_id"}, {"user_id", "org_id", "role"}} {
		facts.Indexes["org_user"] = []Index{{Name: "ix", Columns: ix}}
		for _, f := range cfg.Check(facts) {
			if f.Key == "users.tenant_through" {
				t.Errorf("with an index on %v: %s", ix, f.Message)
			}
		}
	}
}

// TestTenantThroughPrivileges: the account needs INSERT and DELETE on
// org_user, and no DELETE on the shared user table.
func TestTenantThroughPrivileges(t *testing.T) {
	cfg, err := Parse("through.yaml", []byte(strings.Replace(throughYAML, "  create: allow\n", "  create: allow\n  delete: delete\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, n := range cfg.privilegeNeeds(OwnTableFacts{}) {
		got[n.priv+" "+n.table+"."+n.column] = true
	}
	for _, want := range []string{"INSERT org_user.user_id", "INSERT org_user.org_id", "INSERT org_user.created", "DELETE org_user.", "SELECT org_user.org_id"} {
		if !got[want] {
			t.Errorf("no %s among %v", want, got)
		}
	}
	if got["DELETE user."] {
		t.Error("DELETE on user is asked for: tenant_through never deletes the shared user row")
	}
}

// TestMemberStepCounterType: Bind refuses a counter that is not an
// integer column of the group's row.
func TestMemberStepCounterType(t *testing.T) {
	src := `server: { base_path: /scim/v2 }
database: { dsn: x }
auth: { bearer_tokens: [ { name: okta, token: "0123456789abcdef0123" } ] }
users:
  table: user
  scope: all
  attributes:
    userName: { column: login }
groups:
  table: team
  scope: all
  attributes:
    displayName: { column: name }
  members:
    join: { table: team_user, user: uid, group: team_id }
    when_added: [ { increment: name } ]
`
	cfg, err := Parse("steps.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	bigint := func(name string) Column {
		return Column{Name: name, DataType: "bigint", ColumnType: "bigint(20)", Nullable: true}
	}
	err = cfg.Bind(map[string][]Column{
		"user":      {{Name: "id", DataType: "bigint", ColumnType: "bigint(20)", AutoIncrement: true}, ci("login", 190, false)},
		"team":      {{Name: "id", DataType: "bigint", ColumnType: "bigint(20)", AutoIncrement: true}, ci("name", 255, true), bigint("num_members")},
		"team_user": {{Name: "id", DataType: "bigint", ColumnType: "bigint(20)", AutoIncrement: true}, bigint("team_id"), bigint("uid")},
	})
	if err == nil || !strings.Contains(err.Error(), "team.name is varchar(255), not an integer") {
		t.Errorf("bind error = %v, want the counter refused", err)
	}
}
