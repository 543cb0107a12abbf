// End-to-end tests of the vendor examples: each test serves one
// example's config.yaml over a fresh copy of its schema.sql on a real
// MariaDB/MySQL and replays, over HTTP, what Okta does for that vendor as
// the vendor's guide describes it. Every step checks the status, the
// database itself, and that refused requests change nothing.
package examples_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/retroscim/retroscim/adapter"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// oktaToken is the token each example's config.yaml reads from
// RETROSCIM_TOKEN.
const oktaToken = "okta-e2e-token-0123456789abcdef"

// app is one example served over a throwaway database.
type app struct {
	t     *testing.T
	base  string // SCIM base URL, base_path included
	dsn   string
	cfg   *mapping.Config
	store *legacy.Store
	own   legacy.OwnTables
	token string // sent as the bearer token unless a request says otherwise
}

// serve loads examples/<dir>/schema.sql into a new database and serves
// examples/<dir>/config.yaml over it.
func serve(t *testing.T, dir string) *app {
	t.Helper()
	schema, err := os.ReadFile(filepath.Join(dir, "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	dsn := legacytest.NewDatabase(t, string(schema))
	t.Setenv("RETROSCIM_DSN", dsn)
	t.Setenv("RETROSCIM_TOKEN", oktaToken)
	cfg, err := mapping.LoadFile(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := legacy.Open(ctx, dsn, legacy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := adapter.BindSchema(ctx, cfg, store); err != nil {
		t.Fatal(err)
	}
	own := legacy.OwnTables{Schema: cfg.Store.Schema, Prefix: cfg.Store.Prefix}
	if _, err := store.Migrate(ctx, own); err != nil {
		t.Fatal(err)
	}
	logs := &legacytest.Buffer{}
	hs := httptest.NewServer(adapter.New(cfg, store, adapter.Options{Own: &own, Log: slog.New(slog.NewJSONHandler(logs, nil))}))
	t.Cleanup(hs.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	return &app{t: t, base: hs.URL + cfg.Server.BasePath, dsn: dsn, cfg: cfg, store: store, own: own, token: oktaToken}
}

// response is what a step looks at.
type response struct {
	method, path string
	Status       int
	Header       http.Header
	Body         []byte
}

// do sends a request as Okta does: the bearer token, Accept
// application/scim+json and, with a body, Content-Type application/json.
// headers are name, value pairs; an empty value removes the header.
func (a *app) do(method, path, body string, headers ...string) response {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Accept", "application/scim+json")
	req.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
	if body != "" {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return response{method: method, path: path, Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func (a *app) get(path string, headers ...string) response {
	a.t.Helper()
	return a.do(http.MethodGet, path, "", headers...)
}

// must fails the test unless the response has the status.
func (r response) must(t *testing.T, status int) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s %s = %d, want %d: %s", r.method, r.path, r.Status, status, r.Body)
	}
	return r
}

// refused checks a SCIM error: status, scimType ("" for none) and a part
// of the detail.
func (r response) refused(t *testing.T, status int, scimType, detail string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s %s = %d, want %d %s: %s", r.method, r.path, r.Status, status, scimType, r.Body)
		return
	}
	var e struct {
		Schemas  []string `json:"schemas"`
		ScimType string   `json:"scimType"`
		Detail   string   `json:"detail"`
		Status   string   `json:"status"`
	}
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Errorf("%s %s: error body is not JSON: %s", r.method, r.path, r.Body)
		return
	}
	if len(e.Schemas) != 1 || e.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" || e.Status != fmt.Sprint(status) {
		t.Errorf("%s %s: not a SCIM error body: %s", r.method, r.path, r.Body)
	}
	if e.ScimType != scimType {
		t.Errorf("%s %s: scimType %q, want %q (%s)", r.method, r.path, e.ScimType, scimType, e.Detail)
	}
	if !strings.Contains(e.Detail, detail) {
		t.Errorf("%s %s: detail %q, want it to contain %q", r.method, r.path, e.Detail, detail)
	}
}

// obj decodes a JSON object body.
func (r response) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %s", r.method, r.path, r.Body)
	}
	return m
}

// list decodes a ListResponse: totalResults and the resources.
func (r response) list(t *testing.T) (int, []map[string]any) {
	t.Helper()
	r.must(t, http.StatusOK)
	var l struct {
		Schemas      []string         `json:"schemas"`
		TotalResults int              `json:"totalResults"`
		Resources    []map[string]any `json:"Resources"`
	}
	if err := json.Unmarshal(r.Body, &l); err != nil || len(l.Schemas) != 1 || l.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:ListResponse" {
		t.Fatalf("%s %s: not a ListResponse: %s", r.method, r.path, r.Body)
	}
	return l.TotalResults, l.Resources
}

// str reads a string member (dotted for sub-attributes) of a resource.
func str(m map[string]any, path string) string {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = o[k]
	}
	s, _ := v.(string)
	return s
}

// filter is the query string of Okta's lookups: a filter, startIndex 1
// and count 100, percent-encoded as Okta does.
func filter(f string) string {
	return "?filter=" + strings.ReplaceAll(url.QueryEscape(f), "+", "%20") + "&startIndex=1&count=100"
}

// lookupUser is Okta's lookup before a push: GET /Users?filter=userName eq.
// It returns the id, or "" when there is no such user.
func (a *app) lookupUser(prefix, userName string) string {
	a.t.Helper()
	n, res := a.get(prefix + "/Users" + filter(`userName eq "`+userName+`"`)).list(a.t)
	switch n {
	case 0:
		return ""
	case 1:
		return str(res[0], "id")
	}
	a.t.Fatalf("userName eq %q found %d users", userName, n)
	return ""
}

// lookupGroup is Okta's "Find groups by name": GET /Groups?filter=displayName eq.
func (a *app) lookupGroup(prefix, name string) string {
	a.t.Helper()
	n, res := a.get(prefix + "/Groups" + filter(`displayName eq "`+name+`"`)).list(a.t)
	switch n {
	case 0:
		return ""
	case 1:
		return str(res[0], "id")
	}
	a.t.Fatalf("displayName eq %q found %d groups", name, n)
	return ""
}

// row returns the first row of a query as strings ("NULL" for NULL), or
// nil when there is none.
func (a *app) row(query string, args ...any) []string {
	a.t.Helper()
	return legacytest.Row(a.t, a.dsn, query, args...)
}

// value returns the single value a query selects, joined with "|" when
// it selects several columns; "(no row)" when there is none.
func (a *app) value(query string, args ...any) string {
	a.t.Helper()
	r := a.row(query, args...)
	if r == nil {
		return "(no row)"
	}
	return strings.Join(r, "|")
}

// wantRow checks the columns a query selects.
func (a *app) wantRow(want string, query string, args ...any) {
	a.t.Helper()
	if got := a.value(query, args...); got != want {
		a.t.Errorf("%s %v\n got: %s\nwant: %s", query, args, got, want)
	}
}

// sum is a checksum of tables, to prove that a request changed nothing.
func (a *app) sum(tables ...string) string {
	a.t.Helper()
	var parts []string
	for _, tb := range tables {
		parts = append(parts, tb+"="+legacytest.Checksum(a.t, a.dsn, tb))
	}
	return strings.Join(parts, " ")
}

// unchanged checks that the tables' checksum is still before.
func (a *app) unchanged(what, before string, tables ...string) {
	a.t.Helper()
	if after := a.sum(tables...); after != before {
		a.t.Errorf("%s changed the database:\n before %s\n after  %s", what, before, after)
	}
}

// patch wraps PATCH operations in a PatchOp message.
func patch(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// Okta's PATCH operations.
var (
	oktaDeactivate = patch(`{"op":"replace","value":{"active":false}}`)
	oktaReactivate = patch(`{"op":"replace","value":{"active":true}}`)
)

// oktaUser is the body of Okta's POST /Users and PUT /Users/{id}: the
// profile under the app's attribute mappings, plus what Okta always sends
// (locale, externalId, an empty groups list, a random password, active).
func oktaUser(id, userName, given, family, email string, extra map[string]any) string {
	u := map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": userName,
		"name":     map[string]any{"givenName": given, "familyName": family},
		"emails":   []any{map[string]any{"primary": true, "value": email, "type": "work"}},
		"locale":   "en-US",
		"externalId": "00u" + strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' {
				return r
			}
			return -1
		}, strings.ToLower(userName)),
		"groups":   []any{},
		"password": "pw-Okta-1a2b3c",
		"active":   true,
	}
	if id != "" {
		u["id"] = id
	}
	for k, v := range extra {
		if v == nil {
			delete(u, k)
		} else {
			u[k] = v
		}
	}
	b, _ := json.Marshal(u)
	return string(b)
}

// members builds the members array Okta sends: value and display.
func members(ids ...string) string {
	var parts []string
	for _, id := range ids {
		parts = append(parts, `{"value":"`+id+`","display":"user `+id+`"}`)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// groupMembers reads a group's member ids from GET /Groups/{id}, sorted.
func (a *app) groupMembers(prefix, id string) string {
	a.t.Helper()
	g := a.get(prefix+"/Groups/"+id).must(a.t, http.StatusOK).obj(a.t)
	var ids []string
	ms, _ := g["members"].([]any)
	for _, m := range ms {
		ids = append(ids, m.(map[string]any)["value"].(string))
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// ---------------------------------------------------------------------------

// TestPantherOkta replays Panther's guide: no provisioning (users come from
// the first SSO login), Push Profile Updates of given name, family name,
// e-mail and pantherRole, Deactivate Users, no /Groups.
func TestPantherOkta(t *testing.T) {
	a := serve(t, "panther")
	users := func() string { return a.sum("panther_users", "user_roles") }

	// Okta saves the integration: it reads the discovery documents and
	// lists users. Panther serves users only.
	a.get("/ServiceProviderConfig").must(t, http.StatusOK)
	n, types := a.get("/ResourceTypes").list(t)
	if n != 1 || str(types[0], "name") != "User" {
		t.Errorf("/ResourceTypes lists %d types (%v), want only User", n, types)
	}
	a.get("/Groups").refused(t, http.StatusNotFound, "", "does not serve groups")
	a.get("/Groups"+filter(`displayName eq "Admin"`)).refused(t, http.StatusNotFound, "", "does not serve groups")
	schema := a.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").must(t, http.StatusOK).obj(t)
	attrs := map[string]map[string]any{}
	for _, at := range schema["attributes"].([]any) {
		attrs[at.(map[string]any)["name"].(string)] = at.(map[string]any)
	}
	if attrs["pantherRole"] == nil || attrs["pantherRole"]["mutability"] != "readWrite" || attrs["userName"]["mutability"] != "readOnly" {
		t.Errorf("the core User schema should publish pantherRole (readWrite) and a readOnly userName: %v", attrs)
	}
	total, page := a.get("/Users?startIndex=1&count=2").list(t)
	if total != 4 || len(page) != 2 {
		t.Errorf("Test Connector: %d users, page of %d; want the 4 SSO users, 2 per page", total, len(page))
	}
	all := a.get("/Users?startIndex=1&count=100")
	for _, hidden := range []string{"root@panther.acme.test", "ci-detections@acme.test"} {
		if strings.Contains(string(all.Body), hidden) {
			t.Errorf("the local account %s is visible to SCIM", hidden)
		}
	}
	for _, id := range []string{"1", "6"} {
		a.get("/Users/"+id).refused(t, http.StatusNotFound, "", `User "`+id+`" not found`)
	}

	// Okta pushes a user who never signed in to Panther: the lookup finds
	// nothing, and the POST Okta then tries is refused; nothing is written.
	before := users()
	if id := a.lookupUser("", "erin@acme.test"); id != "" {
		t.Fatalf("erin@acme.test found as %s before any SSO login", id)
	}
	a.do(http.MethodPost, "/Users", oktaUser("", "erin@acme.test", "Erin", "Evans", "erin@acme.test", map[string]any{"pantherRole": "Analyst"})).
		refused(t, http.StatusForbidden, "", "created by the application when they first sign in through SSO")
	a.unchanged("POST /Users", before, "panther_users", "user_roles")

	// Alice signed in through SSO once (JIT). Okta finds her by userName
	// (case-insensitively) and pushes her profile and role.
	alice := a.lookupUser("", "Alice@ACME.test")
	if alice != "2" {
		t.Fatalf("lookup of Alice = %q, want 2", alice)
	}
	r := a.do(http.MethodPatch, "/Users/"+alice, patch(`{"op":"replace","value":{
		"name":{"givenName":"Alicia","familyName":"Adams-Smith"},
		"emails":[{"primary":true,"value":"alicia.adams@acme.test","type":"work"}],
		"pantherRole":"Analyst"}}`)).must(t, http.StatusOK)
	if got := r.obj(t); got["pantherRole"] != "Analyst" || str(got, "name.givenName") != "Alicia" {
		t.Errorf("PATCH response: %s", r.Body)
	}
	a.wantRow("alice@acme.test|Alicia|Adams-Smith|alicia.adams@acme.test|2|ACTIVE|5",
		"SELECT username, given_name, family_name, email, role_id, status, row_version FROM panther_users WHERE id = 2")

	// Update User Attributes as a PUT: userName is echoed (read-only,
	// ignored), attributes Panther does not keep (displayName, title,
	// locale, password) are ignored, the role becomes ReadOnlyAnalyst.
	a.do(http.MethodPut, "/Users/"+alice, oktaUser(alice, "alice@acme.test", "Alicia", "Adams", "alicia.adams@acme.test",
		map[string]any{"pantherRole": "ReadOnlyAnalyst", "displayName": "Alicia Adams", "title": "SOC Lead"})).must(t, http.StatusOK)
	a.wantRow("alice@acme.test|Alicia|Adams|alicia.adams@acme.test|3|6",
		"SELECT username, given_name, family_name, email, role_id, row_version FROM panther_users WHERE id = 2")

	// The role by its schema-qualified path (custom role with a space).
	a.do(http.MethodPatch, "/Users/"+alice, patch(`{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:pantherRole","value":"Detection Engineer"}`)).must(t, http.StatusOK)
	a.wantRow("4", "SELECT role_id FROM panther_users WHERE id = 2")
	if n, res := a.get("/Users" + filter(`pantherRole eq "Detection Engineer"`)).list(t); n != 1 || str(res[0], "id") != alice {
		t.Errorf("pantherRole eq \"Detection Engineer\" found %d users", n)
	}

	// Without a pantherRole, the user falls back to the default SAML role
	// (role_id NULL): Dave gets a role, then a PUT without one, then the
	// role is removed.
	dave := a.lookupUser("", "dave@acme.test")
	a.do(http.MethodPut, "/Users/"+dave, oktaUser(dave, "dave@acme.test", "Dave", "Dunn", "dave@acme.test", map[string]any{"pantherRole": "analyst"})).must(t, http.StatusOK)
	a.wantRow("Dave|Dunn|2", "SELECT given_name, family_name, role_id FROM panther_users WHERE id = ?", dave)
	a.do(http.MethodPut, "/Users/"+dave, oktaUser(dave, "dave@acme.test", "Dave", "Dunn", "dave@acme.test", nil)).must(t, http.StatusOK)
	a.wantRow("Dave|Dunn|NULL", "SELECT given_name, family_name, role_id FROM panther_users WHERE id = ?", dave)
	a.do(http.MethodPatch, "/Users/3", patch(`{"op":"remove","path":"pantherRole"}`)).must(t, http.StatusOK)
	a.wantRow("NULL", "SELECT role_id FROM panther_users WHERE id = 3")
	a.do(http.MethodPatch, "/Users/3", patch(`{"op":"add","path":"pantherRole","value":"Analyst"}`)).must(t, http.StatusOK)

	// An unknown role is an error and no part of the update is applied.
	before = users()
	for _, bad := range []struct{ method, body string }{
		{http.MethodPatch, patch(`{"op":"replace","value":{"name":{"givenName":"Changed"},"emails":[{"primary":true,"value":"changed@acme.test","type":"work"}],"pantherRole":"Superuser"}}`)},
		{http.MethodPatch, patch(`{"op":"replace","path":"name.familyName","value":"Changed"}`, `{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:pantherRole","value":"Superuser"}`)},
		{http.MethodPut, oktaUser(alice, "alice@acme.test", "Changed", "Changed", "changed@acme.test", map[string]any{"pantherRole": "Superuser"})},
	} {
		a.do(bad.method, "/Users/"+alice, bad.body).refused(t, http.StatusBadRequest, "invalidValue",
			`pantherRole: "Superuser" is not a known value; known values: Admin, Analyst, Detection Engineer, ReadOnlyAnalyst; nothing was changed`)
	}
	a.unchanged("an unknown pantherRole", before, "panther_users", "user_roles")

	// Okta may change nothing else: an explicit path to userName is
	// refused; attributes Panther does not keep are ignored.
	a.do(http.MethodPatch, "/Users/"+alice, patch(`{"op":"replace","path":"userName","value":"alicia@acme.test"}`)).
		refused(t, http.StatusBadRequest, "mutability", "userName is read-only")
	a.do(http.MethodPatch, "/Users/"+alice, patch(`{"op":"replace","value":{"title":"CISO","nickName":"Ali","userName":"someone-else@acme.test"}}`)).must(t, http.StatusOK)
	a.unchanged("PATCHes of attributes Okta may not change", before, "panther_users", "user_roles")

	// Panther supports the eq operator; that is all Okta sends.
	if n, _ := a.get("/Users" + filter(`emails[type eq "work"].value eq "bob@acme.test"`)).list(t); n != 1 {
		t.Errorf("e-mail lookup found %d users", n)
	}

	// Deactivate Users: Bob is unassigned in Okta, then assigned again.
	bob := a.lookupUser("", "bob@acme.test")
	if got := a.do(http.MethodPatch, "/Users/"+bob, oktaDeactivate).must(t, http.StatusOK).obj(t); got["active"] != false {
		t.Errorf("deactivated Bob answers active=%v", got["active"])
	}
	a.wantRow("DEACTIVATED|2", "SELECT status, role_id FROM panther_users WHERE id = ?", bob)
	if got := a.get("/Users/"+bob).must(t, http.StatusOK).obj(t); got["active"] != false {
		t.Errorf("GET of a deactivated user: active=%v", got["active"])
	}
	if n, _ := a.get("/Users" + filter(`active eq false`)).list(t); n != 2 {
		t.Errorf("active eq false: %d users, want Bob and Carol", n)
	}
	a.do(http.MethodPatch, "/Users/"+bob, oktaReactivate).must(t, http.StatusOK)
	a.wantRow("ACTIVE", "SELECT status FROM panther_users WHERE id = ?", bob)
	// Carol was deactivated in Panther; Okta reactivates her.
	a.do(http.MethodPatch, "/Users/4", oktaReactivate).must(t, http.StatusOK)
	a.wantRow("ACTIVE", "SELECT status FROM panther_users WHERE id = 4")

	// Users are never deleted, and local accounts cannot be reached.
	before = users()
	a.do(http.MethodDelete, "/Users/"+bob, "").refused(t, http.StatusForbidden, "", "users.delete: deny")
	a.do(http.MethodPatch, "/Users/1", oktaDeactivate).refused(t, http.StatusNotFound, "", `User "1" not found`)
	a.do(http.MethodPut, "/Users/6", oktaUser("6", "ci-detections@acme.test", "CI", "Deploy", "ci@acme.test", map[string]any{"pantherRole": "Admin"})).
		refused(t, http.StatusNotFound, "", `User "6" not found`)
	a.unchanged("DELETE and writes to local accounts", before, "panther_users", "user_roles")
	a.wantRow("6", "SELECT COUNT(*) FROM panther_users")
}

// TestPersonaOkta replays Persona's guide: Import New Users and Profile
// Updates (archived users too), Import Groups (the dashboard's roles), Push
// New Users, Push Profile Updates, and Push Groups by linking Okta groups
// to the existing roles, which renames them, then pushing memberships.
func TestPersonaOkta(t *testing.T) {
	a := serve(t, "persona")
	roles := func() string { return a.sum("org_roles", "dashboard_user_roles") }

	// Test Connector Configuration.
	if n, res := a.get("/Users?startIndex=1&count=1").list(t); n != 4 || len(res) != 1 {
		t.Errorf("Test Connector: %d users, page of %d", n, len(res))
	}

	// Import Now: users page by page, as Okta pages (startIndex 1, 3, 5).
	// Dan is archived: he is imported too, with "active": false (Okta
	// counts him as removed). The password owner is not a SCIM user.
	imported := map[string]any{}
	for start := 1; ; start += 2 {
		n, res := a.get(fmt.Sprintf("/Users?startIndex=%d&count=2", start)).list(t)
		if n != 4 {
			t.Fatalf("import: totalResults %d, want 4", n)
		}
		for _, u := range res {
			imported[str(u, "userName")] = u["active"]
		}
		if len(res) < 2 {
			break
		}
	}
	want := map[string]any{"alice@acme.test": true, "bob@acme.test": true, "carol@acme.test": true, "dan@acme.test": false}
	if fmt.Sprint(imported) != fmt.Sprint(want) {
		t.Errorf("imported users = %v, want %v", imported, want)
	}
	// Import Groups: the default roles and the custom one; the owner's
	// Admin role is not shown as a membership.
	n, groups := a.get("/Groups?startIndex=1&count=100").list(t)
	var names []string
	for _, g := range groups {
		names = append(names, str(g, "displayName"))
	}
	if n != 4 || strings.Join(names, ",") != "Admin,Analyst,Developer,Compliance Reviewer" {
		t.Errorf("imported groups = %v", names)
	}
	if got := a.groupMembers("", "1"); got != "2" {
		t.Errorf("Admin's members = %q, want only Alice (the owner is not a SCIM user)", got)
	}
	if got := a.groupMembers("", "2"); got != "3,5" {
		t.Errorf("Analyst's members = %q", got)
	}

	// Push New Users: Okta looks Erin up, then creates her.
	if id := a.lookupUser("", "erin@acme.test"); id != "" {
		t.Fatalf("erin@acme.test exists before the push: %s", id)
	}
	r := a.do(http.MethodPost, "/Users", oktaUser("", "erin@acme.test", "Erin", "Evans", "erin@acme.test",
		map[string]any{"displayName": "Erin Evans", "title": "Risk Analyst", "externalId": "00u1erin000000000010"})).must(t, http.StatusCreated)
	erin := str(r.obj(t), "id")
	if loc := r.Header.Get("Location"); loc != a.base+"/Users/"+erin {
		t.Errorf("Location = %q", loc)
	}
	a.wantRow("erin@acme.test|Erin|Evans|Erin Evans|Risk Analyst|00u1erin000000000010|saml|0|NULL",
		"SELECT email, first_name, last_name, display_name, job_title, idp_user_id, sign_in_method, archived, password_digest FROM dashboard_users WHERE id = ?", erin)
	// Okta retries the push with the address in another case: 409, and
	// nothing is inserted.
	before := a.sum("dashboard_users")
	a.do(http.MethodPost, "/Users", oktaUser("", "ERIN@acme.test", "Erin", "Evans", "ERIN@acme.test", nil)).
		refused(t, http.StatusConflict, "uniqueness", `userName "ERIN@acme.test" is already taken`)
	// userName and the work e-mail are one column: they must agree.
	a.do(http.MethodPost, "/Users", oktaUser("", "frank@acme.test", "Frank", "Fox", "frank.fox@acme.test", nil)).
		refused(t, http.StatusBadRequest, "invalidValue", `stored in the same column "email"`)
	a.unchanged("refused pushes", before, "dashboard_users")
	if got := a.lookupUser("", "Erin@Acme.Test"); got != erin {
		t.Errorf("lookup of Erin = %q, want %s", got, erin)
	}

	// Push Profile Updates.
	a.do(http.MethodPatch, "/Users/"+erin, patch(`{"op":"replace","value":{"name":{"familyName":"Evans-Ortiz"},"displayName":"Erin Evans-Ortiz","title":"Senior Risk Analyst"}}`)).must(t, http.StatusOK)
	a.wantRow("Evans-Ortiz|Erin Evans-Ortiz|Senior Risk Analyst", "SELECT last_name, display_name, job_title FROM dashboard_users WHERE id = ?", erin)

	// Bob's address changes in Okta: userName and e-mail are one column,
	// pushed together; a push of the e-mail alone renames the login too.
	a.do(http.MethodPatch, "/Users/3", patch(`{"op":"replace","value":{"userName":"bob.baker@acme.test","emails":[{"primary":true,"value":"bob.baker@acme.test","type":"work"}]}}`)).must(t, http.StatusOK)
	a.wantRow("bob.baker@acme.test", "SELECT email FROM dashboard_users WHERE id = 3")
	a.do(http.MethodPatch, "/Users/3", patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"bob@acme.test"}`)).must(t, http.StatusOK)
	if got := a.lookupUser("", "bob@acme.test"); got != "3" {
		t.Errorf("Bob's login after the e-mail push: lookup = %q", got)
	}

	// Roles are made in the dashboard, with their permissions: Okta's
	// Create Group is refused, Link Group is the way.
	before = roles()
	a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Persona-Support","members":[]}`).
		refused(t, http.StatusForbidden, "", "Link Group")
	a.do(http.MethodDelete, "/Groups/4", "").refused(t, http.StatusForbidden, "", "groups.delete: deny")
	a.unchanged("POST and DELETE /Groups", before, "org_roles", "dashboard_user_roles")

	// Push Groups > Find groups by name > Link Group: Okta finds each app
	// group by name and links its Persona-* group to it, renaming it
	// (repeating the read-only id in the value).
	for _, link := range []struct{ role, okta string }{{"Admin", "Persona-Admin"}, {"Analyst", "Persona-Analyst"}, {"Developer", "Persona-Developer"}} {
		id := a.lookupGroup("", link.role)
		if id == "" {
			t.Fatalf("Find groups by name %q found nothing", link.role)
		}
		a.do(http.MethodPatch, "/Groups/"+id, patch(`{"op":"replace","value":{"id":"`+id+`","displayName":"`+link.okta+`"}}`)).must(t, http.StatusNoContent)
		a.wantRow(link.okta, "SELECT name FROM org_roles WHERE id = ?", id)
	}
	a.wantRow("org:*|Full access to the organization", "SELECT permissions, description FROM org_roles WHERE id = 1")
	if id := a.lookupGroup("", "persona-admin"); id != "1" {
		t.Errorf("the renamed role is found as %q", id)
	}

	// Push group memberships immediately: Persona-Admin gains Erin and
	// Carol and loses Alice; Persona-Analyst gains Erin.
	a.do(http.MethodPatch, "/Groups/1", patch(`{"op":"add","path":"members","value":`+members(erin, "4")+`}`)).must(t, http.StatusNoContent)
	a.do(http.MethodPatch, "/Groups/1", patch(`{"op":"remove","path":"members[value eq \"2\"]"}`)).must(t, http.StatusNoContent)
	a.do(http.MethodPatch, "/Groups/2", patch(`{"op":"add","path":"members","value":`+members(erin)+`}`)).must(t, http.StatusNoContent)
	if got := a.groupMembers("", "1"); got != "4,"+erin {
		t.Errorf("Persona-Admin's members = %q, want Carol and Erin", got)
	}
	// The owner keeps Admin: SCIM neither sees nor removes that row. New
	// rows are marked as assigned by SCIM.
	a.wantRow("1:dashboard,4:scim,"+erin+":scim",
		"SELECT GROUP_CONCAT(CONCAT(dashboard_user_id, ':', assigned_via) ORDER BY dashboard_user_id) FROM dashboard_user_roles WHERE org_role_id = 1")
	a.wantRow("3,5,"+erin, "SELECT GROUP_CONCAT(dashboard_user_id ORDER BY dashboard_user_id) FROM dashboard_user_roles WHERE org_role_id = 2")
	g := a.get("/Users/"+erin+"?attributes=userName,groups").must(t, http.StatusOK)
	for _, name := range []string{"Persona-Admin", "Persona-Analyst"} {
		if !strings.Contains(string(g.Body), `"display":"`+name+`"`) {
			t.Errorf("Erin's groups do not show %s: %s", name, g.Body)
		}
	}

	// A membership push naming the owner or an unknown id changes nothing.
	before = roles()
	a.do(http.MethodPatch, "/Groups/2", patch(`{"op":"add","path":"members","value":`+members("1", "999")+`}`)).
		refused(t, http.StatusBadRequest, "invalidValue", `members not found: "1", "999"`)
	a.do(http.MethodPatch, "/Groups/2", patch(`{"op":"replace","value":{"id":"2","displayName":"Persona-Admin"}}`)).
		refused(t, http.StatusConflict, "uniqueness", `displayName "Persona-Admin" is already taken`)
	a.unchanged("refused group pushes", before, "org_roles", "dashboard_user_roles")

	// Deactivate Users: Okta unassigns Erin; she is archived, keeps her
	// roles, and the next import shows her as deactivated.
	a.do(http.MethodPatch, "/Users/"+erin, oktaDeactivate).must(t, http.StatusOK)
	a.wantRow("1|2", "SELECT archived, (SELECT COUNT(*) FROM dashboard_user_roles WHERE dashboard_user_id = u.id) FROM dashboard_users u WHERE id = ?", erin)
	if _, res := a.get("/Users" + filter(`userName eq "erin@acme.test"`)).list(t); len(res) != 1 || res[0]["active"] != false {
		t.Errorf("re-import of Erin: %v", res)
	}
	// Assigned again: reactivated.
	a.do(http.MethodPatch, "/Users/"+erin, oktaReactivate).must(t, http.StatusOK)
	a.wantRow("0", "SELECT archived FROM dashboard_users WHERE id = ?", erin)

	// The owner is out of reach.
	before = a.sum("dashboard_users")
	a.do(http.MethodPatch, "/Users/1", oktaDeactivate).refused(t, http.StatusNotFound, "", `User "1" not found`)
	a.unchanged("PATCH of the owner", before, "dashboard_users")
}

// TestHarmonySASEOkta replays Harmony SASE's guide: Push Users (Create
// Users), Push Profile Updates, Deactivate Users (which deletes the member
// and frees the licence), Push Groups with memberships; the e-mail is the
// unique identifier and cannot change; names reject @ , # $ ! and accept
// letters of any script plus space . _ - ( ) '.
func TestHarmonySASEOkta(t *testing.T) {
	a := serve(t, "harmony-sase")
	tables := []string{"workspace_members", "access_groups", "access_group_members", "member_sessions"}
	locals := "SELECT GROUP_CONCAT(CONCAT_WS(':', id, email, first_name, last_name, role) ORDER BY id) FROM workspace_members WHERE origin = 'local'"
	localsBefore := a.value(locals)

	// Test API Credentials.
	if n, _ := a.get("/Users?startIndex=1&count=1").list(t); n != 3 {
		t.Errorf("Test API Credentials: %d users, want the 3 Okta members", n)
	}

	// Push Users: Okta looks each assigned user up, then creates them.
	// Names in any script, with the allowed punctuation, are accepted.
	ids := map[string]string{}
	for _, u := range []struct{ email, given, family string }{
		{"david.cohen@acme.test", "דוד", "כהן"},           // Hebrew
		{"dmitry@acme.test", "Дмитрий", "Иванов-Петров"},  // Cyrillic, dash
		{"siobhan@acme.test", "Siobhán", "O'Brien (Ops)"}, // apostrophe, parentheses, space
		{"zoe@acme.test", "Zoe\u0308 J.", "St._Clair"},    // combining diaeresis, period, underscore
		{"renee.2@acme.test", "Renée", "Dubois 2nd"},      // digits: the guide says "alphanumeric"
	} {
		if id := a.lookupUser("", u.email); id != "" {
			t.Fatalf("%s exists before the push", u.email)
		}
		r := a.do(http.MethodPost, "/Users", oktaUser("", u.email, u.given, u.family, u.email, nil)).must(t, http.StatusCreated)
		id := str(r.obj(t), "id")
		ids[u.email] = id
		a.wantRow(u.email+"|"+u.given+"|"+u.family+"|okta|member",
			"SELECT email, first_name, last_name, origin, role FROM workspace_members WHERE id = ?", id)
		if got := a.get("/Users/"+id).must(t, http.StatusOK).obj(t); str(got, "name.givenName") != u.given || str(got, "userName") != u.email {
			t.Errorf("GET /Users/%s = %v", id, got)
		}
	}

	// Names with @ , # $ ! (or other characters outside the rule) are
	// refused, and nothing is created or changed.
	before := a.sum(tables...)
	for _, bad := range []struct{ given, family, detail string }{
		{"Jo#hn", "Smith", `name.givenName must not contain '#'`},
		{"John", "Smith@Home", `name.familyName must not contain '@'`},
		{"Smith, John", "Smith", `name.givenName must not contain ','`},
		{"Cash$", "Money", `must not contain '$'`},
		{"Hey!", "You", `must not contain '!'`},
		{"Anna+Maria", "Rossi", `does not match the required pattern`},
		{"Ann", "Lee/Park", `does not match the required pattern`},
	} {
		a.do(http.MethodPost, "/Users", oktaUser("", "new.user@acme.test", bad.given, bad.family, "new.user@acme.test", nil)).
			refused(t, http.StatusBadRequest, "invalidValue", bad.detail)
		a.do(http.MethodPatch, "/Users/"+ids["dmitry@acme.test"], patch(`{"op":"replace","value":{"name":{"givenName":`+jsonString(bad.given)+`,"familyName":`+jsonString(bad.family)+`}}}`)).
			refused(t, http.StatusBadRequest, "invalidValue", bad.detail)
	}
	a.unchanged("names with forbidden characters", before, tables...)

	// Push Profile Updates: names change (PUT and PATCH, as Okta sends
	// them); the e-mail may be repeated but not changed.
	david := ids["david.cohen@acme.test"]
	a.do(http.MethodPut, "/Users/"+david, oktaUser(david, "david.cohen@acme.test", "David", "Cohen", "david.cohen@acme.test", nil)).must(t, http.StatusOK)
	a.wantRow("david.cohen@acme.test|David|Cohen", "SELECT email, first_name, last_name FROM workspace_members WHERE id = ?", david)
	dmitry := ids["dmitry@acme.test"]
	a.do(http.MethodPatch, "/Users/"+dmitry, patch(`{"op":"replace","value":{"name":{"givenName":"Дима"},"emails":[{"primary":true,"value":"dmitry@acme.test","type":"work"}],"userName":"dmitry@acme.test"}}`)).must(t, http.StatusOK)
	a.wantRow("dmitry@acme.test|Дима|Иванов-Петров", "SELECT email, first_name, last_name FROM workspace_members WHERE id = ?", dmitry)

	// The e-mail is the identifier: any change is refused.
	before = a.sum(tables...)
	for _, bad := range []struct{ method, body, detail string }{
		{http.MethodPatch, patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"david@acme.test"}`), `emails[type eq "work"].value is immutable`},
		{http.MethodPatch, patch(`{"op":"replace","value":{"emails":[{"primary":true,"value":"david@acme.test","type":"work"}]}}`), `is immutable`},
		{http.MethodPatch, patch(`{"op":"replace","path":"userName","value":"david@acme.test"}`), `userName is immutable`},
		{http.MethodPut, oktaUser(david, "david@acme.test", "David", "Cohen", "david@acme.test", nil), `is immutable`},
		{http.MethodPatch, patch(`{"op":"remove","path":"emails[type eq \"work\"]"}`), `is immutable`},
	} {
		a.do(bad.method, "/Users/"+david, bad.body).refused(t, http.StatusBadRequest, "mutability", bad.detail)
	}
	// A new member whose userName is not their e-mail, and a second member
	// with a taken e-mail (in another case), are refused too.
	a.do(http.MethodPost, "/Users", oktaUser("", "erez", "Erez", "Katz", "erez@acme.test", nil)).
		refused(t, http.StatusBadRequest, "invalidValue", `stored in the same column "email"`)
	a.do(http.MethodPost, "/Users", oktaUser("", "David.Cohen@ACME.test", "David", "Cohen", "David.Cohen@ACME.test", nil)).
		refused(t, http.StatusConflict, "uniqueness", `already taken`)
	// The owner's address is taken too, though the owner is invisible.
	a.do(http.MethodPost, "/Users", oktaUser("", "owner@acme.test", "Not", "Owner", "owner@acme.test", nil)).
		refused(t, http.StatusConflict, "uniqueness", `already taken`)
	a.unchanged("e-mail changes", before, tables...)

	// Push Groups > By name: Okta looks the group up, creates it with its
	// members ("Push group memberships immediately"), then pushes changes.
	if id := a.lookupGroup("", "Sales VPN"); id != "" {
		t.Fatalf("Sales VPN exists before the push: %s", id)
	}
	r := a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales VPN","members":`+members(david, dmitry)+`}`).must(t, http.StatusCreated)
	sales := str(r.obj(t), "id")
	a.wantRow("Sales VPN|okta", "SELECT name, origin FROM access_groups WHERE id = ?", sales)
	a.wantRow(david+":scim,"+dmitry+":scim", "SELECT GROUP_CONCAT(CONCAT(member_id, ':', added_by) ORDER BY member_id) FROM access_group_members WHERE access_group_id = ?", sales)
	a.do(http.MethodPatch, "/Groups/"+sales, patch(`{"op":"add","path":"members","value":`+members("2")+`}`, `{"op":"remove","path":"members[value eq \"`+david+`\"]"}`)).must(t, http.StatusNoContent)
	if got := a.groupMembers("", sales); got != "2,"+dmitry {
		t.Errorf("Sales VPN members = %q", got)
	}
	// The existing Engineering group (Alice, and the local admin) is found
	// by name; Okta's membership push leaves local members alone.
	eng := a.lookupGroup("", "Engineering")
	if got := a.groupMembers("", eng); got != "2" {
		t.Errorf("Engineering's SCIM members = %q, want Alice only", got)
	}
	a.do(http.MethodPatch, "/Groups/"+eng, patch(`{"op":"replace","path":"members","value":`+members("3", ids["siobhan@acme.test"])+`}`)).must(t, http.StatusNoContent)
	a.wantRow("3,5,"+ids["siobhan@acme.test"], "SELECT GROUP_CONCAT(member_id ORDER BY member_id) FROM access_group_members WHERE access_group_id = ?", eng)
	// A local member cannot be pushed into a group.
	before = a.sum(tables...)
	a.do(http.MethodPatch, "/Groups/"+sales, patch(`{"op":"add","path":"members","value":`+members("5")+`}`)).
		refused(t, http.StatusBadRequest, "invalidValue", `members not found: "5"`)
	a.unchanged("adding a local member", before, tables...)

	// Deactivate Users: Okta unassigns Alice. The member is deleted (the
	// licence seat is free), with her memberships and sessions.
	if a.value("SELECT COUNT(*) FROM member_sessions WHERE member_id = 2") != "1" {
		t.Fatal("Alice should have a session")
	}
	r = a.do(http.MethodPatch, "/Users/2", oktaDeactivate).must(t, http.StatusOK)
	if got := r.obj(t); got["active"] != false || str(got, "userName") != "alice@acme.test" {
		t.Errorf("deactivation answered %s", r.Body)
	}
	a.wantRow("0|0|0", "SELECT (SELECT COUNT(*) FROM workspace_members WHERE id = 2), (SELECT COUNT(*) FROM access_group_members WHERE member_id = 2), (SELECT COUNT(*) FROM member_sessions WHERE member_id = 2)")
	a.get("/Users/2").refused(t, http.StatusNotFound, "", `User "2" not found`)
	if id := a.lookupUser("", "alice@acme.test"); id != "" {
		t.Errorf("Alice is still found after deactivation: %s", id)
	}
	// A deactivation Entra ID sends (capitalised op, string boolean) does
	// the same.
	a.do(http.MethodPatch, "/Users/"+dmitry, patch(`{"op":"Replace","path":"active","value":"False"}`)).must(t, http.StatusOK)
	a.wantRow("0", "SELECT COUNT(*) FROM workspace_members WHERE id = ?", dmitry)
	// Okta's DELETE (if ever sent) deletes too.
	a.do(http.MethodDelete, "/Users/"+ids["zoe@acme.test"], "").must(t, http.StatusNoContent)
	a.wantRow("0", "SELECT COUNT(*) FROM workspace_members WHERE id = ?", ids["zoe@acme.test"])

	// Assigned again, Alice is pushed as a new member, with a new id.
	if id := a.lookupUser("", "alice@acme.test"); id != "" {
		t.Fatalf("Alice found before the re-push: %s", id)
	}
	r = a.do(http.MethodPost, "/Users", oktaUser("", "alice@acme.test", "Alice", "Adams", "alice@acme.test", nil)).must(t, http.StatusCreated)
	if id := str(r.obj(t), "id"); id == "2" || id == "" {
		t.Errorf("re-pushed Alice has id %q", id)
	}

	// Okta deletes the group it pushed when the push is removed.
	a.do(http.MethodDelete, "/Groups/"+sales, "").must(t, http.StatusNoContent)
	a.wantRow("0|0", "SELECT (SELECT COUNT(*) FROM access_groups WHERE id = ?), (SELECT COUNT(*) FROM access_group_members WHERE access_group_id = ?)", sales, sales)

	// The owner and the local admin were never touched.
	if got := a.value(locals); got != localsBefore {
		t.Errorf("local members changed:\n%s\n%s", localsBefore, got)
	}
	before = a.sum(tables...)
	a.do(http.MethodPatch, "/Users/5", oktaDeactivate).refused(t, http.StatusNotFound, "", `User "5" not found`)
	a.do(http.MethodDelete, "/Users/1", "").refused(t, http.StatusNotFound, "", `User "1" not found`)
	a.unchanged("deactivating local members", before, tables...)
}

// TestPharosCloudOkta replays Pharos Cloud's guide with Okta's "SCIM 2.0
// Test App (OAuth Bearer Token)": a tenant URL and its token (which
// expires and is regenerated), Create Users with the default attribute
// mappings, Update User Attributes, Deactivate Users, Push Groups with
// their memberships.
func TestPharosCloudOkta(t *testing.T) {
	a := serve(t, "pharos-cloud")
	ctx := context.Background()
	tables := []string{"print_users", "user_groups", "user_group_members"}
	const nw = "/t/northwind" // the tenant URL the console hands out

	// The configuration's token acts for northwind, at its tenant URL
	// (and at the plain base URL); another tenant's URL is refused.
	n, res := a.get(nw + "/Users?startIndex=1&count=100").list(t)
	var logins []string
	for _, u := range res {
		logins = append(logins, str(u, "userName"))
	}
	if n != 3 || strings.Join(logins, ",") != "nancy@northwind.test,andrew@northwind.test,janet@northwind.test" {
		t.Errorf("northwind's users = %v (the print admin, the CSV kiosk and contoso's users are not SCIM's)", logins)
	}
	if n, _ := a.get("/Users?count=0").list(t); n != 3 {
		t.Errorf("base URL: %d users", n)
	}
	a.get("/t/contoso/Users").refused(t, http.StatusForbidden, "", "not valid for the tenant in the URL")

	// Each tenant generates its own token (retroscim token create
	// --tenant contoso): it sees contoso only, at contoso's URL only.
	contoso, _, err := a.store.CreateToken(ctx, a.own, legacy.Actor{Prefix: "test", Name: "e2e"}, "okta-contoso", "contoso", 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	asContoso := []string{"Authorization", "Bearer " + contoso}
	if n, res := a.get("/t/contoso/Users", asContoso...).list(t); n != 1 || str(res[0], "userName") != "ken@contoso.test" {
		t.Errorf("contoso's users: %d", n)
	}
	a.get(nw+"/Users", asContoso...).refused(t, http.StatusForbidden, "", "not valid for the tenant in the URL")
	a.get("/t/contoso/Users/2", asContoso...).refused(t, http.StatusNotFound, "", `User "2" not found`)
	if n, _ := a.get("/t/contoso/Groups"+filter(`displayName eq "Finance"`), asContoso...).list(t); n != 1 {
		t.Errorf("contoso's Finance: %d groups", n)
	}

	// Create Users: Okta's lookup, then its POST with the default mappings
	// of the SCIM 2.0 Test App. What the app does not keep (addresses,
	// other phone numbers, nickName, locale, password...) is ignored.
	if id := a.lookupUser(nw, "laura@northwind.test"); id != "" {
		t.Fatalf("laura exists before the push: %s", id)
	}
	create := oktaUser("", "laura@northwind.test", "Laura", "Callahan", "laura@northwind.test", map[string]any{
		"displayName":  "Laura Callahan",
		"nickName":     "Laurie",
		"title":        "Inside Sales Coordinator",
		"userType":     "Employee",
		"phoneNumbers": []any{map[string]any{"primary": true, "value": "+1 206 555 0101", "type": "work"}, map[string]any{"value": "+1 206 555 0199", "type": "mobile"}},
		"addresses":    []any{map[string]any{"type": "work", "streetAddress": "4726 11th Ave NE", "locality": "Seattle", "region": "WA", "postalCode": "98105", "country": "US", "primary": true}},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"costCenter": "CC-410", "department": "Sales", "organization": "Northwind"},
	})
	r := a.do(http.MethodPost, nw+"/Users", create).must(t, http.StatusCreated)
	laura := str(r.obj(t), "id")
	if loc := r.Header.Get("Location"); loc != a.base+nw+"/Users/"+laura {
		t.Errorf("Location = %q, want the tenant URL", loc)
	}
	a.wantRow("northwind|laura@northwind.test|Laura|Callahan|Laura Callahan|laura@northwind.test|Inside Sales Coordinator|+1 206 555 0101|CC-410|00ulauranorthwindtest|scim|Y|NULL|NULL",
		"SELECT tenant_code, login_name, given_name, surname, full_name, email_address, job_title, office_phone, cost_center, idp_object_id, source, is_enabled, card_number, pin_hash FROM print_users WHERE user_id = ?", laura)
	u := a.get(nw+"/Users/"+laura).must(t, http.StatusOK).obj(t)
	emails, _ := u["emails"].([]any)
	if len(emails) != 1 || fmt.Sprint(emails[0]) != "map[primary:true type:work value:laura@northwind.test]" {
		t.Errorf("emails = %v, want one primary work address", u["emails"])
	}
	for _, f := range []string{`emails[type eq "work"].value eq "laura@northwind.test"`, `emails[type eq "work" and value eq "LAURA@northwind.test"]`, `externalId eq "00ulauranorthwindtest"`} {
		if n, _ := a.get(nw + "/Users" + filter(f)).list(t); n != 1 {
			t.Errorf("%s: %d users", f, n)
		}
	}
	// The same login again in the same tenant is a conflict, nothing is
	// written; contoso's token cannot see northwind's Laura either.
	before := a.sum(tables...)
	a.do(http.MethodPost, nw+"/Users", create).refused(t, http.StatusConflict, "uniqueness", `userName "laura@northwind.test" is already taken`)
	a.do(http.MethodPatch, "/t/contoso/Users/"+laura, oktaDeactivate, asContoso...).refused(t, http.StatusNotFound, "", "not found")
	a.unchanged("a duplicate create and another tenant's PATCH", before, tables...)

	// Update User Attributes: Okta sends the whole profile (PUT), and
	// PATCH for single changes.
	a.do(http.MethodPut, nw+"/Users/"+laura, oktaUser(laura, "laura@northwind.test", "Laura", "Callahan-Ray", "laura.ray@northwind.test", map[string]any{
		"displayName":  "Laura Callahan-Ray",
		"title":        "Sales Manager",
		"phoneNumbers": []any{map[string]any{"primary": true, "value": "+1 206 555 0102", "type": "work"}},
	})).must(t, http.StatusOK)
	a.wantRow("Callahan-Ray|Laura Callahan-Ray|laura.ray@northwind.test|Sales Manager|+1 206 555 0102|NULL|Y",
		"SELECT surname, full_name, email_address, job_title, office_phone, cost_center, is_enabled FROM print_users WHERE user_id = ?", laura)
	a.do(http.MethodPatch, nw+"/Users/"+laura, patch(`{"op":"replace","path":"title","value":"Regional Sales Manager"}`, `{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter","value":"CC-420"}`)).must(t, http.StatusOK)
	a.wantRow("Regional Sales Manager|CC-420", "SELECT job_title, cost_center FROM print_users WHERE user_id = ?", laura)
	// Entra ID's shapes work too: capitalised ops, dotted names without a path.
	a.do(http.MethodPatch, nw+"/Users/"+laura, patch(`{"op":"Replace","path":"name.givenName","value":"Laurie"}`, `{"op":"Add","value":{"displayName":"Laurie Callahan-Ray"}}`)).must(t, http.StatusOK)
	a.wantRow("Laurie|Laurie Callahan-Ray", "SELECT given_name, full_name FROM print_users WHERE user_id = ?", laura)

	// Push Groups > Find groups by name: a new group is created with its
	// members; an existing one is found by name, in the token's tenant.
	if id := a.lookupGroup(nw, "Print Operators"); id != "" {
		t.Fatalf("Print Operators exists before the push: %s", id)
	}
	r = a.do(http.MethodPost, nw+"/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Print Operators","members":`+members(laura, "2")+`}`).must(t, http.StatusCreated)
	ops := str(r.obj(t), "id")
	a.wantRow("northwind|Print Operators|NULL", "SELECT tenant_code, group_name, quota_pages FROM user_groups WHERE group_id = ?", ops)
	a.wantRow("2,"+laura, "SELECT GROUP_CONCAT(user_id ORDER BY user_id) FROM user_group_members WHERE group_id = ?", ops)
	a.do(http.MethodPatch, nw+"/Groups/"+ops, patch(`{"op":"add","path":"members","value":`+members("3")+`}`)).must(t, http.StatusNoContent)
	a.do(http.MethodPatch, nw+"/Groups/"+ops, patch(`{"op":"remove","path":"members[value eq \"2\"]"}`)).must(t, http.StatusNoContent)
	if got := a.groupMembers(nw, ops); got != "3,"+laura {
		t.Errorf("Print Operators' members = %q", got)
	}
	finance := a.lookupGroup(nw, "Finance")
	if finance != "1" {
		t.Errorf("northwind's Finance = %q, want 1 (contoso's is 3)", finance)
	}
	a.do(http.MethodPatch, nw+"/Groups/"+finance, patch(`{"op":"add","path":"members","value":`+members(laura)+`}`)).must(t, http.StatusNoContent)
	// The print admin keeps Finance, invisible to SCIM.
	a.wantRow("1,3,"+laura, "SELECT GROUP_CONCAT(user_id ORDER BY user_id) FROM user_group_members WHERE group_id = 1")
	// Another tenant's user or group is out of reach.
	before = a.sum(tables...)
	a.do(http.MethodPatch, nw+"/Groups/"+ops, patch(`{"op":"add","path":"members","value":`+members("7")+`}`)).
		refused(t, http.StatusBadRequest, "invalidValue", `members not found: "7"`)
	a.do(http.MethodPatch, nw+"/Groups/3", patch(`{"op":"add","path":"members","value":`+members(laura)+`}`)).refused(t, http.StatusNotFound, "", `Group "3" not found`)
	a.do(http.MethodPost, "/t/contoso/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Finance"}`, asContoso...).refused(t, http.StatusConflict, "uniqueness", "already taken")
	a.unchanged("cross-tenant group pushes", before, tables...)

	// Deactivate Users (Okta), and the same from Entra ID; Janet, disabled
	// in Pharos, is reactivated.
	a.do(http.MethodPatch, nw+"/Users/"+laura, oktaDeactivate).must(t, http.StatusOK)
	a.do(http.MethodPatch, nw+"/Users/3", patch(`{"op":"Replace","path":"active","value":"False"}`)).must(t, http.StatusOK)
	a.do(http.MethodPatch, nw+"/Users/4", oktaReactivate).must(t, http.StatusOK)
	a.wantRow("3:N,4:Y,"+laura+":N", "SELECT GROUP_CONCAT(CONCAT(user_id, ':', is_enabled) ORDER BY user_id) FROM print_users WHERE user_id IN (3, 4, ?)", laura)
	if got := a.get(nw+"/Users/"+laura).must(t, http.StatusOK).obj(t); got["active"] != false {
		t.Errorf("deactivated Laura: active=%v", got["active"])
	}

	// The token Pharos generated expires (after a year; here, after
	// 700ms): then every request is 401 saying so, and a regenerated
	// token works.
	short, _, err := a.store.CreateToken(ctx, a.own, legacy.Actor{Prefix: "test", Name: "e2e"}, "okta-northwind", "northwind", 700*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	a.get(nw+"/Users?startIndex=1&count=1", "Authorization", "Bearer "+short).must(t, http.StatusOK)
	time.Sleep(900 * time.Millisecond)
	before = a.sum(tables...)
	a.get(nw+"/Users?startIndex=1&count=1", "Authorization", "Bearer "+short).refused(t, http.StatusUnauthorized, "", "has expired")
	a.do(http.MethodPatch, nw+"/Users/4", oktaDeactivate, "Authorization", "Bearer "+short).refused(t, http.StatusUnauthorized, "", "has expired")
	a.unchanged("requests with an expired token", before, tables...)
	regenerated, _, err := a.store.CreateToken(ctx, a.own, legacy.Actor{Prefix: "test", Name: "e2e"}, "okta-northwind", "northwind", 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a.get(nw+"/Users?startIndex=1&count=1", "Authorization", "Bearer "+regenerated).must(t, http.StatusOK)
}

// TestAtlanOkta replays Atlan's guide: Import New Users and Profile
// Updates, Push New Users, Push Profile Updates, Deactivate (and
// reactivate) Users, Push Groups (Create Group, Link Group with renaming)
// and Import Groups; userName and the e-mail cannot change once
// provisioned; users that already exist are matched by their credentials.
func TestAtlanOkta(t *testing.T) {
	a := serve(t, "atlan")
	if !strings.HasSuffix(a.base, "/api/service/scim") {
		t.Fatalf("base URL %s, want https://<tenant>/api/service/scim", a.base)
	}
	tables := []string{"user_entity", "keycloak_group", "user_group_membership"}
	const (
		sam   = "0b7c9d10-0000-4000-8000-000000000005"
		tim   = "0b7c9d10-0000-4000-8000-000000000006"
		grace = "0b7c9d10-0000-4000-8000-000000000004"
		admin = "6a1f2c3d-0000-4000-8000-000000000001"
		anal  = "6a1f2c3d-0000-4000-8000-000000000003"
	)

	// Test Connector Configuration, then Import: the workspace's users
	// (Tim is disabled), not the super-admin nor the service account.
	if n, res := a.get("/Users?startIndex=1&count=2").list(t); n != 4 || len(res) != 2 {
		t.Errorf("Test Connector: %d users, page of %d", n, len(res))
	}
	_, res := a.get("/Users?startIndex=1&count=100").list(t)
	var imported []string
	for _, u := range res {
		imported = append(imported, fmt.Sprintf("%s:%v", str(u, "userName"), u["active"]))
	}
	sort.Strings(imported)
	if got := strings.Join(imported, ","); got != "ada@acme.test:true,grace@acme.test:true,sam@acme.test:true,tim@acme.test:false" {
		t.Errorf("imported users = %s", got)
	}
	// Import Groups: the workspace's groups; the service account's
	// membership of admins is not shown.
	n, groups := a.get("/Groups?startIndex=1&count=100").list(t)
	var names []string
	for _, g := range groups {
		names = append(names, str(g, "displayName"))
	}
	sort.Strings(names)
	if n != 3 || strings.Join(names, ",") != "admins,analysts,data-stewards" {
		t.Errorf("imported groups = %v", names)
	}
	if got := a.groupMembers("", admin); got != "0b7c9d10-0000-4000-8000-000000000003" {
		t.Errorf("admins' members = %q, want Ada only", got)
	}

	// Push New Users: lookup, then create; the id is a new UUID.
	if id := a.lookupUser("", "lin@acme.test"); id != "" {
		t.Fatalf("lin exists before the push: %s", id)
	}
	r := a.do(http.MethodPost, "/Users", oktaUser("", "lin@acme.test", "Lin", "Li", "lin@acme.test", nil)).must(t, http.StatusCreated)
	lin := str(r.obj(t), "id")
	if !uuidRE.MatchString(lin) {
		t.Errorf("created id %q is not a UUID", lin)
	}
	a.wantRow("default|lin@acme.test|lin@acme.test|Lin|Li|1|1|NULL",
		"SELECT realm_id, username, email, first_name, last_name, enabled, email_verified, service_account_client_link FROM user_entity WHERE id = ?", lin)

	// Existing users are matched by credentials: Sam was invited before
	// SCIM. Okta's create is a conflict; Okta then finds Sam by userName
	// and pushes the profile, whose userName and e-mail match.
	before := a.sum(tables...)
	a.do(http.MethodPost, "/Users", oktaUser("", "sam@acme.test", "Samuel", "Smith", "sam@acme.test", nil)).
		refused(t, http.StatusConflict, "uniqueness", `userName "sam@acme.test" is already taken`)
	a.do(http.MethodPost, "/Users", oktaUser("", "SAM@ACME.TEST", "Samuel", "Smith", "SAM@ACME.TEST", nil)).
		refused(t, http.StatusConflict, "uniqueness", "already taken")
	a.unchanged("creating an existing user", before, tables...)
	if got := a.lookupUser("", "sam@acme.test"); got != sam {
		t.Fatalf("Okta's lookup of Sam = %q, want %s", got, sam)
	}
	a.do(http.MethodPut, "/Users/"+sam, oktaUser(sam, "sam@acme.test", "Samuel", "Smith", "sam@acme.test", nil)).must(t, http.StatusOK)
	a.wantRow("sam@acme.test|sam@acme.test|Samuel|Smith|1", "SELECT username, email, first_name, last_name, enabled FROM user_entity WHERE id = ?", sam)

	// Push Profile Updates: names change; userName and e-mail may be sent
	// again unchanged, but not changed.
	a.do(http.MethodPatch, "/Users/"+lin, patch(`{"op":"replace","value":{"userName":"lin@acme.test","name":{"givenName":"Lin","familyName":"Li-Wong"},"emails":[{"primary":true,"value":"lin@acme.test","type":"work"}]}}`)).must(t, http.StatusOK)
	a.wantRow("lin@acme.test|lin@acme.test|Li-Wong", "SELECT username, email, last_name FROM user_entity WHERE id = ?", lin)
	before = a.sum(tables...)
	for _, bad := range []struct{ method, body, detail string }{
		{http.MethodPatch, patch(`{"op":"replace","path":"userName","value":"lin.li@acme.test"}`), `userName is immutable: it cannot change once set (it is "lin@acme.test"; the request gives "lin.li@acme.test")`},
		{http.MethodPatch, patch(`{"op":"replace","value":{"emails":[{"primary":true,"value":"lin.li@acme.test","type":"work"}]}}`), `emails[type eq "work"].value is immutable`},
		{http.MethodPatch, patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"lin.li@acme.test"}`), `is immutable`},
		{http.MethodPut, oktaUser(lin, "lin.li@acme.test", "Lin", "Li", "lin@acme.test", nil), `userName is immutable`},
		{http.MethodPut, oktaUser(lin, "lin@acme.test", "Lin", "Li", "lin.li@acme.test", nil), `is immutable`},
	} {
		a.do(bad.method, "/Users/"+lin, bad.body).refused(t, http.StatusBadRequest, "mutability", bad.detail)
	}
	// Sam's Okta e-mail differs from Atlan's: provisioning fails until the
	// credentials match, as the guide warns.
	a.do(http.MethodPut, "/Users/"+sam, oktaUser(sam, "sam@acme.test", "Sam", "Smith", "sam.smith@acme.test", nil)).
		refused(t, http.StatusBadRequest, "mutability", "is immutable")
	a.unchanged("changes of userName or e-mail", before, tables...)
	// An e-mail never set can be set once: Tim has none.
	a.do(http.MethodPatch, "/Users/"+tim, patch(`{"op":"add","path":"emails[type eq \"work\"].value","value":"tim@acme.test"}`)).must(t, http.StatusOK)
	a.wantRow("tim@acme.test", "SELECT email FROM user_entity WHERE id = ?", tim)
	a.do(http.MethodPatch, "/Users/"+tim, patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"tim.turner@acme.test"}`)).
		refused(t, http.StatusBadRequest, "mutability", "is immutable")

	// Deactivate Users and reactivate them when reassigned.
	a.do(http.MethodPatch, "/Users/"+lin, oktaDeactivate).must(t, http.StatusOK)
	a.wantRow("0", "SELECT enabled FROM user_entity WHERE id = ?", lin)
	if got := a.get("/Users/"+lin).must(t, http.StatusOK).obj(t); got["active"] != false {
		t.Errorf("deactivated Lin: active=%v", got["active"])
	}
	a.do(http.MethodPatch, "/Users/"+lin, oktaReactivate).must(t, http.StatusOK)
	a.do(http.MethodPatch, "/Users/"+tim, oktaReactivate).must(t, http.StatusOK)
	a.wantRow("1|1", "SELECT (SELECT enabled FROM user_entity WHERE id = ?), (SELECT enabled FROM user_entity WHERE id = ?)", lin, tim)
	// A DELETE deactivates too (users.delete: deactivate).
	a.do(http.MethodDelete, "/Users/"+tim, "").must(t, http.StatusNoContent)
	a.wantRow("0", "SELECT enabled FROM user_entity WHERE id = ?", tim)

	// Push Groups > Create Group: a new group with its members.
	if id := a.lookupGroup("", "Atlan Engineers"); id != "" {
		t.Fatalf("Atlan Engineers exists before the push: %s", id)
	}
	r = a.do(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Atlan Engineers","members":`+members(lin, sam)+`}`).must(t, http.StatusCreated)
	eng := str(r.obj(t), "id")
	if !uuidRE.MatchString(eng) {
		t.Errorf("created group id %q is not a UUID", eng)
	}
	a.wantRow("Atlan Engineers|default| ", "SELECT name, realm_id, parent_group FROM keycloak_group WHERE id = ?", eng)
	want := []string{lin + ":UNMANAGED", sam + ":UNMANAGED"}
	sort.Strings(want)
	a.wantRow(strings.Join(want, ","), "SELECT GROUP_CONCAT(CONCAT(user_id, ':', membership_type) ORDER BY user_id) FROM user_group_membership WHERE group_id = ?", eng)

	// Push Groups > Link Group, with "Rename app groups to match group
	// name in Okta": analysts becomes Okta-Analysts; memberships follow.
	if id := a.lookupGroup("", "analysts"); id != anal {
		t.Fatalf("Find groups by name: analysts = %q", id)
	}
	a.do(http.MethodPatch, "/Groups/"+anal, patch(`{"op":"replace","value":{"id":"`+anal+`","displayName":"Okta-Analysts"}}`)).must(t, http.StatusNoContent)
	a.do(http.MethodPatch, "/Groups/"+anal, patch(`{"op":"add","path":"members","value":`+members(lin)+`}`, `{"op":"remove","path":"members[value eq \"`+grace+`\"]"}`)).must(t, http.StatusNoContent)
	want = []string{lin, sam}
	sort.Strings(want)
	if got := a.groupMembers("", anal); got != strings.Join(want, ",") {
		t.Errorf("Okta-Analysts' members = %q, want %v", got, want)
	}
	a.wantRow("Okta-Analysts", "SELECT name FROM keycloak_group WHERE id = ?", anal)
	// Import Groups again shows the renamed group.
	if id := a.lookupGroup("", "okta-analysts"); id != anal {
		t.Errorf("renamed group found as %q", id)
	}
	// Lin's groups, as Okta and Entra read them (from /Groups) ...
	_, linGroups := a.get("/Groups" + filter(`members[value eq "`+lin+`"]`) + "&excludedAttributes=members").list(t)
	names = nil
	for _, g := range linGroups {
		names = append(names, str(g, "displayName"))
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "Atlan Engineers,Okta-Analysts" {
		t.Errorf("Lin's groups = %v", names)
	}
	// ... and on the user, on request.
	t.Run("user groups on request", func(t *testing.T) {
		// The groups subquery binds groups.scope's values (realm_id,
		// parent_group) before the row's own predicate.
		for _, path := range []string{"/Users/" + lin + "?attributes=userName,groups", "/Users" + filter(`userName eq "lin@acme.test"`) + "&attributes=userName,groups"} {
			g := a.get(path).must(t, http.StatusOK)
			for _, name := range []string{"Okta-Analysts", "Atlan Engineers"} {
				if !strings.Contains(string(g.Body), `"display":"`+name+`"`) {
					t.Errorf("GET %s: Lin's groups do not show %s: %s", path, name, g.Body)
				}
			}
		}
	})

	// Unlinking with "delete the group in the app": the pushed group goes,
	// with its memberships. admins is also held by the service account,
	// which SCIM cannot see: it is not deleted.
	a.do(http.MethodDelete, "/Groups/"+eng, "").must(t, http.StatusNoContent)
	a.wantRow("0|0", "SELECT (SELECT COUNT(*) FROM keycloak_group WHERE id = ?), (SELECT COUNT(*) FROM user_group_membership WHERE group_id = ?)", eng, eng)
	before = a.sum(tables...)
	a.do(http.MethodDelete, "/Groups/"+admin, "").refused(t, http.StatusConflict, "", "")
	// The super-admin's realm is out of reach.
	a.get("/Groups/6a1f2c3d-0000-4000-8000-0000000000aa").refused(t, http.StatusNotFound, "", "not found")
	a.do(http.MethodPatch, "/Users/0b7c9d10-0000-4000-8000-000000000001", oktaDeactivate).refused(t, http.StatusNotFound, "", "not found")
	a.do(http.MethodPatch, "/Users/0b7c9d10-0000-4000-8000-000000000002", oktaDeactivate).refused(t, http.StatusNotFound, "", "not found")
	a.unchanged("requests on out-of-scope rows", before, tables...)
}
