package adapter

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// grafanaOrgTeamsYAML adds Grafana's teams to grafanaOrgsYAML: groups with
// their own tenant column (team.org_id) next to users whose tenants are
// rows of org_user.
const grafanaOrgTeamsYAML = `groups:
  table: team
  tenant: org_id
  scope: all
  create: allow
  delete: delete
  meta: { created: created, last_modified: updated }
  attributes:
    displayName: { column: name, unique: true }
    externalId: { column: external_uid }
  members:
    join:
      table: team_member
      user: user_id
      group: team_id
      defaults: { org_id: { group: org_id }, created: now, updated: now, permission: 0 }
`

// newGrafanaOrgTeams serves grafana_orgs.sql and grafana_org_teams.sql.
func newGrafanaOrgTeams(t *testing.T) *env {
	t.Helper()
	cfg, err := mapping.Parse("grafana-org-teams.yaml", []byte(grafanaOrgsYAML("refuse", "user")+grafanaOrgTeamsYAML))
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, string(mustReadFile(t, "testdata/apps/grafana_orgs.sql")), string(mustReadFile(t, "testdata/apps/grafana_org_teams.sql")))
}

// teamSums are the checksums of every table a team request could write.
func teamSums(t *testing.T, e *env) string {
	t.Helper()
	var s []string
	for _, tb := range []string{"user", "org_user", "team", "team_member"} {
		s = append(s, legacytest.Checksum(t, e.dsn, tb))
	}
	return strings.Join(s, "/")
}

// groupBody opens a POST or PUT body of a Group.
const groupBody = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],`

// patchOps wraps PATCH operations in a PatchOp message.
func patchOps(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// TestTenantThroughGroupsIsolation: Globex's token probes Acme's team sre
// (id 1) through every verb and every filter on members, and Acme's user
// alice through the membership of Globex's own team (a stale team_member
// row holds her): it finds nothing and changes nothing.
func TestTenantThroughGroupsIsolation(t *testing.T) {
	e := newGrafanaOrgTeams(t)
	before := teamSums(t, e)
	for _, tt := range []struct{ method, path, body string }{
		{"GET", "/Groups/1", ""},
		{"GET", "/Groups/1?attributes=members", ""},
		{"PATCH", "/Groups/1", patchOps(`{"op":"add","path":"members","value":[{"value":"3"}]}`)},
		{"PATCH", "/Groups/1", patchOps(`{"op":"remove","path":"members","value":[{"value":"3"}]}`)},
		{"PATCH", "/Groups/1", patchOps(`{"op":"replace","path":"displayName","value":"x"}`)},
		{"PUT", "/Groups/1", groupBody + `"displayName":"sre","members":[]}`},
		{"DELETE", "/Groups/1", ""},
	} {
		if r := e.do(tt.method, tt.path, tt.body, asGlobexOrg()...); r.Status != http.StatusNotFound {
			t.Errorf("%s %s as Globex = %d %s, want 404", tt.method, tt.path, r.Status, r.Body)
		}
	}
	for _, f := range []string{
		`displayName eq "sre"`,
		`id eq "1"`,
		`id eq "1" and members.value eq "3"`,
		`members.value eq "2"`, // alice: Acme's only, in a stale finance row
		`members eq "2"`,
		`id eq "2" and members.value eq "2"`,
		`members[value eq "2"]`,
		`members[display co "Ames"]`,
		`members.value eq "4"`, // carol is Globex's, but only in Acme's sre
		`not (displayName eq "finance")`,
	} {
		r := e.get("/Groups?filter="+q(f), asGlobexOrg()...)
		if r.Status != 200 || r.json(t)["totalResults"] != float64(0) {
			t.Errorf("filter %s as Globex = %d %s, want no results", f, r.Status, r.Body)
		}
	}
	// Globex's finance lists bob only: the stale row of alice is not a
	// member Globex can see, count or remove.
	r := e.get("/Groups/2", asGlobexOrg()...)
	if got := memberValues(t, r); len(got) != 1 || got[0] != "3" {
		t.Errorf("finance's members as Globex = %v, want bob (3) only", got)
	}
	if strings.Contains(string(r.Body), "Ames") {
		t.Errorf("finance shows alice: %s", r.Body)
	}
	for _, path := range []string{"/Groups", "/Groups?attributes=members", "/Groups?filter=" + q(`members pr`)} {
		r := e.get(path, asGlobexOrg()...)
		if r.json(t)["totalResults"] != float64(1) || strings.Contains(string(r.Body), "sre") || strings.Contains(string(r.Body), `"2","display"`) {
			t.Errorf("GET %s as Globex = %s, want finance only, without alice", path, r.Body)
		}
	}
	// Bob is in both organisations: each reads its own teams of his, and a
	// filter of users by team is confined to the token's organisation.
	for _, tt := range []struct {
		org  string
		as   []string
		want string
	}{{"Acme", asAcmeOrg(), `"value":"1"`}, {"Globex", asGlobexOrg(), `"value":"2"`}} {
		r := e.get("/Users/3?attributes=groups", tt.as...)
		if !strings.Contains(string(r.Body), tt.want) || strings.Count(string(r.Body), `"value"`) != 1 {
			t.Errorf("bob's groups as %s = %s, want only %s", tt.org, r.Body, tt.want)
		}
	}
	for _, f := range []string{`groups.value eq "1"`, `groups[value eq "1"]`, `groups[display eq "sre"]`} {
		if r := e.get("/Users?filter="+q(f), asGlobexOrg()...); r.json(t)["totalResults"] != float64(0) {
			t.Errorf("users filter %s as Globex = %s, want none", f, r.Body)
		}
	}
	if r := e.get("/Users?filter="+q(`groups.value eq "1"`), asAcmeOrg()...); r.json(t)["totalResults"] != float64(2) {
		t.Errorf("users in sre as Acme = %s, want alice and bob (carol is not Acme's)", r.Body)
	}
	// Writes to Globex's own team leave the stale row alone.
	for _, body := range []string{
		patchOps(`{"op":"remove","path":"members","value":[{"value":"2"}]}`),
		patchOps(`{"op":"remove","path":"members[value eq \"2\"]"}`),
	} {
		if r := e.do(http.MethodPatch, "/Groups/2", body, asGlobexOrg()...); r.Status != http.StatusNoContent {
			t.Errorf("PATCH finance removing alice as Globex = %d %s, want 204 (nothing to do)", r.Status, r.Body)
		}
	}
	if r := e.do(http.MethodPatch, "/Groups/2", patchOps(`{"op":"add","path":"members","value":[{"value":"2"}]}`), asGlobexOrg()...); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `members not found: \"2\"`) {
		t.Errorf("PATCH finance adding alice as Globex = %d %s, want 400", r.Status, r.Body)
	}
	// finance still holds alice's stale row, which Globex cannot see: a
	// DELETE of the team is refused rather than remove it.
	if r := e.do(http.MethodDelete, "/Groups/2", "", asGlobexOrg()...); r.Status != http.StatusConflict {
		t.Errorf("DELETE finance as Globex = %d %s, want 409", r.Status, r.Body)
	}
	if after := teamSums(t, e); after != before {
		t.Fatal("Globex's requests changed the tables")
	}
	// Push Now on finance replaces the members Globex can see; the stale
	// row stays, as does everything of Acme.
	acme := e.query("SELECT GROUP_CONCAT(CONCAT_WS(':', team_id, user_id, org_id, permission, created) ORDER BY id) FROM team_member WHERE org_id = 1")[0]
	if r := e.do(http.MethodPut, "/Groups/2", groupBody+`"displayName":"finance","members":[{"value":"4"}]}`, asGlobexOrg()...); r.Status != 200 {
		t.Fatalf("PUT finance as Globex = %d %s", r.Status, r.Body)
	}
	if got := e.query("SELECT GROUP_CONCAT(CONCAT(user_id, '@', org_id) ORDER BY user_id) FROM team_member WHERE team_id = 2")[0]; got != "2@2,4@2" {
		t.Errorf("finance's rows after Push Now = %s, want the stale 2@2 and carol 4@2", got)
	}
	if got := e.query("SELECT GROUP_CONCAT(CONCAT_WS(':', team_id, user_id, org_id, permission, created) ORDER BY id) FROM team_member WHERE org_id = 1")[0]; got != acme {
		t.Errorf("Acme's team_member changed: %s, was %s", got, acme)
	}
}

// TestTenantThroughGroupsCreate: a team created by Globex's token belongs
// to Globex (team.org_id = 2), is 404 to Acme, and takes the same name as
// an Acme team (Grafana's unique key is per organisation).
func TestTenantThroughGroupsCreate(t *testing.T) {
	e := newGrafanaOrgTeams(t)
	r := e.do(http.MethodPost, "/Groups", groupBody+`"displayName":"sre","externalId":"ent-1","members":[{"value":"3"}]}`, asGlobexOrg()...)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST sre as Globex = %d %s", r.Status, r.Body)
	}
	id := r.json(t)["id"].(string)
	if got := e.query("SELECT CONCAT_WS(':', name, org_id, external_uid, created IS NOT NULL) FROM team WHERE id = ?", id)[0]; got != "sre:2:ent-1:1" {
		t.Errorf("team row = %s, want sre:2:ent-1:1", got)
	}
	if got := e.query("SELECT GROUP_CONCAT(CONCAT(user_id, '@', org_id)) FROM team_member WHERE team_id = ?", id)[0]; got != "3@2" {
		t.Errorf("team_member = %s, want bob with Globex's org_id", got)
	}
	if r := e.get("/Groups/"+id, asAcmeOrg()...); r.Status != http.StatusNotFound {
		t.Errorf("Acme reads Globex's new team = %d", r.Status)
	}
	before := teamSums(t, e)
	// alice is Acme's: a create naming her is refused whole.
	if r := e.do(http.MethodPost, "/Groups", groupBody+`"displayName":"ops","members":[{"value":"2"}]}`, asGlobexOrg()...); r.Status != http.StatusBadRequest {
		t.Errorf("POST with Acme's alice as Globex = %d %s, want 400", r.Status, r.Body)
	}
	if teamSums(t, e) != before {
		t.Error("a refused create changed the tables")
	}
}

// TestTenantThroughGroupsHostile: injections aimed at the group's tenant
// column and the members' EXISTS, as Globex: each is refused or finds
// nothing of Acme's, and no table changes.
func TestTenantThroughGroupsHostile(t *testing.T) {
	e := newGrafanaOrgTeams(t)
	before := teamSums(t, e)
	for _, tt := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/Groups?filter=" + q(`displayName eq "x' OR '1'='1"`), "", 200},
		{"GET", "/Groups?filter=" + q(`members.value eq "1 OR 1=1"`), "", 200},
		{"GET", "/Groups?filter=" + q(`members.value eq "2' OR org_id = 1 -- "`), "", 200},
		{"GET", "/Groups?filter=" + q(`displayName eq "x") OR (1=1`), "", 400},
		{"GET", "/Groups?filter=" + q(`org_id eq "1"`), "", 400},
		{"GET", "/Groups?filter=" + q(`members.org_id eq "1"`), "", 400},
		{"GET", "/Groups?sortBy=org_id", "", 400},
		{"GET", "/Users?filter=" + q(`groups.value eq "1' OR '1'='1"`), "", 200},
		{"GET", "/Groups/" + url.PathEscape("1 OR 1=1"), "", 404},
		{"GET", "/Groups/" + url.PathEscape("2) OR (1=1"), "", 404},
		{"PATCH", "/Groups/2", patchOps(`{"op":"add","path":"members","value":[{"value":"2 OR 1=1"}]}`), 400},
		{"PATCH", "/Groups/2", patchOps(`{"op":"remove","path":"members[value eq \"2' OR '1'='1\"]"}`), 204},
		{"PATCH", "/Groups/2", patchOps(`{"op":"replace","path":"members","value":[{"value":"3"},{"value":"1"}]}`), 400},
		{"GET", "/t/1/Groups/1", "", 403},
		{"DELETE", "/t/2/Groups/" + url.PathEscape("1 OR 1=1"), "", 404},
	} {
		r := e.do(tt.method, tt.path, tt.body, asGlobexOrg()...)
		if r.Status != tt.want {
			t.Errorf("%s %s = %d %s, want %d", tt.method, tt.path, r.Status, r.Body, tt.want)
			continue
		}
		if tt.want == 200 && r.json(t)["totalResults"] != float64(0) {
			t.Errorf("%s found %v resources", tt.path, r.json(t)["totalResults"])
		}
	}
	if teamSums(t, e) != before {
		t.Error("a hostile request changed the tables")
	}
}

// TestTenantThroughGroupsConfig: groups under tenant_through need their
// own tenant column; the loader says which.
func TestTenantThroughGroupsConfig(t *testing.T) {
	src := grafanaOrgsYAML("refuse", "user") + strings.Replace(grafanaOrgTeamsYAML, "  tenant: org_id\n", "", 1)
	_, err := mapping.Parse("x.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "groups need the tenant column of their own rows, as tenant: org_id") {
		t.Errorf("error = %v, want the groups.tenant message", err)
	}
}

// TestTenantThroughEntraStatements counts the statements of Entra's group
// calls as Globex, for teams (a join table) and for org_user.role
// (tenant_role) under tenant_through: the tenant's EXISTS rides in the
// same statements, adding none. The bounds are those of the same storage
// without tenants (TestEntraGroupCallStatements).
func TestTenantThroughEntraStatements(t *testing.T) {
	orgs, teams := string(mustReadFile(t, "testdata/apps/grafana_orgs.sql")), string(mustReadFile(t, "testdata/apps/grafana_org_teams.sql"))
	for _, k := range []struct {
		name, src                   string
		scripts                     []string
		group, member, other, third string
		want                        [4]int
	}{
		{"teams", grafanaOrgsYAML("refuse", "user") + grafanaOrgTeamsYAML, []string{orgs, teams}, "2", "3", "4", "3", [4]int{1, 1, 1, 4}},
		{"tenant_role", grafanaOrgsYAML("refuse", "user") + grafanaRolesYAML, []string{orgs}, "Admin", "3", "4", "3", [4]int{1, 1, 0, 2}},
	} {
		t.Run(k.name, func(t *testing.T) {
			e, log := explainEnv(t, k.src, k.scripts...)
			check := func(member string) string {
				return "/Groups?attributes=id&filter=" + q(`id eq "`+k.group+`" and `+member+` eq "`+k.member+`"`)
			}
			patch := patchOps(`{"op":"Add","path":"members","value":[{"value":"`+k.other+`"},{"value":"`+k.third+`"}]}`, `{"op":"Remove","path":"members","value":[{"value":"`+k.member+`"}]}`)
			for i, c := range []struct{ what, method, path, body string }{
				{"members.value check", http.MethodGet, check("members.value"), ""},
				{"members check", http.MethodGet, check("members"), ""},
				{"excludedAttributes=members", http.MethodGet, "/Groups/" + k.group + "?excludedAttributes=members", ""},
				{"PATCH add 2, remove 1", http.MethodPatch, "/Groups/" + k.group, patch},
			} {
				log.Reset()
				r := e.do(c.method, c.path, c.body, append(asGlobexOrg(), "Content-Type", "application/scim+json")...)
				if r.Status/100 != 2 {
					t.Fatalf("%s = %d %s", c.what, r.Status, r.Body)
				}
				var sqls []string
				for _, s := range log.Statements() {
					if s.Kind == "read" || s.Kind == "write" {
						sqls = append(sqls, s.SQL)
					}
				}
				t.Logf("%s: %d statements\n  %s", c.what, len(sqls), strings.Join(sqls, "\n  "))
				if len(sqls) > k.want[i] {
					t.Errorf("%s ran %d statements, want at most %d", c.what, len(sqls), k.want[i])
				}
				for _, s := range sqls {
					if !strings.Contains(s, "org_id") {
						t.Errorf("%s: a statement without the tenant: %s", c.what, s)
					}
				}
			}
		})
	}
}
