package adapter

import (
	"net/http"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// acmeOrgToken and globexOrgToken act for Grafana organisations 1 and 2.
const (
	acmeOrgToken   = "acme-org-token-0123456789abcdef"
	globexOrgToken = "globex-org-token-0123456789abcd"
)

// grafanaOrgsYAML maps Grafana's global user rows with organisations as
// tenants through org_user. existing and deactivate fill in
// tenant_through's choices.
func grafanaOrgsYAML(existing, deactivate string) string {
	return `server: { base_path: /scim/v2 }
database: { dsn: x }
auth:
  bearer_tokens:
    - { name: acme, token: "` + acmeOrgToken + `", tenant: "1" }
    - { name: globex, token: "` + globexOrgToken + `", tenant: "2" }
users:
  table: user
  scope: { is_service_account: 0, is_admin: 0 }
  tenant_through:
    table: org_user
    user: user_id
    tenant: org_id
    defaults: { role: Viewer, created: now, updated: now }
    existing_users: ` + existing + `
    deactivate: ` + deactivate + `
  create: allow
  delete: delete
  defaults: { version: 0, org_id: 1 }
  active: { column: is_disabled, true: 0, false: 1 }
  meta: { created: created, last_modified: updated }
  attributes:
    userName: { column: login }
    'emails[type eq "work"].value': { column: email, unique: true }
    displayName: { column: name }
`
}

// newGrafanaOrgs serves grafana_orgs.sql with the mapping.
func newGrafanaOrgs(t *testing.T, existing, deactivate string) *env {
	t.Helper()
	cfg, err := mapping.Parse("grafana-orgs.yaml", []byte(grafanaOrgsYAML(existing, deactivate)))
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, string(mustReadFile(t, "testdata/apps/grafana_orgs.sql")))
}

// orgUser opens a POST body of a User.
const orgUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],`

func asAcmeOrg() []string   { return []string{"Authorization", "Bearer " + acmeOrgToken} }
func asGlobexOrg() []string { return []string{"Authorization", "Bearer " + globexOrgToken} }

// orgSums are the checksums of every table the tests must not change.
func orgSums(t *testing.T, e *env) string {
	t.Helper()
	var s []string
	for _, tb := range []string{"user", "org", "org_user"} {
		s = append(s, legacytest.Checksum(t, e.dsn, tb))
	}
	return strings.Join(s, "/")
}

// TestTenantThroughIsolation: Globex's token probes Acme's user alice
// (id 2) and the users outside the scope through every verb, filter
// tricks included, and finds nothing and changes nothing; totals count
// only Globex's members (bob and carol).
func TestTenantThroughIsolation(t *testing.T) {
	e := newGrafanaOrgs(t, "refuse", "user")
	before := orgSums(t, e)
	for _, tt := range []struct{ method, path, body string }{
		{"GET", "/Users/2", ""},
		{"GET", "/Users/1", ""},
		{"GET", "/Users/5", ""},
		{"PATCH", "/Users/2", `{"Operations":[{"op":"replace","path":"displayName","value":"x"}]}`},
		{"PATCH", "/Users/2", `{"Operations":[{"op":"replace","path":"active","value":false}]}`},
		{"PUT", "/Users/2", `{"userName":"alice"}`},
		{"DELETE", "/Users/2", ""},
		{"DELETE", "/Users/1", ""},
	} {
		if r := e.do(tt.method, tt.path, tt.body, asGlobexOrg()...); r.Status != http.StatusNotFound {
			t.Errorf("%s %s as Globex = %d %s, want 404", tt.method, tt.path, r.Status, r.Body)
		}
	}
	for _, f := range []string{
		`id eq "2"`,
		`userName eq "alice"`,
		`emails co "acme" and not (userName eq "bob")`,
		`userName eq "nobody" or id eq "2"`,
		`(userName eq "alice") or (userName eq "admin") or (userName eq "sa-backup")`,
		`not (userName ne "alice")`,
		`userName sw "a"`,
		`meta.created lt "2100-01-01T00:00:00Z" and displayName co "Ames"`,
	} {
		r := e.get("/Users?filter="+q(f), asGlobexOrg()...)
		if r.Status != 200 || r.json(t)["totalResults"] != float64(0) {
			t.Errorf("filter %s as Globex = %d %s, want no results", f, r.Status, r.Body)
		}
	}
	for _, path := range []string{"/Users", "/Users?count=0", "/Users?count=1000&sortBy=userName", "/Users?filter=" + q(`userName pr or id eq "2"`)} {
		r := e.get(path, asGlobexOrg()...)
		if r.json(t)["totalResults"] != float64(2) {
			t.Errorf("GET %s as Globex: totalResults %v, want 2 (bob, carol)", path, r.json(t)["totalResults"])
		}
		for _, other := range []string{"alice", "admin", "sa-backup"} {
			if strings.Contains(string(r.Body), other) {
				t.Errorf("GET %s as Globex shows %s", path, other)
			}
		}
	}
	// Uniqueness errors name nothing of Acme: not the user's id, not her
	// other attributes.
	for _, body := range []string{`"userName":"alice"}`, `"userName":"new","emails":[{"type":"work","value":"alice@acme.test"}]}`} {
		r := e.do(http.MethodPost, "/Users", orgUser+body, asGlobexOrg()...)
		if r.Status != http.StatusConflict {
			t.Errorf("POST %s as Globex = %d %s, want 409", body, r.Status, r.Body)
		}
		if s := string(r.Body); strings.Contains(s, `\"2\"`) || strings.Contains(s, "Ames") || strings.Contains(s, "Acme") {
			t.Errorf("the 409 reveals Acme's user: %s", s)
		}
	}
	if after := orgSums(t, e); after != before {
		t.Fatal("Globex's requests changed the tables")
	}
	// Acme's token, by contrast, sees alice and bob.
	if r := e.get("/Users", asAcmeOrg()...); r.json(t)["totalResults"] != float64(2) || !strings.Contains(string(r.Body), "alice") {
		t.Errorf("Acme's users: %s", r.Body)
	}
}

// TestTenantThroughWrites: a created user joins the tenant with the
// membership defaults; DELETE removes only the tenant's membership and
// keeps the user row bob's other organisation still holds; a PATCH by
// one tenant writes the shared row only for a user it holds.
func TestTenantThroughWrites(t *testing.T) {
	e := newGrafanaOrgs(t, "refuse", "user")
	since := e.query("SELECT NOW()")[0]
	r := e.do(http.MethodPost, "/Users", orgUser+`"userName":"dave","emails":[{"type":"work","value":"dave@globex.test"}]}`, asGlobexOrg()...)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST dave as Globex = %d %s", r.Status, r.Body)
	}
	id := r.json(t)["id"].(string)
	if got := e.query("SELECT GROUP_CONCAT(CONCAT(org_id, ':', role, IF(created >= ? AND updated >= ?, ' now', ' old'))) FROM org_user WHERE user_id = ?", since, since, id)[0]; got != "2:Viewer now" {
		t.Errorf("dave's memberships = %s, want 2:Viewer now", got)
	}
	if r := e.get("/Users/"+id, asAcmeOrg()...); r.Status != http.StatusNotFound {
		t.Errorf("Acme reads Globex's new user = %d", r.Status)
	}
	userSum := legacytest.Checksum(t, e.dsn, "user")
	if r := e.do(http.MethodDelete, "/Users/3", "", asGlobexOrg()...); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE bob as Globex = %d %s", r.Status, r.Body)
	}
	if got := e.query("SELECT GROUP_CONCAT(org_id ORDER BY org_id) FROM org_user WHERE user_id = 3")[0]; got != "1" {
		t.Errorf("bob's memberships after Globex's DELETE = %s, want Acme's only", got)
	}
	if legacytest.Checksum(t, e.dsn, "user") != userSum {
		t.Error("DELETE changed the shared user row")
	}
	if r := e.get("/Users/3", asGlobexOrg()...); r.Status != http.StatusNotFound {
		t.Errorf("Globex reads bob after DELETE = %d, want 404", r.Status)
	}
	if r := e.get("/Users/3", asAcmeOrg()...); r.Status != 200 {
		t.Errorf("Acme reads bob after Globex's DELETE = %d, want 200", r.Status)
	}
	if r := e.do(http.MethodPatch, "/Users/3", `{"Operations":[{"op":"replace","path":"displayName","value":"Bob B."}]}`, asGlobexOrg()...); r.Status != http.StatusNotFound {
		t.Errorf("PATCH bob as Globex after it left = %d, want 404", r.Status)
	}
	if r := e.do(http.MethodPatch, "/Users/3", `{"Operations":[{"op":"replace","path":"displayName","value":"Bob B."}]}`, asAcmeOrg()...); r.Status != 200 {
		t.Errorf("PATCH bob as Acme = %d %s", r.Status, r.Body)
	}
	if got := e.query("SELECT name FROM `user` WHERE id = 3")[0]; got != "Bob B." {
		t.Errorf("bob's name = %s", got)
	}
}

// TestTenantThroughJoinExisting: under existing_users: join, Globex's POST
// of Acme's alice adds Globex's membership and answers with alice's id;
// her user row and Acme's membership stay as they were. A userName
// outside the scope (the admin) is still refused, and a second POST by
// the same tenant is an ordinary 409.
func TestTenantThroughJoinExisting(t *testing.T) {
	e := newGrafanaOrgs(t, "join", "user")
	userSum := legacytest.Checksum(t, e.dsn, "user")
	r := e.do(http.MethodPost, "/Users", orgUser+`"userName":"ALICE","displayName":"Overwritten?"}`, asGlobexOrg()...)
	if r.Status != http.StatusCreated || r.json(t)["id"] != "2" {
		t.Fatalf("POST alice as Globex = %d %s, want 201 with id 2", r.Status, r.Body)
	}
	if got := e.query("SELECT GROUP_CONCAT(CONCAT(org_id, ':', role) ORDER BY org_id) FROM org_user WHERE user_id = 2")[0]; got != "1:Editor,2:Viewer" {
		t.Errorf("alice's memberships = %s, want 1:Editor,2:Viewer", got)
	}
	if legacytest.Checksum(t, e.dsn, "user") != userSum {
		t.Error("joining changed the shared user row")
	}
	if r := e.do(http.MethodPost, "/Users", orgUser+`"userName":"alice"}`, asGlobexOrg()...); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), `\"2\"`) {
		t.Errorf("second POST alice as Globex = %d %s, want 409 naming User 2", r.Status, r.Body)
	}
	before := orgSums(t, e)
	if r := e.do(http.MethodPost, "/Users", orgUser+`"userName":"admin"}`, asGlobexOrg()...); r.Status != http.StatusConflict || strings.Contains(string(r.Body), `\"1\"`) {
		t.Errorf("POST admin as Globex = %d %s, want 409 naming no id", r.Status, r.Body)
	}
	if orgSums(t, e) != before {
		t.Error("a refused join changed the tables")
	}
}

// TestTenantThroughDeactivate: with deactivate: membership, active=false
// (PATCH, and DELETE under users.delete: deactivate) removes the tenant's
// membership, never the is_disabled flag every organisation shares.
func TestTenantThroughDeactivate(t *testing.T) {
	e := newGrafanaOrgs(t, "refuse", "membership")
	userSum := legacytest.Checksum(t, e.dsn, "user")
	r := e.do(http.MethodPatch, "/Users/3", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`, asGlobexOrg()...)
	if r.Status != 200 || r.json(t)["active"] != false {
		t.Fatalf("PATCH bob active=false as Globex = %d %s", r.Status, r.Body)
	}
	if got := e.query("SELECT GROUP_CONCAT(org_id) FROM org_user WHERE user_id = 3")[0]; got != "1" {
		t.Errorf("bob's memberships = %s, want Acme's only", got)
	}
	if legacytest.Checksum(t, e.dsn, "user") != userSum {
		t.Error("deactivating in one organisation changed the shared user row")
	}
	if r := e.get("/Users/3", asAcmeOrg()...); r.Status != 200 || r.json(t)["active"] != true {
		t.Errorf("bob as Acme sees him = %d %s, want active", r.Status, r.Body)
	}
}

// TestTenantThroughConfig: the shapes the loader refuses, each with a
// message that says what to write.
func TestTenantThroughConfig(t *testing.T) {
	base := grafanaOrgsYAML("refuse", "user")
	for _, tt := range []struct{ name, from, to, want string }{
		{"both tenants", "  tenant_through:", "  tenant: org_id\n  tenant_through:", "not both"},
		{"missing tenant", "    tenant: org_id\n", "", "needs table, user and tenant"},
		{"bad existing", "existing_users: refuse", "existing_users: merge", "use refuse (409) or join"},
		{"bad deactivate", "deactivate: user", "deactivate: row", "use user"},
		{"default on the key", "role: Viewer", "role: Viewer, org_id: 3", "takes no default"},
		{"token without tenant", `, tenant: "2" }`, ` }`, "every token must name the tenant"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(base, tt.from, tt.to, 1)
			if src == base {
				t.Fatalf("replacement %q not found", tt.from)
			}
			_, err := mapping.Parse("x.yaml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestTenantThroughHostile: injections aimed at the tenant's EXISTS, and
// the tenant URL of another organisation, as Globex: each is refused or
// finds nothing of Acme, and no table changes.
func TestTenantThroughHostile(t *testing.T) {
	e := newGrafanaOrgs(t, "join", "membership")
	before := orgSums(t, e)
	for _, tt := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/Users?filter=" + q(`userName eq "x' OR '1'='1"`), "", 200},
		{"GET", "/Users?filter=" + q(`userName eq "alice\") OR EXISTS (SELECT 1 FROM org_user) -- "`), "", 200},
		{"GET", "/Users?filter=" + q(`userName eq "x") OR (1=1`), "", 400},
		{"GET", "/Users?filter=" + q(`org_id eq "1"`), "", 400},
		{"GET", "/Users?filter=" + q(`urn:x:org_user.org_id eq "1"`), "", 400},
		{"GET", "/Users?sortBy=" + q("org_id"), "", 400},
		{"GET", "/Users/" + q("2 OR 1=1"), "", 404},
		{"GET", "/Users/" + q("2) OR (1=1"), "", 404},
		{"GET", "/t/1/Users/2", "", 403},
		{"GET", "/t/2/Users/2", "", 404},
		{"PATCH", "/t/2/Users/2", `{"Operations":[{"op":"replace","path":"active","value":false}]}`, 404},
		{"DELETE", "/t/2/Users/" + q("2 OR 1=1"), "", 404},
	} {
		r := e.do(tt.method, tt.path, tt.body, asGlobexOrg()...)
		if r.Status != tt.want {
			t.Errorf("%s %s = %d %s, want %d", tt.method, tt.path, r.Status, r.Body, tt.want)
			continue
		}
		if tt.want == 200 && r.json(t)["totalResults"] != float64(0) {
			t.Errorf("%s found %v users", tt.path, r.json(t)["totalResults"])
		}
	}
	if orgSums(t, e) != before {
		t.Error("a hostile request changed the tables")
	}
}
