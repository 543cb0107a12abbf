package adapter

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retroscim/retroscim/mapping"
)

// scopeExistsSchema follows Grafana's user, user_auth, team and
// team_member tables (the columns these tests need): SSO users are those
// with a user_auth row of auth_module 'auth.saml'. Bob logs in with a
// password (no user_auth row), Carol through generic OAuth, and the
// service account has a SAML row but is a service account.
const scopeExistsSchema = `
CREATE TABLE user (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  login VARCHAR(190) NOT NULL UNIQUE,
  is_service_account TINYINT(1) NOT NULL DEFAULT 0
);
CREATE TABLE user_auth (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  auth_module VARCHAR(190) NOT NULL,
  auth_id VARCHAR(190) NOT NULL,
  created DATETIME NOT NULL,
  KEY IDX_user_auth_auth_module_auth_id (auth_module, auth_id),
  KEY IDX_user_auth_user_id (user_id)
);
CREATE TABLE team (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(190) NOT NULL);
CREATE TABLE team_member (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  team_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  UNIQUE KEY UQ_team_member_team_id_user_id (team_id, user_id)
);
INSERT INTO user (id, login, is_service_account) VALUES (1, 'alice', 0), (2, 'bob', 0), (3, 'carol', 0), (4, 'sa-backup', 1), (5, 'dave', 0);
INSERT INTO user_auth (id, user_id, auth_module, auth_id, created) VALUES
  (10, 1, 'auth.saml', 'sub-alice', '2024-01-01'),
  (11, 3, 'auth.generic_oauth', 'sub-carol', '2024-01-01'),
  (12, 4, 'auth.saml', 'sub-sa', '2024-01-01'),
  (13, 5, 'auth.saml', 'sub-dave', '2024-01-01');
INSERT INTO team (id, name) VALUES (1, 'ops');
INSERT INTO team_member (team_id, user_id) VALUES (1, 1), (1, 2);
`

const scopeExistsConfig = `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "` + testToken + `" } ] }
users:
  table: user
  scope:
    is_service_account: 0
    exists: { table: user_auth, key: user_id, where: { auth_module: auth.saml }, created: created }
  create: allow
  delete: delete
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

func newScopeExistsEnv(t *testing.T) *env {
	t.Helper()
	cfg, err := mapping.Parse("grafana.yaml", []byte(scopeExistsConfig))
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, scopeExistsSchema)
}

// logins lists the userNames of a list response.
func logins(t *testing.T, r response) []string {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	var out []string
	rs, _ := r.json(t)["Resources"].([]any)
	for _, x := range rs {
		u := x.(map[string]any)
		out = append(out, u["userName"].(string)+":"+u["externalId"].(string))
	}
	return out
}

// TestScopeExistsReads: only the users with a SAML user_auth row who are
// not service accounts exist for SCIM, in every read.
func TestScopeExistsReads(t *testing.T) {
	e := newScopeExistsEnv(t)
	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"list", "/Users", []string{"alice:sub-alice", "dave:sub-dave"}},
		{"Okta's lookup of a password user", "/Users?filter=" + q(`userName eq "bob"`), nil},
		{"an OAuth user", "/Users?filter=" + q(`userName eq "carol"`), nil},
		{"a service account with a SAML row", "/Users?filter=" + q(`externalId eq "sub-sa"`), nil},
		{"Entra's lookup by externalId", "/Users?filter=" + q(`externalId eq "sub-dave"`), []string{"dave:sub-dave"}},
		{"a filter that would match all", "/Users?filter=" + q(`userName pr`), []string{"alice:sub-alice", "dave:sub-dave"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, logins(t, e.get(tc.path))); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.path, diff)
			}
		})
	}
	if n, _ := e.totalOf("count=0"); n != 2 {
		t.Errorf("totalResults = %d, want 2", n)
	}
	for id, want := range map[string]int{"1": 200, "2": 404, "3": 404, "4": 404, "5": 200} {
		if r := e.get("/Users/" + id); r.Status != want {
			t.Errorf("GET /Users/%s: %d, want %d: %s", id, r.Status, want, r.Body)
		}
	}
	// The group shows only its in-scope member.
	r := e.get("/Groups/1")
	if !strings.Contains(string(r.Body), `"value":"1"`) || strings.Contains(string(r.Body), `"value":"2"`) {
		t.Errorf("group members: %s, want alice only", r.Body)
	}
}

// appTables is tableState of the app's tables (checksum and next
// AUTO_INCREMENT), without retroscim's audit trail, which records refusals.
func appTables(t *testing.T, dsn string) map[string]string {
	t.Helper()
	out := tableState(t, dsn)
	for name := range out {
		if strings.HasPrefix(name, "retroscim_") {
			delete(out, name)
		}
	}
	return out
}

// TestScopeExistsRefusals: a user without the SAML row cannot be changed,
// deleted or made a member, and the refusal changes no table.
func TestScopeExistsRefusals(t *testing.T) {
	e := newScopeExistsEnv(t)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		detail                   string
	}{
		{"Entra PATCH of a password user", http.MethodPatch, "/Users/2", jsonPatch(`{"op":"Replace","path":"userName","value":"bob2"}`), 404, ""},
		{"Okta PUT of an OAuth user", http.MethodPut, "/Users/3", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"carol2","externalId":"x"}`, 404, ""},
		{"deactivating a service account", http.MethodPatch, "/Users/4", jsonPatch(`{"op":"replace","path":"userName","value":"sa2"}`), 404, ""},
		{"DELETE of a password user", http.MethodDelete, "/Users/2", "", 404, ""},
		{"Entra adds a password user to a group", http.MethodPatch, "/Groups/1", jsonPatch(`{"op":"Add","path":"members","value":[{"value":"3"}]}`), 400, `members not found: \"3\"`},
		{"Okta's member replace with an outsider", http.MethodPatch, "/Groups/1", jsonPatch(`{"op":"replace","path":"members","value":[{"value":"1"},{"value":"4"}]}`), 400, `members not found: \"4\"`},
		{"removing externalId would drop the user out of scope", http.MethodPatch, "/Users/1", jsonPatch(`{"op":"Remove","path":"externalId"}`), 400, "externalId cannot be removed: its user_auth row is what puts the user in users.scope"},
		{"a create without externalId has no SAML row to insert", http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"erin"}`, 400, "externalId is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := appTables(t, e.dsn)
			r := e.do(tc.method, tc.path, tc.body)
			if r.Status != tc.status || !strings.Contains(string(r.Body), tc.detail) {
				t.Fatalf("%s %s: %d %s, want %d with %q", tc.method, tc.path, r.Status, r.Body, tc.status, tc.detail)
			}
			assertUnchanged(t, before, appTables(t, e.dsn))
		})
	}
}

// TestScopeExistsCreateAndDelete: Entra's create inserts the user and its
// SAML user_auth row (holding externalId) in one transaction; a DELETE
// removes both.
func TestScopeExistsCreateAndDelete(t *testing.T) {
	e := newScopeExistsEnv(t)
	r := e.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"sub-erin","userName":"erin","active":true}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST: %d %s", r.Status, r.Body)
	}
	id := r.json(t)["id"].(string)
	if got := e.query("SELECT login, is_service_account FROM user WHERE id = ?", id); !cmp.Equal(got, []string{"erin", "0"}) {
		t.Errorf("user row %v", got)
	}
	want := []string{"auth.saml:sub-erin:1"}
	if got := e.column("SELECT CONCAT(auth_module, ':', auth_id, ':', created IS NOT NULL) FROM user_auth WHERE user_id = ?", id); !cmp.Equal(got, want) {
		t.Errorf("user_auth rows %v, want %v (one row, with the scope's values and externalId)", got, want)
	}
	if g := e.get("/Users/" + id); g.Status != 200 || g.json(t)["externalId"] != "sub-erin" {
		t.Errorf("GET the created user: %d %s", g.Status, g.Body)
	}
	// Entra's externalId change updates the row; the user stays in scope.
	if p := e.do(http.MethodPatch, "/Users/"+id, jsonPatch(`{"op":"Replace","path":"externalId","value":"sub-erin-2"}`)); p.Status != 200 {
		t.Fatalf("PATCH externalId: %d %s", p.Status, p.Body)
	}
	if got := e.column("SELECT auth_id FROM user_auth WHERE user_id = ?", id); !cmp.Equal(got, []string{"sub-erin-2"}) {
		t.Errorf("user_auth after the PATCH: %v", got)
	}
	if d := e.do(http.MethodDelete, "/Users/"+id, ""); d.Status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", d.Status, d.Body)
	}
	if got := e.column("SELECT id FROM user_auth WHERE user_id = ? UNION ALL SELECT id FROM user WHERE id = ?", id, id); len(got) != 0 {
		t.Errorf("rows left after DELETE: %v", got)
	}
	if g := e.get("/Users/" + id); g.Status != 404 {
		t.Errorf("GET after DELETE: %d", g.Status)
	}
}
