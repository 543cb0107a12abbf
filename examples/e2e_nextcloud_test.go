package examples_test

import (
	"fmt"
	"net/http"
	"testing"
)

// prefsOf lists a Nextcloud user's oc_preferences rows as
// appid/configkey=configvalue, sorted.
func (a *app) prefsOf(uid string) string {
	a.t.Helper()
	return a.value("SELECT COALESCE(GROUP_CONCAT(CONCAT(appid, '/', configkey, '=', configvalue) ORDER BY appid, configkey SEPARATOR ' '), '') FROM oc_preferences WHERE userid = ?", uid)
}

// TestNextcloudOkta replays Okta against Nextcloud's own tables: import,
// lookup, profile push (display name, the e-mail in oc_preferences),
// deactivate and reactivate as Nextcloud's core/enabled row.
func TestNextcloudOkta(t *testing.T) {
	a := serve(t, "nextcloud")
	tables := []string{"oc_users", "oc_preferences"}

	// Import: the three users, not the admin; Carol is disabled, Bob was
	// enabled again ('true' reads as enabled).
	imported := map[string]string{}
	for start := 1; ; start += 2 {
		n, res := a.get(fmt.Sprintf("/Users?startIndex=%d&count=2", start)).list(t)
		if n != 3 {
			t.Fatalf("import: totalResults %d, want 3", n)
		}
		for _, u := range res {
			imported[str(u, "userName")] = fmt.Sprintf("%s %s %v", str(u, "displayName"), emailOf(u), u["active"])
		}
		if len(res) < 2 {
			break
		}
	}
	want := map[string]string{"alice": "Alice Adams alice@example.net true", "bob": "Bob Baker bob@example.net true", "carol": "Carol Clark carol@example.net false"}
	if fmt.Sprint(imported) != fmt.Sprint(want) {
		t.Errorf("imported = %v, want %v", imported, want)
	}
	if id := a.lookupUser("", "alice"); id != "alice" {
		t.Errorf("lookup alice = %q", id)
	}
	if id := a.lookupUser("", "admin"); id != "" {
		t.Errorf("the admin is visible: %q", id)
	}
	if id := a.lookup("/Users", "emails.value", "bob@example.net"); id != "bob" {
		t.Errorf("lookup by e-mail = %q", id)
	}

	// Profile push: the display name in oc_users, the e-mail in its
	// preferences row; the user's other rows are untouched.
	a.do(http.MethodPatch, "/Users/alice", patch(`{"op":"replace","value":{"displayName":"Alice Archer","emails":[{"primary":true,"type":"work","value":"alice.archer@example.net"}]}}`)).must(t, http.StatusOK)
	a.wantRow("Alice Archer", "SELECT displayname FROM oc_users WHERE uid = 'alice'")
	a.wantRow("core/lang=en settings/email=alice.archer@example.net", "SELECT COALESCE(GROUP_CONCAT(CONCAT(appid, '/', configkey, '=', configvalue) ORDER BY appid, configkey SEPARATOR ' '), '') FROM oc_preferences WHERE userid = 'alice'")

	// Deactivate: Nextcloud's "Disable user" row; reactivate: 'true'.
	a.do(http.MethodPatch, "/Users/alice", oktaDeactivate).must(t, http.StatusOK)
	if got := a.prefsOf("alice"); got != "core/enabled=false core/lang=en settings/email=alice.archer@example.net" {
		t.Errorf("deactivated: %s", got)
	}
	if n, res := a.get("/Users" + filter(`active eq false`)).list(t); n != 2 || str(res[0], "id") != "alice" || str(res[1], "id") != "carol" {
		t.Errorf("active eq false: %d %v", n, res)
	}
	before := a.sum(tables...)
	a.do(http.MethodPatch, "/Users/alice", oktaDeactivate).must(t, http.StatusOK)
	a.unchanged("deactivating an inactive user", before, tables...)
	a.do(http.MethodPatch, "/Users/alice", oktaReactivate).must(t, http.StatusOK)
	if got := a.prefsOf("alice"); got != "core/enabled=true core/lang=en settings/email=alice.archer@example.net" {
		t.Errorf("reactivated: %s", got)
	}
	// Carol, disabled in Nextcloud, reactivated by Okta's PUT.
	a.do(http.MethodPut, "/Users/carol", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"carol","displayName":"Carol Clark","emails":[{"primary":true,"type":"work","value":"carol@example.net"}],"active":true}`).must(t, http.StatusOK)
	a.wantRow("true", "SELECT configvalue FROM oc_preferences WHERE userid = 'carol' AND appid = 'core' AND configkey = 'enabled'")

	// Refused: a create (Nextcloud creates users), a rename, a display
	// name longer than the column; nothing changes.
	before = a.sum(tables...)
	a.do(http.MethodPost, "/Users", oktaUser("", "dave", "Dave", "Dunn", "dave@example.net", nil)).refused(t, http.StatusForbidden, "", "")
	a.do(http.MethodPatch, "/Users/bob", patch(`{"op":"replace","path":"userName","value":"robert"}`)).refused(t, http.StatusBadRequest, "mutability", "")
	a.do(http.MethodPatch, "/Users/bob", patch(`{"op":"replace","path":"displayName","value":"`+fmt.Sprintf("%065d", 0)+`"}`, `{"op":"replace","path":"active","value":false}`)).refused(t, http.StatusBadRequest, "invalidValue", "")
	a.unchanged("refused requests", before, tables...)
}

// TestNextcloudEntra replays Entra: disable and enable with its string
// booleans, then DELETE after the soft-delete period.
func TestNextcloudEntra(t *testing.T) {
	a := serve(t, "nextcloud")
	tables := []string{"oc_users", "oc_preferences"}
	// Bob has Nextcloud's 'true' row: disabling updates it in place.
	a.do(http.MethodPatch, "/Users/bob", patch(`{"op":"Replace","path":"active","value":"False"}`)).must(t, http.StatusOK)
	if got := a.prefsOf("bob"); got != "core/enabled=false settings/email=bob@example.net" {
		t.Errorf("disabled: %s", got)
	}
	a.do(http.MethodPatch, "/Users/bob", patch(`{"op":"Replace","path":"active","value":"True"}`)).must(t, http.StatusOK)
	if got := a.prefsOf("bob"); got != "core/enabled=true settings/email=bob@example.net" {
		t.Errorf("enabled: %s", got)
	}
	// DELETE: the user and the preferences rows the mapping writes go;
	// from then on the user is gone for every request.
	a.do(http.MethodDelete, "/Users/bob", "").must(t, http.StatusNoContent)
	a.wantRow("0|0", "SELECT (SELECT COUNT(*) FROM oc_users WHERE uid = 'bob'), (SELECT COUNT(*) FROM oc_preferences WHERE userid = 'bob')")
	before := a.sum(tables...)
	a.get("/Users/bob").refused(t, http.StatusNotFound, "", "")
	if id := a.lookupUser("", "bob"); id != "" {
		t.Errorf("filter finds the deleted user: %s", id)
	}
	if n, _ := a.get("/Users").list(t); n != 2 {
		t.Errorf("list after delete: %d users", n)
	}
	a.do(http.MethodDelete, "/Users/bob", "").refused(t, http.StatusNotFound, "", "")
	// The admin is outside the scope: 404, nothing changes.
	a.do(http.MethodDelete, "/Users/admin", "").refused(t, http.StatusNotFound, "", "")
	a.do(http.MethodPatch, "/Users/admin", patch(`{"op":"Replace","path":"active","value":"False"}`)).refused(t, http.StatusNotFound, "", "")
	a.unchanged("requests on deleted and out-of-scope users", before, tables...)
}
