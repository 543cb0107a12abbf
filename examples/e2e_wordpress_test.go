package examples_test

import (
	"fmt"
	"net/http"
	"strings"
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
	if got := a.metaOf("3"); got != `first_name=Alicia last_name=Archer mo_saml_name_id=alice@example.net wp_capabilities=a:1:{s:6:"author";b:1;} wp_user_level=2` {
		t.Errorf("alice's meta: %s", got)
	}
	a.do(http.MethodPut, "/Users/4", oktaUser("4", "bob", "Bob", "Baker", "bob@example.net", nil)).must(t, http.StatusOK)
	if got := a.metaOf("4"); got != `first_name=Bob last_name=Baker mo_saml_name_id=bob@example.net wp_capabilities=a:2:{s:10:"subscriber";b:1;s:15:"bbp_participant";b:1;} wp_user_level=0` {
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
	if got := a.metaOf("6"); got != `_is_disabled=0 first_name=David last_name=Dunne mo_saml_name_id=dave@example.net wp_capabilities=a:2:{s:10:"subscriber";b:1;s:12:"upload_files";b:1;} wp_user_level=0` {
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

// wpRoles is every user's wp_capabilities value, "user=value" by user.
func (a *app) wpRoles() string {
	a.t.Helper()
	return a.value("SELECT GROUP_CONCAT(CONCAT(user_id, '=', meta_value) ORDER BY user_id SEPARATOR ' ') FROM wp_usermeta WHERE meta_key = 'wp_capabilities'")
}

// wpOtherMeta is a digest of every wp_usermeta row that is not a
// wp_capabilities row (names, NameIDs, wp_user_level, the plugin's
// _is_disabled): group pushes must leave all of them as they are.
func (a *app) wpOtherMeta() string {
	a.t.Helper()
	return a.value("SELECT COUNT(*), SUM(CRC32(CONCAT_WS(':', umeta_id, user_id, meta_key, meta_value))) FROM wp_usermeta WHERE meta_key <> 'wp_capabilities'")
}

// wpSeedRoles are the seed's wp_capabilities: the admin's and the
// service account's (out of scope) never change, nor do the entries the
// mapping does not declare (subscriber, bbp_participant, upload_files).
const wpSeedRoles = `1=a:1:{s:13:"administrator";b:1;} 2=a:1:{s:6:"editor";b:1;} 3=a:1:{s:6:"author";b:1;} ` +
	`4=a:2:{s:10:"subscriber";b:1;s:15:"bbp_participant";b:1;} 5=a:1:{s:10:"subscriber";b:1;} 6=a:2:{s:10:"subscriber";b:1;s:12:"upload_files";b:1;}`

// TestWordPressOktaGroups replays Okta's Group Push against WordPress's
// roles, declared groups kept as keys of wp_capabilities: import, Find
// groups by name, Link Group (a rename is refused, the link itself is
// not), Create Group refused, members added and removed, Push Now by PUT
// and by PATCH replace. The entries SCIM does not manage, the out-of-scope
// accounts' roles, wp_user_level and every other meta row stay as they are.
func TestWordPressOktaGroups(t *testing.T) {
	a := serve(t, "wordpress")
	other, users := a.wpOtherMeta(), a.sum("wp_users")
	if got := a.wpRoles(); got != wpSeedRoles {
		t.Fatalf("seed roles:\n got %s\nwant %s", got, wpSeedRoles)
	}

	// Import Groups: the declared roles, in the mapping's order; the admin
	// (administrator) and the service account (editor) are out of scope,
	// so only Alice is a member of anything.
	n, groups := a.get("/Groups?startIndex=1&count=100").list(t)
	var imported []string
	for _, g := range groups {
		ids := []string{}
		for _, m := range g["members"].([]any) {
			ids = append(ids, m.(map[string]any)["value"].(string))
		}
		imported = append(imported, fmt.Sprintf("%s=%s:%v", str(g, "id"), str(g, "displayName"), ids))
	}
	if want := "administrator=administrator:[] editor=editor:[] author=author:[3] contributor=contributor:[]"; n != 4 || strings.Join(imported, " ") != want {
		t.Errorf("imported groups (%d):\n got %s\nwant %s", n, strings.Join(imported, " "), want)
	}

	// Find groups by name, then Link Group. With "rename app groups" on,
	// Okta's rename is refused (the role's slug is WordPress's); the link
	// itself, the id and name repeated, is accepted and writes nothing.
	if id := a.lookupGroup("", "Editor"); id != "editor" {
		t.Fatalf("Find groups by name: Editor = %q", id)
	}
	before := a.sum("wp_users", "wp_usermeta")
	a.do(http.MethodPatch, "/Groups/editor", patch(`{"op":"replace","value":{"id":"editor","displayName":"Okta Editors"}}`)).
		refused(t, http.StatusBadRequest, "mutability", `displayName of a declared group cannot change: the group is the name "editor" in groups.names; nothing was changed`)
	a.do(http.MethodPut, "/Groups/editor", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"editor","displayName":"Okta Editors","members":[]}`).
		refused(t, http.StatusBadRequest, "mutability", `displayName of a declared group is its name, "editor"`)
	a.do(http.MethodPatch, "/Groups/editor", patch(`{"op":"replace","value":{"id":"editor","displayName":"editor"}}`)).must(t, http.StatusNoContent)
	// Create Group and an unlink that deletes the group are refused.
	a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Okta Editors","members":`+members("3")+`}`).
		refused(t, http.StatusForbidden, "", "this server does not create groups: they are the names declared in groups.names (administrator, editor, author, contributor)")
	a.do(http.MethodDelete, "/Groups/editor", "").refused(t, http.StatusForbidden, "", "this server does not delete groups")
	a.unchanged("the link, a rename, a create and a delete", before, "wp_users", "wp_usermeta")

	// Push members: Bob and Dave become editors; their other entries stay
	// byte for byte and the role is appended, as WP_User::add_role does.
	a.do(http.MethodPatch, "/Groups/editor", patch(`{"op":"add","path":"members","value":`+members("4", "6")+`}`)).must(t, http.StatusNoContent)
	want := strings.NewReplacer(
		`4=a:2:{s:10:"subscriber";b:1;s:15:"bbp_participant";b:1;}`, `4=a:3:{s:10:"subscriber";b:1;s:15:"bbp_participant";b:1;s:6:"editor";b:1;}`,
		`6=a:2:{s:10:"subscriber";b:1;s:12:"upload_files";b:1;}`, `6=a:3:{s:10:"subscriber";b:1;s:12:"upload_files";b:1;s:6:"editor";b:1;}`,
	).Replace(wpSeedRoles)
	if got := a.wpRoles(); got != want {
		t.Errorf("after adding Bob and Dave to editor:\n got %s\nwant %s", got, want)
	}
	if got := a.groupMembers("", "editor"); got != "4,6" {
		t.Errorf("editor's members = %q, want Bob and Dave (not the service account)", got)
	}
	// Unassigning Bob in Okta removes the role: his value is the seed's again.
	a.do(http.MethodPatch, "/Groups/editor", patch(`{"op":"remove","path":"members[value eq \"4\"]"}`)).must(t, http.StatusNoContent)
	want = strings.Replace(wpSeedRoles, `6=a:2:{s:10:"subscriber";b:1;s:12:"upload_files";b:1;}`, `6=a:3:{s:10:"subscriber";b:1;s:12:"upload_files";b:1;s:6:"editor";b:1;}`, 1)
	if got := a.wpRoles(); got != want {
		t.Errorf("after removing Bob:\n got %s\nwant %s", got, want)
	}
	// The same add again, and a removal of a non-member, write nothing.
	before = a.sum("wp_users", "wp_usermeta")
	a.do(http.MethodPatch, "/Groups/editor", patch(`{"op":"add","path":"members","value":`+members("6")+`}`, `{"op":"remove","path":"members[value eq \"5\"]"}`)).must(t, http.StatusNoContent)
	a.unchanged("a push of what is already so", before, "wp_users", "wp_usermeta")

	// Push Now by PUT: Alice and Carol are the editors, Dave no longer.
	// The service account keeps its editor role (SCIM cannot see it).
	a.do(http.MethodPut, "/Groups/editor", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"editor","displayName":"editor","members":`+members("3", "5")+`}`).must(t, http.StatusOK)
	want = strings.NewReplacer(
		`3=a:1:{s:6:"author";b:1;}`, `3=a:2:{s:6:"author";b:1;s:6:"editor";b:1;}`,
		`5=a:1:{s:10:"subscriber";b:1;}`, `5=a:2:{s:10:"subscriber";b:1;s:6:"editor";b:1;}`,
	).Replace(wpSeedRoles)
	if got := a.wpRoles(); got != want {
		t.Errorf("after Push Now (PUT):\n got %s\nwant %s", got, want)
	}
	// Push Now by PATCH replace of the members: Dave alone.
	a.do(http.MethodPatch, "/Groups/editor", patch(`{"op":"replace","path":"members","value":`+members("6")+`}`)).must(t, http.StatusNoContent)
	want = strings.Replace(wpSeedRoles, `6=a:2:{s:10:"subscriber";b:1;s:12:"upload_files";b:1;}`, `6=a:3:{s:10:"subscriber";b:1;s:12:"upload_files";b:1;s:6:"editor";b:1;}`, 1)
	if got := a.wpRoles(); got != want {
		t.Errorf("after Push Now (PATCH replace):\n got %s\nwant %s", got, want)
	}
	if got := a.groupMembers("", "editor"); got != "6" {
		t.Errorf("editor's members = %q, want Dave", got)
	}

	// Refused: the admin and the service account as members, an unknown
	// user, a group that is not declared (subscriber); nothing changes.
	before = a.sum("wp_users", "wp_usermeta")
	a.do(http.MethodPatch, "/Groups/administrator", patch(`{"op":"add","path":"members","value":`+members("4", "1")+`}`)).
		refused(t, http.StatusBadRequest, "invalidValue", `members not found: "1"`)
	a.do(http.MethodPut, "/Groups/editor", `{"displayName":"editor","members":`+members("2", "6")+`}`).
		refused(t, http.StatusBadRequest, "invalidValue", `members not found: "2"`)
	a.do(http.MethodPatch, "/Groups/author", patch(`{"op":"add","path":"members","value":`+members("99")+`}`)).
		refused(t, http.StatusBadRequest, "invalidValue", `members not found: "99"`)
	a.do(http.MethodPatch, "/Groups/subscriber", patch(`{"op":"add","path":"members","value":`+members("4")+`}`)).
		refused(t, http.StatusNotFound, "", `no group "subscriber": the groups here are the names declared in groups.names`)
	a.unchanged("refused member pushes", before, "wp_users", "wp_usermeta")

	// wp_user_level is not kept in step (the README says why): it and
	// every other meta row are the seed's, and so is wp_users.
	if got := a.wpOtherMeta(); got != other {
		t.Errorf("meta rows other than wp_capabilities changed: %s, want %s", got, other)
	}
	a.unchanged("group pushes", users, "wp_users")
}

// TestWordPressEntraGroups replays Entra's group provisioning: the
// lookup by displayName without members, a create (refused: the roles
// are WordPress's), the membership checks with and without .value, one
// PATCH with several adds and removes, and a DELETE (refused).
func TestWordPressEntraGroups(t *testing.T) {
	a := serve(t, "wordpress")
	other, users := a.wpOtherMeta(), a.sum("wp_users")

	// Entra matches its group by displayName, asking for no members.
	_, res := a.get("/Groups" + filter(`displayName eq "author"`) + "&excludedAttributes=members").list(t)
	if len(res) != 1 || str(res[0], "id") != "author" || res[0]["members"] != nil {
		t.Fatalf("lookup of author without members: %v", res)
	}
	if g := a.get("/Groups/author?excludedAttributes=members").must(t, http.StatusOK).obj(t); g["members"] != nil || str(g, "displayName") != "author" {
		t.Errorf("GET author without members: %v", g)
	}
	// A group Entra would create (with its objectId as externalId) is
	// refused, naming the groups that exist.
	before := a.sum("wp_users", "wp_usermeta")
	a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Site Editors","externalId":"6f1a2b3c-0000-4000-8000-00000000e001","members":[]}`).
		refused(t, http.StatusForbidden, "", "groups.names (administrator, editor, author, contributor)")
	a.unchanged("a refused create", before, "wp_users", "wp_usermeta")

	// Membership checks, as Entra sends them before an add or remove.
	check := func(group, member, attr string) int {
		t.Helper()
		n, _ := a.get("/Groups" + filter(`id eq "`+group+`" and `+attr+` eq "`+member+`"`) + "&attributes=id").list(t)
		return n
	}
	for _, c := range []struct {
		group, member string
		want          int
	}{
		{"author", "3", 1}, {"author", "4", 0}, {"editor", "2", 0}, {"administrator", "1", 0}, {"contributor", "6", 0},
	} {
		for _, attr := range []string{"members.value", "members"} {
			if got := check(c.group, c.member, attr); got != c.want {
				t.Errorf("id eq %q and %s eq %q: %d, want %d", c.group, attr, c.member, got, c.want)
			}
		}
	}

	// One PATCH with several adds and removes: Bob, Carol and Dave become
	// authors, then Alice and Carol are removed. 204, and only Bob's and
	// Dave's values change (Carol was added and removed in the same request).
	a.do(http.MethodPatch, "/Groups/author", patch(
		`{"op":"Add","path":"members","value":[{"value":"4"},{"value":"5"},{"value":"6"}]}`,
		`{"op":"Remove","path":"members","value":[{"value":"3"},{"value":"5"}]}`,
	)).must(t, http.StatusNoContent)
	want := strings.NewReplacer(
		`3=a:1:{s:6:"author";b:1;}`, `3=a:0:{}`,
		`4=a:2:{s:10:"subscriber";b:1;s:15:"bbp_participant";b:1;}`, `4=a:3:{s:10:"subscriber";b:1;s:15:"bbp_participant";b:1;s:6:"author";b:1;}`,
		`6=a:2:{s:10:"subscriber";b:1;s:12:"upload_files";b:1;}`, `6=a:3:{s:10:"subscriber";b:1;s:12:"upload_files";b:1;s:6:"author";b:1;}`,
	).Replace(wpSeedRoles)
	if got := a.wpRoles(); got != want {
		t.Errorf("after Entra's PATCH:\n got %s\nwant %s", got, want)
	}
	for who, held := range map[string]int{"3": 0, "4": 1, "5": 0, "6": 1} {
		if got := check("author", who, "members.value"); got != held {
			t.Errorf("after the PATCH, is %s an author: %d, want %d", who, got, held)
		}
	}
	// Entra removes a user who left the group in Entra: one remove op.
	a.do(http.MethodPatch, "/Groups/author", patch(`{"op":"Remove","path":"members","value":[{"value":"6"}]}`)).must(t, http.StatusNoContent)
	want = strings.Replace(want, `6=a:3:{s:10:"subscriber";b:1;s:12:"upload_files";b:1;s:6:"author";b:1;}`, `6=a:2:{s:10:"subscriber";b:1;s:12:"upload_files";b:1;}`, 1)
	if got := a.wpRoles(); got != want {
		t.Errorf("after removing Dave:\n got %s\nwant %s", got, want)
	}

	// DELETE of the group (Entra's unassign with delete) is refused.
	before = a.sum("wp_users", "wp_usermeta")
	a.do(http.MethodDelete, "/Groups/author", "").refused(t, http.StatusForbidden, "", "remove the members instead")
	a.do(http.MethodPatch, "/Groups/author", patch(`{"op":"Replace","path":"displayName","value":"Authors"}`)).
		refused(t, http.StatusBadRequest, "mutability", "cannot change")
	a.unchanged("a refused delete and rename", before, "wp_users", "wp_usermeta")
	if got := a.wpOtherMeta(); got != other {
		t.Errorf("meta rows other than wp_capabilities changed: %s, want %s", got, other)
	}
	a.unchanged("group pushes", users, "wp_users")
}
