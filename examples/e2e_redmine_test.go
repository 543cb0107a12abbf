package examples_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestRedmineOkta replays Okta's provisioning against Redmine's own tables:
// the e-mail Okta pushes is the user's default row of email_addresses,
// read with the user in one statement and written in the same
// transaction. Import, lookup, Push New Users, Push Profile Updates (an
// e-mail change included), deactivate and reactivate; the admin, the local
// contractor account, groups and the anonymous user stay out of reach.
func TestRedmineOkta(t *testing.T) {
	a := serve(t, "redmine")
	tables := func() string { return a.sum("users", "email_addresses") }

	// Test Connector Configuration, then Import Now page by page: the
	// three SSO users, Carol (locked) as inactive.
	if n, res := a.get("/Users?startIndex=1&count=1").list(t); n != 3 || len(res) != 1 {
		t.Errorf("Test Connector: %d users, page of %d", n, len(res))
	}
	imported := map[string]string{}
	for start := 1; ; start += 2 {
		n, res := a.get(fmt.Sprintf("/Users?startIndex=%d&count=2", start)).list(t)
		if n != 3 {
			t.Fatalf("import: totalResults %d, want 3", n)
		}
		for _, u := range res {
			imported[str(u, "userName")] = fmt.Sprintf("%s %s %v", str(u, "name.givenName"), emailOf(u), u["active"])
		}
		if len(res) < 2 {
			break
		}
	}
	want := map[string]string{"alice": "Alice alice@example.net true", "bob": "Bob bob@example.net true", "carol": "Carol carol@example.net false"}
	if fmt.Sprint(imported) != fmt.Sprint(want) {
		t.Errorf("imported = %v, want %v", imported, want)
	}
	// Okta matches imported users by e-mail too: the default address only.
	if id := a.lookup("/Users", "emails.value", "BOB@example.net"); id != "3" {
		t.Errorf("lookup by e-mail = %q", id)
	}
	if id := a.lookup("/Users", "emails.value", "bob.baker@old.example.net"); id != "" {
		t.Errorf("a non-default address matched user %q", id)
	}

	// Push New Users: Okta looks Erin up, then creates her; the user row
	// gets the SSO source, type User and Redmine's defaults, and her
	// address is a default row of email_addresses with both timestamps.
	if id := a.lookupUser("", "erin"); id != "" {
		t.Fatalf("erin exists before the push: %s", id)
	}
	r := a.do(http.MethodPost, "/Users", oktaUser("", "erin", "Erin", "Evans", "erin@example.net", nil)).must(t, http.StatusCreated)
	erin := str(r.obj(t), "id")
	if got := emailOf(r.obj(t)); got != "erin@example.net" {
		t.Errorf("the created user shows e-mail %q", got)
	}
	a.wantRow("erin|Erin|Evans|1|1|User|only_my_events|en|0",
		"SELECT login, firstname, lastname, status, auth_source_id, type, mail_notification, language, admin FROM users WHERE id = ?", erin)
	a.wantRow("erin@example.net|1|1|1", "SELECT address, is_default, notify, created_on IS NOT NULL AND updated_on IS NOT NULL FROM email_addresses WHERE user_id = ?", erin)
	// A second push of the login (another case) is 409; a login Redmine
	// would refuse is 400; neither writes a row.
	before := tables()
	a.do(http.MethodPost, "/Users", oktaUser("", "ERIN", "Erin", "Evans", "erin2@example.net", nil)).
		refused(t, http.StatusConflict, "uniqueness", `userName "ERIN" is already taken`)
	a.do(http.MethodPost, "/Users", oktaUser("", "frank fox", "Frank", "Fox", "frank@example.net", nil)).
		refused(t, http.StatusBadRequest, "invalidValue", "does not match the required pattern")
	a.unchanged("refused pushes", before, "users", "email_addresses")

	// Push Profile Updates: a new surname and a new address. The default
	// row is updated in place (its id and created_on kept); Bob's other
	// address is untouched.
	a.do(http.MethodPatch, "/Users/3", patch(`{"op":"replace","value":{"name":{"familyName":"Baker-Ortiz"},"emails":[{"primary":true,"value":"bob.bo@example.net","type":"work"}]}}`)).must(t, http.StatusOK)
	a.wantRow("Baker-Ortiz|1", "SELECT lastname, updated_on > '2024-03-02 10:00:00' FROM users WHERE id = 3")
	a.wantRow("3:bob.bo@example.net:1:2023-02-02 10:00:00:1,4:bob.baker@old.example.net:0:2023-02-02 10:00:00:0",
		"SELECT GROUP_CONCAT(CONCAT_WS(':', id, address, is_default, created_on, updated_on > '2023-02-02 10:00:00') ORDER BY id) FROM email_addresses WHERE user_id = 3")
	// Okta's PUT of the whole profile with the same values writes nothing.
	before = tables()
	a.do(http.MethodPut, "/Users/3", oktaUser("3", "bob", "Bob", "Baker-Ortiz", "bob.bo@example.net", nil)).must(t, http.StatusOK)
	a.unchanged("a PUT of the profile as it is", before, "users", "email_addresses")
	// An address longer than Redmine keeps is refused, and nothing changes.
	a.do(http.MethodPatch, "/Users/3", patch(`{"op":"replace","value":{"name":{"givenName":"Robert"},"emails":[{"primary":true,"type":"work","value":"`+longAddress()+`"}]}}`)).
		refused(t, http.StatusBadRequest, "invalidValue", "is too long")
	a.unchanged("a refused profile push", before, "users", "email_addresses")

	// Deactivate: Okta unassigns Alice; Redmine's user is locked (status
	// 3), her address kept, and the next import shows her inactive.
	a.do(http.MethodPatch, "/Users/2", oktaDeactivate).must(t, http.StatusOK)
	a.wantRow("3|alice@example.net", "SELECT u.status, e.address FROM users u JOIN email_addresses e ON e.user_id = u.id AND e.is_default = 1 WHERE u.id = 2")
	if _, res := a.get("/Users" + filter(`userName eq "alice"`)).list(t); len(res) != 1 || res[0]["active"] != false {
		t.Errorf("re-import of Alice: %v", res)
	}
	// DELETE locks too (delete: deactivate): the user and her rows stay.
	a.do(http.MethodDelete, "/Users/"+erin, "").must(t, http.StatusNoContent)
	a.wantRow("3|1", "SELECT status, (SELECT COUNT(*) FROM email_addresses WHERE user_id = u.id) FROM users u WHERE id = ?", erin)
	// Reactivate.
	a.do(http.MethodPatch, "/Users/2", oktaReactivate).must(t, http.StatusOK)
	a.wantRow("1", "SELECT status FROM users WHERE id = 2")

	// The admin, the contractor, the group and the anonymous user are not
	// SCIM's: 404 for reads and writes, and nothing changes.
	before = tables()
	for _, id := range []string{"1", "5", "6", "7"} {
		a.get("/Users/"+id).refused(t, http.StatusNotFound, "", `User "`+id+`" not found`)
		a.do(http.MethodPatch, "/Users/"+id, patch(`{"op":"replace","value":{"emails":[{"primary":true,"type":"work","value":"x@example.net"}]}}`)).
			refused(t, http.StatusNotFound, "", `User "`+id+`" not found`)
		a.do(http.MethodPatch, "/Users/"+id, oktaDeactivate).refused(t, http.StatusNotFound, "", `User "`+id+`" not found`)
	}
	if id := a.lookup("/Users", "emails.value", "admin@example.net"); id != "" {
		t.Errorf("the admin's address is visible as user %q", id)
	}
	a.unchanged("writes outside the scope", before, "users", "email_addresses")
}

// emailOf is a user's first e-mail value, "" without one.
func emailOf(u map[string]any) string {
	es, _ := u["emails"].([]any)
	if len(es) == 0 {
		return ""
	}
	v, _ := es[0].(map[string]any)["value"].(string)
	return v
}

// longAddress is an e-mail address of 61 characters, one more than the
// mapping's max_length (Redmine's own limit on addresses).
func longAddress() string {
	s := ""
	for len(s) < 61-len("@example.net") {
		s += "a"
	}
	return s + "@example.net"
}

// redmineMembers lists a group's groups_users rows (SCIM members or not),
// user ids sorted, "" for none.
func (a *app) redmineMembers(group string) string {
	a.t.Helper()
	return a.value("SELECT COALESCE(GROUP_CONCAT(user_id ORDER BY user_id), '') FROM groups_users WHERE group_id = ?", group)
}

// redmineOthers is a digest of what a group push must never change: the
// principals that are not groups (users, the anonymous user), the
// built-in groups, project memberships and their roles, e-mail addresses.
func (a *app) redmineOthers() string {
	a.t.Helper()
	principals := a.value("SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', id, login, hashed_password, firstname, lastname, admin, status, language, auth_source_id, created_on, updated_on, type, mail_notification, salt))) FROM users WHERE type <> 'Group'")
	return principals + " " + a.sum("members", "member_roles", "email_addresses", "auth_sources")
}

// TestRedmineOktaGroups replays Okta's Group Push against Redmine's
// groups, rows of the users table with type 'Group': import, Find groups
// by name, Link Group with a rename, Create Group, members added and
// removed, Push Now by PUT and by PATCH replace. The contractor's
// membership (a local account SCIM does not see), the built-in groups, the
// users' rows and the project memberships never change.
func TestRedmineOktaGroups(t *testing.T) {
	a := serve(t, "redmine")
	others := a.redmineOthers()

	// Import Groups: Developers and Reporters; not the built-in groups, the
	// users or the anonymous user. The contractor is not listed.
	n, groups := a.get("/Groups?startIndex=1&count=100").list(t)
	var imported []string
	for _, g := range groups {
		imported = append(imported, str(g, "id")+"="+str(g, "displayName")+":"+a.groupMembers("", str(g, "id")))
	}
	if got := strings.Join(imported, " "); n != 2 || got != "6=Developers:2 8=Reporters:3" {
		t.Errorf("imported groups (%d): %s", n, got)
	}
	for _, id := range []string{"2", "5", "7", "9", "10"} {
		a.get("/Groups/"+id).refused(t, http.StatusNotFound, "", "not found")
	}

	// Find groups by name (any case), then Link Group with "rename app
	// groups": lastname and updated_on change, nothing else of the row.
	if id := a.lookupGroup("", "developers"); id != "6" {
		t.Fatalf("Find groups by name: developers = %q", id)
	}
	a.do(http.MethodPatch, "/Groups/6", patch(`{"op":"replace","value":{"id":"6","displayName":"Okta Developers"}}`)).must(t, http.StatusNoContent)
	a.wantRow("Okta Developers|Group|||1|1|2:5", "SELECT lastname, type, login, firstname, status, updated_on > '2023-01-10 09:00:00', (SELECT GROUP_CONCAT(user_id ORDER BY user_id SEPARATOR ':') FROM groups_users WHERE group_id = 6) FROM users WHERE id = 6")

	// Create Group: a users row of type Group with Redmine's empty login,
	// password and first name, status 1 and both timestamps; its members
	// in groups_users.
	if id := a.lookupGroup("", "QA"); id != "" {
		t.Fatalf("QA exists before the push: %s", id)
	}
	r := a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"QA","members":`+members("2", "3")+`}`).must(t, http.StatusCreated)
	qa := str(r.obj(t), "id")
	a.wantRow("QA|Group||||1|0|NULL||1", "SELECT lastname, type, login, hashed_password, firstname, status, admin, auth_source_id, mail_notification, created_on IS NOT NULL AND updated_on IS NOT NULL FROM users WHERE id = ?", qa)
	if got := a.redmineMembers(qa); got != "2,3" {
		t.Errorf("QA's groups_users = %q", got)
	}
	// The new group is no SCIM user, and the users are still three.
	a.get("/Users/"+qa).refused(t, http.StatusNotFound, "", "not found")
	if n, _ := a.get("/Users?startIndex=1&count=10").list(t); n != 3 {
		t.Errorf("users after creating a group: %d", n)
	}
	// Refused: a name another group has (Redmine's uniqueness is in any
	// case), a rename onto one, a name longer than 255, an empty name.
	before := a.sum("users", "groups_users")
	a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"reporters","members":[]}`).
		refused(t, http.StatusConflict, "uniqueness", "")
	a.do(http.MethodPatch, "/Groups/"+qa, patch(`{"op":"replace","value":{"id":"`+qa+`","displayName":"REPORTERS"}}`)).
		refused(t, http.StatusConflict, "uniqueness", "")
	a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":`+jsonString(strings.Repeat("g", 256))+`}`).
		refused(t, http.StatusBadRequest, "invalidValue", "is too long")
	a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":""}`).
		refused(t, http.StatusBadRequest, "invalidValue", "displayName is required")
	a.unchanged("refused creates and renames", before, "users", "groups_users")

	// Push members: Bob in, Alice out; the contractor stays.
	a.do(http.MethodPatch, "/Groups/6", patch(`{"op":"add","path":"members","value":`+members("3")+`}`, `{"op":"remove","path":"members[value eq \"2\"]"}`)).must(t, http.StatusNoContent)
	if got := a.redmineMembers("6"); got != "3,5" {
		t.Errorf("Developers' groups_users after add and remove = %q, want Bob and the contractor", got)
	}
	before = a.sum("users", "groups_users")
	a.do(http.MethodPatch, "/Groups/6", patch(`{"op":"add","path":"members","value":`+members("3")+`}`, `{"op":"remove","path":"members[value eq \"4\"]"}`)).must(t, http.StatusNoContent)
	a.unchanged("a push of what is already so", before, "users", "groups_users")

	// Push Now by PUT: Alice and Carol replace Bob; the contractor stays.
	a.do(http.MethodPut, "/Groups/6", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"6","displayName":"Okta Developers","members":`+members("2", "4")+`}`).must(t, http.StatusOK)
	if got := a.redmineMembers("6"); got != "2,4,5" {
		t.Errorf("Developers after Push Now (PUT) = %q", got)
	}
	// Push Now by PATCH replace: Carol alone, and no one at all in QA.
	a.do(http.MethodPatch, "/Groups/6", patch(`{"op":"replace","path":"members","value":`+members("4")+`}`)).must(t, http.StatusNoContent)
	a.do(http.MethodPatch, "/Groups/"+qa, patch(`{"op":"replace","path":"members","value":[]}`)).must(t, http.StatusNoContent)
	if got := a.redmineMembers("6") + " " + a.redmineMembers(qa) + " " + a.redmineMembers("8"); got != "4,5  3" {
		t.Errorf("after Push Now (PATCH replace): Developers %q", got)
	}
	// Carol's groups, as Okta reads them on request, and the users of a
	// group by filter.
	if g := a.get("/Users/4?attributes=groups").must(t, http.StatusOK); !strings.Contains(string(g.Body), `"display":"Okta Developers"`) {
		t.Errorf("Carol's groups: %s", g.Body)
	}
	if n, res := a.get("/Users" + filter(`groups[value eq "6"]`)).list(t); n != 1 || str(res[0], "id") != "4" {
		t.Errorf("users of Developers: %d %v", n, res)
	}

	// Refused: the admin, the contractor, a group, the anonymous user and a
	// built-in group as members; a delete. Nothing changes.
	before = a.sum("users", "groups_users")
	for _, id := range []string{"1", "5", "8", "7", "9"} {
		a.do(http.MethodPatch, "/Groups/"+qa, patch(`{"op":"add","path":"members","value":`+members("3", id)+`}`)).
			refused(t, http.StatusBadRequest, "invalidValue", `"`+id+`"`)
	}
	a.do(http.MethodPut, "/Groups/8", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Reporters","members":`+members("1")+`}`).refused(t, http.StatusBadRequest, "invalidValue", `"1"`)
	a.do(http.MethodDelete, "/Groups/"+qa, "").refused(t, http.StatusForbidden, "", "this server does not delete groups")
	a.do(http.MethodPatch, "/Groups/9", patch(`{"op":"add","path":"members","value":`+members("3")+`}`)).refused(t, http.StatusNotFound, "", "not found")
	a.unchanged("refused group requests", before, "users", "groups_users")
	if got := a.redmineOthers(); got != others {
		t.Errorf("rows a group push must not touch changed:\n before %s\n after  %s", others, got)
	}
}

// TestRedmineEntraGroups replays Entra's group provisioning: the lookup
// by displayName without members, a create with Entra's objectId as
// externalId (Redmine has no column for it), the membership checks with
// and without .value, one PATCH with several adds and removes, a rename,
// and a DELETE (refused).
func TestRedmineEntraGroups(t *testing.T) {
	a := serve(t, "redmine")
	others := a.redmineOthers()

	_, res := a.get("/Groups" + filter(`displayName eq "Reporters"`) + "&excludedAttributes=members").list(t)
	if len(res) != 1 || str(res[0], "id") != "8" || res[0]["members"] != nil {
		t.Fatalf("lookup of Reporters without members: %v", res)
	}
	if g := a.get("/Groups/8?excludedAttributes=members").must(t, http.StatusOK).obj(t); g["members"] != nil || str(g, "displayName") != "Reporters" {
		t.Errorf("GET Reporters without members: %v", g)
	}

	// Entra's create: displayName, externalId (its objectId) and no
	// members. Redmine keeps no external id for a group.
	r := a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Support","externalId":"6f1a2b3c-0000-4000-8000-00000000e001","members":[]}`)
	r.must(t, http.StatusCreated)
	support := str(r.obj(t), "id")
	if g := r.obj(t); str(g, "displayName") != "Support" || g["externalId"] != nil {
		t.Errorf("Entra's create answered %s", r.Body)
	}
	a.wantRow("Support|Group|1", "SELECT lastname, type, status FROM users WHERE id = ?", support)
	if id := a.lookupGroup("", "Support"); id != support {
		t.Errorf("the created group is found as %q", id)
	}
	// A group's name is unique among groups only: Bob's surname is free
	// (Redmine's validation is on Group too).
	r = a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Baker","externalId":"6f1a2b3c-0000-4000-8000-00000000e002","members":[]}`).must(t, http.StatusCreated)
	a.wantRow("Baker|Group", "SELECT lastname, type FROM users WHERE id = ?", str(r.obj(t), "id"))
	a.do(http.MethodPatch, "/Groups/"+support, patch(`{"op":"Add","path":"members","value":[{"value":"2"}]}`)).must(t, http.StatusNoContent)

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
		{"8", "3", 1}, {"8", "2", 0}, {"6", "2", 1}, {"6", "5", 0}, {support, "2", 1}, {"9", "3", 0}, {"2", "2", 0},
	} {
		for _, attr := range []string{"members.value", "members"} {
			if got := check(c.group, c.member, attr); got != c.want {
				t.Errorf("id eq %q and %s eq %q: %d, want %d", c.group, attr, c.member, got, c.want)
			}
		}
	}

	// One PATCH with several adds and removes: Bob and Carol join
	// Support, Alice and Carol leave it.
	a.do(http.MethodPatch, "/Groups/"+support, patch(
		`{"op":"Add","path":"members","value":[{"value":"3"},{"value":"4"}]}`,
		`{"op":"Remove","path":"members","value":[{"value":"2"},{"value":"4"}]}`,
	)).must(t, http.StatusNoContent)
	if got := a.redmineMembers(support); got != "3" {
		t.Errorf("Support's groups_users after Entra's PATCH = %q, want Bob", got)
	}
	// Entra renames with a path.
	a.do(http.MethodPatch, "/Groups/"+support, patch(`{"op":"Replace","path":"displayName","value":"Customer Support"}`)).must(t, http.StatusNoContent)
	a.wantRow("Customer Support|Group", "SELECT lastname, type FROM users WHERE id = ?", support)

	// DELETE is refused: Redmine's own delete also removes the group's
	// project memberships and unassigns its issues.
	before := a.sum("users", "groups_users")
	a.do(http.MethodDelete, "/Groups/"+support, "").refused(t, http.StatusForbidden, "", "groups.delete: deny")
	a.do(http.MethodDelete, "/Groups/6", "").refused(t, http.StatusForbidden, "", "groups.delete: deny")
	a.unchanged("refused deletes", before, "users", "groups_users")
	if got := a.redmineMembers("6") + " " + a.redmineMembers("8"); got != "2,5 3" {
		t.Errorf("other groups' memberships changed: %s", got)
	}
	if got := a.redmineOthers(); got != others {
		t.Errorf("rows a group push must not touch changed:\n before %s\n after  %s", others, got)
	}
}
