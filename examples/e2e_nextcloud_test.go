package examples_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
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
	tables := ncTables

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
	tables := ncTables
	// Bob has Nextcloud's 'true' row: disabling updates it in place.
	a.do(http.MethodPatch, "/Users/bob", patch(`{"op":"Replace","path":"active","value":"False"}`)).must(t, http.StatusOK)
	if got := a.prefsOf("bob"); got != "core/enabled=false settings/email=bob@example.net" {
		t.Errorf("disabled: %s", got)
	}
	a.do(http.MethodPatch, "/Users/bob", patch(`{"op":"Replace","path":"active","value":"True"}`)).must(t, http.StatusOK)
	if got := a.prefsOf("bob"); got != "core/enabled=true settings/email=bob@example.net" {
		t.Errorf("enabled: %s", got)
	}
	// DELETE: the user's memberships in the groups SCIM serves, the
	// preferences rows the mapping writes and the user go; from then on
	// the user is gone for every request. His row in 'admin' (outside
	// groups.scope) and his sub-admin row are Nextcloud's and stay.
	a.do(http.MethodPatch, "/Groups/Sales", patch(`{"op":"Add","path":"members","value":[{"value":"bob"}]}`)).must(t, http.StatusNoContent)
	legacytest.MustExec(t, a.dsn, "INSERT INTO oc_group_user (gid, uid) VALUES ('admin', 'bob')")
	notBob := "SELECT COALESCE(GROUP_CONCAT(CONCAT(gid, ':', uid) ORDER BY gid, uid), '') FROM oc_group_user WHERE uid <> 'bob'"
	others := a.value(notBob)
	a.do(http.MethodDelete, "/Users/bob", "").must(t, http.StatusNoContent)
	a.wantRow("0|0", "SELECT (SELECT COUNT(*) FROM oc_users WHERE uid = 'bob'), (SELECT COUNT(*) FROM oc_preferences WHERE userid = 'bob')")
	a.wantRow("admin|Engineering", "SELECT (SELECT GROUP_CONCAT(gid ORDER BY gid) FROM oc_group_user WHERE uid = 'bob'), (SELECT GROUP_CONCAT(gid) FROM oc_group_admin WHERE uid = 'bob')")
	a.wantRow(others, notBob)
	before := a.sum(tables...)
	a.get("/Users/bob").refused(t, http.StatusNotFound, "", "")
	if id := a.lookupUser("", "bob"); id != "" {
		t.Errorf("filter finds the deleted user: %s", id)
	}
	if n, _ := a.get("/Users").list(t); n != 2 {
		t.Errorf("list after delete: %d users", n)
	}
	a.do(http.MethodDelete, "/Users/bob", "").refused(t, http.StatusNotFound, "", "")
	if got := a.groupMembers("", "Engineering") + " " + a.groupMembers("", "Sales"); got != "alice carol" {
		t.Errorf("Engineering and Sales after Bob's DELETE: %s", got)
	}
	if n, _ := a.get("/Groups" + filter(`members.value eq "bob"`)).list(t); n != 0 {
		t.Errorf("the deleted user is a member of %d groups", n)
	}
	a.unchanged("requests on the deleted user", before, tables...)
	// No leftover row holds Sales: a later user named bob inherits
	// nothing, and the group can be deleted through SCIM.
	legacytest.MustExec(t, a.dsn, "INSERT INTO oc_users (uid, displayname, password) VALUES ('bob', 'Bob Again', '')")
	if n, _ := a.get("/Groups" + filter(`members.value eq "bob"`)).list(t); n != 0 {
		t.Errorf("a new user named bob inherits %d groups", n)
	}
	legacytest.MustExec(t, a.dsn, "DELETE FROM oc_users WHERE uid = 'bob'")
	a.do(http.MethodDelete, "/Groups/Sales", "").must(t, http.StatusNoContent)
	a.wantRow("0|0", "SELECT (SELECT COUNT(*) FROM oc_groups WHERE gid = 'Sales'), (SELECT COUNT(*) FROM oc_group_user WHERE gid = 'Sales')")
	before = a.sum(tables...)
	// The admin is outside the scope: 404, nothing changes.
	a.do(http.MethodDelete, "/Users/admin", "").refused(t, http.StatusNotFound, "", "")
	a.do(http.MethodPatch, "/Users/admin", patch(`{"op":"Replace","path":"active","value":"False"}`)).refused(t, http.StatusNotFound, "", "")
	a.unchanged("requests on deleted and out-of-scope users", before, tables...)
}

// ncTables are every table of the Nextcloud example.
var ncTables = []string{"oc_users", "oc_preferences", "oc_groups", "oc_group_user", "oc_group_admin"}

// ncMembers lists the oc_group_user rows as gid:uid, sorted, of every
// group but the ones named (all of them when none is).
func (a *app) ncMembers(except ...string) string {
	a.t.Helper()
	q := "SELECT COALESCE(GROUP_CONCAT(CONCAT(gid, ':', uid) ORDER BY gid, uid SEPARATOR ' '), '') FROM oc_group_user"
	var args []any
	if len(except) > 0 {
		q += " WHERE gid NOT IN (?" + strings.Repeat(", ?", len(except)-1) + ")"
		for _, g := range except {
			args = append(args, g)
		}
	}
	return a.value(q, args...)
}

// TestNextcloudOktaGroups replays Okta's Group Push against oc_groups and
// oc_group_user: import, link by name with a rename (displayname only,
// the gid stays), create (a generated gid), add and remove members, Push
// Now by PUT and by PATCH replace. The admin group, the admin's own
// memberships, the sub-admins and every other group's rows never change.
func TestNextcloudOktaGroups(t *testing.T) {
	a := serve(t, "nextcloud")
	const seed = "Engineering:admin Engineering:alice Engineering:bob Sales:carol admin:admin"
	if got := a.ncMembers(); got != seed {
		t.Fatalf("seed memberships = %s", got)
	}
	adminGroup := a.sum("oc_group_admin") + " " + a.value("SELECT CONCAT(gid, '=', displayname) FROM oc_groups WHERE gid = 'admin'")

	// Import Groups: the two company groups, not 'admin'; the admin
	// account is no member of Engineering as SCIM sees it.
	n, res := a.get("/Groups?startIndex=1&count=100").list(t)
	if n != 2 || str(res[0], "id") != "Engineering" || str(res[1], "id") != "Sales" || str(res[1], "displayName") != "Sales & Marketing" {
		t.Fatalf("import: %d %v", n, res)
	}
	if got := a.groupMembers("", "Engineering"); got != "alice,bob" {
		t.Errorf("Engineering members = %s", got)
	}
	if id := a.lookupGroup("", "admin"); id != "" {
		t.Errorf("the admin group is visible: %s", id)
	}

	// Push Groups > Link Group: Okta finds Engineering by name and renames
	// it to its own group's name, repeating the id. Only displayname
	// changes; the gid that shares, sub-admins and memberships refer to
	// stays.
	id := a.lookupGroup("", "Engineering")
	if id != "Engineering" {
		t.Fatalf("lookup Engineering = %q", id)
	}
	a.do(http.MethodPatch, "/Groups/"+id, patch(`{"op":"replace","value":{"id":"Engineering","displayName":"Nextcloud-Engineering"}}`)).must(t, http.StatusNoContent)
	a.wantRow("Engineering|Nextcloud-Engineering", "SELECT gid, displayname FROM oc_groups WHERE gid = 'Engineering'")
	if got := a.ncMembers(); got != seed {
		t.Errorf("a rename changed memberships: %s", got)
	}
	if id := a.lookupGroup("", "Nextcloud-Engineering"); id != "Engineering" {
		t.Errorf("lookup after the rename = %q", id)
	}

	// Push Groups > Create: a group Nextcloud does not have. Its gid is
	// generated (36 characters, within oc_groups.gid's 64), never the name.
	r := a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Nextcloud-Support","members":[]}`).must(t, http.StatusCreated)
	support := str(r.obj(t), "id")
	if len(support) != 36 || support == "Nextcloud-Support" {
		t.Fatalf("created gid = %q", support)
	}
	a.wantRow(support+"|Nextcloud-Support", "SELECT gid, displayname FROM oc_groups WHERE gid = ?", support)

	// Push memberships: add, then remove with Okta's filter path. Other
	// groups' rows stay as they were.
	others := a.ncMembers(support)
	a.do(http.MethodPatch, "/Groups/"+support, patch(`{"op":"add","path":"members","value":`+members("alice", "carol")+`}`)).must(t, http.StatusNoContent)
	a.do(http.MethodPatch, "/Groups/"+support, patch(`{"op":"remove","path":"members[value eq \"alice\"]"}`)).must(t, http.StatusNoContent)
	a.wantRow(support+":carol", "SELECT GROUP_CONCAT(CONCAT(gid, ':', uid) ORDER BY uid) FROM oc_group_user WHERE gid = ?", support)
	if got := a.ncMembers(support); got != others {
		t.Errorf("member pushes to %s changed other groups:\n got %s\nwant %s", support, got, others)
	}

	// Push Now: PUT with the whole member list replaces Engineering's SCIM
	// members (alice out, carol in); the admin's row stays, being outside
	// the scope. Then PATCH replace of members does the same on Sales.
	a.do(http.MethodPut, "/Groups/Engineering", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"Engineering","displayName":"Nextcloud-Engineering","members":`+members("bob", "carol")+`}`).must(t, http.StatusOK)
	a.do(http.MethodPatch, "/Groups/Sales", patch(`{"op":"replace","path":"members","value":`+members("alice", "bob")+`}`)).must(t, http.StatusNoContent)
	want := "Engineering:admin Engineering:bob Engineering:carol Sales:alice Sales:bob admin:admin"
	if got := a.ncMembers(support); got != want {
		t.Errorf("after Push Now:\n got %s\nwant %s", got, want)
	}

	// Refused, nothing changes: the admin group (404, as if it did not
	// exist), the admin account or an unknown user as a member, a second
	// group named as one that exists, a name longer than the column.
	before := a.sum(ncTables...)
	a.do(http.MethodPatch, "/Groups/admin", patch(`{"op":"add","path":"members","value":`+members("alice")+`}`)).refused(t, http.StatusNotFound, "", "")
	a.do(http.MethodPut, "/Groups/admin", `{"displayName":"admin","members":[]}`).refused(t, http.StatusNotFound, "", "")
	a.do(http.MethodPatch, "/Groups/Sales", patch(`{"op":"add","path":"members","value":`+members("carol", "admin", "nobody")+`}`)).refused(t, http.StatusBadRequest, "invalidValue", `"admin", "nobody"`)
	a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Nextcloud-Support"}`).refused(t, http.StatusConflict, "uniqueness", "")
	a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"admin"}`).refused(t, http.StatusConflict, "uniqueness", "")
	a.do(http.MethodPatch, "/Groups/Sales", patch(`{"op":"replace","path":"displayName","value":"`+strings.Repeat("s", 256)+`"}`)).refused(t, http.StatusBadRequest, "invalidValue", "")
	a.unchanged("refused group requests", before, ncTables...)
	if got := a.sum("oc_group_admin") + " " + a.value("SELECT CONCAT(gid, '=', displayname) FROM oc_groups WHERE gid = 'admin'"); got != adminGroup {
		t.Errorf("the admin group or the sub-admins changed: %s, was %s", got, adminGroup)
	}
	a.wantRow("admin:admin", "SELECT GROUP_CONCAT(CONCAT(gid, ':', uid)) FROM oc_group_user WHERE gid = 'admin'")
}

// TestNextcloudEntraGroups replays Entra's group provisioning: POST with
// an externalId Nextcloud has no column for (ignored), its membership
// check with and without .value, several adds and removes in one PATCH,
// excludedAttributes=members, and DELETE, which a group the admin account
// is in refuses.
func TestNextcloudEntraGroups(t *testing.T) {
	a := serve(t, "nextcloud")
	r := a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":"8d5b5f4e-1c2a-4e8e-9a51-0f6c2d3b7a10","displayName":"Entra Designers"}`).must(t, http.StatusCreated)
	g := r.obj(t)
	id := str(g, "id")
	if len(id) != 36 || g["externalId"] != nil {
		t.Fatalf("POST: id %q, externalId %v (no column keeps it)", id, g["externalId"])
	}
	a.wantRow("Entra Designers", "SELECT displayname FROM oc_groups WHERE gid = ?", id)

	// Several adds and removes in one PATCH, Entra's capitalised ops and
	// value arrays; 204.
	others := a.ncMembers(id)
	a.do(http.MethodPatch, "/Groups/"+id, patch(
		`{"op":"Add","path":"members","value":[{"value":"alice"},{"value":"bob"},{"value":"carol"}]}`,
		`{"op":"Remove","path":"members","value":[{"value":"bob"}]}`,
	)).must(t, http.StatusNoContent)
	a.do(http.MethodPatch, "/Groups/"+id, patch(
		`{"op":"Remove","path":"members","value":[{"value":"alice"},{"value":"carol"}]}`,
		`{"op":"Add","path":"members","value":[{"value":"bob"}]}`,
	)).must(t, http.StatusNoContent)
	a.wantRow(id+":bob", "SELECT GROUP_CONCAT(CONCAT(gid, ':', uid)) FROM oc_group_user WHERE gid = ?", id)
	if got := a.ncMembers(id); got != others {
		t.Errorf("PATCHes of %s changed other groups:\n got %s\nwant %s", id, got, others)
	}

	// Entra's membership check, with and without .value; the admin, a
	// member of Engineering outside the scope, is in no group.
	before := a.sum(ncTables...)
	for _, c := range []struct {
		group, member string
		want          int
	}{
		{id, "bob", 1}, {id, "alice", 0}, {"Engineering", "alice", 1}, {"Engineering", "admin", 0}, {"admin", "admin", 0}, {"Sales", "nobody", 0},
	} {
		for _, attr := range []string{"members.value", "members"} {
			q := "/Groups?filter=" + url.QueryEscape(`id eq "`+c.group+`" and `+attr+` eq "`+c.member+`"`) + "&attributes=id"
			n, res := a.get(q).list(t)
			if n != c.want || (n == 1 && (str(res[0], "id") != c.group || res[0]["members"] != nil || res[0]["displayName"] != nil)) {
				t.Errorf("%s eq %q in %s: %d %v, want %d", attr, c.member, c.group, n, res, c.want)
			}
		}
	}
	// excludedAttributes=members: the group without its members.
	g = a.get("/Groups/Engineering?excludedAttributes=members").must(t, http.StatusOK).obj(t)
	if g["members"] != nil || str(g, "displayName") != "Engineering" {
		t.Errorf("excludedAttributes=members: %v", g)
	}
	a.unchanged("Entra's reads", before, ncTables...)

	// DELETE: Engineering holds the admin account, which SCIM does not
	// see, so it stays (409); the new group goes with its members, and no
	// other row changes.
	a.do(http.MethodDelete, "/Groups/Engineering", "").refused(t, http.StatusConflict, "", "")
	a.do(http.MethodDelete, "/Groups/admin", "").refused(t, http.StatusNotFound, "", "")
	a.unchanged("refused deletes", before, ncTables...)
	users := a.sum("oc_users", "oc_preferences", "oc_group_admin")
	a.do(http.MethodDelete, "/Groups/"+id, "").must(t, http.StatusNoContent)
	a.wantRow("0|0", "SELECT (SELECT COUNT(*) FROM oc_groups WHERE gid = ?), (SELECT COUNT(*) FROM oc_group_user WHERE gid = ?)", id, id)
	if got := a.ncMembers(); got != others {
		t.Errorf("DELETE changed other groups:\n got %s\nwant %s", got, others)
	}
	a.get("/Groups/"+id).refused(t, http.StatusNotFound, "", "")
	a.unchanged("DELETE of the new group, for the users' tables", users, "oc_users", "oc_preferences", "oc_group_admin")
}
