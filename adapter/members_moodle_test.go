package adapter

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/mapping"
)

// moodleYAML maps Moodle's mdl_user and mdl_role: a role held at the system
// context (contextid 1) is a group membership; the same role in a course
// context is Moodle's business, not SCIM's.
const moodleYAML = `server: { base_path: /scim/v2 }
database: { dsn: x }
auth: { bearer_tokens: [ { name: okta, token: "${RETROSCIM_TOKEN}" } ] }
users:
  table: mdl_user
  scope: { auth: saml, deleted: 0 }
  create: deny
  delete: deactivate
  active: { column: suspended, true: 0, false: 1 }
  attributes:
    userName: { column: username }
    name.givenName: { column: firstname }
    name.familyName: { column: lastname }
    'emails[type eq "work"].value': { column: email }
groups:
  table: mdl_role
  scope: all
  create: deny
  delete: deny
  attributes:
    displayName: { column: shortname }
  members:
    join:
      table: mdl_role_assignments
      user: userid
      group: roleid
      where: { contextid: 1 }
      defaults: { timemodified: epoch_seconds }
`

func newMoodleEnv(t *testing.T, src string) *env {
	t.Helper()
	cfg, err := mapping.Parse("moodle.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("testdata/apps/moodle.sql")
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, string(schema))
}

// assignments lists a user's role assignments as roleid@contextid.
func (e *env) assignments(user int) string {
	e.t.Helper()
	return e.query("SELECT COALESCE(GROUP_CONCAT(CONCAT(roleid, '@', contextid) ORDER BY roleid, contextid), '') FROM mdl_role_assignments WHERE userid = ?", user)[0]
}

// memberValues are the values of a group's members, in order.
func memberValues(t *testing.T, r response) []string {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("GET = %d %s", r.Status, r.Body)
	}
	var out []string
	ms, _ := r.json(t)["members"].([]any)
	for _, m := range ms {
		out = append(out, m.(map[string]any)["value"].(string))
	}
	return out
}

// TestMoodleStudentGroup: removing Alice from the "student" group takes
// away her system-context assignment only; her course roles in contexts 2
// and 3 stay. Bob, a student in course 2 only, is not a member, is listed
// by no filter, and becomes one by a new system-context row.
func TestMoodleStudentGroup(t *testing.T) {
	e := newMoodleEnv(t, moodleYAML)
	since := e.query("SELECT UNIX_TIMESTAMP()")[0]
	if got := memberValues(t, e.get("/Groups/5")); len(got) != 1 || got[0] != "2" {
		t.Errorf("student members = %v, want [2] (Alice once; Bob is a student in a course only)", got)
	}
	// Entra's membership check, one statement on the join table.
	for user, want := range map[string]float64{"2": 1, "3": 0} {
		r := e.get("/Groups?filter=" + q(`id eq "5" and members.value eq "`+user+`"`) + "&attributes=id")
		if r.Status != http.StatusOK || r.json(t)["totalResults"] != want {
			t.Errorf("Entra member check for %s = %d %s, want totalResults %v", user, r.Status, r.Body, want)
		}
	}
	if r := e.get("/Users?filter=" + q(`groups[value eq "5"]`) + "&attributes=userName"); r.json(t)["totalResults"] != float64(1) {
		t.Errorf("users in student = %s, want Alice only", r.Body)
	}
	// Alice's groups: student once, though she holds it in three contexts.
	if g, _ := e.get("/Users/2?attributes=groups").json(t)["groups"].([]any); len(g) != 1 || g[0].(map[string]any)["display"] != "student" {
		t.Errorf("Alice's groups = %v, want [student]", g)
	}
	if g, has := e.get("/Users/3?attributes=groups").json(t)["groups"]; has {
		t.Errorf("Bob's groups = %v, want none (his roles are in a course)", g)
	}
	remove := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"2\"]"}]}`
	if r := e.do(http.MethodPatch, "/Groups/5", remove); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH remove = %d %s", r.Status, r.Body)
	}
	if got := e.assignments(2); got != "5@2,5@3" {
		t.Errorf("Alice's assignments after leaving student = %q, want 5@2,5@3 (her course roles stay)", got)
	}
	add := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"3"}]}]}`
	if r := e.do(http.MethodPatch, "/Groups/5", add); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH add = %d %s", r.Status, r.Body)
	}
	if got := e.assignments(3); got != "3@2,5@1,5@2" {
		t.Errorf("Bob's assignments after joining student = %q, want 3@2,5@1,5@2", got)
	}
	if got := e.query("SELECT timemodified >= ? - 1 FROM mdl_role_assignments WHERE userid = 3 AND roleid = 5 AND contextid = 1", since)[0]; got != "1" {
		t.Errorf("Bob's new assignment has timemodified %s, want the time of the add (epoch seconds)", e.query("SELECT timemodified FROM mdl_role_assignments WHERE userid = 3 AND roleid = 5 AND contextid = 1")[0])
	}
	if got := memberValues(t, e.get("/Groups/5")); len(got) != 1 || got[0] != "3" {
		t.Errorf("student members = %v, want [3]", got)
	}
	if got := e.assignments(1); got != "1@1" {
		t.Errorf("the local admin's assignments = %q, want 1@1", got)
	}
}

// TestMoodleGroupPush replays Okta's Push Now (PUT with every member) and
// Entra's PATCH adding and removing several members at once: each changes
// system-context rows only.
func TestMoodleGroupPush(t *testing.T) {
	e := newMoodleEnv(t, moodleYAML)
	put := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"5","displayName":"student","members":[{"value":"3"},{"value":"4"}]}`
	if r := e.do(http.MethodPut, "/Groups/5", put); r.Status != http.StatusOK {
		t.Fatalf("PUT = %d %s", r.Status, r.Body)
	}
	if got := e.assignments(2) + "|" + e.assignments(3) + "|" + e.assignments(4); got != "5@2,5@3|3@2,5@1,5@2|5@1" {
		t.Errorf("after Push Now: %s, want 5@2,5@3|3@2,5@1,5@2|5@1", got)
	}
	entra := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Add","path":"members","value":[{"value":"2"}]},
		{"op":"Remove","path":"members","value":[{"value":"3"},{"value":"4"}]}]}`
	if r := e.do(http.MethodPatch, "/Groups/5", entra); r.Status != http.StatusNoContent {
		t.Fatalf("Entra PATCH = %d %s", r.Status, r.Body)
	}
	if got := e.assignments(2) + "|" + e.assignments(3) + "|" + e.assignments(4); got != "5@1,5@2,5@3|3@2,5@2|" {
		t.Errorf("after Entra's PATCH: %s, want 5@1,5@2,5@3|3@2,5@2|", got)
	}
	if got := memberValues(t, e.get("/Groups/5")); len(got) != 1 || got[0] != "2" {
		t.Errorf("student members = %v, want [2]", got)
	}
}

// TestMoodleRoleDelete: a role still assigned in a course is Moodle's; SCIM
// does not delete it, and no assignment changes.
func TestMoodleRoleDelete(t *testing.T) {
	e := newMoodleEnv(t, strings.Replace(moodleYAML, "  delete: deny\n  attributes:\n    displayName", "  delete: delete\n  attributes:\n    displayName", 1))
	before := e.query("SELECT COUNT(*), GROUP_CONCAT(CONCAT(id, roleid, contextid, userid) ORDER BY id) FROM mdl_role_assignments")
	r := e.do(http.MethodDelete, "/Groups/5", "")
	if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "does not manage") {
		t.Errorf("DELETE student = %d %s, want 409 (assigned in courses 2 and 3)", r.Status, r.Body)
	}
	if after := e.query("SELECT COUNT(*), GROUP_CONCAT(CONCAT(id, roleid, contextid, userid) ORDER BY id) FROM mdl_role_assignments"); after[1] != before[1] {
		t.Errorf("assignments changed: %v -> %v", before, after)
	}
}
