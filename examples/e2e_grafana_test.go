package examples_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestGrafanaOkta replays what Okta does for Grafana users who sign in
// through SAML: lookups, profile pushes of the name (which Grafana keeps
// in one column, user.name), deactivation through is_disabled,
// reactivation and imports; service accounts and the local server admin
// stay out of reach.
func TestGrafanaOkta(t *testing.T) {
	a := serve(t, "grafana")
	tables := []string{"user"}
	others := "SELECT GROUP_CONCAT(CONCAT_WS(':', id, login, email, name, is_disabled, updated) ORDER BY id) FROM `user` WHERE is_service_account = 1 OR is_admin = 1"
	othersBefore := a.value(others)

	// Test API Credentials, then Okta's lookup by userName.
	if n, _ := a.get("/Users?startIndex=1&count=1").list(t); n != 5 {
		t.Errorf("Test API Credentials: %d users, want the 5 people", n)
	}
	if id := a.lookupUser("", "alice"); id != "2" {
		t.Fatalf("lookup alice = %q, want 2", id)
	}
	for _, hidden := range []string{"admin", "sa-1-ci-bot"} {
		if id := a.lookupUser("", hidden); id != "" {
			t.Errorf("lookup %s found %s: service accounts and the server admin are not Okta's", hidden, id)
		}
	}

	// The name column is split into the name Okta reads.
	for _, u := range []struct{ id, given, family string }{
		{"2", "Alice", "Smith"}, {"4", "Mary", "Ann Smith"}, {"5", "Cher", ""},
	} {
		got := a.get("/Users/"+u.id).must(t, http.StatusOK).obj(t)
		if str(got, "name.givenName") != u.given || str(got, "name.familyName") != u.family {
			t.Errorf("GET /Users/%s name = %v, want %q %q", u.id, got["name"], u.given, u.family)
		}
	}

	// Push Profile Updates, as Okta sends them: a PATCH with only the
	// changed given name keeps the stored family name; a PUT writes both.
	stamp := "SELECT name, updated > '2025-06-01 10:00:00' FROM `user` WHERE id = ?"
	a.do(http.MethodPatch, "/Users/2", patch(`{"op":"replace","value":{"name":{"givenName":"Alicia"}}}`)).must(t, http.StatusOK)
	a.wantRow("Alicia Smith|1", stamp, 2)
	r := a.do(http.MethodPut, "/Users/2", oktaUser("2", "alice", "Alicia", "Smith-Jones", "alice@acme.test", nil)).must(t, http.StatusOK)
	a.wantRow("Alicia Smith-Jones|1", stamp, 2)
	if got := r.obj(t); str(got, "name.familyName") != "Smith-Jones" {
		t.Errorf("PUT answered name %v", got["name"])
	}
	// Entra's shapes reach the column too.
	a.do(http.MethodPatch, "/Users/3", patch(`{"op":"Replace","path":"name.familyName","value":"Brown"}`)).must(t, http.StatusOK)
	a.wantRow("Bob Brown", "SELECT name FROM `user` WHERE id = ?", 3)
	a.do(http.MethodPatch, "/Users/3", patch(`{"op":"Replace","value":{"name.givenName":"Robert"}}`)).must(t, http.StatusOK)
	a.wantRow("Robert Brown", "SELECT name FROM `user` WHERE id = ?", 3)
	// A single name gains a family name.
	a.do(http.MethodPatch, "/Users/5", patch(`{"op":"add","path":"name.familyName","value":"Sarkisian"}`)).must(t, http.StatusOK)
	a.wantRow("Cher Sarkisian", "SELECT name FROM `user` WHERE id = ?", 5)

	// "Mary Ann Smith" splits more than one way: a change of one part is
	// refused (it would lose "Ann" or misplace it), both parts together
	// are written, and the same names again write nothing.
	before := a.sum(tables...)
	a.do(http.MethodPatch, "/Users/4", patch(`{"op":"replace","value":{"name":{"givenName":"Marie"}}}`)).
		refused(t, http.StatusBadRequest, "invalidValue", `the stored name "Mary Ann Smith" does not split into name.givenName and name.familyName one way`)
	a.do(http.MethodPut, "/Users/4", oktaUser("4", "mary", "Mary Ann", "Smith", "mary@acme.test", nil)).must(t, http.StatusOK)
	a.unchanged("a PUT of the stored name", before, tables...)
	a.do(http.MethodPatch, "/Users/4", patch(`{"op":"replace","value":{"name":{"givenName":"Mary","familyName":"Jones"}}}`)).must(t, http.StatusOK)
	a.wantRow("Mary Jones", "SELECT name FROM `user` WHERE id = ?", 4)

	// Filters on the parts read the column by the same rule.
	if n, res := a.get("/Users" + filter(`name.familyName eq "jones"`)).list(t); n != 1 || str(res[0], "id") != "4" {
		t.Errorf("name.familyName eq \"jones\" found %d: %v", n, res)
	}
	if n, _ := a.get("/Users" + filter(`name.givenName sw "Al" or name.familyName co "Brown"`)).list(t); n != 2 {
		t.Errorf("name.givenName sw \"Al\" or name.familyName co \"Brown\" found %d, want Alicia and Robert", n)
	}

	// Requests Grafana's table cannot answer are refused and change nothing.
	before = a.sum(tables...)
	a.get("/Users?sortBy=name.familyName").
		refused(t, http.StatusBadRequest, "invalidValue", `name.familyName is stored inside column "name"`)
	a.do(http.MethodPatch, "/Users/2", patch(`{"op":"replace","path":"userName","value":"alicia"}`)).
		refused(t, http.StatusBadRequest, "mutability", "userName is immutable")
	a.do(http.MethodPost, "/Users", oktaUser("", "erin", "Erin", "Lee", "erin@acme.test", nil)).
		refused(t, http.StatusForbidden, "", "")
	a.do(http.MethodPatch, "/Users/3", patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"alice@acme.test"}`)).
		refused(t, http.StatusConflict, "uniqueness", "already taken")
	a.do(http.MethodPatch, "/Users/7", oktaDeactivate).refused(t, http.StatusNotFound, "", `User "7" not found`)
	a.do(http.MethodPatch, "/Users/1", patch(`{"op":"replace","value":{"name":{"givenName":"Root"}}}`)).refused(t, http.StatusNotFound, "", `User "1" not found`)
	a.unchanged("refused requests", before, tables...)

	// Deactivate and reactivate: is_disabled, which Grafana checks at login.
	a.do(http.MethodPatch, "/Users/3", oktaDeactivate).must(t, http.StatusOK)
	a.wantRow("1", "SELECT is_disabled FROM `user` WHERE id = ?", 3)
	if got := a.get("/Users/3").must(t, http.StatusOK).obj(t); got["active"] != false {
		t.Errorf("deactivated user reads active=%v", got["active"])
	}
	a.do(http.MethodPatch, "/Users/3", oktaReactivate).must(t, http.StatusOK)
	a.wantRow("0|Robert Brown", "SELECT is_disabled, name FROM `user` WHERE id = ?", 3)

	// Import: Okta pages through every user; meta comes from created/updated.
	var ids []string
	for start := 1; start <= 5; start += 2 {
		n, res := a.get("/Users?startIndex=" + strconv.Itoa(start) + "&count=2").list(t)
		if n != 5 {
			t.Errorf("page at %d: totalResults %d, want 5", start, n)
		}
		for _, u := range res {
			ids = append(ids, str(u, "id"))
			if !strings.HasPrefix(str(u, "meta.created"), "2025-04-0") {
				t.Errorf("user %s meta.created = %q", str(u, "id"), str(u, "meta.created"))
			}
		}
	}
	if got := strings.Join(ids, ","); got != "2,3,4,5,6" {
		t.Errorf("imported %s, want 2,3,4,5,6", got)
	}

	// Service accounts and the server admin were never touched.
	if got := a.value(others); got != othersBefore {
		t.Errorf("service accounts or the admin changed:\n%s\n%s", othersBefore, got)
	}
}
