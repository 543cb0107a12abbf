package adapter

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/mapping"
)

// mattermostTeamsYAML maps Mattermost's teams as groups: a TeamMembers row is a
// membership while DeleteAt is 0; removing a member stamps DeleteAt with
// the time in milliseconds, and adding her again sets it back to 0.
const mattermostTeamsYAML = `server: { base_path: /scim/v2 }
database: { dsn: x }
auth: { bearer_tokens: [ { name: okta, token: "${RETROSCIM_TOKEN}" } ] }
users:
  table: Users
  id: Id
  scope: { AuthService: saml }
  create: deny
  delete: deny
  attributes:
    userName: { column: Username }
    name.givenName: { column: FirstName }
    name.familyName: { column: LastName }
groups:
  table: Teams
  id: Id
  scope: { DeleteAt: 0 }
  create: deny
  delete: deny
  attributes:
    displayName: { column: DisplayName }
  members:
    join:
      table: TeamMembers
      user: UserId
      group: TeamId
      where: { DeleteAt: 0 }
      on_remove: { DeleteAt: epoch_ms }
      defaults: { Roles: "", SchemeUser: 1, SchemeAdmin: 0, SchemeGuest: 0, CreateAt: epoch_ms }
`

const (
	mmEng   = "teameng0000000000000000000"
	mmSales = "teamsales00000000000000000"
	mmAdmin = "admin0000000000000000000aa"
	mmAlice = "alice000000000000000000000"
	mmBob   = "bob00000000000000000000000"
	mmCarol = "carol000000000000000000000"
)

func newMattermostEnv(t *testing.T) *env {
	t.Helper()
	cfg, err := mapping.Parse("mattermost.yaml", []byte(mattermostTeamsYAML))
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("testdata/apps/mattermost.sql")
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, string(schema))
}

// teamRow is a TeamMembers row as "DeleteAt SchemeUser CreateAt", with
// each time as "0", "old" (the seed's), "now" (written by this test) or
// the value; "none" when there is no row.
func (e *env) teamRow(team, user string, since int64) string {
	e.t.Helper()
	rows := e.query("SELECT COUNT(*), COALESCE(MAX(DeleteAt), -1), COALESCE(MAX(SchemeUser), -1), COALESCE(MAX(CreateAt), -1) FROM TeamMembers WHERE TeamId = ? AND UserId = ?", team, user)
	if rows[0] == "0" {
		return "none"
	}
	if rows[0] != "1" {
		return rows[0] + " rows"
	}
	when := func(s string) string {
		n, _ := strconv.ParseInt(s, 10, 64)
		switch {
		case n == 0:
			return "0"
		case n >= since:
			return "now"
		}
		return s
	}
	return when(rows[1]) + " " + rows[2] + " " + when(rows[3])
}

// TestMattermostSoftDeletedTeamMembers: a removed member (DeleteAt > 0) is
// not listed, an add revives her row, a removal stamps DeleteAt, and the
// rows of other teams and users keep their values.
func TestMattermostSoftDeletedTeamMembers(t *testing.T) {
	e := newMattermostEnv(t)
	since, _ := strconv.ParseInt(e.query("SELECT ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000)")[0], 10, 64)
	if got := memberValues(t, e.get("/Groups/"+mmEng)); len(got) != 1 || got[0] != mmAlice {
		t.Errorf("Engineering's members = %v, want Alice only (Bob left; the admin is local)", got)
	}
	if r := e.get("/Groups?filter=" + q(`id eq "`+mmEng+`" and members.value eq "`+mmBob+`"`) + "&attributes=id"); r.json(t)["totalResults"] != float64(0) {
		t.Errorf("Entra's check finds Bob in Engineering: %s", r.Body)
	}
	if r := e.get("/Users?filter=" + q(`groups[value eq "`+mmEng+`"]`) + "&attributes=userName"); r.json(t)["totalResults"] != float64(1) {
		t.Errorf("users in Engineering = %s, want Alice only", r.Body)
	}
	add := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"` + mmBob + `"},{"value":"` + mmCarol + `"}]}]}`
	if r := e.do(http.MethodPatch, "/Groups/"+mmEng, add); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH add = %d %s", r.Status, r.Body)
	}
	for _, c := range []struct{ team, user, want string }{
		{mmEng, mmBob, "0 1 1500000000000"},               // revived: the same row, its CreateAt kept
		{mmEng, mmCarol, "0 1 now"},                       // inserted with the defaults
		{mmSales, mmBob, "1600000000001 1 1500000000000"}, // another team's removed row
		{mmEng, mmAdmin, "0 1 1500000000000"},
	} {
		if got := e.teamRow(c.team, c.user, since); got != c.want {
			t.Errorf("after add, %s in %s: %s, want %s", c.user[:5], c.team[:8], got, c.want)
		}
	}
	// Adding a live member again changes nothing.
	if r := e.do(http.MethodPatch, "/Groups/"+mmEng, add); r.Status != http.StatusNoContent || e.teamRow(mmEng, mmCarol, since) != "0 1 now" {
		t.Errorf("second add = %d, Carol %s", r.Status, e.teamRow(mmEng, mmCarol, since))
	}
	remove := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"` + mmAlice + `\"]"}]}`
	if r := e.do(http.MethodPatch, "/Groups/"+mmEng, remove); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH remove = %d %s", r.Status, r.Body)
	}
	if got := e.teamRow(mmEng, mmAlice, since) + "|" + e.teamRow(mmSales, mmAlice, since); got != "now 1 1500000000000|0 1 1500000000000" {
		t.Errorf("Alice after leaving Engineering: %s, want the row kept with DeleteAt now, Sales untouched", got)
	}
	if got := memberValues(t, e.get("/Groups/"+mmEng)); len(got) != 2 || got[0] != mmBob || got[1] != mmCarol {
		t.Errorf("Engineering's members = %v, want Bob and Carol", got)
	}
	// Okta's Push Now: the members become exactly Carol; Bob's row is
	// stamped, the local admin's stays live.
	put := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"` + mmEng + `","displayName":"Engineering","members":[{"value":"` + mmCarol + `"}]}`
	if r := e.do(http.MethodPut, "/Groups/"+mmEng, put); r.Status != http.StatusOK {
		t.Fatalf("PUT = %d %s", r.Status, r.Body)
	}
	for _, c := range []struct{ team, user, want string }{
		{mmEng, mmBob, "now 1 1500000000000"},
		{mmEng, mmCarol, "0 1 now"},
		{mmEng, mmAdmin, "0 1 1500000000000"},
		{mmSales, mmBob, "1600000000001 1 1500000000000"},
	} {
		if got := e.teamRow(c.team, c.user, since); got != c.want {
			t.Errorf("after Push Now, %s in %s: %s, want %s", c.user[:5], c.team[:8], got, c.want)
		}
	}
	// Entra adds Alice back and removes Carol in one PATCH.
	entra := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Add","path":"members","value":[{"value":"` + mmAlice + `"}]},
		{"op":"Remove","path":"members","value":[{"value":"` + mmCarol + `"}]}]}`
	if r := e.do(http.MethodPatch, "/Groups/"+mmEng, entra); r.Status != http.StatusNoContent {
		t.Fatalf("Entra PATCH = %d %s", r.Status, r.Body)
	}
	if got := e.teamRow(mmEng, mmAlice, since) + "|" + e.teamRow(mmEng, mmCarol, since); got != "0 1 1500000000000|now 1 now" {
		t.Errorf("after Entra's PATCH, Alice|Carol = %s, want 0 1 1500000000000|now 1 now", got)
	}
	if n := e.query("SELECT COUNT(*) FROM TeamMembers")[0]; n != "6" {
		t.Errorf("TeamMembers has %s rows, want 6 (5 seeded, Carol's added once)", n)
	}
}

// TestMattermostGroupMembers: Mattermost's custom groups keep removed
// members in GroupMembers the same way; reviving Carol in Developers
// leaves her removed row in Operations as it was.
func TestMattermostGroupMembers(t *testing.T) {
	src := strings.Replace(mattermostTeamsYAML, `groups:
  table: Teams`, `groups:
  table: UserGroups`, 1)
	src = strings.Replace(src, `      table: TeamMembers
      user: UserId
      group: TeamId
      where: { DeleteAt: 0 }
      on_remove: { DeleteAt: epoch_ms }
      defaults: { Roles: "", SchemeUser: 1, SchemeAdmin: 0, SchemeGuest: 0, CreateAt: epoch_ms }`, `      table: GroupMembers
      user: UserId
      group: GroupId
      where: { DeleteAt: 0 }
      on_remove: { DeleteAt: epoch_ms }
      defaults: { CreateAt: epoch_ms }`, 1)
	cfg, err := mapping.Parse("mattermost.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("testdata/apps/mattermost.sql")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, cfg, string(schema))
	const devs, ops = "grpdevs0000000000000000000", "grpops00000000000000000000"
	row := func(group, user string) string {
		return strings.Join(e.query("SELECT COUNT(*), COALESCE(MAX(DeleteAt), -1), COALESCE(MAX(CreateAt), -1) FROM GroupMembers WHERE GroupId = ? AND UserId = ?", group, user), " ")
	}
	if got := memberValues(t, e.get("/Groups/"+devs)); len(got) != 1 || got[0] != mmAlice {
		t.Errorf("Developers' members = %v, want Alice", got)
	}
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"` + mmCarol + `"}]},{"op":"remove","path":"members[value eq \"` + mmAlice + `\"]"}]}`
	if r := e.do(http.MethodPatch, "/Groups/"+devs, body); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH = %d %s", r.Status, r.Body)
	}
	if got := row(devs, mmCarol); got != "1 0 1500000000000" {
		t.Errorf("Carol in Developers = %s, want her row revived", got)
	}
	if got := row(ops, mmCarol); got != "1 1600000000002 1500000000000" {
		t.Errorf("Carol in Operations = %s, want it untouched", got)
	}
	if got := e.query("SELECT DeleteAt > 1600000000002 FROM GroupMembers WHERE GroupId = ? AND UserId = ?", devs, mmAlice)[0]; got != "1" {
		t.Errorf("Alice's removed row has DeleteAt %s, want the time of the removal", e.query("SELECT DeleteAt FROM GroupMembers WHERE GroupId = ? AND UserId = ?", devs, mmAlice)[0])
	}
	if got := memberValues(t, e.get("/Groups/"+devs)); len(got) != 1 || got[0] != mmCarol {
		t.Errorf("Developers' members = %v, want Carol", got)
	}
}
