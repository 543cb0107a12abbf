package examples_test

import (
	"net/http"
	"testing"
)

// TestHarmonySASEOkta replays Harmony SASE's guide: Push Users (Create
// Users), Push Profile Updates, Deactivate Users (which deletes the member
// and frees the licence), Push Groups with memberships; the e-mail is the
// unique identifier and cannot change; names reject @ , # $ ! and accept
// letters of any script plus space . _ - ( ) '.
func TestHarmonySASEOkta(t *testing.T) {
	a := serve(t, "harmony-sase")
	tables := []string{"workspace_members", "access_groups", "access_group_members", "member_sessions"}
	locals := "SELECT GROUP_CONCAT(CONCAT_WS(':', id, email, first_name, last_name, role) ORDER BY id) FROM workspace_members WHERE origin = 'local'"
	localsBefore := a.value(locals)

	// Test API Credentials.
	if n, _ := a.get("/Users?startIndex=1&count=1").list(t); n != 3 {
		t.Errorf("Test API Credentials: %d users, want the 3 Okta members", n)
	}

	// Push Users: Okta looks each assigned user up, then creates them.
	// Names in any script, with the allowed punctuation, are accepted.
	ids := map[string]string{}
	for _, u := range []struct{ email, given, family string }{
		{"david.cohen@acme.test", "דוד", "כהן"},           // Hebrew
		{"dmitry@acme.test", "Дмитрий", "Иванов-Петров"},  // Cyrillic, dash
		{"siobhan@acme.test", "Siobhán", "O'Brien (Ops)"}, // apostrophe, parentheses, space
		{"zoe@acme.test", "Zoe\u0308 J.", "St._Clair"},    // combining diaeresis, period, underscore
		{"renee.2@acme.test", "Renée", "Dubois 2nd"},      // digits: the guide says "alphanumeric"
	} {
		if id := a.lookupUser("", u.email); id != "" {
			t.Fatalf("%s exists before the push", u.email)
		}
		r := a.do(http.MethodPost, "/Users", oktaUser("", u.email, u.given, u.family, u.email, nil)).must(t, http.StatusCreated)
		id := str(r.obj(t), "id")
		ids[u.email] = id
		a.wantRow(u.email+"|"+u.given+"|"+u.family+"|okta|member",
			"SELECT email, first_name, last_name, origin, role FROM workspace_members WHERE id = ?", id)
		if got := a.get("/Users/"+id).must(t, http.StatusOK).obj(t); str(got, "name.givenName") != u.given || str(got, "userName") != u.email {
			t.Errorf("GET /Users/%s = %v", id, got)
		}
	}

	// Names with @ , # $ ! (or other characters outside the rule) are
	// refused, and nothing is created or changed.
	before := a.sum(tables...)
	for _, bad := range []struct{ given, family, detail string }{
		{"Jo#hn", "Smith", `name.givenName must not contain '#'`},
		{"John", "Smith@Home", `name.familyName must not contain '@'`},
		{"Smith, John", "Smith", `name.givenName must not contain ','`},
		{"Cash$", "Money", `must not contain '$'`},
		{"Hey!", "You", `must not contain '!'`},
		{"Anna+Maria", "Rossi", `does not match the required pattern`},
		{"Ann", "Lee/Park", `does not match the required pattern`},
	} {
		a.do(http.MethodPost, "/Users", oktaUser("", "new.user@acme.test", bad.given, bad.family, "new.user@acme.test", nil)).
			refused(t, http.StatusBadRequest, "invalidValue", bad.detail)
		a.do(http.MethodPatch, "/Users/"+ids["dmitry@acme.test"], patch(`{"op":"replace","value":{"name":{"givenName":`+jsonString(bad.given)+`,"familyName":`+jsonString(bad.family)+`}}}`)).
			refused(t, http.StatusBadRequest, "invalidValue", bad.detail)
	}
	a.unchanged("names with forbidden characters", before, tables...)

	// Push Profile Updates: names change (PUT and PATCH, as Okta sends
	// them); the e-mail may be repeated but not changed.
	david := ids["david.cohen@acme.test"]
	a.do(http.MethodPut, "/Users/"+david, oktaUser(david, "david.cohen@acme.test", "David", "Cohen", "david.cohen@acme.test", nil)).must(t, http.StatusOK)
	a.wantRow("david.cohen@acme.test|David|Cohen", "SELECT email, first_name, last_name FROM workspace_members WHERE id = ?", david)
	dmitry := ids["dmitry@acme.test"]
	a.do(http.MethodPatch, "/Users/"+dmitry, patch(`{"op":"replace","value":{"name":{"givenName":"Дима"},"emails":[{"primary":true,"value":"dmitry@acme.test","type":"work"}],"userName":"dmitry@acme.test"}}`)).must(t, http.StatusOK)
	a.wantRow("dmitry@acme.test|Дима|Иванов-Петров", "SELECT email, first_name, last_name FROM workspace_members WHERE id = ?", dmitry)

	// The e-mail is the identifier: any change is refused.
	before = a.sum(tables...)
	for _, bad := range []struct{ method, body, detail string }{
		{http.MethodPatch, patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"david@acme.test"}`), `emails[type eq "work"].value is immutable`},
		{http.MethodPatch, patch(`{"op":"replace","value":{"emails":[{"primary":true,"value":"david@acme.test","type":"work"}]}}`), `is immutable`},
		{http.MethodPatch, patch(`{"op":"replace","path":"userName","value":"david@acme.test"}`), `userName is immutable`},
		{http.MethodPut, oktaUser(david, "david@acme.test", "David", "Cohen", "david@acme.test", nil), `is immutable`},
		{http.MethodPatch, patch(`{"op":"remove","path":"emails[type eq \"work\"]"}`), `is immutable`},
	} {
		a.do(bad.method, "/Users/"+david, bad.body).refused(t, http.StatusBadRequest, "mutability", bad.detail)
	}
	// A new member whose userName is not their e-mail, and a second member
	// with a taken e-mail (in another case), are refused too.
	a.do(http.MethodPost, "/Users", oktaUser("", "erez", "Erez", "Katz", "erez@acme.test", nil)).
		refused(t, http.StatusBadRequest, "invalidValue", `stored in the same column "email"`)
	a.do(http.MethodPost, "/Users", oktaUser("", "David.Cohen@ACME.test", "David", "Cohen", "David.Cohen@ACME.test", nil)).
		refused(t, http.StatusConflict, "uniqueness", `already taken`)
	// The owner's address is taken too, though the owner is invisible.
	a.do(http.MethodPost, "/Users", oktaUser("", "owner@acme.test", "Not", "Owner", "owner@acme.test", nil)).
		refused(t, http.StatusConflict, "uniqueness", `already taken`)
	a.unchanged("e-mail changes", before, tables...)

	// Push Groups > By name: Okta looks the group up, creates it with its
	// members ("Push group memberships immediately"), then pushes changes.
	if id := a.lookupGroup("", "Sales VPN"); id != "" {
		t.Fatalf("Sales VPN exists before the push: %s", id)
	}
	r := a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales VPN","members":`+members(david, dmitry)+`}`).must(t, http.StatusCreated)
	sales := str(r.obj(t), "id")
	a.wantRow("Sales VPN|okta", "SELECT name, origin FROM access_groups WHERE id = ?", sales)
	a.wantRow(david+":scim,"+dmitry+":scim", "SELECT GROUP_CONCAT(CONCAT(member_id, ':', added_by) ORDER BY member_id) FROM access_group_members WHERE access_group_id = ?", sales)
	a.do(http.MethodPatch, "/Groups/"+sales, patch(`{"op":"add","path":"members","value":`+members("2")+`}`, `{"op":"remove","path":"members[value eq \"`+david+`\"]"}`)).must(t, http.StatusNoContent)
	if got := a.groupMembers("", sales); got != "2,"+dmitry {
		t.Errorf("Sales VPN members = %q", got)
	}
	// The existing Engineering group (Alice, and the local admin) is found
	// by name; Okta's membership push leaves local members alone.
	eng := a.lookupGroup("", "Engineering")
	if got := a.groupMembers("", eng); got != "2" {
		t.Errorf("Engineering's SCIM members = %q, want Alice only", got)
	}
	a.do(http.MethodPatch, "/Groups/"+eng, patch(`{"op":"replace","path":"members","value":`+members("3", ids["siobhan@acme.test"])+`}`)).must(t, http.StatusNoContent)
	a.wantRow("3,5,"+ids["siobhan@acme.test"], "SELECT GROUP_CONCAT(member_id ORDER BY member_id) FROM access_group_members WHERE access_group_id = ?", eng)
	// A local member cannot be pushed into a group.
	before = a.sum(tables...)
	a.do(http.MethodPatch, "/Groups/"+sales, patch(`{"op":"add","path":"members","value":`+members("5")+`}`)).
		refused(t, http.StatusBadRequest, "invalidValue", `members not found: "5"`)
	a.unchanged("adding a local member", before, tables...)

	// Deactivate Users: Okta unassigns Alice. The member is deleted (the
	// licence seat is free), with her memberships and sessions.
	if a.value("SELECT COUNT(*) FROM member_sessions WHERE member_id = 2") != "1" {
		t.Fatal("Alice should have a session")
	}
	r = a.do(http.MethodPatch, "/Users/2", oktaDeactivate).must(t, http.StatusOK)
	if got := r.obj(t); got["active"] != false || str(got, "userName") != "alice@acme.test" {
		t.Errorf("deactivation answered %s", r.Body)
	}
	a.wantRow("0|0|0", "SELECT (SELECT COUNT(*) FROM workspace_members WHERE id = 2), (SELECT COUNT(*) FROM access_group_members WHERE member_id = 2), (SELECT COUNT(*) FROM member_sessions WHERE member_id = 2)")
	a.get("/Users/2").refused(t, http.StatusNotFound, "", `User "2" not found`)
	if id := a.lookupUser("", "alice@acme.test"); id != "" {
		t.Errorf("Alice is still found after deactivation: %s", id)
	}
	// A deactivation Entra ID sends (capitalised op, string boolean) does
	// the same.
	a.do(http.MethodPatch, "/Users/"+dmitry, patch(`{"op":"Replace","path":"active","value":"False"}`)).must(t, http.StatusOK)
	a.wantRow("0", "SELECT COUNT(*) FROM workspace_members WHERE id = ?", dmitry)
	// Okta's DELETE (if ever sent) deletes too.
	a.do(http.MethodDelete, "/Users/"+ids["zoe@acme.test"], "").must(t, http.StatusNoContent)
	a.wantRow("0", "SELECT COUNT(*) FROM workspace_members WHERE id = ?", ids["zoe@acme.test"])

	// Assigned again, Alice is pushed as a new member, with a new id.
	if id := a.lookupUser("", "alice@acme.test"); id != "" {
		t.Fatalf("Alice found before the re-push: %s", id)
	}
	r = a.do(http.MethodPost, "/Users", oktaUser("", "alice@acme.test", "Alice", "Adams", "alice@acme.test", nil)).must(t, http.StatusCreated)
	if id := str(r.obj(t), "id"); id == "2" || id == "" {
		t.Errorf("re-pushed Alice has id %q", id)
	}

	// Okta deletes the group it pushed when the push is removed.
	a.do(http.MethodDelete, "/Groups/"+sales, "").must(t, http.StatusNoContent)
	a.wantRow("0|0", "SELECT (SELECT COUNT(*) FROM access_groups WHERE id = ?), (SELECT COUNT(*) FROM access_group_members WHERE access_group_id = ?)", sales, sales)

	// The owner and the local admin were never touched.
	if got := a.value(locals); got != localsBefore {
		t.Errorf("local members changed:\n%s\n%s", localsBefore, got)
	}
	before = a.sum(tables...)
	a.do(http.MethodPatch, "/Users/5", oktaDeactivate).refused(t, http.StatusNotFound, "", `User "5" not found`)
	a.do(http.MethodDelete, "/Users/1", "").refused(t, http.StatusNotFound, "", `User "1" not found`)
	a.unchanged("deactivating local members", before, tables...)
}
