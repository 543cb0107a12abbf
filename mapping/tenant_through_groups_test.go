package mapping

import (
	"strings"
	"testing"
)

// throughTeamsYAML adds Grafana's teams to throughYAML.
const throughTeamsYAML = throughYAML + `groups:
  table: team
  tenant: org_id
  scope: all
  attributes:
    displayName: { column: name }
  members:
    join: { table: team_member, user: user_id, group: team_id, defaults: { org_id: { group: org_id }, created: now } }
`

// throughTeamsColumns are throughColumns with team and team_member.
func throughTeamsColumns(teamOrg Column) map[string][]Column {
	bigint := func(name string) Column { return Column{Name: name, DataType: "bigint", ColumnType: "bigint(20)"} }
	cols := throughColumns()
	cols["org_user"][3].Default = new(string)
	cols["team"] = []Column{{Name: "id", DataType: "bigint", ColumnType: "bigint(20)", AutoIncrement: true}, ci("name", 190, false), teamOrg}
	cols["team_member"] = []Column{{Name: "id", DataType: "bigint", ColumnType: "bigint(20)", AutoIncrement: true}, bigint("org_id"), bigint("team_id"), bigint("user_id"),
		{Name: "created", DataType: "datetime", ColumnType: "datetime"}}
	return cols
}

// TestTenantThroughGroupsSQL: a filter on a team's members carries the
// members' EXISTS on org_user correlated with the team's org_id; a user's
// groups and a filter of users on them bind the token's tenant as the
// team's org_id.
func TestTenantThroughGroupsSQL(t *testing.T) {
	cfg, err := Parse("teams.yaml", []byte(throughTeamsYAML))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(throughTeamsColumns(Column{Name: "org_id", DataType: "bigint", ColumnType: "bigint(20)"})); err != nil {
		t.Fatal(err)
	}
	q, err := cfg.Groups.ListQuery(ListRequest{Filter: `id eq "1" and members.value eq "3"`}, "2")
	if err != nil {
		t.Fatal(err)
	}
	sql, _ := q.SQL()
	if want := "EXISTS (SELECT 1 FROM `org_user` `rs_t` WHERE `rs_t`.`user_id` = `rs_u`.`id` AND `rs_t`.`org_id` = `team`.`org_id`)"; !strings.Contains(sql, want) {
		t.Errorf("members filter lacks the members' tenant EXISTS %s:\n%s", want, sql)
	}
	groups, err := cfg.Users.Projection("groups", "")
	if err != nil {
		t.Fatal(err)
	}
	q, err = cfg.Users.ListQuery(ListRequest{Filter: `groups.value eq "1"`, Projection: groups}, "2")
	if err != nil {
		t.Fatal(err)
	}
	sql, args := q.SQL()
	if n := strings.Count(sql, "`rs_g`.`org_id` = ?"); n != 2 {
		t.Errorf("the groups expression and the filter should each compare the team's org_id with the tenant; found %d in\n%s", n, sql)
	}
	tenants := 0
	for _, a := range args {
		if _, ok := a.(tenantSlot); ok {
			t.Fatalf("an unbound tenant slot reached the statement: %v", args)
		}
		if a == int64(2) {
			tenants++
		}
	}
	if tenants != 3 { // the groups expression, the filter, the users' EXISTS
		t.Errorf("tenant 2 bound %d times, want 3: %v", tenants, args)
	}
	tg, _ := cfg.Users.Target("3", "2")
	sql, args = tg.Read(groups).SQL()
	if !strings.Contains(sql, "`rs_g`.`org_id` = ?") || args[0] != int64(2) {
		t.Errorf("a user's groups are not the token's tenant's: %s %v", sql, args)
	}
}

// TestTenantThroughGroupsCheck: the teams' tenant column must store tenants
// as org_user does, and tenant_role's names must fit its column.
func TestTenantThroughGroupsCheck(t *testing.T) {
	cfg, err := Parse("teams.yaml", []byte(throughTeamsYAML))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.Bind(throughTeamsColumns(ci("org_id", 40, false)))
	if err == nil || !strings.Contains(err.Error(), "a group's tenant must be stored as its members' memberships store it") {
		t.Errorf("varchar team.org_id: %v", err)
	}
	roles := throughYAML + "groups:\n  names: [Admin, Editor, Viewer]\n  tenant_role: { column: role, on_remove: Viewer }\n"
	for _, tt := range []struct {
		name string
		col  Column
		want string
	}{
		{"fits", ci("role", 20, false), ""},
		{"too short", ci("role", 5, false), `"Editor" is longer than org_user.role holds`},
		{"integer", Column{Name: "role", DataType: "int", ColumnType: "int(11)"}, "must hold text"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("roles.yaml", []byte(roles))
			if err != nil {
				t.Fatal(err)
			}
			cols := throughColumns()
			cols["org_user"][3] = tt.col
			cols["org_user"][3].Default = new(string)
			err = cfg.Bind(cols)
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Bind = %v, want %q", err, tt.want)
			}
		})
	}
}
