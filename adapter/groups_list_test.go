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

// mattermostRolesYAML declares two of Mattermost's system roles as groups;
// a user holds them as entries of Users.Roles ('system_user system_admin',
// space separated, as Mattermost's server/channels/store keeps them).
// system_user is not declared, so SCIM never lists, adds or removes it.
const mattermostRolesYAML = `server: { base_path: /scim/v2 }
database: { dsn: x }
auth: { bearer_tokens: [ { name: okta, token: "${RETROSCIM_TOKEN}" } ] }
users:
  table: Users
  id: Id
  scope: { AuthService: saml }
  create: deny
  delete: deny
  attributes:
    userName: { column: Username }
groups:
  names: [system_admin, system_user_manager]
  list: { column: Roles, format: space_separated }
`

func newMattermostRolesEnv(t *testing.T) *env {
	t.Helper()
	cfg, err := mapping.Parse("mattermost.yaml", []byte(mattermostRolesYAML))
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("testdata/apps/mattermost.sql")
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, string(schema))
}

// mmRoles is every user's Roles, "username=roles" in Id order.
func (e *env) mmRoles() string {
	e.t.Helper()
	return strings.Join(e.column("SELECT CONCAT(Username, '=', COALESCE(Roles, 'NULL')) FROM Users ORDER BY Id"), "; ")
}

func memberPatch(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// TestDeclaredGroupsMattermost runs Okta's Group Push and Entra's group
// calls against Mattermost's Users.Roles: every edit keeps system_user and
// leaves the out-of-scope admin's row alone.
func TestDeclaredGroupsMattermost(t *testing.T) {
	e := newMattermostRolesEnv(t)
	const seed = "sysadmin=system_user system_admin; alice=system_user; bob=system_user; carol=system_user"
	if got := e.mmRoles(); got != seed {
		t.Fatalf("seed = %s", got)
	}

	// Create and delete are refused, naming why; nothing changes.
	r := e.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"new_role"}`)
	if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "groups.names (system_admin, system_user_manager)") || !strings.Contains(string(r.Body), "kept in Users.Roles") {
		t.Errorf("POST /Groups = %d %s", r.Status, r.Body)
	}
	if r := e.do(http.MethodDelete, "/Groups/system_admin", ""); r.Status != http.StatusForbidden {
		t.Errorf("DELETE = %d %s", r.Status, r.Body)
	}
	if r := e.get("/Groups/system_user"); r.Status != http.StatusNotFound {
		t.Errorf("GET an undeclared entry = %d %s", r.Status, r.Body)
	}

	// Discovery describes them; their name is readOnly.
	if rt := e.get("/ResourceTypes/Group").json(t); rt["endpoint"] != "/Groups" {
		t.Errorf("/ResourceTypes/Group = %v", rt)
	}
	sc := e.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group").json(t)
	if a := sc["attributes"].([]any); len(a) != 2 || a[0].(map[string]any)["mutability"] != "readOnly" || a[1].(map[string]any)["name"] != "members" {
		t.Errorf("Group schema attributes = %v", sc["attributes"])
	}

	// The list shows the declared groups; the admin outside the scope is
	// not a member.
	list := e.get("/Groups").json(t)
	if list["totalResults"] != float64(2) {
		t.Fatalf("GET /Groups = %v", list)
	}
	if m := list["Resources"].([]any)[0].(map[string]any); m["id"] != "system_admin" || m["displayName"] != "system_admin" || len(m["members"].([]any)) != 0 {
		t.Errorf("system_admin = %v", m)
	}

	steps := []struct {
		name, method, path, body string
		want                     int
		roles                    string
	}{
		{"okta add", http.MethodPatch, "/Groups/system_admin", memberPatch(`{"op":"add","path":"members","value":[{"value":"` + mmAlice + `"},{"value":"` + mmBob + `"}]}`), 204,
			"sysadmin=system_user system_admin; alice=system_user system_admin; bob=system_user system_admin; carol=system_user"},
		{"add again is a no-op", http.MethodPatch, "/Groups/system_admin", memberPatch(`{"op":"add","path":"members","value":[{"value":"` + mmAlice + `"}]}`), 204,
			"sysadmin=system_user system_admin; alice=system_user system_admin; bob=system_user system_admin; carol=system_user"},
		{"okta remove", http.MethodPatch, "/Groups/system_admin", memberPatch(`{"op":"remove","path":"members[value eq \"` + mmBob + `\"]"}`), 204,
			"sysadmin=system_user system_admin; alice=system_user system_admin; bob=system_user; carol=system_user"},
		{"entra add and remove in one", http.MethodPatch, "/Groups/system_admin", memberPatch(`{"op":"Add","path":"members","value":[{"value":"`+mmCarol+`"},{"value":"`+mmBob+`"}]}`, `{"op":"Remove","path":"members","value":[{"value":"`+mmAlice+`"}]}`), 204,
			"sysadmin=system_user system_admin; alice=system_user; bob=system_user system_admin; carol=system_user system_admin"},
		{"second group", http.MethodPatch, "/Groups/system_user_manager", memberPatch(`{"op":"add","path":"members","value":[{"value":"` + mmCarol + `"}]}`), 204,
			"sysadmin=system_user system_admin; alice=system_user; bob=system_user system_admin; carol=system_user system_admin system_user_manager"},
		{"okta push now replaces all", http.MethodPut, "/Groups/system_admin", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"system_admin","members":[{"value":"` + mmAlice + `"}]}`, 200,
			"sysadmin=system_user system_admin; alice=system_user system_admin; bob=system_user; carol=system_user system_user_manager"},
		{"okta link repeats the name", http.MethodPatch, "/Groups/system_admin", memberPatch(`{"op":"replace","value":{"id":"system_admin","displayName":"system_admin"}}`), 204,
			"sysadmin=system_user system_admin; alice=system_user system_admin; bob=system_user; carol=system_user system_user_manager"},
	}
	for _, s := range steps {
		if r := e.do(s.method, s.path, s.body); r.Status != s.want {
			t.Fatalf("%s: %d %s", s.name, r.Status, r.Body)
		}
		if got := e.mmRoles(); got != s.roles {
			t.Errorf("%s:\n got %s\nwant %s", s.name, got, s.roles)
		}
	}

	// Entra's membership check, with and without .value, and its
	// excludedAttributes=members read.
	for _, tt := range []struct {
		filter string
		want   float64
	}{
		{`id eq "system_admin" and members.value eq "` + mmAlice + `"`, 1},
		{`id eq "system_admin" and members eq "` + mmAlice + `"`, 1},
		{`id eq "system_admin" and members.value eq "` + mmBob + `"`, 0},
		{`id eq "system_admin" and members.value eq "` + mmAdmin + `"`, 0},
		{`displayName eq "SYSTEM_USER_MANAGER"`, 1},
	} {
		l := e.get("/Groups?attributes=id&filter=" + url.QueryEscape(tt.filter)).json(t)
		if l["totalResults"] != tt.want {
			t.Errorf("%s: %v", tt.filter, l)
		}
		if tt.want == 1 {
			if g := l["Resources"].([]any)[0].(map[string]any); g["members"] != nil || g["displayName"] != nil {
				t.Errorf("%s with attributes=id: %v", tt.filter, g)
			}
		}
	}
	g := e.get("/Groups/system_admin?excludedAttributes=members").json(t)
	if g["members"] != nil || g["displayName"] != "system_admin" {
		t.Errorf("excludedAttributes=members: %v", g)
	}
	g = e.get("/Groups/system_admin").json(t)
	if ms := g["members"].([]any); len(ms) != 1 || ms[0].(map[string]any)["value"] != mmAlice || ms[0].(map[string]any)["display"] != "alice" {
		t.Errorf("members = %v", g["members"])
	}

	// Refused requests change nothing.
	before := e.mmRoles()
	users := legacytest.Checksum(t, e.dsn, "Users")
	for name, body := range map[string]string{
		"outside the scope": memberPatch(`{"op":"add","path":"members","value":[{"value":"` + mmCarol + `"},{"value":"` + mmAdmin + `"}]}`),
		"unknown user":      memberPatch(`{"op":"add","path":"members","value":[{"value":"` + mmCarol + `"},{"value":"nosuchuser000000000000000"}]}`),
		"rename":            memberPatch(`{"op":"replace","path":"displayName","value":"Admins"}`),
	} {
		r := e.do(http.MethodPatch, "/Groups/system_admin", body)
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
		if got := legacytest.Checksum(t, e.dsn, "Users"); got != users || e.mmRoles() != before {
			t.Errorf("%s changed Users: %s", name, e.mmRoles())
		}
	}
	if r := e.get("/Groups?filter=" + url.QueryEscape(`displayName co "admin"`)); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "groups.names") {
		t.Errorf("unsupported filter = %d %s", r.Status, r.Body)
	}
	if r := e.get("/Groups?count=many"); r.Status != http.StatusBadRequest {
		t.Errorf("count=many = %d %s", r.Status, r.Body)
	}
	if l := e.get("/Groups?startIndex=2&count=1").json(t); l["totalResults"] != float64(2) || len(l["Resources"].([]any)) != 1 || l["Resources"].([]any)[0].(map[string]any)["id"] != "system_user_manager" {
		t.Errorf("second page = %v", l)
	}
}
