// End-to-end tests of the vendor examples: each test serves one
// example's config.yaml over a fresh copy of its schema.sql on a real
// MariaDB/MySQL and replays, over HTTP, what Okta does for that vendor as
// the vendor's guide describes it. Every step checks the status, the
// database itself, and that refused requests change nothing.
//
// This file is the harness (the server, Okta's client and the checks on
// responses and tables), e2e_okta_test.go builds the bodies Okta sends,
// and each example has its own e2e_<example>_test.go.
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
	"sort"
	"strings"
	"testing"

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
	return a.lookup(prefix+"/Users", "userName", userName)
}

// lookupGroup is Okta's "Find groups by name": GET /Groups?filter=displayName eq.
func (a *app) lookupGroup(prefix, name string) string {
	a.t.Helper()
	return a.lookup(prefix+"/Groups", "displayName", name)
}

// lookup returns the id of the one resource at endpoint whose attr equals
// value, or "" when there is none; it fails the test when there are more.
func (a *app) lookup(endpoint, attr, value string) string {
	a.t.Helper()
	n, res := a.get(endpoint + filter(attr+` eq "`+value+`"`)).list(a.t)
	switch n {
	case 0:
		return ""
	case 1:
		return str(res[0], "id")
	}
	a.t.Fatalf("%s: %s eq %q found %d resources", endpoint, attr, value, n)
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
