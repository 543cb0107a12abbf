package examples_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestPersonaOkta replays Persona's guide: Import New Users and Profile
// Updates (archived users too), Import Groups (the dashboard's roles), Push
// New Users, Push Profile Updates, and Push Groups by linking Okta groups
// to the existing roles, which renames them, then pushing memberships.
func TestPersonaOkta(t *testing.T) {
	a := serve(t, "persona")
	roles := func() string { return a.sum("org_roles", "dashboard_user_roles") }

	// Test Connector Configuration.
	if n, res := a.get("/Users?startIndex=1&count=1").list(t); n != 4 || len(res) != 1 {
		t.Errorf("Test Connector: %d users, page of %d", n, len(res))
	}

	// Import Now: users page by page, as Okta pages (startIndex 1, 3, 5).
	// Dan is archived: he is imported too, with "active": false (Okta
	// counts him as removed). The password owner is not a SCIM user.
	imported := map[string]any{}
	for start := 1; ; start += 2 {
		n, res := a.get(fmt.Sprintf("/Users?startIndex=%d&count=2", start)).list(t)
		if n != 4 {
			t.Fatalf("import: totalResults %d, want 4", n)
		}
		for _, u := range res {
			imported[str(u, "userName")] = u["active"]
		}
		if len(res) < 2 {
			break
		}
	}
	want := map[string]any{"alice@acme.test": true, "bob@acme.test": true, "carol@acme.test": true, "dan@acme.test": false}
	if fmt.Sprint(imported) != fmt.Sprint(want) {
		t.Errorf("imported users = %v, want %v", imported, want)
	}
	// Import Groups: the default roles and the custom one; the owner's
	// Admin role is not shown as a membership.
	n, groups := a.get("/Groups?startIndex=1&count=100").list(t)
	var names []string
	for _, g := range groups {
		names = append(names, str(g, "displayName"))
	}
	if n != 4 || strings.Join(names, ",") != "Admin,Analyst,Developer,Compliance Reviewer" {
		t.Errorf("imported groups = %v", names)
	}
	if got := a.groupMembers("", "1"); got != "2" {
		t.Errorf("Admin's members = %q, want only Alice (the owner is not a SCIM user)", got)
	}
	if got := a.groupMembers("", "2"); got != "3,5" {
		t.Errorf("Analyst's members = %q", got)
	}

	// Push New Users: Okta looks Erin up, then creates her.
	if id := a.lookupUser("", "erin@acme.test"); id != "" {
		t.Fatalf("erin@acme.test exists before the push: %s", id)
	}
	r := a.do(http.MethodPost, "/Users", oktaUser("", "erin@acme.test", "Erin", "Evans", "erin@acme.test",
		map[string]any{"displayName": "Erin Evans", "title": "Risk Analyst", "externalId": "00u1erin000000000010"})).must(t, http.StatusCreated)
	erin := str(r.obj(t), "id")
	if loc := r.Header.Get("Location"); loc != a.base+"/Users/"+erin {
		t.Errorf("Location = %q", loc)
	}
	a.wantRow("erin@acme.test|Erin|Evans|Erin Evans|Risk Analyst|00u1erin000000000010|saml|0|NULL",
		"SELECT email, first_name, last_name, display_name, job_title, idp_user_id, sign_in_method, archived, password_digest FROM dashboard_users WHERE id = ?", erin)
	// Okta retries the push with the address in another case: 409, and
	// nothing is inserted.
	before := a.sum("dashboard_users")
	a.do(http.MethodPost, "/Users", oktaUser("", "ERIN@acme.test", "Erin", "Evans", "ERIN@acme.test", nil)).
		refused(t, http.StatusConflict, "uniqueness", `userName "ERIN@acme.test" is already taken`)
	// userName and the work e-mail are one column: they must agree.
	a.do(http.MethodPost, "/Users", oktaUser("", "frank@acme.test", "Frank", "Fox", "frank.fox@acme.test", nil)).
		refused(t, http.StatusBadRequest, "invalidValue", `stored in the same column "email"`)
	a.unchanged("refused pushes", before, "dashboard_users")
	if got := a.lookupUser("", "Erin@Acme.Test"); got != erin {
		t.Errorf("lookup of Erin = %q, want %s", got, erin)
	}

	// Push Profile Updates.
	a.do(http.MethodPatch, "/Users/"+erin, patch(`{"op":"replace","value":{"name":{"familyName":"Evans-Ortiz"},"displayName":"Erin Evans-Ortiz","title":"Senior Risk Analyst"}}`)).must(t, http.StatusOK)
	a.wantRow("Evans-Ortiz|Erin Evans-Ortiz|Senior Risk Analyst", "SELECT last_name, display_name, job_title FROM dashboard_users WHERE id = ?", erin)

	// Bob's address changes in Okta: userName and e-mail are one column,
	// pushed together; a push of the e-mail alone renames the login too.
	a.do(http.MethodPatch, "/Users/3", patch(`{"op":"replace","value":{"userName":"bob.baker@acme.test","emails":[{"primary":true,"value":"bob.baker@acme.test","type":"work"}]}}`)).must(t, http.StatusOK)
	a.wantRow("bob.baker@acme.test", "SELECT email FROM dashboard_users WHERE id = 3")
	a.do(http.MethodPatch, "/Users/3", patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"bob@acme.test"}`)).must(t, http.StatusOK)
	if got := a.lookupUser("", "bob@acme.test"); got != "3" {
		t.Errorf("Bob's login after the e-mail push: lookup = %q", got)
	}

	// Roles are made in the dashboard, with their permissions: Okta's
	// Create Group is refused, Link Group is the way.
	before = roles()
	a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Persona-Support","members":[]}`).
		refused(t, http.StatusForbidden, "", "Link Group")
	a.do(http.MethodDelete, "/Groups/4", "").refused(t, http.StatusForbidden, "", "groups.delete: deny")
	a.unchanged("POST and DELETE /Groups", before, "org_roles", "dashboard_user_roles")

	// Push Groups > Find groups by name > Link Group: Okta finds each app
	// group by name and links its Persona-* group to it, renaming it
	// (repeating the read-only id in the value).
	for _, link := range []struct{ role, okta string }{{"Admin", "Persona-Admin"}, {"Analyst", "Persona-Analyst"}, {"Developer", "Persona-Developer"}} {
		id := a.lookupGroup("", link.role)
		if id == "" {
			t.Fatalf("Find groups by name %q found nothing", link.role)
		}
		a.do(http.MethodPatch, "/Groups/"+id, patch(`{"op":"replace","value":{"id":"`+id+`","displayName":"`+link.okta+`"}}`)).must(t, http.StatusNoContent)
		a.wantRow(link.okta, "SELECT name FROM org_roles WHERE id = ?", id)
	}
	a.wantRow("org:*|Full access to the organization", "SELECT permissions, description FROM org_roles WHERE id = 1")
	if id := a.lookupGroup("", "persona-admin"); id != "1" {
		t.Errorf("the renamed role is found as %q", id)
	}

	// Push group memberships immediately: Persona-Admin gains Erin and
	// Carol and loses Alice; Persona-Analyst gains Erin.
	a.do(http.MethodPatch, "/Groups/1", patch(`{"op":"add","path":"members","value":`+members(erin, "4")+`}`)).must(t, http.StatusNoContent)
	a.do(http.MethodPatch, "/Groups/1", patch(`{"op":"remove","path":"members[value eq \"2\"]"}`)).must(t, http.StatusNoContent)
	a.do(http.MethodPatch, "/Groups/2", patch(`{"op":"add","path":"members","value":`+members(erin)+`}`)).must(t, http.StatusNoContent)
	if got := a.groupMembers("", "1"); got != "4,"+erin {
		t.Errorf("Persona-Admin's members = %q, want Carol and Erin", got)
	}
	// The owner keeps Admin: SCIM neither sees nor removes that row. New
	// rows are marked as assigned by SCIM.
	a.wantRow("1:dashboard,4:scim,"+erin+":scim",
		"SELECT GROUP_CONCAT(CONCAT(dashboard_user_id, ':', assigned_via) ORDER BY dashboard_user_id) FROM dashboard_user_roles WHERE org_role_id = 1")
	a.wantRow("3,5,"+erin, "SELECT GROUP_CONCAT(dashboard_user_id ORDER BY dashboard_user_id) FROM dashboard_user_roles WHERE org_role_id = 2")
	g := a.get("/Users/"+erin+"?attributes=userName,groups").must(t, http.StatusOK)
	for _, name := range []string{"Persona-Admin", "Persona-Analyst"} {
		if !strings.Contains(string(g.Body), `"display":"`+name+`"`) {
			t.Errorf("Erin's groups do not show %s: %s", name, g.Body)
		}
	}

	// A membership push naming the owner or an unknown id changes nothing.
	before = roles()
	a.do(http.MethodPatch, "/Groups/2", patch(`{"op":"add","path":"members","value":`+members("1", "999")+`}`)).
		refused(t, http.StatusBadRequest, "invalidValue", `members not found: "1", "999"`)
	a.do(http.MethodPatch, "/Groups/2", patch(`{"op":"replace","value":{"id":"2","displayName":"Persona-Admin"}}`)).
		refused(t, http.StatusConflict, "uniqueness", `displayName "Persona-Admin" is already taken`)
	a.unchanged("refused group pushes", before, "org_roles", "dashboard_user_roles")

	// Deactivate Users: Okta unassigns Erin; she is archived, keeps her
	// roles, and the next import shows her as deactivated.
	a.do(http.MethodPatch, "/Users/"+erin, oktaDeactivate).must(t, http.StatusOK)
	a.wantRow("1|2", "SELECT archived, (SELECT COUNT(*) FROM dashboard_user_roles WHERE dashboard_user_id = u.id) FROM dashboard_users u WHERE id = ?", erin)
	if _, res := a.get("/Users" + filter(`userName eq "erin@acme.test"`)).list(t); len(res) != 1 || res[0]["active"] != false {
		t.Errorf("re-import of Erin: %v", res)
	}
	// Assigned again: reactivated.
	a.do(http.MethodPatch, "/Users/"+erin, oktaReactivate).must(t, http.StatusOK)
	a.wantRow("0", "SELECT archived FROM dashboard_users WHERE id = ?", erin)

	// The owner is out of reach.
	before = a.sum("dashboard_users")
	a.do(http.MethodPatch, "/Users/1", oktaDeactivate).refused(t, http.StatusNotFound, "", `User "1" not found`)
	a.unchanged("PATCH of the owner", before, "dashboard_users")
}
