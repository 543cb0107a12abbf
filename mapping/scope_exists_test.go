package mapping

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

const scopeExistsYAML = `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "0123456789abcdef" } ] }
users:
  table: user
  scope:
    is_service_account: 0
    exists: { table: user_auth, key: user_id, where: { auth_module: auth.saml }, created: created }
  create: allow
  attributes:
    userName: { column: login }
    externalId:
      column: auth_id
      related: { table: user_auth, key: user_id, where: { auth_module: auth.saml } }
groups:
  table: team
  scope: all
  attributes:
    displayName: { column: name }
  members:
    join: { table: team_member, user: user_id, group: team_id }
`

func scopeExistsColumns() map[string][]Column {
	return map[string][]Column{
		"user": {
			{Name: "id", DataType: "bigint", ColumnType: "bigint(20)", AutoIncrement: true},
			ci("login", 190, false),
			{Name: "is_service_account", DataType: "tinyint", ColumnType: "tinyint(1)", Default: defaultOf("0")},
		},
		"user_auth": {
			{Name: "id", DataType: "bigint", ColumnType: "bigint(20)", AutoIncrement: true},
			{Name: "user_id", DataType: "bigint", ColumnType: "bigint(20)"},
			ci("auth_module", 190, false),
			ci("auth_id", 190, false),
			{Name: "created", DataType: "datetime", ColumnType: "datetime"},
		},
		"team":        {{Name: "id", DataType: "bigint", AutoIncrement: true}, ci("name", 190, false)},
		"team_member": {{Name: "id", DataType: "bigint", AutoIncrement: true}, {Name: "user_id", DataType: "bigint"}, {Name: "team_id", DataType: "bigint"}},
	}
}

func defaultOf(s string) *string { return &s }

func scopeExistsConfig(t *testing.T, yml string) *Config {
	t.Helper()
	cfg, err := Parse("grafana.yaml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(scopeExistsColumns()); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// exists is the scope's EXISTS for the users table named by outer.
func existsSQL(outer string) string {
	return "EXISTS (SELECT 1 FROM `user_auth` `rs_s0` WHERE `rs_s0`.`user_id` = " + outer + ".`id` AND `rs_s0`.`auth_module` = ?)"
}

func TestScopeExistsStatements(t *testing.T) {
	cfg := scopeExistsConfig(t, scopeExistsYAML)
	r, m := cfg.Users, cfg.Members
	tg, ok := r.Target("7", "")
	if !ok {
		t.Fatal("no target for id 7")
	}
	scope := "`is_service_account` = ? AND " + existsSQL("`user`")
	list, err := r.ListQuery(ListRequest{Filter: `userName eq "al"`}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		st       sqlstmt.Statement
		contains string
		args     []any
	}{
		{"read by id", tg.Read(Projection{}), "WHERE " + scope + " AND `id` = ?", []any{int64(0), "auth.saml", int64(7)}},
		{"list with a filter", list, "WHERE " + scope + " AND ", []any{int64(0), "auth.saml"}},
		{"list count", list.Count(), "WHERE " + scope + " AND ", []any{int64(0), "auth.saml"}},
		{"delete", tg.Delete(), "DELETE FROM `user` WHERE " + scope + " AND `id` = ?", []any{int64(0), "auth.saml", int64(7)}},
		{"members (users aliased rs_u)", m.MembersQuery(int64(3), ""), "`rs_m`.`team_id` = ?) AND `rs_u`.`is_service_account` = ? AND " + existsSQL("`rs_u`") + " ORDER BY", []any{int64(3), int64(0), "auth.saml"}},
		{"members a PATCH may add", m.InScopeUsers([]any{int64(1), int64(2)}, ""), "SELECT `id` FROM `user` WHERE " + scope + " AND `id` IN (?,?)", []any{int64(0), "auth.saml", int64(1), int64(2)}},
		{"check's scope count", r.ScopeCountQuery(), "SUM(CASE WHEN " + scope + " THEN 1 ELSE 0 END)", []any{int64(0), "auth.saml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sql, args := tc.st.SQL()
			if !strings.Contains(sql, tc.contains) {
				t.Errorf("SQL = %s\nwant it to contain %s", sql, tc.contains)
			}
			if len(args) < len(tc.args) {
				t.Fatalf("args = %v, want them to start with %v", args, tc.args)
			}
			if diff := cmp.Diff(tc.args, args[:len(tc.args)]); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScopeExistsWrites(t *testing.T) {
	r := scopeExistsConfig(t, scopeExistsYAML).Users
	tg, _ := r.Target("7", "")
	// id, login, externalId, "the user_auth row exists"
	row := Row{int64(7), "al", "sub-7", int64(1)}
	d := r.NewDraft(row)
	if err := d.ApplyPatch(ops(t, `{"Operations":[{"op":"replace","path":"userName","value":"al2"},{"op":"replace","path":"externalId","value":"sub-77"}]}`)); err != nil {
		t.Fatal(err)
	}
	ch, err := d.Changes()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range tg.Writes(ch, row) {
		got = append(got, render(st))
	}
	want := []string{
		"UPDATE `user` SET `login` = ? WHERE `is_service_account` = ? AND " + existsSQL("`user`") + " AND `id` = ? | \"al2\" | 0 | \"auth.saml\" | 7",
		"UPDATE `user_auth` SET `auth_id` = ? WHERE `user_id` = ? AND `auth_module` = ? ORDER BY `id` LIMIT 1 | \"sub-77\" | 7 | \"auth.saml\"",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	// Removing externalId would delete the row that keeps the user in scope.
	d = r.NewDraft(row)
	err = d.ApplyPatch(ops(t, `{"Operations":[{"op":"remove","path":"externalId"}]}`))
	if err == nil {
		_, err = d.Changes()
	}
	var re *RequestError
	if !errors.As(err, &re) || re.SCIMType != SCIMMutability || !strings.Contains(re.Msg, "puts the user in users.scope") {
		t.Errorf("remove externalId: %v, want a mutability error naming the scope", err)
	}
}

func TestScopeExistsCreate(t *testing.T) {
	r := scopeExistsConfig(t, scopeExistsYAML).Users
	create := func(body string) (*Change, []string, error) {
		t.Helper()
		d := r.NewDraft(nil)
		obj, _ := DecodeJSON([]byte(body))
		if err := d.ReplaceWith(obj); err != nil {
			t.Fatal(err)
		}
		ch, err := d.Changes()
		if err != nil {
			t.Fatal(err)
		}
		in, _ := r.InsertStmt(ch, "")
		got := []string{render(in)}
		sc, err := r.ScopeInserts(ch, int64(9))
		for _, st := range append(sc, r.RelatedInserts(ch, int64(9))...) {
			got = append(got, render(st))
		}
		return ch, got, err
	}
	_, got, err := create(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bo","externalId":"sub-9"}`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"INSERT INTO `user` (`login`, `is_service_account`) VALUES (?, ?) | \"bo\" | 0",
		// One user_auth row, holding the scope's values and externalId:
		// the related attribute's own insert is folded into it.
		"INSERT INTO `user_auth` (`user_id`, `auth_module`, `created`, `auth_id`) VALUES (?, ?, NOW(), ?) | 9 | \"auth.saml\" | \"sub-9\"",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("create (-want +got):\n%s", diff)
	}
	// auth_id is NOT NULL without a default: a create without externalId
	// cannot insert the row that puts the user in scope.
	_, _, err = create(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"cy"}`)
	var re *RequestError
	if !errors.As(err, &re) || re.SCIMType != SCIMInvalidValue || !strings.Contains(re.Msg, "externalId is required") {
		t.Errorf("create without externalId: %v, want invalidValue naming externalId", err)
	}
}

func TestScopeExistsConfigErrors(t *testing.T) {
	base := strings.Replace(scopeExistsYAML, "    exists: { table: user_auth, key: user_id, where: { auth_module: auth.saml }, created: created }\n", "EXISTS\n", 1)
	for _, tc := range []struct {
		name, exists, want string
	}{
		{"no key", "    exists: { table: user_auth }\n", "users.scope.exists: needs table and key"},
		{"unknown key", "    exists: { table: user_auth, key: user_id, were: { a: 1 } }\n", "were"},
		{"the users table itself", "    exists: { table: user, key: id }\n", "is the users table itself"},
		{"a value that is not a plain word", "    exists: { table: user_auth, key: user_id, where: { auth_module: \"it's\" } }\n", "expected an integer or a plain word"},
		{"an empty list", "    exists: []\n", "empty list"},
		{"a missing column", "    exists: { table: user_auth, key: uid, where: { auth_module: auth.saml }, created: created }\n", `column "uid" does not exist in table "user_auth"`},
		{"create without the NOT NULL created", "    exists: { table: user_auth, key: user_id, where: { auth_module: auth.saml } }\n", "NOT NULL columns without a default would get no value: created"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("grafana.yaml", []byte(strings.Replace(base, "EXISTS\n", tc.exists, 1)))
			if err == nil {
				err = cfg.Bind(scopeExistsColumns())
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// Several exists are a list; each gets its own alias.
	several := strings.Replace(base, "EXISTS\n", "    exists:\n      - { table: user_auth, key: user_id, where: { auth_module: auth.saml }, created: created }\n      - { table: team_member, key: user_id, where: { team_id: 1 } }\n", 1)
	r := scopeExistsConfig(t, several).Users
	sql := r.ScopePredicate("").SQL()
	want := "`is_service_account` = ? AND " + existsSQL("`user`") + " AND EXISTS (SELECT 1 FROM `team_member` `rs_s1` WHERE `rs_s1`.`user_id` = `user`.`id` AND `rs_s1`.`team_id` = ?)"
	if sql != want {
		t.Errorf("scope = %s\nwant    %s", sql, want)
	}
}

func TestScopeExistsCheckProposesIndex(t *testing.T) {
	cfg, err := Parse("grafana.yaml", []byte(scopeExistsYAML))
	if err != nil {
		t.Fatal(err)
	}
	facts := SchemaFacts{Columns: scopeExistsColumns(), Indexes: map[string][]Index{
		"user_auth": {{Name: "PRIMARY", Unique: true, Columns: []string{"id"}}, {Name: "IDX_user_auth_user_id", Columns: []string{"user_id"}},
			{Name: "IDX_user_auth_auth_module_auth_id", Columns: []string{"auth_module", "auth_id"}}},
	}}
	var found bool
	for _, f := range cfg.Check(facts) {
		// Grafana's (auth_module, auth_id) serves Entra's externalId eq.
		if strings.HasPrefix(f.Message, "externalId is looked up by Okta or Entra") {
			t.Errorf("lookup warning despite (auth_module, auth_id): %s", f.Message)
		}
		if f.Key == "users.scope.exists" && f.Check == "index" {
			found = true
			if !strings.Contains(f.Fix, "ON `user_auth` (`user_id`, `auth_module`)") {
				t.Errorf("fix = %q, want an index on user_auth (user_id, auth_module)", f.Fix)
			}
		}
	}
	if !found {
		t.Error("check proposes no index for the scope's EXISTS")
	}
}

func TestScopeExistsDeletes(t *testing.T) {
	r := scopeExistsConfig(t, scopeExistsYAML).Users
	tg, _ := r.Target("7", "")
	var got []string
	for _, st := range tg.Deletes(Row{int64(7), "al", "sub-7"}) {
		got = append(got, render(st))
	}
	want := []string{
		// The row the scope requires (which holds externalId) goes first;
		// the user's row, locked inside the whole scope, then by its id and
		// the scope's own columns (the EXISTS no longer holds).
		"DELETE FROM `user_auth` WHERE `user_id` = ? AND `auth_module` = ? | 7 | \"auth.saml\"",
		"DELETE FROM `user` WHERE `is_service_account` = ? AND `id` = ? | 0 | 7",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deletes (-want +got):\n%s", diff)
	}
}

// TestScopeExistsOnGroups: a groups scope with exists correlates with the
// group table as each statement names it: bare in the group's own reads,
// rs_g in the user's groups attribute.
func TestScopeExistsOnGroups(t *testing.T) {
	yml := strings.Replace(scopeExistsYAML, "  table: team\n  scope: all\n", "  table: team\n  scope:\n    exists: { table: team_member, key: team_id, where: { user_id: 1 } }\n", 1)
	cfg := scopeExistsConfig(t, yml)
	g, u := cfg.Groups, cfg.Users
	tg, _ := g.Target("3", "")
	sql, _ := tg.Read(Projection{}).SQL()
	if want := "WHERE EXISTS (SELECT 1 FROM `team_member` `rs_s0` WHERE `rs_s0`.`team_id` = `team`.`id` AND `rs_s0`.`user_id` = ?) AND `id` = ?"; !strings.Contains(sql, want) {
		t.Errorf("group read %s\nwant it to contain %s", sql, want)
	}
	if want := "`rs_s0`.`team_id` = `rs_g`.`id`"; !strings.Contains(u.groupsExpr, want) {
		t.Errorf("user's groups %s\nwant it to contain %s", u.groupsExpr, want)
	}
}
