package examples_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestPantherOkta replays Panther's guide: no provisioning (users come from
// the first SSO login), Push Profile Updates of given name, family name,
// e-mail and pantherRole, Deactivate Users, no /Groups.
func TestPantherOkta(t *testing.T) {
	a := serve(t, "panther")
	users := func() string { return a.sum("panther_users", "user_roles") }

	// Okta saves the integration: it reads the discovery documents and
	// lists users. Panther serves users only.
	a.get("/ServiceProviderConfig").must(t, http.StatusOK)
	n, types := a.get("/ResourceTypes").list(t)
	if n != 1 || str(types[0], "name") != "User" {
		t.Errorf("/ResourceTypes lists %d types (%v), want only User", n, types)
	}
	a.get("/Groups").refused(t, http.StatusNotFound, "", "does not serve groups")
	a.get("/Groups"+filter(`displayName eq "Admin"`)).refused(t, http.StatusNotFound, "", "does not serve groups")
	schema := a.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").must(t, http.StatusOK).obj(t)
	attrs := map[string]map[string]any{}
	for _, at := range schema["attributes"].([]any) {
		attrs[at.(map[string]any)["name"].(string)] = at.(map[string]any)
	}
	if attrs["pantherRole"] == nil || attrs["pantherRole"]["mutability"] != "readWrite" || attrs["userName"]["mutability"] != "readOnly" {
		t.Errorf("the core User schema should publish pantherRole (readWrite) and a readOnly userName: %v", attrs)
	}
	total, page := a.get("/Users?startIndex=1&count=2").list(t)
	if total != 4 || len(page) != 2 {
		t.Errorf("Test Connector: %d users, page of %d; want the 4 SSO users, 2 per page", total, len(page))
	}
	all := a.get("/Users?startIndex=1&count=100")
	for _, hidden := range []string{"root@panther.acme.test", "ci-detections@acme.test"} {
		if strings.Contains(string(all.Body), hidden) {
			t.Errorf("the local account %s is visible to SCIM", hidden)
		}
	}
	for _, id := range []string{"1", "6"} {
		a.get("/Users/"+id).refused(t, http.StatusNotFound, "", `User "`+id+`" not found`)
	}

	// Okta pushes a user who never signed in to Panther: the lookup finds
	// nothing, and the POST Okta then tries is refused; nothing is written.
	before := users()
	if id := a.lookupUser("", "erin@acme.test"); id != "" {
		t.Fatalf("erin@acme.test found as %s before any SSO login", id)
	}
	a.do(http.MethodPost, "/Users", oktaUser("", "erin@acme.test", "Erin", "Evans", "erin@acme.test", map[string]any{"pantherRole": "Analyst"})).
		refused(t, http.StatusForbidden, "", "created by the application when they first sign in through SSO")
	a.unchanged("POST /Users", before, "panther_users", "user_roles")

	// Alice signed in through SSO once (JIT). Okta finds her by userName
	// (case-insensitively) and pushes her profile and role.
	alice := a.lookupUser("", "Alice@ACME.test")
	if alice != "2" {
		t.Fatalf("lookup of Alice = %q, want 2", alice)
	}
	r := a.do(http.MethodPatch, "/Users/"+alice, patch(`{"op":"replace","value":{
		"name":{"givenName":"Alicia","familyName":"Adams-Smith"},
		"emails":[{"primary":true,"value":"alicia.adams@acme.test","type":"work"}],
		"pantherRole":"Analyst"}}`)).must(t, http.StatusOK)
	if got := r.obj(t); got["pantherRole"] != "Analyst" || str(got, "name.givenName") != "Alicia" {
		t.Errorf("PATCH response: %s", r.Body)
	}
	a.wantRow("alice@acme.test|Alicia|Adams-Smith|alicia.adams@acme.test|2|ACTIVE|5",
		"SELECT username, given_name, family_name, email, role_id, status, row_version FROM panther_users WHERE id = 2")

	// Update User Attributes as a PUT: userName is echoed (read-only,
	// ignored), attributes Panther does not keep (displayName, title,
	// locale, password) are ignored, the role becomes ReadOnlyAnalyst.
	a.do(http.MethodPut, "/Users/"+alice, oktaUser(alice, "alice@acme.test", "Alicia", "Adams", "alicia.adams@acme.test",
		map[string]any{"pantherRole": "ReadOnlyAnalyst", "displayName": "Alicia Adams", "title": "SOC Lead"})).must(t, http.StatusOK)
	a.wantRow("alice@acme.test|Alicia|Adams|alicia.adams@acme.test|3|6",
		"SELECT username, given_name, family_name, email, role_id, row_version FROM panther_users WHERE id = 2")

	// The role by its schema-qualified path (custom role with a space).
	a.do(http.MethodPatch, "/Users/"+alice, patch(`{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:pantherRole","value":"Detection Engineer"}`)).must(t, http.StatusOK)
	a.wantRow("4", "SELECT role_id FROM panther_users WHERE id = 2")
	if n, res := a.get("/Users" + filter(`pantherRole eq "Detection Engineer"`)).list(t); n != 1 || str(res[0], "id") != alice {
		t.Errorf("pantherRole eq \"Detection Engineer\" found %d users", n)
	}

	// Without a pantherRole, the user falls back to the default SAML role
	// (role_id NULL): Dave gets a role, then a PUT without one, then the
	// role is removed.
	dave := a.lookupUser("", "dave@acme.test")
	a.do(http.MethodPut, "/Users/"+dave, oktaUser(dave, "dave@acme.test", "Dave", "Dunn", "dave@acme.test", map[string]any{"pantherRole": "analyst"})).must(t, http.StatusOK)
	a.wantRow("Dave|Dunn|2", "SELECT given_name, family_name, role_id FROM panther_users WHERE id = ?", dave)
	a.do(http.MethodPut, "/Users/"+dave, oktaUser(dave, "dave@acme.test", "Dave", "Dunn", "dave@acme.test", nil)).must(t, http.StatusOK)
	a.wantRow("Dave|Dunn|NULL", "SELECT given_name, family_name, role_id FROM panther_users WHERE id = ?", dave)
	a.do(http.MethodPatch, "/Users/3", patch(`{"op":"remove","path":"pantherRole"}`)).must(t, http.StatusOK)
	a.wantRow("NULL", "SELECT role_id FROM panther_users WHERE id = 3")
	a.do(http.MethodPatch, "/Users/3", patch(`{"op":"add","path":"pantherRole","value":"Analyst"}`)).must(t, http.StatusOK)

	// An unknown role is an error and no part of the update is applied.
	before = users()
	for _, bad := range []struct{ method, body string }{
		{http.MethodPatch, patch(`{"op":"replace","value":{"name":{"givenName":"Changed"},"emails":[{"primary":true,"value":"changed@acme.test","type":"work"}],"pantherRole":"Superuser"}}`)},
		{http.MethodPatch, patch(`{"op":"replace","path":"name.familyName","value":"Changed"}`, `{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:pantherRole","value":"Superuser"}`)},
		{http.MethodPut, oktaUser(alice, "alice@acme.test", "Changed", "Changed", "changed@acme.test", map[string]any{"pantherRole": "Superuser"})},
	} {
		a.do(bad.method, "/Users/"+alice, bad.body).refused(t, http.StatusBadRequest, "invalidValue",
			`pantherRole: "Superuser" is not a known value; known values: Admin, Analyst, Detection Engineer, ReadOnlyAnalyst; nothing was changed`)
	}
	a.unchanged("an unknown pantherRole", before, "panther_users", "user_roles")

	// Okta may change nothing else: an explicit path to userName is
	// refused; attributes Panther does not keep are ignored.
	a.do(http.MethodPatch, "/Users/"+alice, patch(`{"op":"replace","path":"userName","value":"alicia@acme.test"}`)).
		refused(t, http.StatusBadRequest, "mutability", "userName is read-only")
	a.do(http.MethodPatch, "/Users/"+alice, patch(`{"op":"replace","value":{"title":"CISO","nickName":"Ali","userName":"someone-else@acme.test"}}`)).must(t, http.StatusOK)
	a.unchanged("PATCHes of attributes Okta may not change", before, "panther_users", "user_roles")

	// Panther supports the eq operator; that is all Okta sends.
	if n, _ := a.get("/Users" + filter(`emails[type eq "work"].value eq "bob@acme.test"`)).list(t); n != 1 {
		t.Errorf("e-mail lookup found %d users", n)
	}

	// Deactivate Users: Bob is unassigned in Okta, then assigned again.
	bob := a.lookupUser("", "bob@acme.test")
	if got := a.do(http.MethodPatch, "/Users/"+bob, oktaDeactivate).must(t, http.StatusOK).obj(t); got["active"] != false {
		t.Errorf("deactivated Bob answers active=%v", got["active"])
	}
	a.wantRow("DEACTIVATED|2", "SELECT status, role_id FROM panther_users WHERE id = ?", bob)
	if got := a.get("/Users/"+bob).must(t, http.StatusOK).obj(t); got["active"] != false {
		t.Errorf("GET of a deactivated user: active=%v", got["active"])
	}
	if n, _ := a.get("/Users" + filter(`active eq false`)).list(t); n != 2 {
		t.Errorf("active eq false: %d users, want Bob and Carol", n)
	}
	a.do(http.MethodPatch, "/Users/"+bob, oktaReactivate).must(t, http.StatusOK)
	a.wantRow("ACTIVE", "SELECT status FROM panther_users WHERE id = ?", bob)
	// Carol was deactivated in Panther; Okta reactivates her.
	a.do(http.MethodPatch, "/Users/4", oktaReactivate).must(t, http.StatusOK)
	a.wantRow("ACTIVE", "SELECT status FROM panther_users WHERE id = 4")

	// Users are never deleted, and local accounts cannot be reached.
	before = users()
	a.do(http.MethodDelete, "/Users/"+bob, "").refused(t, http.StatusForbidden, "", "users.delete: deny")
	a.do(http.MethodPatch, "/Users/1", oktaDeactivate).refused(t, http.StatusNotFound, "", `User "1" not found`)
	a.do(http.MethodPut, "/Users/6", oktaUser("6", "ci-detections@acme.test", "CI", "Deploy", "ci@acme.test", map[string]any{"pantherRole": "Admin"})).
		refused(t, http.StatusNotFound, "", `User "6" not found`)
	a.unchanged("DELETE and writes to local accounts", before, "panther_users", "user_roles")
	a.wantRow("6", "SELECT COUNT(*) FROM panther_users")
}
