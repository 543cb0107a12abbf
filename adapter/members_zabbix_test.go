package adapter

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/mapping"
)

// zabbixYAML maps Zabbix's roles as groups held in users.roleid, NOT NULL:
// removing a user from her role gives her the User role (1).
const zabbixYAML = `server: { base_path: /scim/v2 }
database: { dsn: x }
auth: { bearer_tokens: [ { name: okta, token: "${RETROSCIM_TOKEN}" } ] }
users:
  table: users
  id: userid
  scope: { userdirectoryid: 1 }
  create: deny
  delete: deny
  attributes:
    userName: { column: username }
    name.givenName: { column: name }
    name.familyName: { column: surname }
groups:
  table: role
  id: roleid
  scope: all
  create: deny
  delete: delete
  attributes:
    displayName: { column: name }
  members:
    column: roleid
    on_remove: 1
`

func newZabbixEnv(t *testing.T, src string) *env {
	t.Helper()
	cfg, err := mapping.Parse("zabbix.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("testdata/apps/zabbix.sql")
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, string(schema))
}

// zabbixRoles are the roleids of users 1 to 4.
func (e *env) zabbixRoles() string {
	e.t.Helper()
	return e.query("SELECT GROUP_CONCAT(roleid ORDER BY userid) FROM users")[0]
}

// TestZabbixRoleFallback: leaving a role writes the User role, never NULL;
// the User role cannot be left or deleted; under first_wins a user holding
// only the fallback is free to join another role.
func TestZabbixRoleFallback(t *testing.T) {
	for _, rule := range []string{"first_wins", "last_wins"} {
		t.Run(rule, func(t *testing.T) {
			e := newZabbixEnv(t, zabbixYAML+"    rule: "+rule+"\n")
			remove := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"3\"]"}]}`
			if r := e.do(http.MethodPatch, "/Groups/2", remove); r.Status != http.StatusNoContent {
				t.Fatalf("PATCH remove = %d %s", r.Status, r.Body)
			}
			if got := e.zabbixRoles(); got != "3,4,1,1" {
				t.Errorf("roles after Alice leaves Admin = %s, want 3,4,1,1 (she has the User role)", got)
			}
			if got := memberValues(t, e.get("/Groups/1")); strings.Join(got, ",") != "3,4" {
				t.Errorf("User role's members = %v, want 3,4", got)
			}
			// Bob holds only the fallback: an add moves him under either rule.
			add := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"4"}]}]}`
			if r := e.do(http.MethodPatch, "/Groups/2", add); r.Status != http.StatusNoContent {
				t.Fatalf("PATCH add = %d %s", r.Status, r.Body)
			}
			if got := e.zabbixRoles(); got != "3,4,1,2" {
				t.Errorf("roles after Bob joins Admin = %s, want 3,4,1,2", got)
			}
			// Leaving the fallback role would write it again: refused, and
			// nothing of the PATCH is applied.
			both := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Users"},{"op":"remove","path":"members[value eq \"3\"]"}]}`
			r := e.do(http.MethodPatch, "/Groups/1", both)
			if r.Status != http.StatusBadRequest || r.json(t)["scimType"] != "mutability" || !strings.Contains(string(r.Body), "on_remove") {
				t.Errorf("removing from the User role = %d %s, want 400 mutability naming on_remove", r.Status, r.Body)
			}
			if got := e.zabbixRoles() + " " + e.query("SELECT name FROM role WHERE roleid = 1")[0]; got != "3,4,1,2 User role" {
				t.Errorf("after the refused PATCH: %s", got)
			}
			if r := e.do(http.MethodDelete, "/Groups/1", ""); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "on_remove") {
				t.Errorf("DELETE the User role = %d %s, want 409", r.Status, r.Body)
			}
			// Deleting the Admin role moves its members to the User role.
			if r := e.do(http.MethodDelete, "/Groups/2", ""); r.Status != http.StatusNoContent {
				t.Fatalf("DELETE Admin role = %d %s", r.Status, r.Body)
			}
			if got := e.zabbixRoles(); got != "3,4,1,1" {
				t.Errorf("roles after deleting Admin = %s, want 3,4,1,1", got)
			}
		})
	}
}
