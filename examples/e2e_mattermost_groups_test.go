package examples_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The Mattermost example's teams (examples/mattermost/schema.sql).
const (
	mmEng     = "3izrntoe5gtrggzf86qz3qu8sc" // open; Bob left; the admin and Gina (GitLab) are members
	mmSales   = "ebkkua1ba9jzgpnyrn3s3ekb8w" // Bob, Dave; Carol left
	mmStaff   = "gkcopruzxfw8ph1fftijbxoh8y" // the admin's, with Alice
	mmSupport = "f6yef6cm3ws56bytduh7ckp9cy" // archived, its rows kept
	mmGina    = "ge4dkz1p8bfhxm3r6wqa9tjc5y"
)

// mmSeeded is later than every time in the seed and earlier than any
// this test writes: a DeleteAt above it was stamped by SCIM.
const mmSeeded = 1740000000000

// mmNewID is a Mattermost id, as model.NewId makes them.
var mmNewID = regexp.MustCompile(`^[ybndrfg8ejkmcpqxot1uwisza345h769]{26}$`)

// mmTeam reads a team's TeamMembers rows, every one of them, live or
// not, as "username:DeleteAt:SchemeUser/SchemeAdmin/SchemeGuest:Roles"
// ordered by username, where a DeleteAt stamped by this test reads "now".
func (a *app) mmTeam(team string) string {
	a.t.Helper()
	return a.value(`SELECT COALESCE(GROUP_CONCAT(CONCAT(u.Username, ':', IF(m.DeleteAt > ?, 'now', m.DeleteAt), ':', m.SchemeUser, '/', m.SchemeAdmin, '/', m.SchemeGuest, ':', m.Roles) ORDER BY u.Username SEPARATOR ' '), '')
		FROM TeamMembers m JOIN Users u ON u.Id = m.UserId WHERE m.TeamId = ?`, mmSeeded, team)
}

// mmWantTeam checks a team's TeamMembers rows (mmTeam).
func (a *app) mmWantTeam(team, want string) {
	a.t.Helper()
	if got := a.mmTeam(team); got != want {
		a.t.Errorf("TeamMembers of %s:\n got: %s\nwant: %s", team, got, want)
	}
}

// mmRoles reads every user's Users.Roles, which teams never touch.
func (a *app) mmRoles() string {
	a.t.Helper()
	return a.value("SELECT GROUP_CONCAT(CONCAT(Username, '=', Roles) ORDER BY Username SEPARATOR ', ') FROM Users")
}

// The seed's TeamMembers rows of each team.
const (
	mmEngSeed     = "alice:0:1/0/0: bob:1736150000000:1/0/0: gina:0:1/0/0: sysadmin:0:1/1/0:"
	mmSalesSeed   = "bob:0:1/0/0: carol:1736208000000:1/0/0: dave:0:1/0/0:"
	mmStaffSeed   = "alice:0:1/0/0: sysadmin:0:1/1/0:"
	mmSupportSeed = "alice:0:1/0/0: dave:0:1/0/0:"
	mmRolesSeed   = "alice=system_user, bob=system_user, carol=system_user, dave=system_user, feedbackbot=system_user, gina=system_user, sysadmin=system_admin system_user"
)

// mmUsersUnchanged checks, at the end of a test of teams, that no user
// row and no Roles entry was written.
func mmUsersUnchanged(a *app) func() {
	before := a.sum("Users", "Bots")
	return func() {
		a.t.Helper()
		a.unchanged("team requests", before, "Users", "Bots")
		if got := a.mmRoles(); got != mmRolesSeed {
			a.t.Errorf("Users.Roles = %s, want %s", got, mmRolesSeed)
		}
	}
}

// TestMattermostOktaGroupPush replays Okta's Group Push on Mattermost's
// teams: link an existing team and rename it, add and remove members
// (TeamMembers.DeleteAt stamped and revived), Push Now replacing all
// members, and a pushed group that becomes a new team.
func TestMattermostOktaGroupPush(t *testing.T) {
	a := serve(t, "mattermost")
	usersUnchanged := mmUsersUnchanged(a)
	teams := []string{"Teams", "TeamMembers"}

	// Import: the teams that are not archived; members are the SAML users
	// with a live row (Bob left Engineering; the admin and Gina are not
	// the identity provider's).
	n, res := a.get("/Groups?startIndex=1&count=100").list(t)
	var names []string
	for _, g := range res {
		names = append(names, str(g, "displayName"))
	}
	if n != 3 || strings.Join(names, ",") != "Engineering,Sales,Staff" {
		t.Errorf("groups = %d %v, want Engineering, Sales, Staff (Support is archived)", n, names)
	}
	if got := a.groupMembers("", mmEng); got != mmAlice {
		t.Errorf("Engineering's members = %s, want Alice only", got)
	}
	if got := a.groupMembers("", mmSales); got != mmBob+","+mmDave {
		t.Errorf("Sales' members = %s, want Bob and Dave (Carol left)", got)
	}
	a.get("/Groups/"+mmSupport).refused(t, http.StatusNotFound, "", "")

	// Link: "Find groups by name" finds the team; the archived one is not found.
	if id := a.lookupGroup("", "Engineering"); id != mmEng {
		t.Fatalf("lookup Engineering = %q", id)
	}
	if id := a.lookupGroup("", "Support"); id != "" {
		t.Errorf("the archived team is found: %q", id)
	}

	// Rename, by path and Okta's path-less replace: DisplayName only; the
	// URL name stays, UpdateAt is stamped.
	a.do(http.MethodPatch, "/Groups/"+mmEng, patch(`{"op":"replace","path":"displayName","value":"Platform"}`)).must(t, http.StatusNoContent)
	a.do(http.MethodPatch, "/Groups/"+mmEng, patch(`{"op":"replace","value":{"id":"`+mmEng+`","displayName":"Platform Engineering"}}`)).must(t, http.StatusNoContent)
	a.wantRow("Platform Engineering|engineering|O|0|1", "SELECT DisplayName, Name, Type, DeleteAt, UpdateAt > ? FROM Teams WHERE Id = ?", mmSeeded, mmEng)
	a.mmWantTeam(mmEng, mmEngSeed)

	// Add: Bob's row is revived (the same row, his scheme flags kept),
	// Dave gets a new row with the example's defaults.
	a.do(http.MethodPatch, "/Groups/"+mmEng, patch(`{"op":"add","path":"members","value":`+members(mmBob, mmDave)+`}`)).must(t, http.StatusNoContent)
	a.mmWantTeam(mmEng, "alice:0:1/0/0: bob:0:1/0/0: dave:0:1/0/0: gina:0:1/0/0: sysadmin:0:1/1/0:")
	// Adding a member again writes nothing.
	before := a.sum(teams...)
	a.do(http.MethodPatch, "/Groups/"+mmEng, patch(`{"op":"add","path":"members","value":`+members(mmBob)+`}`)).must(t, http.StatusNoContent)
	a.unchanged("adding a member again", before, teams...)

	// Remove: Alice's row stays, DeleteAt stamped with now in ms.
	a.do(http.MethodPatch, "/Groups/"+mmEng, patch(`{"op":"remove","path":"members[value eq \"`+mmAlice+`\"]"}`)).must(t, http.StatusNoContent)
	a.mmWantTeam(mmEng, "alice:now:1/0/0: bob:0:1/0/0: dave:0:1/0/0: gina:0:1/0/0: sysadmin:0:1/1/0:")
	if got := a.groupMembers("", mmEng); got != mmBob+","+mmDave {
		t.Errorf("after the removal: %s", got)
	}

	// Push Now: PUT with all members. Alice is revived, Bob and Dave
	// leave; the admin's and Gina's rows are not SCIM's and stay.
	a.do(http.MethodPut, "/Groups/"+mmEng, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"`+mmEng+`","displayName":"Platform Engineering","members":`+members(mmAlice, mmCarol)+`}`).must(t, http.StatusOK)
	a.mmWantTeam(mmEng, "alice:0:1/0/0: bob:now:1/0/0: carol:0:1/0/0: dave:now:1/0/0: gina:0:1/0/0: sysadmin:0:1/1/0:")
	// and as PATCH replace of members.
	a.do(http.MethodPatch, "/Groups/"+mmEng, patch(`{"op":"replace","path":"members","value":`+members(mmDave)+`}`)).must(t, http.StatusNoContent)
	a.mmWantTeam(mmEng, "alice:now:1/0/0: bob:now:1/0/0: carol:now:1/0/0: dave:0:1/0/0: gina:0:1/0/0: sysadmin:0:1/1/0:")
	if got := a.groupMembers("", mmEng); got != mmDave {
		t.Errorf("after Push Now: %s, want Dave", got)
	}
	// A PUT with the same members writes no membership.
	before = a.sum("TeamMembers")
	a.do(http.MethodPut, "/Groups/"+mmEng, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Platform Engineering","members":`+members(mmDave)+`}`).must(t, http.StatusOK)
	a.unchanged("a PUT with the same members", before, "TeamMembers")

	// Create: a new team with a Mattermost id, which is also its URL
	// name; invite only; members written with the defaults.
	r := a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Marketing","members":`+members(mmAlice, mmBob)+`}`).must(t, http.StatusCreated)
	g := r.obj(t)
	id := str(g, "id")
	if !mmNewID.MatchString(id) {
		t.Fatalf("new team id %q is not a Mattermost id", id)
	}
	if loc := r.Header.Get("Location"); !strings.HasSuffix(loc, "/Groups/"+id) {
		t.Errorf("Location = %q", loc)
	}
	a.wantRow("Marketing|"+id+"|I|0|1|1||||||0|0|0|NULL", "SELECT DisplayName, Name, Type, DeleteAt, CreateAt > ?, UpdateAt = CreateAt, Description, Email, CompanyName, AllowedDomains, InviteId, AllowOpenInvite, LastTeamIconUpdate, GroupConstrained, SchemeId FROM Teams WHERE Id = ?", mmSeeded, id)
	a.mmWantTeam(id, "alice:0:1/0/0: bob:0:1/0/0:")
	if got := str(g, "meta.created"); got == "" || !strings.HasPrefix(got, "20") {
		t.Errorf("meta.created = %q", got)
	}

	// Refused, with nothing written: a name another team has, a name
	// over Mattermost's 64 characters, a member SCIM does not manage (the
	// admin, a bot, Gina of GitLab), the archived team, an unknown one.
	before = a.sum(teams...)
	a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales"}`).refused(t, http.StatusConflict, "uniqueness", "")
	a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"`+strings.Repeat("x", 65)+`"}`).refused(t, http.StatusBadRequest, "invalidValue", "")
	for _, outside := range []string{mmAdmin, mmBot, mmGina} {
		a.do(http.MethodPatch, "/Groups/"+mmSales, patch(`{"op":"add","path":"members","value":`+members(outside)+`}`)).refused(t, http.StatusBadRequest, "invalidValue", "")
	}
	a.do(http.MethodPatch, "/Groups/"+mmSupport, patch(`{"op":"add","path":"members","value":`+members(mmBob)+`}`)).refused(t, http.StatusNotFound, "", "")
	a.do(http.MethodPatch, "/Groups/"+mmSupport, patch(`{"op":"replace","path":"displayName","value":"Help"}`)).refused(t, http.StatusNotFound, "", "")
	a.do(http.MethodPatch, "/Groups/zzzzzzzzzzzzzzzzzzzzzzzzzz", patch(`{"op":"add","path":"members","value":`+members(mmBob)+`}`)).refused(t, http.StatusNotFound, "", "")
	a.unchanged("refused requests", before, teams...)

	// The rows that must not change: the teams not pushed and the archived one.
	a.mmWantTeam(mmSales, mmSalesSeed)
	a.mmWantTeam(mmStaff, mmStaffSeed)
	a.mmWantTeam(mmSupport, mmSupportSeed)
	a.wantRow("Support|support|1736150400000", "SELECT DisplayName, Name, DeleteAt FROM Teams WHERE Id = ?", mmSupport)
	usersUnchanged()
}

// entraGroup is the body of Entra's POST /Groups: externalId (the Entra
// object id), displayName and no members (Entra adds them by PATCH).
func entraGroup(objectID, name string) string {
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":"` + objectID + `","displayName":` + jsonString(name) + `,"members":[]}`
}

// entraHas is Entra's membership check: does the group have the member?
func (a *app) entraHas(group, user, path string) bool {
	a.t.Helper()
	f := url.QueryEscape(`id eq "` + group + `" and ` + path + ` eq "` + user + `"`)
	n, _ := a.get("/Groups?filter=" + f + "&attributes=id").list(a.t)
	return n == 1
}

// TestMattermostEntraGroups replays Entra's group provisioning on
// Mattermost's teams: create, its membership checks, PATCH with several
// adds and removes, excludedAttributes=members, rename and DELETE
// (archive).
func TestMattermostEntraGroups(t *testing.T) {
	a := serve(t, "mattermost")
	usersUnchanged := mmUsersUnchanged(a)
	teams := []string{"Teams", "TeamMembers"}

	// Entra looks the group up by displayName, then creates it: a team
	// with a Mattermost id. Teams has no column for Entra's object id, so
	// externalId is not kept; Entra finds the group by id afterwards.
	if id := a.lookupGroup("", "Field Ops"); id != "" {
		t.Fatalf("Field Ops exists: %s", id)
	}
	g := a.do(http.MethodPost, "/Groups", entraGroup("5d4f1c0e-8a8b-4c47-9a61-2b4f0c1d9e77", "Field Ops"), "User-Agent", "Azure AD SCIM").must(t, http.StatusCreated).obj(t)
	ops := str(g, "id")
	if !mmNewID.MatchString(ops) {
		t.Fatalf("new team id %q", ops)
	}
	a.mmWantTeam(ops, "")

	// Several members added and removed in one PATCH, as Entra sends
	// them; then the checks Entra makes before and after.
	a.do(http.MethodPatch, "/Groups/"+ops, patch(
		`{"op":"Add","path":"members","value":[{"value":"`+mmAlice+`"},{"value":"`+mmBob+`"},{"value":"`+mmDave+`"}]}`,
	)).must(t, http.StatusNoContent)
	a.do(http.MethodPatch, "/Groups/"+ops, patch(
		`{"op":"Remove","path":"members","value":[{"value":"`+mmAlice+`"},{"value":"`+mmDave+`"}]}`,
		`{"op":"Add","path":"members","value":[{"value":"`+mmCarol+`"}]}`,
	)).must(t, http.StatusNoContent)
	a.mmWantTeam(ops, "alice:now:1/0/0: bob:0:1/0/0: carol:0:1/0/0: dave:now:1/0/0:")
	for _, c := range []struct {
		group, user, path string
		want              bool
	}{
		{ops, mmBob, "members.value", true},
		{ops, mmCarol, "members", true},
		{ops, mmAlice, "members.value", false}, // removed: her row is kept, stamped
		{mmEng, mmBob, "members.value", false}, // left Engineering in Mattermost
		{mmEng, mmAlice, "members", true},
		{mmEng, mmAdmin, "members.value", false},     // not the identity provider's
		{mmSupport, mmAlice, "members.value", false}, // archived team
	} {
		if got := a.entraHas(c.group, c.user, c.path); got != c.want {
			t.Errorf("%s eq %s in %s: %v, want %v", c.path, c.user, c.group, got, c.want)
		}
	}

	// excludedAttributes=members: the team without its member list.
	if got := a.get("/Groups/"+mmEng+"?excludedAttributes=members").must(t, http.StatusOK).obj(t); got["members"] != nil || str(got, "displayName") != "Engineering" {
		t.Errorf("excludedAttributes=members: %v", got)
	}
	if _, res := a.get("/Groups?excludedAttributes=members&startIndex=1&count=100").list(t); len(res) != 4 || res[0]["members"] != nil {
		t.Errorf("list with excludedAttributes=members: %v", res)
	}

	// Rename by path with Entra's capitalised op.
	a.do(http.MethodPatch, "/Groups/"+ops, patch(`{"op":"Replace","path":"displayName","value":"Field Operations"}`)).must(t, http.StatusNoContent)
	a.wantRow("Field Operations|"+ops, "SELECT DisplayName, Name FROM Teams WHERE Id = ?", ops)

	// DELETE archives the team, as Mattermost's Archive Team does: the
	// row stays with DeleteAt now and its TeamMembers rows as they were
	// (Mattermost restores a team with its members); the team is gone
	// for SCIM, also from its members' groups.
	if u := a.get("/Users/"+mmBob+"?attributes=groups").must(t, http.StatusOK).obj(t); !strings.Contains(fmtJSON(u["groups"]), ops) {
		t.Errorf("Bob's groups before the archive lack the team: %v", u["groups"])
	}
	before := a.sum("TeamMembers")
	a.do(http.MethodDelete, "/Groups/"+ops, "").must(t, http.StatusNoContent)
	a.wantRow("Field Operations|1", "SELECT DisplayName, DeleteAt > ? FROM Teams WHERE Id = ?", mmSeeded, ops)
	a.unchanged("archiving a team", before, "TeamMembers")
	if u := a.get("/Users/"+mmBob+"?attributes=groups").must(t, http.StatusOK).obj(t); strings.Contains(fmtJSON(u["groups"]), ops) {
		t.Errorf("the archived team is still among Bob's groups: %v", u["groups"])
	}
	a.get("/Groups/"+ops).refused(t, http.StatusNotFound, "", "")
	if id := a.lookupGroup("", "Field Operations"); id != "" {
		t.Errorf("the archived team is still found: %s", id)
	}

	// Refused, with nothing written: deleting it again; deleting a team
	// the admin and Gina still belong to (SCIM does not manage them);
	// deleting the archived team.
	before = a.sum(teams...)
	a.do(http.MethodDelete, "/Groups/"+ops, "").refused(t, http.StatusNotFound, "", "")
	a.do(http.MethodDelete, "/Groups/"+mmEng, "").refused(t, http.StatusConflict, "", "still held by 2 account(s)")
	a.do(http.MethodDelete, "/Groups/"+mmSupport, "").refused(t, http.StatusNotFound, "", "")
	a.unchanged("refused requests", before, teams...)

	a.mmWantTeam(mmEng, mmEngSeed)
	a.mmWantTeam(mmSales, mmSalesSeed)
	a.mmWantTeam(mmStaff, mmStaffSeed)
	a.mmWantTeam(mmSupport, mmSupportSeed)
	usersUnchanged()
}

// fmtJSON renders a decoded JSON value back as JSON.
func fmtJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
