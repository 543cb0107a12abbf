package examples_test

import (
	"fmt"
	"net/http"
	"testing"
)

// metaOf lists a WordPress user's wp_usermeta rows as meta_key=meta_value,
// sorted by key.
func (a *app) metaOf(id string) string {
	a.t.Helper()
	return a.value("SELECT COALESCE(GROUP_CONCAT(CONCAT(meta_key, '=', meta_value) ORDER BY meta_key SEPARATOR ' '), '') FROM wp_usermeta WHERE user_id = ?", id)
}

// TestWordPressOkta replays Okta against WordPress core's tables: import,
// lookup, profile push (names in wp_usermeta, the e-mail in wp_users),
// deactivate and reactivate as the Disable User Login plugin's row.
func TestWordPressOkta(t *testing.T) {
	a := serve(t, "wordpress")
	tables := []string{"wp_users", "wp_usermeta"}

	// Import: the four SAML users, not the admin or the service account;
	// Carol is disabled, Dave's 0 reads as enabled, Bob has no last name.
	imported := map[string]string{}
	for start := 1; ; start += 3 {
		n, res := a.get(fmt.Sprintf("/Users?startIndex=%d&count=3", start)).list(t)
		if n != 4 {
			t.Fatalf("import: totalResults %d, want 4", n)
		}
		for _, u := range res {
			imported[str(u, "userName")] = fmt.Sprintf("%s|%s|%s|%s|%v|%s", str(u, "id"), str(u, "name.givenName"), str(u, "name.familyName"), emailOf(u), u["active"], str(u, "externalId"))
		}
		if len(res) < 3 {
			break
		}
	}
	want := map[string]string{
		"alice": "3|Alice|Adams|alice@example.net|true|alice@example.net",
		"bob":   "4|Bob||bob@example.net|true|bob@example.net",
		"carol": "5|Carol|Clark|carol@example.net|false|carol@example.net",
		"dave":  "6|Dave|Dunn|dave@example.net|true|dave@example.net",
	}
	if fmt.Sprint(imported) != fmt.Sprint(want) {
		t.Errorf("imported = %v, want %v", imported, want)
	}
	if id := a.lookupUser("", "alice"); id != "3" {
		t.Errorf("lookup alice = %q", id)
	}
	for _, outside := range []string{"admin", "ci-deploy"} {
		if id := a.lookupUser("", outside); id != "" {
			t.Errorf("%s is visible: %q", outside, id)
		}
	}

	// Profile push: the names in their meta rows (Bob's last_name row is
	// inserted), the e-mail in wp_users; the role and the SAML row stay.
	a.do(http.MethodPatch, "/Users/3", patch(`{"op":"replace","value":{"name.givenName":"Alicia","name.familyName":"Archer","emails":[{"primary":true,"type":"work","value":"alicia.archer@example.net"}]}}`)).must(t, http.StatusOK)
	a.wantRow("alicia.archer@example.net|alice", "SELECT user_email, user_login FROM wp_users WHERE ID = 3")
	if got := a.metaOf("3"); got != `first_name=Alicia last_name=Archer mo_saml_name_id=alice@example.net wp_capabilities=a:1:{s:6:"author";b:1;}` {
		t.Errorf("alice's meta: %s", got)
	}
	a.do(http.MethodPut, "/Users/4", oktaUser("4", "bob", "Bob", "Baker", "bob@example.net", nil)).must(t, http.StatusOK)
	if got := a.metaOf("4"); got != `first_name=Bob last_name=Baker mo_saml_name_id=bob@example.net wp_capabilities=a:1:{s:10:"subscriber";b:1;}` {
		t.Errorf("bob's meta: %s", got)
	}

	// Deactivate: the plugin's _is_disabled row 1; reactivate: 0.
	a.do(http.MethodPatch, "/Users/3", oktaDeactivate).must(t, http.StatusOK)
	a.wantRow("1", "SELECT meta_value FROM wp_usermeta WHERE user_id = 3 AND meta_key = '_is_disabled'")
	if n, res := a.get("/Users" + filter(`active eq false`)).list(t); n != 2 || str(res[0], "id") != "3" || str(res[1], "id") != "5" {
		t.Errorf("active eq false: %d %v", n, res)
	}
	before := a.sum(tables...)
	a.do(http.MethodPatch, "/Users/3", oktaDeactivate).must(t, http.StatusOK)
	a.unchanged("deactivating an inactive user", before, tables...)
	a.do(http.MethodPatch, "/Users/3", oktaReactivate).must(t, http.StatusOK)
	a.wantRow("0|1", "SELECT MIN(meta_value), COUNT(*) FROM wp_usermeta WHERE user_id = 3 AND meta_key = '_is_disabled'")
	a.do(http.MethodPatch, "/Users/5", oktaReactivate).must(t, http.StatusOK)
	a.wantRow("0|1", "SELECT MIN(meta_value), COUNT(*) FROM wp_usermeta WHERE user_id = 5 AND meta_key = '_is_disabled'")

	// Refused: a create, a rename, an e-mail another user holds, the
	// NameID, the admin; nothing changes.
	before = a.sum(tables...)
	a.do(http.MethodPost, "/Users", oktaUser("", "erin", "Erin", "Eve", "erin@example.net", nil)).refused(t, http.StatusForbidden, "", "")
	a.do(http.MethodPatch, "/Users/6", patch(`{"op":"replace","path":"userName","value":"david"}`)).refused(t, http.StatusBadRequest, "mutability", "")
	a.do(http.MethodPatch, "/Users/6", patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"admin@example.net"}`)).refused(t, http.StatusConflict, "uniqueness", "")
	a.do(http.MethodPatch, "/Users/6", patch(`{"op":"replace","path":"externalId","value":"someone-else"}`)).refused(t, http.StatusBadRequest, "mutability", "")
	a.do(http.MethodPatch, "/Users/1", oktaDeactivate).refused(t, http.StatusNotFound, "", "")
	a.unchanged("refused requests", before, tables...)
}

// TestWordPressEntra replays Entra: its PATCH shapes, disable, enable and
// DELETE (which disables).
func TestWordPressEntra(t *testing.T) {
	a := serve(t, "wordpress")
	tables := []string{"wp_users", "wp_usermeta"}
	if id := a.lookup("/Users", "externalId", "dave@example.net"); id != "6" {
		t.Errorf("lookup by externalId = %q", id)
	}
	a.do(http.MethodPatch, "/Users/6", patch(
		`{"op":"Replace","path":"name.givenName","value":"David"}`,
		`{"op":"Replace","path":"displayName","value":"David Dunne"}`,
	)).must(t, http.StatusOK)
	a.do(http.MethodPatch, "/Users/6", patch(`{"op":"Replace","value":{"name.familyName":"Dunne","emails[type eq \"work\"].value":"david.dunne@example.net"}}`)).must(t, http.StatusOK)
	a.wantRow("David Dunne|david.dunne@example.net", "SELECT display_name, user_email FROM wp_users WHERE ID = 6")
	if got := a.metaOf("6"); got != `_is_disabled=0 first_name=David last_name=Dunne mo_saml_name_id=dave@example.net wp_capabilities=a:1:{s:10:"subscriber";b:1;}` {
		t.Errorf("dave's meta: %s", got)
	}
	// Dave has the plugin's 0 row: disabling updates it in place.
	a.do(http.MethodPatch, "/Users/6", patch(`{"op":"Replace","path":"active","value":"False"}`)).must(t, http.StatusOK)
	a.wantRow("1|1", "SELECT MIN(meta_value), COUNT(*) FROM wp_usermeta WHERE user_id = 6 AND meta_key = '_is_disabled'")
	a.do(http.MethodPatch, "/Users/6", patch(`{"op":"Replace","path":"active","value":"True"}`)).must(t, http.StatusOK)
	a.wantRow("0|1", "SELECT MIN(meta_value), COUNT(*) FROM wp_usermeta WHERE user_id = 6 AND meta_key = '_is_disabled'")

	// DELETE disables (wp_delete_user would reassign or delete posts):
	// Bob, who had no _is_disabled row, gets one; his row stays.
	a.do(http.MethodDelete, "/Users/4", "").must(t, http.StatusNoContent)
	a.wantRow("1|1", "SELECT (SELECT COUNT(*) FROM wp_users WHERE ID = 4), (SELECT meta_value FROM wp_usermeta WHERE user_id = 4 AND meta_key = '_is_disabled')")
	if u := a.get("/Users/4").must(t, http.StatusOK).obj(t); u["active"] != false {
		t.Errorf("after DELETE: active %v", u["active"])
	}
	// Out of scope and create: refused, nothing changes.
	before := a.sum(tables...)
	for _, id := range []string{"1", "2"} {
		a.do(http.MethodDelete, "/Users/"+id, "").refused(t, http.StatusNotFound, "", "")
		a.do(http.MethodPatch, "/Users/"+id, patch(`{"op":"Replace","path":"active","value":"False"}`)).refused(t, http.StatusNotFound, "", "")
	}
	a.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"erin","active":true,"emails":[{"primary":true,"type":"work","value":"erin@example.net"}]}`).refused(t, http.StatusForbidden, "", "")
	a.unchanged("refused requests", before, tables...)
}
