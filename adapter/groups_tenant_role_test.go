package adapter

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/mapping"
)

// grafanaRolesYAML serves Grafana's per-organisation role as the groups:
// org_user.role of the token's organisation, Admin, Editor or Viewer.
const grafanaRolesYAML = `groups:
  names: [Admin, Editor, Viewer]
  tenant_role: { column: role, on_remove: Viewer }
`

// newGrafanaRoles serves grafana_orgs.sql with the roles as groups.
func newGrafanaRoles(t *testing.T) *env {
	t.Helper()
	cfg, err := mapping.Parse("grafana-roles.yaml", []byte(grafanaOrgsYAML("refuse", "user")+grafanaRolesYAML))
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, string(mustReadFile(t, "testdata/apps/grafana_orgs.sql")))
}

// orgRoles lists an organisation's org_user rows as user:role.
func orgRoles(e *env, org string) string {
	return e.query("SELECT GROUP_CONCAT(CONCAT(user_id, ':', role) ORDER BY user_id) FROM org_user WHERE org_id = ?", org)[0]
}

// TestTenantRoleGroups: each organisation reads and writes its own roles;
// adding replaces the user's role in the token's organisation only,
// removing writes Viewer, and Viewer's members cannot be removed.
func TestTenantRoleGroups(t *testing.T) {
	e := newGrafanaRoles(t)
	// Reads: the admin and the service account are outside the scope.
	for _, tt := range []struct {
		as    []string
		group string
		want  []string
	}{
		{asAcmeOrg(), "Admin", nil},
		{asAcmeOrg(), "Editor", []string{"2"}},
		{asAcmeOrg(), "Viewer", []string{"3"}},
		{asGlobexOrg(), "Admin", []string{"3"}},
		{asGlobexOrg(), "Viewer", []string{"4"}},
	} {
		if got := memberValues(t, e.get("/Groups/"+tt.group, tt.as...)); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s members as %s = %v, want %v", tt.group, tt.as[1][7:12], got, tt.want)
		}
	}
	// Entra's membership check, per organisation.
	for _, tt := range []struct {
		as   []string
		f    string
		want float64
	}{
		{asAcmeOrg(), `id eq "Admin" and members.value eq "3"`, 0},
		{asGlobexOrg(), `id eq "Admin" and members.value eq "3"`, 1},
		{asGlobexOrg(), `id eq "Editor" and members eq "2"`, 0},
	} {
		if r := e.get("/Groups?filter="+q(tt.f)+"&attributes=id", tt.as...); r.json(t)["totalResults"] != tt.want {
			t.Errorf("%s = %s, want %v", tt.f, r.Body, tt.want)
		}
	}

	globex := orgRoles(e, "2")
	// Acme makes bob an Editor: his Globex Admin row stays.
	if r := e.do(http.MethodPatch, "/Groups/Editor", patchOps(`{"op":"add","path":"members","value":[{"value":"3"}]}`), asAcmeOrg()...); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH Editor add bob = %d %s", r.Status, r.Body)
	}
	// Removing alice from Editor writes the fallback, Viewer.
	if r := e.do(http.MethodPatch, "/Groups/Editor", patchOps(`{"op":"remove","path":"members[value eq \"2\"]"}`), asAcmeOrg()...); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH Editor remove alice = %d %s", r.Status, r.Body)
	}
	if got := orgRoles(e, "1"); got != "1:Admin,2:Viewer,3:Editor" {
		t.Errorf("Acme's roles = %s, want 1:Admin,2:Viewer,3:Editor", got)
	}
	if got := orgRoles(e, "2"); got != globex {
		t.Errorf("Acme's writes changed Globex's roles: %s, was %s", got, globex)
	}

	// Refused, and nothing changes: leaving Viewer, a user of another
	// organisation, creating or deleting a role.
	acme := orgRoles(e, "1")
	for _, tt := range []struct {
		method, path, body string
		status             int
		detail             string
	}{
		{"PATCH", "/Groups/Viewer", patchOps(`{"op":"remove","path":"members","value":[{"value":"2"}]}`), 400, "members cannot be removed from group \\\"Viewer\\\""},
		{"PUT", "/Groups/Viewer", groupBody + `"displayName":"Viewer","members":[]}`, 400, "groups.tenant_role.on_remove"},
		{"PATCH", "/Groups/Admin", patchOps(`{"op":"add","path":"members","value":[{"value":"4"}]}`), 400, `members not found: \"4\"`},
		{"PATCH", "/Groups/Admin", patchOps(`{"op":"add","path":"members","value":[{"value":"1"}]}`), 400, `members not found: \"1\"`},
		{"POST", "/Groups", groupBody + `"displayName":"None"}`, 403, "org_user.role"},
		{"DELETE", "/Groups/Editor", "", 403, "remove the members instead"},
		{"GET", "/Groups/" + url.PathEscape("Admin' OR '1'='1"), "", 404, "no group"},
	} {
		r := e.do(tt.method, tt.path, tt.body, asAcmeOrg()...)
		if r.Status != tt.status || !strings.Contains(string(r.Body), tt.detail) {
			t.Errorf("%s %s = %d %s, want %d with %q", tt.method, tt.path, r.Status, r.Body, tt.status, tt.detail)
		}
	}
	if got := orgRoles(e, "1") + "/" + orgRoles(e, "2"); got != acme+"/"+globex {
		t.Errorf("refused requests changed the roles: %s", got)
	}
	if r := e.get("/Groups?filter="+q(`members.value eq "3' OR '1'='1"`), asAcmeOrg()...); r.json(t)["totalResults"] != float64(0) {
		t.Errorf("injection in members.value = %s", r.Body)
	}

	// Globex's Push Now of Admin: carol in, bob out (to Viewer), in Globex
	// only.
	if r := e.do(http.MethodPut, "/Groups/Admin", groupBody+`"displayName":"Admin","members":[{"value":"4"}]}`, asGlobexOrg()...); r.Status != 200 {
		t.Fatalf("PUT Admin as Globex = %d %s", r.Status, r.Body)
	}
	if got := orgRoles(e, "2"); got != "3:Viewer,4:Admin,5:Viewer" {
		t.Errorf("Globex's roles = %s, want 3:Viewer,4:Admin,5:Viewer", got)
	}
	if got := orgRoles(e, "1"); got != acme {
		t.Errorf("Globex's Push Now changed Acme's roles: %s, was %s", got, acme)
	}
}

// TestTenantRoleConfig: the shapes the loader refuses, each saying what
// to write.
func TestTenantRoleConfig(t *testing.T) {
	base := grafanaOrgsYAML("refuse", "user") + grafanaRolesYAML
	for _, tt := range []struct{ name, from, to, want string }{
		{"no tenant_through", "  tenant_through:\n    table: org_user\n    user: user_id\n    tenant: org_id\n    defaults: { role: Viewer, created: now, updated: now }\n    existing_users: refuse\n    deactivate: user\n", "", "set users.tenant_through"},
		{"no on_remove", "column: role, on_remove: Viewer", "column: role", "on_remove is the role removal writes"},
		{"tenant column", "column: role,", "column: org_id,", "not a role"},
		{"defaults differ", "on_remove: Viewer", "on_remove: Editor", "use the same role for both"},
		{"two shapes", "tenant_role:", "rows: { table: org_user, user: user_id, name: role }\n  tenant_role:", "one of them"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(base, tt.from, tt.to, 1)
			if src == base {
				t.Fatalf("replacement %q not found", tt.from)
			}
			_, err := mapping.Parse("x.yaml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}
