package examples_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
)

// The Mattermost example's SAML users (examples/mattermost/schema.sql).
const (
	mmAlice = "a1c3e5g7i9k1m3o5q7s9u1w3y5"
	mmBob   = "b2d4f6h8j0l2n4p6r8t0v2x4z6"
	mmCarol = "c3e5g7i9k1m3o5q7s9u1w3y5a7"
	mmDave  = "d4f6h8j0l2n4p6r8t0v2x4z6b8"
	mmAdmin = "9xq3ad7m1jgqbpw8ztkyh6c5ar"
	mmBot   = "k5w8ubqzrjfd3ynm4t1hx6oe7c"
)

// mmTimes reads a Mattermost user's DeleteAt and UpdateAt.
func (a *app) mmTimes(id string) (deleteAt, updateAt int64) {
	a.t.Helper()
	r := a.row("SELECT DeleteAt, UpdateAt FROM Users WHERE Id = ?", id)
	d, err1 := strconv.ParseInt(r[0], 10, 64)
	u, err2 := strconv.ParseInt(r[1], 10, 64)
	if err1 != nil || err2 != nil {
		a.t.Fatalf("times of %s: %v", id, r)
	}
	return d, u
}

// TestMattermostOkta replays Okta against Mattermost's Users table:
// import, lookup, profile push, deactivate and reactivate as DeleteAt.
func TestMattermostOkta(t *testing.T) {
	a := serve(t, "mattermost")
	tables := []string{"Users", "Bots", "Teams", "TeamMembers"}

	// Import: the four SAML users, not the admin, the bot or Gina
	// (GitLab); Carol was deactivated in Mattermost.
	imported := map[string]string{}
	for start := 1; ; start += 3 {
		n, res := a.get(fmt.Sprintf("/Users?startIndex=%d&count=3", start)).list(t)
		if n != 4 {
			t.Fatalf("import: totalResults %d, want 4", n)
		}
		for _, u := range res {
			imported[str(u, "userName")] = fmt.Sprintf("%s %s %s %v %s", str(u, "name.givenName"), str(u, "name.familyName"), emailOf(u), u["active"], str(u, "meta.created"))
		}
		if len(res) < 3 {
			break
		}
	}
	want := map[string]string{
		"alice": "Alice Adams alice@example.net true 2025-01-05T18:00:00Z",
		"bob":   "Bob Baker bob@example.net true 2025-01-05T18:00:01Z",
		"carol": "Carol Clark carol@example.net false 2025-01-05T18:00:02Z",
		"dave":  "Dave Dunn dave@example.net true 2025-01-05T18:00:03Z",
	}
	if fmt.Sprint(imported) != fmt.Sprint(want) {
		t.Errorf("imported = %v, want %v", imported, want)
	}
	if id := a.lookupUser("", "alice"); id != mmAlice {
		t.Errorf("lookup alice = %q", id)
	}
	for _, outside := range []string{"sysadmin", "feedbackbot", "gina"} {
		if id := a.lookupUser("", outside); id != "" {
			t.Errorf("%s is visible: %q", outside, id)
		}
	}

	// Profile push: names and e-mail in the user's row, UpdateAt stamped
	// in milliseconds, the rest of the row untouched.
	_, updatedBefore := a.mmTimes(mmAlice)
	a.do(http.MethodPatch, "/Users/"+mmAlice, patch(`{"op":"replace","value":{"name.givenName":"Alicia","name.familyName":"Archer","emails":[{"primary":true,"type":"work","value":"alicia.archer@example.net"}]}}`)).must(t, http.StatusOK)
	a.wantRow("Alicia|Archer|alicia.archer@example.net|ali|Engineer|alice@example.net|saml|0", "SELECT FirstName, LastName, Email, Nickname, Position, AuthData, AuthService, DeleteAt FROM Users WHERE Id = ?", mmAlice)
	if _, updated := a.mmTimes(mmAlice); updated <= updatedBefore || updated < 1e12 {
		t.Errorf("UpdateAt after the push = %d, was %d (epoch ms)", updated, updatedBefore)
	}
	// PUT of Okta's full profile.
	a.do(http.MethodPut, "/Users/"+mmBob, oktaUser(mmBob, "bob", "Robert", "Baker", "bob@example.net", nil)).must(t, http.StatusOK)
	a.wantRow("Robert|Baker|bob@example.net|0", "SELECT FirstName, LastName, Email, DeleteAt FROM Users WHERE Id = ?", mmBob)

	// Deactivate: DeleteAt is the time in epoch ms; reactivate: 0.
	a.do(http.MethodPatch, "/Users/"+mmAlice, oktaDeactivate).must(t, http.StatusOK)
	deleted, updated := a.mmTimes(mmAlice)
	if deleted < 1e12 || deleted != updated {
		t.Errorf("deactivated: DeleteAt %d, UpdateAt %d (both now in ms)", deleted, updated)
	}
	if n, res := a.get("/Users" + filter(`active eq false`)).list(t); n != 2 || str(res[0], "userName") == str(res[1], "userName") {
		t.Errorf("active eq false: %d %v", n, res)
	}
	before := a.sum(tables...)
	a.do(http.MethodPatch, "/Users/"+mmAlice, oktaDeactivate).must(t, http.StatusOK)
	a.unchanged("deactivating an inactive user", before, tables...)
	a.do(http.MethodPatch, "/Users/"+mmAlice, oktaReactivate).must(t, http.StatusOK)
	a.wantRow("0", "SELECT DeleteAt FROM Users WHERE Id = ?", mmAlice)
	a.do(http.MethodPatch, "/Users/"+mmCarol, oktaReactivate).must(t, http.StatusOK)
	a.wantRow("0", "SELECT DeleteAt FROM Users WHERE Id = ?", mmCarol)

	// Refused: a create, a username Mattermost rejects, an e-mail another
	// user holds, the SAML id; nothing changes.
	before = a.sum(tables...)
	a.do(http.MethodPost, "/Users", oktaUser("", "erin", "Erin", "Eve", "erin@example.net", nil)).refused(t, http.StatusForbidden, "", "")
	a.do(http.MethodPatch, "/Users/"+mmDave, patch(`{"op":"replace","path":"userName","value":"Dave Dunn"}`)).refused(t, http.StatusBadRequest, "invalidValue", "")
	a.do(http.MethodPatch, "/Users/"+mmDave, patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"sysadmin@example.net"}`)).refused(t, http.StatusConflict, "uniqueness", "")
	a.do(http.MethodPatch, "/Users/"+mmDave, patch(`{"op":"replace","path":"externalId","value":"someone-else"}`)).refused(t, http.StatusBadRequest, "mutability", "")
	a.do(http.MethodPatch, "/Users/"+mmAdmin, oktaDeactivate).refused(t, http.StatusNotFound, "", "")
	a.do(http.MethodPatch, "/Users/"+mmBot, oktaDeactivate).refused(t, http.StatusNotFound, "", "")
	a.unchanged("refused requests", before, tables...)
}

// TestMattermostEntra replays Entra: its PATCH shapes (paths and no
// path, string booleans), disable, enable and DELETE.
func TestMattermostEntra(t *testing.T) {
	a := serve(t, "mattermost")
	tables := []string{"Users", "Bots", "Teams", "TeamMembers"}
	a.do(http.MethodPatch, "/Users/"+mmDave, patch(
		`{"op":"Replace","path":"name.givenName","value":"David"}`,
		`{"op":"Replace","path":"title","value":"Designer"}`,
		`{"op":"Add","path":"nickName","value":"dd"}`,
	)).must(t, http.StatusOK)
	a.do(http.MethodPatch, "/Users/"+mmDave, patch(`{"op":"Replace","value":{"name.familyName":"Dunne","emails[type eq \"work\"].value":"david.dunne@example.net"}}`)).must(t, http.StatusOK)
	a.wantRow("David|Dunne|dd|Designer|david.dunne@example.net", "SELECT FirstName, LastName, Nickname, Position, Email FROM Users WHERE Id = ?", mmDave)

	a.do(http.MethodPatch, "/Users/"+mmDave, patch(`{"op":"Replace","path":"active","value":"False"}`)).must(t, http.StatusOK)
	if d, _ := a.mmTimes(mmDave); d < 1e12 {
		t.Errorf("disabled: DeleteAt %d", d)
	}
	a.do(http.MethodPatch, "/Users/"+mmDave, patch(`{"op":"Replace","path":"active","value":"True"}`)).must(t, http.StatusOK)
	a.wantRow("0", "SELECT DeleteAt FROM Users WHERE Id = ?", mmDave)

	// DELETE deactivates (Mattermost's permanent delete is not an IdP's):
	// the row stays, with DeleteAt set, readable as inactive.
	a.do(http.MethodDelete, "/Users/"+mmDave, "").must(t, http.StatusNoContent)
	if d, _ := a.mmTimes(mmDave); d < 1e12 {
		t.Errorf("deleted: DeleteAt %d", d)
	}
	if u := a.get("/Users/"+mmDave).must(t, http.StatusOK).obj(t); u["active"] != false {
		t.Errorf("after DELETE: active %v", u["active"])
	}
	// Out of scope: the admin, the bot and the GitLab user are 404.
	before := a.sum(tables...)
	for _, id := range []string{mmAdmin, mmBot, "ge4dkz1p8bfhxm3r6wqa9tjc5y"} {
		a.do(http.MethodDelete, "/Users/"+id, "").refused(t, http.StatusNotFound, "", "")
		a.do(http.MethodPatch, "/Users/"+id, patch(`{"op":"Replace","path":"active","value":"False"}`)).refused(t, http.StatusNotFound, "", "")
	}
	a.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"erin","active":true,"emails":[{"primary":true,"type":"work","value":"erin@example.net"}]}`).refused(t, http.StatusForbidden, "", "")
	a.unchanged("refused requests", before, tables...)
}
