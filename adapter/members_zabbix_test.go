package adapter

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
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

// zabbixUserGroupsYAML maps Zabbix's user groups, whose users_groups ids
// come from Zabbix's ids table.
const zabbixUserGroupsYAML = `server: { base_path: /scim/v2 }
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
groups:
  table: usrgrp
  id: usrgrpid
  scope: all
  create: deny
  delete: deny
  attributes:
    displayName: { column: name }
  members:
    join:
      table: users_groups
      user: userid
      group: usrgrpid
      defaults:
        id: { next_id: { table: ids, column: nextid, where: { table_name: users_groups, field_name: id } } }
`

// TestZabbixAllocatedIDs: new users_groups rows take the ids after
// ids.nextid, which is advanced by as many, in the PATCH's transaction;
// the other counters and rows keep their values.
func TestZabbixAllocatedIDs(t *testing.T) {
	e := newZabbixEnv(t, zabbixUserGroupsYAML)
	add := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"3"},{"value":"4"}]}]}`
	if r := e.do(http.MethodPatch, "/Groups/9", add); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH add = %d %s", r.Status, r.Body)
	}
	entra := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":"4"}]},{"op":"Remove","path":"members","value":[{"value":"3"}]}]}`
	if r := e.do(http.MethodPatch, "/Groups/7", entra); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH Entra = %d %s", r.Status, r.Body)
	}
	rows := e.query("SELECT GROUP_CONCAT(CONCAT(id, ':', usrgrpid, '/', userid) ORDER BY id) FROM users_groups")[0]
	if want := "2:8/2,4:7/1,11:9/3,12:9/4,13:7/4"; rows != want {
		t.Errorf("users_groups = %s, want %s", rows, want)
	}
	if got := e.query("SELECT GROUP_CONCAT(CONCAT(table_name, '=', nextid) ORDER BY table_name) FROM ids")[0]; got != "users_groups=13,usrgrp=9" {
		t.Errorf("ids = %s, want users_groups=13,usrgrp=9", got)
	}
	// Without its counter row the add fails and changes nothing.
	legacytest.MustExec(t, e.dsn, "DELETE FROM ids WHERE table_name = 'users_groups'")
	if r := e.do(http.MethodPatch, "/Groups/8", add); r.Status != http.StatusInternalServerError || !strings.Contains(string(r.Body), "id counter") {
		t.Errorf("PATCH without the counter row = %d %s, want 500 naming the counter", r.Status, r.Body)
	}
	if n := e.query("SELECT COUNT(*) FROM users_groups")[0]; n != "5" {
		t.Errorf("users_groups has %s rows after the failed add, want 5", n)
	}
}
