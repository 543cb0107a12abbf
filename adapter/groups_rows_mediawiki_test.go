package adapter

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// mediawikiGroupsYAML declares two of MediaWiki's groups; a membership is
// a user_groups row naming the group. The wiki's first account (user 1)
// is outside the scope.
const mediawikiGroupsYAML = `server: { base_path: /scim/v2 }
database: { dsn: x }
auth: { bearer_tokens: [ { name: okta, token: "${RETROSCIM_TOKEN}" } ] }
users:
  table: user
  id: user_id
  scope: { user_id: { not: 1 } }
  create: deny
  delete: deny
  attributes:
    userName: { column: user_name }
    displayName: { column: user_real_name }
groups:
  names: [sysop, bureaucrat]
  rows: { table: user_groups, user: ug_user, name: ug_group }
`

// userGroups is every user_groups row, "user:group:expiry".
func (e *env) userGroups() string {
	e.t.Helper()
	return strings.Join(e.column("SELECT CONCAT(ug_user, ':', ug_group, ':', COALESCE(ug_expiry, '-')) FROM user_groups ORDER BY ug_user, ug_group"), " ")
}

// TestDeclaredGroupsMediaWiki runs Okta's Group Push and Entra's check
// against user_groups: rows of undeclared groups (bot, interface-admin)
// and of the out-of-scope account stay as they are, and a kept row keeps
// its ug_expiry.
func TestDeclaredGroupsMediaWiki(t *testing.T) {
	cfg, err := mapping.Parse("mediawiki.yaml", []byte(mediawikiGroupsYAML))
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("testdata/apps/mediawiki.sql")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, cfg, string(schema))
	g := e.get("/Groups/sysop").json(t)
	if ms := g["members"].([]any); len(ms) != 1 || ms[0].(map[string]any)["value"] != "3" || ms[0].(map[string]any)["display"] != "Bob Berg" {
		t.Errorf("sysop members = %v", g["members"])
	}
	steps := []struct {
		name, method, path, body string
		want                     int
		rows                     string
	}{
		{"add", http.MethodPatch, "/Groups/sysop", memberPatch(`{"op":"add","path":"members","value":[{"value":"2"},{"value":"3"}]}`), 204,
			"1:bureaucrat:- 1:interface-admin:- 1:sysop:- 2:sysop:- 3:sysop:20300101000000 4:bot:-"},
		{"entra add and remove", http.MethodPatch, "/Groups/bureaucrat", memberPatch(`{"op":"Add","path":"members","value":[{"value":"2"},{"value":"3"}]}`, `{"op":"Remove","path":"members","value":[{"value":"3"}]}`), 204,
			"1:bureaucrat:- 1:interface-admin:- 1:sysop:- 2:bureaucrat:- 2:sysop:- 3:sysop:20300101000000 4:bot:-"},
		{"push now replaces all", http.MethodPut, "/Groups/sysop", `{"displayName":"sysop","members":[{"value":"4"}]}`, 200,
			"1:bureaucrat:- 1:interface-admin:- 1:sysop:- 2:bureaucrat:- 4:bot:- 4:sysop:-"},
		{"okta remove", http.MethodPatch, "/Groups/bureaucrat", memberPatch(`{"op":"remove","path":"members[value eq \"2\"]"}`), 204,
			"1:bureaucrat:- 1:interface-admin:- 1:sysop:- 4:bot:- 4:sysop:-"},
	}
	for _, s := range steps {
		if r := e.do(s.method, s.path, s.body); r.Status != s.want {
			t.Fatalf("%s: %d %s", s.name, r.Status, r.Body)
		}
		if got := e.userGroups(); got != s.rows {
			t.Errorf("%s:\n got %s\nwant %s", s.name, got, s.rows)
		}
	}
	for who, want := range map[string]float64{"4": 1, "2": 0, "1": 0} {
		l := e.get("/Groups?attributes=id&filter=" + url.QueryEscape(`id eq "sysop" and members eq "`+who+`"`)).json(t)
		if l["totalResults"] != want {
			t.Errorf("is %s a sysop: %v", who, l)
		}
	}
	before := legacytest.Checksum(t, e.dsn, "user_groups")
	if r := e.do(http.MethodPatch, "/Groups/sysop", memberPatch(`{"op":"add","path":"members","value":[{"value":"2"},{"value":"1"}]}`)); r.Status != http.StatusBadRequest {
		t.Errorf("add the out-of-scope account = %d %s", r.Status, r.Body)
	}
	if r := e.do(http.MethodPost, "/Groups", `{"displayName":"checkuser"}`); r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "kept in user_groups.ug_group") {
		t.Errorf("POST = %d %s", r.Status, r.Body)
	}
	if legacytest.Checksum(t, e.dsn, "user_groups") != before {
		t.Error("a refused request changed user_groups")
	}
}
