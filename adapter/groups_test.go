package adapter

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
)

// joinMembers lists a group's member ids in user_roles, in scope or not.
func (e *env) joinMembers(group int) string {
	e.t.Helper()
	row := e.query("SELECT COALESCE(GROUP_CONCAT(user_id ORDER BY user_id), '') FROM user_roles WHERE role_id = ?", group)
	return row[0]
}

// roleOf is a user's role_id in the single-column model.
func (e *env) roleOf(user int) string {
	e.t.Helper()
	return e.query("SELECT role_id FROM users WHERE id = ?", user)[0]
}

func TestGroupsGolden(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct{ name, path string }{
		{"list", "/Groups"},
		{"get", "/Groups/1"},
		{"excluded_members", "/Groups?excludedAttributes=members"},
		{"okta_lookup_by_name", "/Groups?filter=" + q(`displayName eq "ANALYST"`) + "&excludedAttributes=members"},
		{"filter_member", "/Groups?filter=" + q(`members[value eq "7"]`) + "&attributes=displayName"},
		{"filter_local_member", "/Groups?filter=" + q(`members[value eq "1"]`) + "&attributes=displayName"},
		{"other_tenant", "/Groups/4"},
		{"users_in_group", "/Users?filter=" + q(`groups[value eq "3"]`) + "&attributes=userName"},
		{"users_by_group_name", "/Users?filter=" + q(`groups.display eq "admin"`) + "&attributes=userName,groups"},
		{"schema_group", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group"},
		{"resource_types", "/ResourceTypes"},
	} {
		t.Run(tt.name, func(t *testing.T) { goldenResponse(t, "groups_"+tt.name, e.get(tt.path)) })
	}
}

// TestGroupPatchJoin applies each PATCH form Okta and Entra send for
// groups to the Analyst group (members 3 and 7) of the join-table model.
func TestGroupPatchJoin(t *testing.T) {
	tests := []struct {
		request  string
		wantName string
		want     string // user ids in user_roles for role 2
	}{
		{"group_okta_add_members", "Analyst", "3,4,5,7"},
		{"group_okta_remove_member", "Analyst", "7"},
		{"group_okta_link_rename", "Persona-Analyst", "3,7"},
		{"group_entra_add_members", "Analyst", "3,5,7"},
		{"group_entra_remove_members", "Analyst", "7"},
		{"group_replace_members", "Analyst", "2,4"},
		{"group_remove_all_members", "Analyst", ""},
		{"group_pathless_members_and_rename", "Analysts", "2"},
	}
	for _, tt := range tests {
		t.Run(tt.request, func(t *testing.T) {
			e := newEnv(t)
			r := e.do(http.MethodPatch, "/Groups/2", request(t, tt.request), "Content-Type", "application/json")
			if r.Status != http.StatusNoContent {
				t.Fatalf("PATCH = %d %s", r.Status, r.Body)
			}
			if got := e.joinMembers(2); got != tt.want {
				t.Errorf("members = %q, want %q", got, tt.want)
			}
			if got := e.query("SELECT name FROM roles WHERE id = 2")[0]; got != tt.wantName {
				t.Errorf("name = %q, want %q", got, tt.wantName)
			}
			if got := e.joinMembers(1) + "|" + e.joinMembers(4); got != "1,2|8,9" {
				t.Errorf("other groups changed: %s", got)
			}
		})
	}
}

// TestGroupMembersOutsideScope: a local account's membership is never
// shown, never removed by a replace or a remove-all, and cannot be added.
func TestGroupMembersOutsideScope(t *testing.T) {
	e := newEnv(t)
	members := e.get("/Groups/1").json(t)["members"].([]any)
	if len(members) != 1 || members[0].(map[string]any)["value"] != "2" {
		t.Errorf("Admin's members = %v, want only Alice (the local admin is invisible)", members)
	}
	for _, body := range []string{request(t, "group_remove_all_members"), request(t, "group_replace_members")} {
		if r := e.do(http.MethodPatch, "/Groups/1", body); r.Status != http.StatusNoContent {
			t.Fatalf("PATCH = %d %s", r.Status, r.Body)
		}
		if !strings.HasPrefix(e.joinMembers(1), "1") {
			t.Errorf("the local admin lost the Admin role: %s", e.joinMembers(1))
		}
	}
	if got := e.joinMembers(1); got != "1,2,4" {
		t.Errorf("Admin's members after remove-all then replace with 2,4 = %q, want 1,2,4", got)
	}
}

func TestGroupPatchErrors(t *testing.T) {
	e := newEnv(t)
	patch := func(ops string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
	}
	tests := []struct {
		name, id, body string
		wantStatus     int
		wantType       string
		wantDetail     string
	}{
		{"unknown, local and foreign members", "2", patch(`{"op":"replace","value":{"displayName":"Renamed"}},{"op":"add","path":"members","value":[{"value":"5"},{"value":"999"},{"value":"1"},{"value":"8"},{"value":"x"}]}`), 400, "invalidValue",
			`members not found: "1", "8", "999", "x" (no such user, or a user this server does not manage); nothing was changed`},
		{"rename to an existing name", "2", patch(`{"op":"replace","path":"displayName","value":"developer"}`), 409, "uniqueness", `displayName "developer" is already taken`},
		{"members not objects", "2", patch(`{"op":"add","path":"members","value":["5"]}`), 400, "invalidValue", `each member must be an object`},
		{"members sub-attribute", "2", patch(`{"op":"replace","path":"members.display","value":"x"}`), 400, "invalidPath", `members are added, removed or replaced whole`},
		{"members filter beyond value eq", "2", patch(`{"op":"remove","path":"members[display eq \"Bob\"]"}`), 400, "invalidPath", `members[...] supports value eq`},
		{"group of another tenant", "4", patch(`{"op":"add","path":"members","value":[{"value":"2"}]}`), 404, "", `Group "4" not found`},
		{"displayName removed", "2", patch(`{"op":"remove","path":"displayName"}`), 400, "invalidValue", `displayName is required`},
	}
	sums := func() string {
		return legacytest.Checksum(t, e.dsn, "roles") + "/" + legacytest.Checksum(t, e.dsn, "user_roles")
	}
	before := sums()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(http.MethodPatch, "/Groups/"+tt.id, tt.body)
			body := r.json(t)
			if r.Status != tt.wantStatus {
				t.Fatalf("status %d %s, want %d", r.Status, r.Body, tt.wantStatus)
			}
			if got, _ := body["scimType"].(string); got != tt.wantType {
				t.Errorf("scimType %q, want %q", got, tt.wantType)
			}
			if d, _ := body["detail"].(string); !strings.Contains(d, tt.wantDetail) {
				t.Errorf("detail %q, want it to contain %q", d, tt.wantDetail)
			}
			if sums() != before {
				t.Error("the groups or memberships changed")
			}
		})
	}
	// Removing someone who is not a member is not an error.
	if r := e.do(http.MethodPatch, "/Groups/2", patch(`{"op":"remove","path":"members[value eq \"4\"]"}`)); r.Status != http.StatusNoContent || sums() != before {
		t.Errorf("removing a non-member = %d %s", r.Status, r.Body)
	}
}

// TestOktaLinkGroup replays Okta's "Link Group" push for Persona: import
// the app's groups, link the Okta group "Persona-Admin" to the existing
// Admin role (Okta renames it), then push the group's members.
func TestOktaLinkGroup(t *testing.T) {
	e := newEnv(t)
	// Import: Okta lists groups and users, page by page.
	groups := e.get("/Groups?startIndex=1&count=100").json(t)
	if groups["totalResults"] != float64(3) {
		t.Fatalf("import found %v groups, want 3", groups["totalResults"])
	}
	// Okta finds the app group by name before linking.
	found := e.get("/Groups?filter=" + q(`displayName eq "Admin"`)).json(t)["Resources"].([]any)
	id := found[0].(map[string]any)["id"].(string)
	// Link Group: rename, repeating the read-only id.
	link := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"` + id + `","displayName":"Persona-Admin"}}]}`
	if r := e.do(http.MethodPatch, "/Groups/"+id, link); r.Status != http.StatusNoContent {
		t.Fatalf("link = %d %s", r.Status, r.Body)
	}
	// Push group memberships: Okta adds Carol and Eva, removes Alice.
	push := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"add","path":"members","value":[{"value":"4","display":"Carol.Chen@Acme.test"},{"value":"7","display":"eva@acme.test"}]},
		{"op":"remove","path":"members[value eq \"2\"]"}]}`
	if r := e.do(http.MethodPatch, "/Groups/"+id, push); r.Status != http.StatusNoContent {
		t.Fatalf("push = %d %s", r.Status, r.Body)
	}
	g := e.get("/Groups/" + id).json(t)
	var got []string
	for _, m := range g["members"].([]any) {
		got = append(got, m.(map[string]any)["value"].(string))
	}
	if g["displayName"] != "Persona-Admin" || strings.Join(got, ",") != "4,7" {
		t.Errorf("after link and push: %v with members %v", g["displayName"], got)
	}
	if e.joinMembers(1) != "1,4,7" {
		t.Errorf("user_roles for Admin = %s, want the local admin kept and 4,7 added", e.joinMembers(1))
	}
	// The users show their new group.
	if !strings.Contains(string(e.get("/Users/4?attributes=groups").Body), `"display":"Persona-Admin"`) {
		t.Error("Carol does not show her new group")
	}
}

func TestGroupCreateDelete(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodPost, "/Groups", request(t, "group_okta_create"))
	if r.Status != http.StatusCreated {
		t.Fatalf("POST = %d %s", r.Status, r.Body)
	}
	id := r.json(t)["id"].(string)
	if r.Header.Get("Location") != "https://scim.example.test/scim/v2/Groups/"+id {
		t.Errorf("Location = %q", r.Header.Get("Location"))
	}
	if got := e.query("SELECT org_id, name FROM roles WHERE id = ?", id); strings.Join(got, ",") != "1,Persona-Developer" {
		t.Errorf("created role = %v", got)
	}
	if got := e.query("SELECT GROUP_CONCAT(user_id) FROM user_roles WHERE role_id = ?", id)[0]; got != "4" {
		t.Errorf("created role's members = %s", got)
	}
	sum := legacytest.Checksum(t, e.dsn, "roles")
	if r := e.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"ADMIN"}`); r.Status != http.StatusConflict {
		t.Errorf("duplicate displayName = %d %s", r.Status, r.Body)
	}
	if r := e.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"With bad member","members":[{"value":"1"}]}`); r.Status != http.StatusBadRequest {
		t.Errorf("create with a local member = %d %s", r.Status, r.Body)
	}
	if legacytest.Checksum(t, e.dsn, "roles") != sum {
		t.Error("a refused POST changed roles")
	}
	// The new group is held by SCIM users only: deleted with its memberships.
	if r := e.do(http.MethodDelete, "/Groups/"+id, ""); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE = %d %s", r.Status, r.Body)
	}
	if n := e.query("SELECT COUNT(*) FROM user_roles WHERE role_id = ?", id)[0]; n != "0" {
		t.Errorf("memberships left: %s", n)
	}
	// Developer (3) is also the primary role in Carol's users.role_id: the
	// app's foreign key refuses, and so does retroscim, with nothing changed.
	sum = legacytest.Checksum(t, e.dsn, "user_roles")
	if r := e.do(http.MethodDelete, "/Groups/3", ""); r.Status != http.StatusConflict || !strings.Contains(r.json(t)["detail"].(string), "other rows of the application refer to this group") {
		t.Errorf("DELETE of a referenced role = %d %s", r.Status, r.Body)
	}
	if legacytest.Checksum(t, e.dsn, "user_roles") != sum {
		t.Error("a refused DELETE changed memberships")
	}
	// Admin (1) is also held by the local admin: refused, nothing changes.
	sum = legacytest.Checksum(t, e.dsn, "user_roles")
	if r := e.do(http.MethodDelete, "/Groups/1", ""); r.Status != http.StatusConflict {
		t.Errorf("DELETE of a role held by a local account = %d %s", r.Status, r.Body)
	}
	if legacytest.Checksum(t, e.dsn, "user_roles") != sum {
		t.Error("a refused DELETE changed memberships")
	}
}

func TestGroupPut(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodPut, "/Groups/2", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"2","displayName":"Analysts","members":[{"value":"4"}]}`)
	if r.Status != http.StatusOK || r.json(t)["displayName"] != "Analysts" {
		t.Fatalf("PUT = %d %s", r.Status, r.Body)
	}
	if e.joinMembers(2) != "4" {
		t.Errorf("members after PUT = %s", e.joinMembers(2))
	}
	// Without members, a PUT leaves them alone.
	if r := e.do(http.MethodPut, "/Groups/2", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Analysts"}`); r.Status != http.StatusOK || e.joinMembers(2) != "4" {
		t.Errorf("PUT without members = %d, members %s", r.Status, e.joinMembers(2))
	}
}

// singleColumnConfig maps groups with one group per user (users.role_id).
func singleColumnConfig(t *testing.T, rule string) string {
	return strings.Replace(string(mustReadFile(t, "../config.yaml")),
		"join: { table: user_roles, user: user_id, group: role_id }", "column: role_id\n    rule: "+rule, 1)
}

// TestGroupsSingleColumn exercises the one-group-per-user model under both
// rules.
func TestGroupsSingleColumn(t *testing.T) {
	add := `{"Operations":[{"op":"add","path":"members","value":[{"value":"2"},{"value":"5"}]}]}`
	t.Run("first_wins", func(t *testing.T) {
		e := newEnvYAML(t, singleColumnConfig(t, "first_wins"))
		if r := e.do(http.MethodPatch, "/Groups/3", add); r.Status != http.StatusNoContent {
			t.Fatalf("PATCH = %d %s", r.Status, r.Body)
		}
		if got := e.roleOf(2) + "," + e.roleOf(5); got != "1,3" {
			t.Errorf("roles of users 2 and 5 = %s, want 1,3 (Alice keeps her first group)", got)
		}
		members := e.get("/Groups/3").json(t)["members"].([]any)
		if len(members) != 2 {
			t.Errorf("Developer's members = %v, want Carol and Dave", members)
		}
		if g := e.get("/Users/5?attributes=groups").json(t)["groups"].([]any); len(g) != 1 || g[0].(map[string]any)["display"] != "Developer" {
			t.Errorf("Dave's groups = %v", g)
		}
	})
	t.Run("last_wins", func(t *testing.T) {
		e := newEnvYAML(t, singleColumnConfig(t, "last_wins"))
		if r := e.do(http.MethodPatch, "/Groups/3", add); r.Status != http.StatusNoContent {
			t.Fatalf("PATCH = %d %s", r.Status, r.Body)
		}
		if got := e.roleOf(2) + "," + e.roleOf(5); got != "3,3" {
			t.Errorf("roles of users 2 and 5 = %s, want 3,3", got)
		}
		before := e.query("SELECT updated_at FROM users WHERE id = 4")[0]
		if r := e.do(http.MethodPatch, "/Groups/3", `{"Operations":[{"op":"remove","path":"members[value eq \"4\"]"}]}`); r.Status != http.StatusNoContent {
			t.Fatal(r.Status)
		}
		if e.roleOf(4) != "NULL" {
			t.Errorf("Carol's role after removal = %s, want NULL", e.roleOf(4))
		}
		if after := e.query("SELECT updated_at FROM users WHERE id = 4")[0]; after <= before {
			t.Errorf("updated_at not maintained: %s -> %s", before, after)
		}
		// Replace on Admin (Alice moved to Developer above): the local admin
		// keeps the role, Eva moves in, Alice stays where she is.
		if r := e.do(http.MethodPatch, "/Groups/1", `{"Operations":[{"op":"replace","path":"members","value":[{"value":"7"}]}]}`); r.Status != http.StatusNoContent {
			t.Fatal(r.Status)
		}
		if got := e.roleOf(1) + "," + e.roleOf(2) + "," + e.roleOf(7); got != "1,3,1" {
			t.Errorf("roles of users 1, 2, 7 = %s, want 1,3,1", got)
		}
		// Replace with nobody: Eva leaves; the local admin still keeps it.
		if r := e.do(http.MethodPatch, "/Groups/1", `{"Operations":[{"op":"replace","path":"members","value":[]}]}`); r.Status != http.StatusNoContent {
			t.Fatal(r.Status)
		}
		if got := e.roleOf(1) + "," + e.roleOf(7); got != "1,NULL" {
			t.Errorf("roles of users 1, 7 = %s, want 1,NULL", got)
		}
		if r := e.do(http.MethodPatch, "/Groups/2", `{"Operations":[{"op":"add","path":"members","value":[{"value":"6"}]}]}`); r.Status != http.StatusBadRequest {
			t.Errorf("adding the local service user = %d", r.Status)
		}
	})
}

// TestNoGroups: a configuration without groups serves no /Groups, and the
// discovery documents say so (Panther).
func TestNoGroups(t *testing.T) {
	cfg := string(mustReadFile(t, "../config.yaml"))
	cfg = cfg[:strings.Index(cfg, "\ngroups:")]
	e := newEnvYAML(t, cfg)
	r := e.get("/Groups")
	if r.Status != http.StatusNotFound || !strings.Contains(r.json(t)["detail"].(string), "does not serve groups") {
		t.Errorf("GET /Groups = %d %s", r.Status, r.Body)
	}
	if body := string(e.get("/ResourceTypes").Body); strings.Contains(body, `"Group"`) {
		t.Errorf("/ResourceTypes lists Group: %s", body)
	}
	if body := string(e.get("/Users/2").Body); strings.Contains(body, `"groups"`) {
		t.Errorf("users show groups without a groups mapping: %s", body)
	}
}

// TestLargeGroup adds 1,000 members in one PATCH and reads a group of
// 10,000 members, which is streamed (chunked) rather than built in memory.
func TestLargeGroup(t *testing.T) {
	var users, roles []string
	for i := 10000; i < 20000; i++ {
		users = append(users, fmt.Sprintf("(%d, 1, 'bulk%05d@acme.test', 'saml')", i, i))
		if i >= 11000 {
			roles = append(roles, fmt.Sprintf("(%d, 2)", i))
		}
	}
	e := newEnv(t,
		"INSERT INTO users (id, org_id, login, auth_source) VALUES "+strings.Join(users, ","),
		"INSERT INTO user_roles (user_id, role_id) VALUES "+strings.Join(roles, ","))
	var add []string
	for i := 10000; i < 11000; i++ {
		add = append(add, fmt.Sprintf(`{"value":"%d"}`, i))
	}
	r := e.do(http.MethodPatch, "/Groups/2", `{"Operations":[{"op":"add","path":"members","value":[`+strings.Join(add, ",")+`]}]}`)
	if r.Status != http.StatusNoContent {
		t.Fatalf("PATCH with 1,000 members = %d %s", r.Status, r.Body)
	}
	if n := e.query("SELECT COUNT(*) FROM user_roles WHERE role_id = 2")[0]; n != "10002" {
		t.Fatalf("members = %s, want 10002", n)
	}
	r = e.get("/Groups/2")
	if r.Status != 200 || r.Header.Get("Content-Length") != "" {
		t.Errorf("GET of a 10,002-member group: status %d, Content-Length %q (want a streamed body)", r.Status, r.Header.Get("Content-Length"))
	}
	if n := len(r.json(t)["members"].([]any)); n != 10002 {
		t.Errorf("streamed %d members, want 10002", n)
	}
}

// TestUserGroupsOnRequest: a user's groups are returned when asked for
// (attributes=groups) and left out, unqueried, otherwise; the version does
// not depend on the projection.
func TestUserGroupsOnRequest(t *testing.T) {
	e := newEnv(t)
	plain := e.get("/Users/2")
	if strings.Contains(string(plain.Body), `"groups"`) {
		t.Errorf("groups returned without being requested: %s", plain.Body)
	}
	asked := e.get("/Users/2?attributes=userName,groups")
	groups, _ := asked.json(t)["groups"].([]any)
	if len(groups) != 2 {
		t.Errorf("attributes=groups returned %v", asked.json(t)["groups"])
	}
	if plain.Header.Get("ETag") != asked.Header.Get("ETag") {
		t.Errorf("ETag depends on the projection: %s vs %s", plain.Header.Get("ETag"), asked.Header.Get("ETag"))
	}
	list := e.get("/Users?filter=" + q(`userName eq "alice@acme.test"`) + "&attributes=groups")
	if !strings.Contains(string(list.Body), `"display":"Developer"`) {
		t.Errorf("list with attributes=groups: %s", list.Body)
	}
}
