package adapter

import (
	"net/http"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// giteaOrgUser is Gitea's org_user (models/organization/org_user.go:
// OrgUser{ID, UID, OrgID, IsPublic}, unique (uid, org_id)), with the
// memberships of examples/gitea's team members in organisation 2.
const giteaOrgUser = `CREATE TABLE org_user (
  id        BIGINT(20) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  uid       BIGINT(20) NULL,
  org_id    BIGINT(20) NULL,
  is_public TINYINT(1) NULL,
  UNIQUE KEY UQE_org_user_s (uid, org_id),
  KEY IDX_org_user_org_id (org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
INSERT INTO org_user (uid, org_id, is_public) VALUES (1, 2, 1), (3, 2, 0), (4, 2, 0);`

// giteaSteps is examples/gitea's mapping with what Gitea keeps in step
// with team_user: team.num_members and the org_user row.
const giteaSteps = `      defaults: { org_id: { group: org_id } }   # team_user repeats its team's org_id
    when_added:
      - increment: num_members
      - insert: { table: org_user, user: uid, values: { org_id: { group: org_id }, is_public: 0 } }
    when_removed:
      - decrement: num_members
`

// TestGiteaMemberSteps: adding and removing team members keeps
// team.num_members and org_user in step, in the member write's
// transaction; an add that changes nothing and a refused add change
// neither, and other teams' counters stay.
func TestGiteaMemberSteps(t *testing.T) {
	src := strings.Replace(string(mustReadFile(t, "../examples/gitea/config.yaml")), "      defaults: { org_id: { group: org_id } }   # team_user repeats its team's org_id\n", giteaSteps, 1)
	cfg, err := mapping.Parse("gitea.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Members == nil || len(cfg.Members.WhenAdded) != 2 {
		t.Fatal("the mapping has no when_added steps: the replacement did not apply")
	}
	e := newEnvWith(t, cfg, string(mustReadFile(t, "../examples/gitea/schema.sql")), giteaOrgUser)
	counts := func() string {
		return e.query("SELECT GROUP_CONCAT(CONCAT(id, ':', num_members) ORDER BY id) FROM team")[0]
	}
	orgUsers := func() string {
		return e.query("SELECT GROUP_CONCAT(CONCAT(uid, '@', org_id, IF(is_public, ' public', '')) ORDER BY uid) FROM org_user")[0]
	}
	patch := func(ops string) response {
		return e.do(http.MethodPatch, "/Groups/2", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+ops+`]}`)
	}
	// Carol (5) and Bob (4) join Developers: Bob already has his org_user row.
	if r := patch(`{"op":"add","path":"members","value":[{"value":"5"},{"value":"4"}]}`); r.Status != http.StatusNoContent {
		t.Fatalf("add = %d %s", r.Status, r.Body)
	}
	if got := counts(); got != "1:1,2:3,3:1" {
		t.Errorf("num_members after adding two = %s, want 1:1,2:3,3:1", got)
	}
	if got := orgUsers(); got != "1@2 public,3@2,4@2,5@2" {
		t.Errorf("org_user after adding = %s, want Carol's new row and the others as they were", got)
	}
	// Adding members again, and a refused add, change nothing.
	before := legacytest.Checksum(t, e.dsn, "team") + legacytest.Checksum(t, e.dsn, "org_user")
	if r := patch(`{"op":"add","path":"members","value":[{"value":"5"}]}`); r.Status != http.StatusNoContent {
		t.Fatalf("repeated add = %d %s", r.Status, r.Body)
	}
	if r := patch(`{"op":"add","path":"members","value":[{"value":"3"},{"value":"99"}]}`); r.Status != http.StatusBadRequest {
		t.Fatalf("add of an unknown user = %d %s, want 400", r.Status, r.Body)
	}
	if after := legacytest.Checksum(t, e.dsn, "team") + legacytest.Checksum(t, e.dsn, "org_user"); after != before {
		t.Error("a no-op or refused add changed team or org_user")
	}
	// Alice (3) and Carol leave; removing a non-member counts nothing.
	if r := patch(`{"op":"remove","path":"members[value eq \"3\"]"},{"op":"remove","path":"members[value eq \"5\"]"},{"op":"remove","path":"members[value eq \"6\"]"}`); r.Status != http.StatusNoContent {
		t.Fatalf("remove = %d %s", r.Status, r.Body)
	}
	if got := counts(); got != "1:1,2:1,3:1" {
		t.Errorf("num_members after removing two = %s, want 1:1,2:1,3:1", got)
	}
	if got := orgUsers(); got != "1@2 public,3@2,4@2,5@2" {
		t.Errorf("org_user after removing = %s: a removal leaves the companion rows", got)
	}
}

// TestMemberStepsConfig: the step shapes the loader refuses.
func TestMemberStepsConfig(t *testing.T) {
	base := strings.Replace(string(mustReadFile(t, "../examples/gitea/config.yaml")), "      defaults: { org_id: { group: org_id } }   # team_user repeats its team's org_id\n", giteaSteps, 1)
	for _, tt := range []struct{ from, to, want string }{
		{"- increment: num_members", "- decrement: num_members", "when_added increments a counter"},
		{"- increment: num_members", "- { increment: num_members, decrement: num_members }", "give one of increment"},
		{"- decrement: num_members", "- insert: { table: org_user, user: uid }", "insert belongs in when_added"},
		{"user: uid, values", "values", "needs table and user"},
		{"- increment: num_members", "- increment: num_members; DROP", "not a valid column name"},
	} {
		src := strings.Replace(base, tt.from, tt.to, 1)
		if _, err := mapping.Parse("x.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s -> %s: error = %v, want %q", tt.from, tt.to, err, tt.want)
		}
	}
}
