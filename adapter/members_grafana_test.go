package adapter

import (
	"net/http"
	"os"
	"testing"

	"github.com/retroscim/retroscim/mapping"
)

// grafanaYAML maps Grafana's teams: a new team_member row copies org_id
// from its team and stamps created and updated with the time.
const grafanaYAML = `server: { base_path: /scim/v2 }
database: { dsn: x }
auth: { bearer_tokens: [ { name: okta, token: "${RETROSCIM_TOKEN}" } ] }
users:
  table: user
  scope: { is_service_account: 0, is_admin: 0 }
  create: deny
  delete: deny
  attributes:
    userName: { column: login }
    displayName: { column: name }
groups:
  table: team
  scope: all
  create: deny
  delete: deny
  attributes:
    displayName: { column: name }
  members:
    join:
      table: team_member
      user: user_id
      group: team_id
      defaults: { org_id: { group: org_id }, created: now, updated: now, permission: 0 }
`

// TestGrafanaTeamMemberValues: adding members of two organisations' teams
// in one PATCH each writes the team's org_id and the time; the admin's
// row stays as it was.
func TestGrafanaTeamMemberValues(t *testing.T) {
	cfg, err := mapping.Parse("grafana.yaml", []byte(grafanaYAML))
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("testdata/apps/grafana.sql")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, cfg, string(schema))
	since := e.query("SELECT NOW()")[0]
	for team, users := range map[string]string{"1": `[{"value":"2"},{"value":"3"}]`, "2": `[{"value":"3"}]`} {
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":` + users + `}]}`
		if r := e.do(http.MethodPatch, "/Groups/"+team, body); r.Status != http.StatusNoContent {
			t.Fatalf("PATCH team %s = %d %s", team, r.Status, r.Body)
		}
	}
	rows := e.query("SELECT GROUP_CONCAT(CONCAT(team_id, ':', user_id, '@', org_id, IF(created >= ? AND updated >= ?, ' now', CONCAT(' ', created)), ' p', permission) ORDER BY team_id, user_id SEPARATOR ', ') FROM team_member", since, since)
	if want := "1:1@1 2020-01-01 00:00:00 p4, 1:2@1 now p0, 1:3@1 now p0, 2:3@2 now p0"; rows[0] != want {
		t.Errorf("team_member = %s\nwant %s", rows[0], want)
	}
	if got := memberValues(t, e.get("/Groups/1")); len(got) != 2 || got[0] != "2" || got[1] != "3" {
		t.Errorf("sre's members = %v, want 2 and 3 (the admin is outside the scope)", got)
	}
}

// TestGiteaTeamUserOrg: examples/gitea's team_user rows take org_id from
// their team (Gitea's team_user.org_id = team.org_id).
func TestGiteaTeamUserOrg(t *testing.T) {
	cfg, err := mapping.LoadFile("../examples/gitea/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, cfg, string(mustReadFile(t, "../examples/gitea/schema.sql")))
	if r := e.do(http.MethodPatch, "/Groups/2", request(t, "group_okta_add_members")); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH = %d %s", r.Status, r.Body)
	}
	if got := e.query("SELECT GROUP_CONCAT(CONCAT(team_id, ':', uid, '@', org_id) ORDER BY id) FROM team_user")[0]; got != "1:1@2,2:3@2,3:4@2,2:5@2,2:4@2" {
		t.Errorf("team_user = %s, want the two new rows with org_id 2", got)
	}
}
