package examples_test

import (
	"fmt"
	"net/http"
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
