package adapter

import (
	"net/http"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
)

// globexToken is a second token, for tenant 2 (Globex).
const globexToken = "globex-token-0123456789abcdef"

// twoTenants serves the sample app with a token per tenant, and creates
// allowed so inserts can be checked too.
func twoTenants(t *testing.T) *env {
	t.Helper()
	cfg := strings.Replace(string(mustReadFile(t, "../config.yaml")), `      tenant: "1"                # the organization this token provisions`,
		`      tenant: "1"                # the organization this token provisions
    - { name: globex, token: "`+globexToken+`", tenant: "2" }`, 1)
	cfg = strings.Replace(cfg, "  create: deny                   # users are created by the app's SSO login", "  create: allow\n  defaults: { auth_source: saml }", 1)
	return newEnvYAML(t, cfg)
}

func asGlobex(headers ...string) []string {
	return append([]string{"Authorization", "Bearer " + globexToken}, headers...)
}

// TestTenantIsolation: tenant 1's token guesses and probes tenant 2's
// ids (Frank is user 8, Globex's roles are groups 4 and 5) through every
// endpoint and verb, and finds nothing and changes nothing.
func TestTenantIsolation(t *testing.T) {
	e := twoTenants(t)
	sums := func() string {
		return legacytest.Checksum(t, e.dsn, "users") + legacytest.Checksum(t, e.dsn, "roles") + legacytest.Checksum(t, e.dsn, "user_roles")
	}
	before := sums()
	notFound := []struct{ method, path, body string }{
		{"GET", "/Users/8", ""},
		{"GET", "/Users/9", ""},
		{"PATCH", "/Users/8", `{"Operations":[{"op":"replace","path":"title","value":"x"}]}`},
		{"PUT", "/Users/8", `{"userName":"frank@globex.test"}`},
		{"DELETE", "/Users/8", ""},
		{"GET", "/Groups/4", ""},
		{"PATCH", "/Groups/4", `{"Operations":[{"op":"add","path":"members","value":[{"value":"2"}]}]}`},
		{"PUT", "/Groups/4", `{"displayName":"Mine now"}`},
		{"DELETE", "/Groups/5", ""},
	}
	for _, tt := range notFound {
		if r := e.do(tt.method, tt.path, tt.body); r.Status != http.StatusNotFound {
			t.Errorf("%s %s with tenant 1's token = %d %s, want 404", tt.method, tt.path, r.Status, r.Body)
		}
	}
	empty := []string{
		"/Users?filter=" + q(`id eq "8"`),
		"/Users?filter=" + q(`userName eq "frank@globex.test"`),
		"/Users?filter=" + q(`emails co "globex"`),
		"/Users?filter=" + q(`groups[value eq "4"]`),
		"/Groups?filter=" + q(`id eq "4"`),
		"/Groups?filter=" + q(`displayName eq "Viewer"`),
		"/Groups?filter=" + q(`members[value eq "8"]`),
	}
	for _, path := range empty {
		if r := e.get(path); r.Status != 200 || r.json(t)["totalResults"] != float64(0) {
			t.Errorf("GET %s with tenant 1's token = %d %s, want no results", path, r.Status, r.Body)
		}
	}
	for path, forbidden := range map[string]string{"/Users?count=1000": "globex", "/Groups": "Viewer"} {
		if body := string(e.get(path).Body); strings.Contains(body, forbidden) {
			t.Errorf("GET %s with tenant 1's token lists tenant 2's %s", path, forbidden)
		}
	}
	// Tenant 2's user is not a member tenant 1 can add.
	if r := e.do(http.MethodPatch, "/Groups/2", `{"Operations":[{"op":"add","path":"members","value":[{"value":"8"}]}]}`); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `\"8\"`) {
		t.Errorf("adding tenant 2's user to a tenant 1 group = %d %s", r.Status, r.Body)
	}
	if after := sums(); after != before {
		t.Fatal("tenant 1's requests changed tenant 2's data")
	}
	// Tenant 2 sees exactly its own.
	r := e.get("/Users", asGlobex()...)
	if r.json(t)["totalResults"] != float64(1) || !strings.Contains(string(r.Body), "frank@globex.test") {
		t.Errorf("tenant 2's users: %s", r.Body)
	}
	if g := e.get("/Groups?excludedAttributes=members", asGlobex()...).json(t); g["totalResults"] != float64(2) {
		t.Errorf("tenant 2's groups: %v", g["totalResults"])
	}
	// Inserts take the caller's tenant, whatever the body says.
	r = e.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"grace@globex.test","urn:example:org":"1"}`, asGlobex()...)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST as tenant 2 = %d %s", r.Status, r.Body)
	}
	if org := e.query("SELECT org_id FROM users WHERE login = 'grace@globex.test'")[0]; org != "2" {
		t.Errorf("created user's org_id = %s, want 2", org)
	}
	if r := e.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Analyst"}`, asGlobex()...); r.Status != http.StatusCreated {
		t.Errorf("POST /Groups Analyst as tenant 2 (tenant 1 has one) = %d %s", r.Status, r.Body)
	}
	// The same login in another tenant is no conflict; in the same one it is.
	if r := e.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice@acme.test"}`, asGlobex()...); r.Status != http.StatusCreated {
		t.Errorf("tenant 2 creating alice@acme.test = %d %s", r.Status, r.Body)
	}
	if r := e.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ALICE@acme.test"}`); r.Status != http.StatusConflict {
		t.Errorf("tenant 1 creating ALICE@acme.test = %d %s", r.Status, r.Body)
	}
}

// TestTenantURL: the API also answers at /scim/v2/t/{tenant}, where the
// tenant must be the token's, and locations keep the tenant segment.
func TestTenantURL(t *testing.T) {
	e := twoTenants(t)
	r := e.get("/t/1/Users/2")
	if r.Status != 200 {
		t.Fatalf("GET /t/1/Users/2 = %d %s", r.Status, r.Body)
	}
	if loc := r.json(t)["meta"].(map[string]any)["location"]; loc != "https://scim.example.test/scim/v2/t/1/Users/2" {
		t.Errorf("meta.location = %v", loc)
	}
	if r := e.get("/t/2/Users"); r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "not valid for the tenant in the URL") {
		t.Errorf("tenant 1's token on /t/2 = %d %s", r.Status, r.Body)
	}
	if r := e.get("/t/2/Users/8", asGlobex()...); r.Status != 200 {
		t.Errorf("tenant 2's token on /t/2/Users/8 = %d", r.Status)
	}
	if r := e.get("/t/2/Users/8"); r.Status != http.StatusForbidden {
		t.Errorf("tenant 1's token on /t/2/Users/8 = %d, want 403", r.Status)
	}
	if r := e.get("/t/1/Users", "Authorization", ""); r.Status != http.StatusUnauthorized {
		t.Errorf("no token on /t/1 = %d", r.Status)
	}
	if r := e.do(http.MethodPatch, "/t/1/Users/2", `{"Operations":[{"op":"replace","path":"title","value":"Via tenant URL"}]}`); r.Status != 200 {
		t.Errorf("PATCH via the tenant URL = %d %s", r.Status, r.Body)
	}
	// Without tenants in the mapping there is no tenant URL.
	cfg := string(mustReadFile(t, "../config.yaml"))
	cfg = strings.NewReplacer(`      tenant: "1"                # the organization this token provisions`, "",
		"  tenant: org_id                 # every statement is scoped to the token's tenant", "").Replace(cfg)
	cfg = cfg[:strings.Index(cfg, "\ngroups:")]
	single := newEnvYAML(t, cfg)
	if r := single.get("/t/1/Users"); r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), "no tenants") {
		t.Errorf("tenant URL without tenants = %d %s", r.Status, r.Body)
	}
}
