package adapter

import (
	"net/http"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/mapping"
)

// externalIDSchema is a team table that keeps Entra's group object id.
const externalIDSchema = `
CREATE TABLE members (id INT AUTO_INCREMENT PRIMARY KEY, login VARCHAR(60) NOT NULL UNIQUE, entra_id VARCHAR(64) NULL, team_id INT NULL);
CREATE TABLE teams (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(60) NOT NULL UNIQUE, entra_id VARCHAR(64) NULL);
CREATE TABLE plain_teams (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(60) NOT NULL UNIQUE);
INSERT INTO members (id, login) VALUES (1, 'alice');
INSERT INTO teams (id, name) VALUES (1, 'ops');
INSERT INTO plain_teams (id, name) VALUES (1, 'ops');
`

func externalIDEnv(t *testing.T, groupTable string, groupExternalID bool) *env {
	t.Helper()
	src := `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "` + testToken + `" } ] }
users:
  table: members
  scope: all
  create: allow
  attributes:
    userName: { column: login }
    externalId: { column: entra_id }
groups:
  table: ` + groupTable + `
  scope: all
  create: allow
  members: { column: team_id }
  attributes:
    displayName: { column: name }
`
	if groupExternalID {
		src += "    externalId: { column: entra_id }\n"
	}
	cfg, err := mapping.Parse("externalid.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, externalIDSchema)
}

// schemaAttrs lists the attribute names /Schemas/{id} publishes.
func schemaAttrs(t *testing.T, e *env, id string) []string {
	t.Helper()
	r := e.get("/Schemas/" + id)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /Schemas/%s: %d %s", id, r.Status, r.Body)
	}
	var out []string
	for _, a := range r.json(t)["attributes"].([]any) {
		out = append(out, a.(map[string]any)["name"].(string))
	}
	return out
}

// TestExternalIDDiscoverable: Microsoft's gallery validation wants every
// attribute it sends listed in /Schemas (only id is exempt): a mapped
// externalId is there, for Users and for Groups.
func TestExternalIDDiscoverable(t *testing.T) {
	e := externalIDEnv(t, "teams", true)
	if got := strings.Join(schemaAttrs(t, e, mapping.UserSchema), ","); got != "externalId,userName,groups" {
		t.Errorf("User schema attributes %s, want externalId,userName,groups", got)
	}
	if got := strings.Join(schemaAttrs(t, e, mapping.GroupSchema), ","); got != "externalId,displayName,members" {
		t.Errorf("Group schema attributes %s, want externalId,displayName,members", got)
	}
	plain := externalIDEnv(t, "plain_teams", false)
	if got := strings.Join(schemaAttrs(t, plain, mapping.GroupSchema), ","); got != "displayName,members" {
		t.Errorf("Group schema without a mapped externalId lists %s", got)
	}
}

// TestGroupExternalID: Entra's group object id is stored where the
// mapping has a column for it, and refused (not dropped) where it has not.
func TestGroupExternalID(t *testing.T) {
	e := externalIDEnv(t, "teams", true)
	entraGroup := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
		"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"Entra Group","meta":{"resourceType":"Group"}}`
	r := e.do(http.MethodPost, "/Groups", entraGroup)
	if r.Status != http.StatusCreated || r.json(t)["externalId"] != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" {
		t.Fatalf("Entra's POST /Groups: %d %s", r.Status, r.Body)
	}
	id := r.json(t)["id"].(string)
	if got := e.query("SELECT entra_id FROM teams WHERE id = ?", id); got[0] != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" {
		t.Errorf("teams.entra_id = %v", got)
	}
	if p := e.do(http.MethodPatch, "/Groups/1", jsonPatch(`{"op":"Replace","path":"externalId","value":"1f1f"}`)); p.Status/100 != 2 {
		t.Fatalf("Entra's PATCH externalId: %d %s", p.Status, p.Body)
	}
	if got := e.query("SELECT entra_id FROM teams WHERE id = 1"); got[0] != "1f1f" {
		t.Errorf("teams.entra_id after PATCH = %v", got)
	}
	if g := e.get("/Groups?filter=" + q(`externalId eq "1f1f"`)); !strings.Contains(string(g.Body), `"displayName":"ops"`) {
		t.Errorf("filter by externalId: %s", g.Body)
	}

	// Without a mapped externalId, Entra's requests still go through (its
	// default group mapping sends the object id on every create): the
	// value is ignored and nothing but what is mapped is written.
	plain := externalIDEnv(t, "plain_teams", false)
	for _, tc := range []struct{ name, method, path, body string }{
		{"Entra's PATCH with a path", http.MethodPatch, "/Groups/1", jsonPatch(`{"op":"Replace","path":"externalId","value":"1f1f"}`)},
		{"PUT", http.MethodPut, "/Groups/1", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":"1f1f","displayName":"ops"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := appTables(t, plain.dsn)
			if r := plain.do(tc.method, tc.path, tc.body); r.Status/100 != 2 {
				t.Errorf("%d %s, want 2xx", r.Status, r.Body)
			}
			assertUnchanged(t, before, appTables(t, plain.dsn))
		})
	}
	if r := plain.do(http.MethodPost, "/Groups", entraGroup); r.Status != http.StatusCreated {
		t.Errorf("Entra's POST with an unmapped externalId: %d %s", r.Status, r.Body)
	}
	// Removing an externalId the app never stored changes nothing: 2xx.
	if r := plain.do(http.MethodPatch, "/Groups/1", jsonPatch(`{"op":"Remove","path":"externalId"}`)); r.Status/100 != 2 {
		t.Errorf("remove an unmapped externalId: %d %s", r.Status, r.Body)
	}
}
