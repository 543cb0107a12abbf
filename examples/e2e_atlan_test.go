package examples_test

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestAtlanOkta replays Atlan's guide: Import New Users and Profile
// Updates, Push New Users, Push Profile Updates, Deactivate (and
// reactivate) Users, Push Groups (Create Group, Link Group with renaming)
// and Import Groups; userName and the e-mail cannot change once
// provisioned; users that already exist are matched by their credentials.
func TestAtlanOkta(t *testing.T) {
	a := serve(t, "atlan")
	if !strings.HasSuffix(a.base, "/api/service/scim") {
		t.Fatalf("base URL %s, want https://<tenant>/api/service/scim", a.base)
	}
	tables := []string{"user_entity", "keycloak_group", "user_group_membership"}
	const (
		sam   = "0b7c9d10-0000-4000-8000-000000000005"
		tim   = "0b7c9d10-0000-4000-8000-000000000006"
		grace = "0b7c9d10-0000-4000-8000-000000000004"
		admin = "6a1f2c3d-0000-4000-8000-000000000001"
		anal  = "6a1f2c3d-0000-4000-8000-000000000003"
	)

	// Test Connector Configuration, then Import: the workspace's users
	// (Tim is disabled), not the super-admin nor the service account.
	if n, res := a.get("/Users?startIndex=1&count=2").list(t); n != 4 || len(res) != 2 {
		t.Errorf("Test Connector: %d users, page of %d", n, len(res))
	}
	_, res := a.get("/Users?startIndex=1&count=100").list(t)
	var imported []string
	for _, u := range res {
		imported = append(imported, fmt.Sprintf("%s:%v", str(u, "userName"), u["active"]))
	}
	sort.Strings(imported)
	if got := strings.Join(imported, ","); got != "ada@acme.test:true,grace@acme.test:true,sam@acme.test:true,tim@acme.test:false" {
		t.Errorf("imported users = %s", got)
	}
	// Import Groups: the workspace's groups; the service account's
	// membership of admins is not shown.
	n, groups := a.get("/Groups?startIndex=1&count=100").list(t)
	var names []string
	for _, g := range groups {
		names = append(names, str(g, "displayName"))
	}
	sort.Strings(names)
	if n != 3 || strings.Join(names, ",") != "admins,analysts,data-stewards" {
		t.Errorf("imported groups = %v", names)
	}
	if got := a.groupMembers("", admin); got != "0b7c9d10-0000-4000-8000-000000000003" {
		t.Errorf("admins' members = %q, want Ada only", got)
	}

	// Push New Users: lookup, then create; the id is a new UUID.
	if id := a.lookupUser("", "lin@acme.test"); id != "" {
		t.Fatalf("lin exists before the push: %s", id)
	}
	r := a.do(http.MethodPost, "/Users", oktaUser("", "lin@acme.test", "Lin", "Li", "lin@acme.test", nil)).must(t, http.StatusCreated)
	lin := str(r.obj(t), "id")
	if !uuidRE.MatchString(lin) {
		t.Errorf("created id %q is not a UUID", lin)
	}
	a.wantRow("default|lin@acme.test|lin@acme.test|Lin|Li|1|1|NULL",
		"SELECT realm_id, username, email, first_name, last_name, enabled, email_verified, service_account_client_link FROM user_entity WHERE id = ?", lin)

	// Existing users are matched by credentials: Sam was invited before
	// SCIM. Okta's create is a conflict; Okta then finds Sam by userName
	// and pushes the profile, whose userName and e-mail match.
	before := a.sum(tables...)
	a.do(http.MethodPost, "/Users", oktaUser("", "sam@acme.test", "Samuel", "Smith", "sam@acme.test", nil)).
		refused(t, http.StatusConflict, "uniqueness", `userName "sam@acme.test" is already taken`)
	a.do(http.MethodPost, "/Users", oktaUser("", "SAM@ACME.TEST", "Samuel", "Smith", "SAM@ACME.TEST", nil)).
		refused(t, http.StatusConflict, "uniqueness", "already taken")
	a.unchanged("creating an existing user", before, tables...)
	if got := a.lookupUser("", "sam@acme.test"); got != sam {
		t.Fatalf("Okta's lookup of Sam = %q, want %s", got, sam)
	}
	a.do(http.MethodPut, "/Users/"+sam, oktaUser(sam, "sam@acme.test", "Samuel", "Smith", "sam@acme.test", nil)).must(t, http.StatusOK)
	a.wantRow("sam@acme.test|sam@acme.test|Samuel|Smith|1", "SELECT username, email, first_name, last_name, enabled FROM user_entity WHERE id = ?", sam)

	// Push Profile Updates: names change; userName and e-mail may be sent
	// again unchanged, but not changed.
	a.do(http.MethodPatch, "/Users/"+lin, patch(`{"op":"replace","value":{"userName":"lin@acme.test","name":{"givenName":"Lin","familyName":"Li-Wong"},"emails":[{"primary":true,"value":"lin@acme.test","type":"work"}]}}`)).must(t, http.StatusOK)
	a.wantRow("lin@acme.test|lin@acme.test|Li-Wong", "SELECT username, email, last_name FROM user_entity WHERE id = ?", lin)
	before = a.sum(tables...)
	for _, bad := range []struct{ method, body, detail string }{
		{http.MethodPatch, patch(`{"op":"replace","path":"userName","value":"lin.li@acme.test"}`), `userName is immutable: it cannot change once set (it is "lin@acme.test"; the request gives "lin.li@acme.test")`},
		{http.MethodPatch, patch(`{"op":"replace","value":{"emails":[{"primary":true,"value":"lin.li@acme.test","type":"work"}]}}`), `emails[type eq "work"].value is immutable`},
		{http.MethodPatch, patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"lin.li@acme.test"}`), `is immutable`},
		{http.MethodPut, oktaUser(lin, "lin.li@acme.test", "Lin", "Li", "lin@acme.test", nil), `userName is immutable`},
		{http.MethodPut, oktaUser(lin, "lin@acme.test", "Lin", "Li", "lin.li@acme.test", nil), `is immutable`},
	} {
		a.do(bad.method, "/Users/"+lin, bad.body).refused(t, http.StatusBadRequest, "mutability", bad.detail)
	}
	// Sam's Okta e-mail differs from Atlan's: provisioning fails until the
	// credentials match, as the guide warns.
	a.do(http.MethodPut, "/Users/"+sam, oktaUser(sam, "sam@acme.test", "Sam", "Smith", "sam.smith@acme.test", nil)).
		refused(t, http.StatusBadRequest, "mutability", "is immutable")
	a.unchanged("changes of userName or e-mail", before, tables...)
	// An e-mail never set can be set once: Tim has none.
	a.do(http.MethodPatch, "/Users/"+tim, patch(`{"op":"add","path":"emails[type eq \"work\"].value","value":"tim@acme.test"}`)).must(t, http.StatusOK)
	a.wantRow("tim@acme.test", "SELECT email FROM user_entity WHERE id = ?", tim)
	a.do(http.MethodPatch, "/Users/"+tim, patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"tim.turner@acme.test"}`)).
		refused(t, http.StatusBadRequest, "mutability", "is immutable")

	// Deactivate Users and reactivate them when reassigned.
	a.do(http.MethodPatch, "/Users/"+lin, oktaDeactivate).must(t, http.StatusOK)
	a.wantRow("0", "SELECT enabled FROM user_entity WHERE id = ?", lin)
	if got := a.get("/Users/"+lin).must(t, http.StatusOK).obj(t); got["active"] != false {
		t.Errorf("deactivated Lin: active=%v", got["active"])
	}
	a.do(http.MethodPatch, "/Users/"+lin, oktaReactivate).must(t, http.StatusOK)
	a.do(http.MethodPatch, "/Users/"+tim, oktaReactivate).must(t, http.StatusOK)
	a.wantRow("1|1", "SELECT (SELECT enabled FROM user_entity WHERE id = ?), (SELECT enabled FROM user_entity WHERE id = ?)", lin, tim)
	// A DELETE deactivates too (users.delete: deactivate).
	a.do(http.MethodDelete, "/Users/"+tim, "").must(t, http.StatusNoContent)
	a.wantRow("0", "SELECT enabled FROM user_entity WHERE id = ?", tim)

	// Push Groups > Create Group: a new group with its members.
	if id := a.lookupGroup("", "Atlan Engineers"); id != "" {
		t.Fatalf("Atlan Engineers exists before the push: %s", id)
	}
	r = a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Atlan Engineers","members":`+members(lin, sam)+`}`).must(t, http.StatusCreated)
	eng := str(r.obj(t), "id")
	if !uuidRE.MatchString(eng) {
		t.Errorf("created group id %q is not a UUID", eng)
	}
	a.wantRow("Atlan Engineers|default| ", "SELECT name, realm_id, parent_group FROM keycloak_group WHERE id = ?", eng)
	want := []string{lin + ":UNMANAGED", sam + ":UNMANAGED"}
	sort.Strings(want)
	a.wantRow(strings.Join(want, ","), "SELECT GROUP_CONCAT(CONCAT(user_id, ':', membership_type) ORDER BY user_id) FROM user_group_membership WHERE group_id = ?", eng)

	// Push Groups > Link Group, with "Rename app groups to match group
	// name in Okta": analysts becomes Okta-Analysts; memberships follow.
	if id := a.lookupGroup("", "analysts"); id != anal {
		t.Fatalf("Find groups by name: analysts = %q", id)
	}
	a.do(http.MethodPatch, "/Groups/"+anal, patch(`{"op":"replace","value":{"id":"`+anal+`","displayName":"Okta-Analysts"}}`)).must(t, http.StatusNoContent)
	a.do(http.MethodPatch, "/Groups/"+anal, patch(`{"op":"add","path":"members","value":`+members(lin)+`}`, `{"op":"remove","path":"members[value eq \"`+grace+`\"]"}`)).must(t, http.StatusNoContent)
	want = []string{lin, sam}
	sort.Strings(want)
	if got := a.groupMembers("", anal); got != strings.Join(want, ",") {
		t.Errorf("Okta-Analysts' members = %q, want %v", got, want)
	}
	a.wantRow("Okta-Analysts", "SELECT name FROM keycloak_group WHERE id = ?", anal)
	// Import Groups again shows the renamed group.
	if id := a.lookupGroup("", "okta-analysts"); id != anal {
		t.Errorf("renamed group found as %q", id)
	}
	// Lin's groups, as Okta and Entra read them (from /Groups) ...
	_, linGroups := a.get("/Groups" + filter(`members[value eq "`+lin+`"]`) + "&excludedAttributes=members").list(t)
	names = nil
	for _, g := range linGroups {
		names = append(names, str(g, "displayName"))
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "Atlan Engineers,Okta-Analysts" {
		t.Errorf("Lin's groups = %v", names)
	}
	// ... and on the user, on request.
	t.Run("user groups on request", func(t *testing.T) {
		// The groups subquery binds groups.scope's values (realm_id,
		// parent_group) before the row's own predicate.
		for _, path := range []string{"/Users/" + lin + "?attributes=userName,groups", "/Users" + filter(`userName eq "lin@acme.test"`) + "&attributes=userName,groups"} {
			g := a.get(path).must(t, http.StatusOK)
			for _, name := range []string{"Okta-Analysts", "Atlan Engineers"} {
				if !strings.Contains(string(g.Body), `"display":"`+name+`"`) {
					t.Errorf("GET %s: Lin's groups do not show %s: %s", path, name, g.Body)
				}
			}
		}
	})

	// Unlinking with "delete the group in the app": the pushed group goes,
	// with its memberships. admins is also held by the service account,
	// which SCIM cannot see: it is not deleted.
	a.do(http.MethodDelete, "/Groups/"+eng, "").must(t, http.StatusNoContent)
	a.wantRow("0|0", "SELECT (SELECT COUNT(*) FROM keycloak_group WHERE id = ?), (SELECT COUNT(*) FROM user_group_membership WHERE group_id = ?)", eng, eng)
	before = a.sum(tables...)
	a.do(http.MethodDelete, "/Groups/"+admin, "").refused(t, http.StatusConflict, "", "")
	// The super-admin's realm is out of reach.
	a.get("/Groups/6a1f2c3d-0000-4000-8000-0000000000aa").refused(t, http.StatusNotFound, "", "not found")
	a.do(http.MethodPatch, "/Users/0b7c9d10-0000-4000-8000-000000000001", oktaDeactivate).refused(t, http.StatusNotFound, "", "not found")
	a.do(http.MethodPatch, "/Users/0b7c9d10-0000-4000-8000-000000000002", oktaDeactivate).refused(t, http.StatusNotFound, "", "not found")
	a.unchanged("requests on out-of-scope rows", before, tables...)
}

// uuidRE matches the version-4 UUIDs Atlan gives new users and groups.
var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
