package examples_test

import (
	"net/http"
	"strings"
	"testing"
)

// globexToken is the token of examples/grafana's second organisation
// (Globex, org 2), read from RETROSCIM_GLOBEX_TOKEN.
const globexToken = "globex-e2e-token-0123456789abcdef"

// serveGrafanaOrgs serves examples/grafana with both organisations'
// tokens; requests go out as Main Org.'s (org 1) unless asOrg says.
func serveGrafanaOrgs(t *testing.T) *app {
	t.Setenv("RETROSCIM_GLOBEX_TOKEN", globexToken)
	return serve(t, "grafana")
}

// asOrg switches the bearer token to organisation 1 or 2.
func (a *app) asOrg(org int) {
	a.token = map[int]string{1: oktaToken, 2: globexToken}[org]
}

// orgRows is a digest of everything an organisation holds that SCIM could
// write: its teams, their members and its org_user rows, every column.
func (a *app) orgRows(org int) string {
	a.t.Helper()
	return strings.Join([]string{
		a.value("SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', id, name, org_id, created, updated, uid, external_uid, email))), 0) FROM team WHERE org_id = ?", org),
		a.value("SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', id, org_id, team_id, user_id, created, updated, permission))), 0) FROM team_member WHERE org_id = ?", org),
		a.value("SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', id, org_id, user_id, role, created, updated))), 0) FROM org_user WHERE org_id = ?", org),
	}, " ")
}

// teamMembers lists team_member rows of a team as user:org_id:permission.
func (a *app) teamMembers(team string) string {
	a.t.Helper()
	return a.value("SELECT COALESCE(GROUP_CONCAT(CONCAT_WS(':', user_id, org_id, COALESCE(permission, 'NULL')) ORDER BY user_id), '') FROM team_member WHERE team_id = ?", team)
}

// TestGrafanaOktaTeams replays Okta's Group Push for Main Org.'s teams:
// link an existing team by name and rename it, create a team, add and
// remove members, and Push Now replacing all members. Globex's teams,
// members and org_user rows never change; Globex's team is 404 to Main
// Org. on every verb and a Globex-only user cannot be added.
func TestGrafanaOktaTeams(t *testing.T) {
	a := serveGrafanaOrgs(t)
	globex := a.orgRows(2)
	keep := func(what string) {
		t.Helper()
		if got := a.orgRows(2); got != globex {
			t.Errorf("%s changed Globex's rows:\n before %s\n after  %s", what, globex, got)
		}
	}

	// Link: Okta finds the team by name; Globex's team is not found.
	if id := a.lookupGroup("", "sre"); id != "1" {
		t.Fatalf("lookup sre = %q, want 1", id)
	}
	if id := a.lookupGroup("", "Analysts"); id != "" {
		t.Errorf("Main Org. found Globex's team Analysts: %s", id)
	}
	if n, _ := a.get("/Groups?startIndex=1&count=100").list(t); n != 2 {
		t.Errorf("Main Org. lists %d teams, want its 2", n)
	}
	// sre's members: Alice and Bob; the alerting service account (8) is
	// not Okta's and is never listed.
	if got := a.groupMembers("", "1"); got != "2,3" {
		t.Errorf("sre members = %s, want 2,3", got)
	}
	// Rename, as Okta's push of the group name does.
	a.do(http.MethodPatch, "/Groups/1", patch(`{"op":"replace","value":{"id":"1","displayName":"SRE"}}`)).must(t, http.StatusNoContent)
	a.wantRow("SRE|1", "SELECT name, org_id FROM team WHERE id = 1")
	keep("the rename")

	// Create: a new team of Main Org., stamped created/updated.
	r := a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Platform","members":[]}`).must(t, http.StatusCreated)
	platform := str(r.obj(t), "id")
	a.wantRow("Platform|1|1", "SELECT name, org_id, created > '2025-06-01' AND updated > '2025-06-01' FROM team WHERE id = ?", platform)
	// The same name again is Grafana's unique (org_id, name).
	before := a.sum("team", "team_member")
	a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"SRE"}`).refused(t, http.StatusConflict, "uniqueness", "")
	a.unchanged("a duplicate team name", before, "team", "team_member")
	keep("the create")

	// Add members: team_member copies org_id from the team, stamps the time.
	a.do(http.MethodPatch, "/Groups/"+platform, patch(`{"op":"add","path":"members","value":`+members("4", "5")+`}`)).must(t, http.StatusNoContent)
	if got := a.teamMembers(platform); got != "4:1:0,5:1:0" {
		t.Errorf("Platform team_member = %s, want 4:1:0,5:1:0", got)
	}
	a.wantRow("2", "SELECT COUNT(*) FROM team_member WHERE team_id = ? AND created > '2025-06-01' AND updated > '2025-06-01'", platform)
	// Erin (10) is Globex's only: not a user Main Org. manages.
	before = a.sum("team", "team_member", "org_user")
	a.do(http.MethodPatch, "/Groups/"+platform, patch(`{"op":"add","path":"members","value":`+members("10")+`}`)).
		refused(t, http.StatusBadRequest, "invalidValue", `members not found: "10"`)
	// Removing her is nothing to do; Globex's team is 404 on every verb.
	a.do(http.MethodPatch, "/Groups/"+platform, patch(`{"op":"remove","path":"members[value eq \"10\"]"}`)).must(t, http.StatusNoContent)
	a.get("/Groups/3").refused(t, http.StatusNotFound, "", `Group "3" not found`)
	a.do(http.MethodPatch, "/Groups/3", patch(`{"op":"add","path":"members","value":`+members("2")+`}`)).refused(t, http.StatusNotFound, "", `Group "3" not found`)
	a.do(http.MethodPatch, "/Groups/3", patch(`{"op":"remove","path":"members[value eq \"3\"]"}`)).refused(t, http.StatusNotFound, "", `Group "3" not found`)
	a.do(http.MethodPut, "/Groups/3", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Analysts","members":[]}`).refused(t, http.StatusNotFound, "", `Group "3" not found`)
	a.do(http.MethodDelete, "/Groups/3", "").refused(t, http.StatusNotFound, "", `Group "3" not found`)
	a.get("/Users/10").refused(t, http.StatusNotFound, "", `User "10" not found`)
	a.unchanged("requests across organisations", before, "team", "team_member", "org_user")

	// Remove a member.
	a.do(http.MethodPatch, "/Groups/"+platform, patch(`{"op":"remove","path":"members[value eq \"4\"]"}`)).must(t, http.StatusNoContent)
	if got := a.teamMembers(platform); got != "5:1:0" {
		t.Errorf("Platform team_member = %s, want 5:1:0", got)
	}

	// Push Now: a PUT with every member replaces sre's members; the
	// alerting service account keeps its row, Alice's admin row goes.
	a.do(http.MethodPut, "/Groups/1", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"1","displayName":"SRE","members":`+members("3", "4", "5")+`}`).must(t, http.StatusOK)
	if got := a.teamMembers("1"); got != "3:1:0,4:1:0,5:1:0,8:1:0" {
		t.Errorf("sre team_member after Push Now = %s, want 3,4,5 and the service account 8", got)
	}
	if got := a.groupMembers("", "1"); got != "3,4,5" {
		t.Errorf("sre members = %s, want 3,4,5", got)
	}
	keep("the pushes")

	// Bob is in both organisations: each sees only its own teams of his.
	groupsOf := func(org int) string {
		a.asOrg(org)
		defer a.asOrg(1)
		u := a.get("/Users/3?attributes=groups").must(t, http.StatusOK).obj(t)
		var ids []string
		gs, _ := u["groups"].([]any)
		for _, g := range gs {
			ids = append(ids, g.(map[string]any)["value"].(string))
		}
		return strings.Join(ids, ",")
	}
	if got := groupsOf(1); got != "1" {
		t.Errorf("Main Org. reads Bob's groups %q, want 1", got)
	}
	if got := groupsOf(2); got != "3" {
		t.Errorf("Globex reads Bob's groups %q, want 3", got)
	}

	// sre still holds the alerting service account, which SCIM does not
	// manage: its DELETE is refused and changes nothing.
	before = a.sum("team", "team_member")
	a.do(http.MethodDelete, "/Groups/1", "").refused(t, http.StatusConflict, "", "held by 1 account(s) this server does not manage")
	a.unchanged("a refused DELETE", before, "team", "team_member")

	// Delete the team Okta created: its team_member rows go with it.
	a.do(http.MethodDelete, "/Groups/"+platform, "").must(t, http.StatusNoContent)
	a.wantRow("0|0", "SELECT (SELECT COUNT(*) FROM team WHERE id = ?), (SELECT COUNT(*) FROM team_member WHERE team_id = ?)", platform, platform)
	keep("the whole flow")
}

// TestGrafanaEntraTeams replays Entra's group calls for Globex's teams:
// a POST with externalId, the membership check, one PATCH of several adds
// and removes, excludedAttributes=members and DELETE. Main Org.'s rows
// never change; its teams and users are not found by Globex.
func TestGrafanaEntraTeams(t *testing.T) {
	a := serveGrafanaOrgs(t)
	a.asOrg(2)
	main := a.orgRows(1)
	keep := func(what string) {
		t.Helper()
		if got := a.orgRows(1); got != main {
			t.Errorf("%s changed Main Org.'s rows:\n before %s\n after  %s", what, main, got)
		}
	}

	// POST with Entra's object id as externalId: team.external_uid.
	r := a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":"8c1f2a9e-entra","displayName":"Data"}`).must(t, http.StatusCreated)
	data := str(r.obj(t), "id")
	a.wantRow("Data|2|8c1f2a9e-entra", "SELECT name, org_id, external_uid FROM team WHERE id = ?", data)
	if n, res := a.get("/Groups" + filter(`externalId eq "8c1f2a9e-entra"`)).list(t); n != 1 || str(res[0], "id") != data {
		t.Errorf("externalId lookup found %d: %v", n, res)
	}

	// Entra's membership check, with and without .value.
	check := func(group, user, f string) int {
		t.Helper()
		n, _ := a.get("/Groups" + filter(`id eq "`+group+`" and `+f+` eq "`+user+`"`) + "&attributes=id").list(t)
		return n
	}
	for _, c := range []struct {
		group, user string
		want        int
	}{
		{"3", "3", 1},  // Bob, in Globex and in Analysts
		{"3", "10", 1}, // Erin
		{"3", "11", 0}, // Frank: Globex's, not in the team
		{"3", "2", 0},  // Alice: Main Org.'s only
		{"1", "3", 0},  // Main Org.'s sre, which holds Bob
		{"1", "2", 0},
	} {
		for _, f := range []string{"members.value", "members"} {
			if got := check(c.group, c.user, f); got != c.want {
				t.Errorf("id eq %q and %s eq %q: %d results, want %d", c.group, f, c.user, got, c.want)
			}
		}
	}
	if n, _ := a.get("/Groups" + filter(`displayName eq "sre"`)).list(t); n != 0 {
		t.Errorf("Globex found Main Org.'s team sre")
	}

	// One PATCH adding two members and removing one.
	a.do(http.MethodPatch, "/Groups/3", patch(
		`{"op":"Add","path":"members","value":[{"value":"11"}]}`,
		`{"op":"Remove","path":"members","value":[{"value":"10"}]}`,
		`{"op":"Add","path":"members","value":[{"value":"10"},{"value":"3"}]}`,
		`{"op":"Remove","path":"members","value":[{"value":"3"}]}`,
	)).must(t, http.StatusNoContent)
	if got := a.teamMembers("3"); got != "10:2:0,11:2:0" {
		t.Errorf("Analysts team_member = %s, want Erin and Frank", got)
	}
	a.do(http.MethodPatch, "/Groups/"+data, patch(`{"op":"Add","path":"members","value":[{"value":"3"},{"value":"11"}]}`)).must(t, http.StatusNoContent)
	if got := a.teamMembers(data); got != "3:2:0,11:2:0" {
		t.Errorf("Data team_member = %s", got)
	}
	// A Main Org. user, in an add with a Globex user: 400, nothing added.
	before := a.sum("team", "team_member", "org_user")
	a.do(http.MethodPatch, "/Groups/"+data, patch(`{"op":"Add","path":"members","value":[{"value":"10"},{"value":"2"}]}`)).
		refused(t, http.StatusBadRequest, "invalidValue", `members not found: "2"`)
	for _, verb := range []string{http.MethodGet, http.MethodDelete} {
		a.do(verb, "/Groups/1", "").refused(t, http.StatusNotFound, "", `Group "1" not found`)
	}
	a.do(http.MethodPatch, "/Groups/1", patch(`{"op":"Remove","path":"members","value":[{"value":"3"}]}`)).refused(t, http.StatusNotFound, "", `Group "1" not found`)
	a.unchanged("requests across organisations", before, "team", "team_member", "org_user")

	// excludedAttributes=members: the team without its member list.
	g := a.get("/Groups/3?excludedAttributes=members").must(t, http.StatusOK).obj(t)
	if _, ok := g["members"]; ok || g["displayName"] != "Analysts" {
		t.Errorf("excludedAttributes=members answered %v", g)
	}

	a.do(http.MethodDelete, "/Groups/"+data, "").must(t, http.StatusNoContent)
	a.wantRow("0", "SELECT COUNT(*) FROM team_member WHERE team_id = ?", data)
	keep("Entra's flow")
}
