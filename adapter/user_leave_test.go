package adapter

import (
	"net/http"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/mapping"
)

// TestUserDeleteLeavesGroups: a user's DELETE ends her memberships in the
// groups the mapping serves, with the membership's own removal (a
// Mattermost soft delete, Gitea's num_members), in the delete's
// transaction; her rows in groups outside groups.scope, and every other
// user's rows, stay as they were.
func TestUserDeleteLeavesGroups(t *testing.T) {
	mattermost := string(mustReadFile(t, "testdata/apps/mattermost.sql"))
	gitea := string(mustReadFile(t, "../examples/gitea/schema.sql"))
	giteaYAML := strings.Replace(string(mustReadFile(t, "../examples/gitea/config.yaml")), "      defaults: { org_id: { group: org_id } }   # team_user repeats its team's org_id\n", giteaSteps, 1)
	const (
		// mmTeams is Alice's TeamMembers rows in the two live teams, a
		// removal's stamp shown as "removed".
		mmTeams  = "SELECT GROUP_CONCAT(CONCAT(TeamId, ':', IF(DeleteAt > 1700000000000, 'removed', DeleteAt)) ORDER BY TeamId) FROM TeamMembers WHERE UserId = '" + mmAlice + "' AND TeamId IN ('" + mmEng + "', '" + mmSales + "')"
		mmOthers = "SELECT GROUP_CONCAT(CONCAT_WS(':', TeamId, UserId, DeleteAt, CreateAt) ORDER BY TeamId, UserId) FROM TeamMembers WHERE NOT (UserId = '" + mmAlice + "' AND TeamId IN ('" + mmEng + "', '" + mmSales + "'))"
		// mmOldTeam is a deleted team (outside groups.scope) Alice is
		// still a live member of.
		mmOldTeam = "INSERT INTO Teams (Id, CreateAt, UpdateAt, DeleteAt, DisplayName, Name, Type) VALUES ('teamold0000000000000000000', 1, 1, 5, 'Old', 'old', 'I')"
		mmOldRow  = "INSERT INTO TeamMembers (TeamId, UserId, Roles, DeleteAt, SchemeUser, SchemeAdmin, SchemeGuest, CreateAt) VALUES ('teamold0000000000000000000', '" + mmAlice + "', '', 0, 1, 0, 0, 1500000000000)"
	)
	cases := []struct {
		name          string
		yaml          string
		scripts       []string
		user          string
		rows          string // the rows the delete ends (and the user row when it stays)
		before, after string
		others        string // what must not change
	}{
		{
			name:    "mattermost: soft-deleted memberships, user row deleted",
			yaml:    strings.Replace(mattermostTeamsYAML, "  create: deny\n  delete: deny\n  attributes:\n    userName", "  create: deny\n  delete: delete\n  attributes:\n    userName", 1),
			scripts: []string{mattermost, mmOldTeam, mmOldRow},
			user:    mmAlice,
			rows:    "SELECT (" + mmTeams + "), (SELECT COUNT(*) FROM Users WHERE Id = '" + mmAlice + "')",
			before:  mmEng + ":0," + mmSales + ":0|1",
			after:   mmEng + ":removed," + mmSales + ":removed|0",
			others:  mmOthers,
		},
		{
			name:    "mattermost: user soft delete (delete: set) leaves the teams too",
			yaml:    strings.Replace(mattermostTeamsYAML, "  scope: { AuthService: saml }\n  create: deny\n  delete: deny\n", "  scope: { AuthService: saml, DeleteAt: 0 }\n  create: deny\n  delete: { set: { DeleteAt: 1 } }\n", 1),
			scripts: []string{mattermost, mmOldTeam, mmOldRow},
			user:    mmAlice,
			rows:    "SELECT (" + mmTeams + "), (SELECT DeleteAt FROM Users WHERE Id = '" + mmAlice + "')",
			before:  mmEng + ":0," + mmSales + ":0|0",
			after:   mmEng + ":removed," + mmSales + ":removed|1",
			others:  mmOthers,
		},
		{
			name: "gitea: team rows deleted, num_members lowered per team",
			yaml: strings.Replace(giteaYAML, "  delete: deactivate\n", "  delete: delete\n", 1),
			scripts: []string{gitea, giteaOrgUser,
				// Bob (4) is in Developers and QA of acme, and in a team of
				// another organisation (outside groups.scope).
				"INSERT INTO team (id, org_id, lower_name, name, description, authorize, num_repos, num_members, includes_all_repositories, can_create_org_repo) VALUES (4, 7, 'other', 'Other', '', 1, 0, 1, 1, 0)",
				"INSERT INTO team_user (org_id, team_id, uid) VALUES (2, 2, 4), (7, 4, 4)",
				"UPDATE team SET num_members = 2 WHERE id = 2"},
			user:   "4",
			rows:   "SELECT (SELECT GROUP_CONCAT(team_id ORDER BY team_id) FROM team_user WHERE uid = 4), (SELECT GROUP_CONCAT(CONCAT(id, ':', num_members) ORDER BY id) FROM team WHERE org_id = 2)",
			before: "2,3,4|1:1,2:2,3:1",
			after:  "4|1:1,2:1,3:0",
			others: "SELECT (SELECT GROUP_CONCAT(CONCAT_WS(':', id, org_id, team_id, uid) ORDER BY id) FROM team_user WHERE NOT (uid = 4 AND org_id = 2)), (SELECT GROUP_CONCAT(CONCAT_WS(':', id, num_members) ORDER BY id) FROM team WHERE org_id <> 2), (SELECT GROUP_CONCAT(CONCAT_WS(':', uid, org_id) ORDER BY uid, org_id) FROM org_user)",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := mapping.Parse("app.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			e := newEnvWith(t, cfg, tc.scripts...)
			rows := func() string { return strings.Join(e.query(tc.rows), "|") }
			others := func() string { return strings.Join(e.query(tc.others), "|") }
			if got := rows(); got != tc.before {
				t.Fatalf("before the delete: %s, want %s", got, tc.before)
			}
			kept := others()
			if r := e.do(http.MethodDelete, "/Users/"+tc.user, ""); r.Status != http.StatusNoContent {
				t.Fatalf("DELETE = %d %s", r.Status, r.Body)
			}
			if got := rows(); got != tc.after {
				t.Errorf("after the delete: %s, want %s", got, tc.after)
			}
			if got := others(); got != kept {
				t.Errorf("rows the delete must leave changed:\n before %s\n after  %s", kept, got)
			}
			// A second DELETE is 404 and changes nothing.
			after := rows() + others()
			if r := e.do(http.MethodDelete, "/Users/"+tc.user, ""); r.Status != http.StatusNotFound {
				t.Errorf("second DELETE = %d %s", r.Status, r.Body)
			}
			if got := rows() + others(); got != after {
				t.Errorf("the second DELETE changed rows: %s -> %s", after, got)
			}
		})
	}
}
