package adapter

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

func q(filter string) string { return url.QueryEscape(filter) }

// TestUsersGolden replays read requests as Okta and Entra send them and
// compares each response with its golden file.
func TestUsersGolden(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, path string
		headers    []string
	}{
		{"list_all", "/Users", nil},
		// Okta's "Test Connector Configuration" and import first page.
		{"okta_test_connector", "/Users?startIndex=1&count=1", nil},
		// Okta looks a user up by userName before every push; case differs from the row.
		{"okta_username_lookup", "/Users?filter=" + q(`userName eq "carol.chen@ACME.TEST"`) + "&startIndex=1&count=100", nil},
		{"entra_externalid_lookup", "/Users?filter=" + q(`externalId eq "00u1alice00000000001"`), nil},
		{"filter_value_path", "/Users?filter=" + q(`emails[type eq "work" and value ew "@acme.test"] and not (active eq false)`) + "&attributes=userName,emails", nil},
		{"filter_enterprise", "/Users?filter=" + q(`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "engineering"`) + "&attributes=userName", nil},
		{"filter_meta", "/Users?filter=" + q(`meta.lastModified ge "2024-03-01T00:00:00Z"`) + "&attributes=userName,meta.lastModified", nil},
		{"filter_injection", "/Users?filter=" + q(`userName eq "x' OR '1'='1"`), nil},
		{"filter_unmapped", "/Users?filter=" + q(`nickName eq "bob"`), nil},
		{"filter_syntax", "/Users?filter=" + q(`userName eq bob`), nil},
		// A user without a familyName (id 5) sorts last ascending and first
		// descending (RFC 7644 §3.4.2.3).
		{"sort_asc", "/Users?sortBy=name.familyName&attributes=name.familyName", nil},
		{"sort_desc", "/Users?sortBy=name.familyName&sortOrder=descending&attributes=name.familyName", nil},
		{"page_2", "/Users?startIndex=3&count=2&attributes=userName", nil},
		{"count_zero", "/Users?count=0", nil},
		{"excluded_attributes", "/Users/2?excludedAttributes=emails,phoneNumbers,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,meta", nil},
		{"get_user", "/Users/2", nil},
		{"get_inactive_user", "/Users/3", nil},
		{"get_sparse_user", "/Users/5", nil},
		{"get_local_admin", "/Users/1", nil},
		{"get_missing", "/Users/999", nil},
		{"bad_count", "/Users?count=ten", nil},
		{"bad_sort_order", "/Users?sortOrder=up", nil},
		{"bad_sort_by", "/Users?sortBy=password", nil},
		{"bad_attributes", "/Users?attributes=" + q("userName;DROP TABLE users"), nil},
		{"no_token", "/Users", []string{"Authorization", ""}},
		{"wrong_token", "/Users", []string{"Authorization", "Bearer not-the-token-at-all"}},
		{"basic_auth", "/Users", []string{"Authorization", "Basic dXNlcjpwYXNz"}},
		{"no_such_endpoint", "/Widgets", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get(tt.path, tt.headers...)
			if ct := r.Header.Get("Content-Type"); ct != ContentType {
				t.Errorf("Content-Type = %q, want %q", ct, ContentType)
			}
			goldenResponse(t, "users_"+tt.name, r)
		})
	}
}

// TestUserScope checks that rows outside the scope are exactly as absent as
// rows that do not exist: local accounts, another tenant's users, ids that
// are not keys.
func TestUserScope(t *testing.T) {
	e := newEnv(t)
	missing := e.get("/Users/999")
	for _, id := range []string{"1", "6", "8", "9", "2abc", "02", "-2", "2%20", "2.0", "%27%20OR%20%271%27%3D%271"} {
		r := e.get("/Users/" + id)
		if r.Status != http.StatusNotFound {
			t.Errorf("GET /Users/%s = %d, want 404", id, r.Status)
			continue
		}
		want := strings.Replace(string(missing.Body), `\"999\"`, `\"`+jsonEscape(mustUnescape(t, id))+`\"`, 1)
		if string(r.Body) != want {
			t.Errorf("GET /Users/%s body = %s, want the same as a missing id: %s", id, r.Body, want)
		}
	}
	// Filters cannot reach them either.
	for _, f := range []string{`userName eq "admin@acme.test"`, `id eq "1"`, `id eq "8"`, `userName eq "frank@globex.test"`, `userName pr`} {
		r := e.get("/Users?filter=" + q(f) + "&attributes=userName")
		for _, hidden := range []string{"admin@acme.test", "ops-bot", "globex"} {
			if strings.Contains(string(r.Body), hidden) {
				t.Errorf("filter %q leaked %s: %s", f, hidden, r.Body)
			}
		}
	}
}

func mustUnescape(t *testing.T, s string) string {
	u, err := url.PathUnescape(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func jsonEscape(s string) string {
	var o mapping.Object
	o.Set("s", s)
	b, _ := o.MarshalJSON()
	return strings.TrimSuffix(strings.TrimPrefix(string(b), `{"s":"`), `"}`)
}

// TestUserNameCaseSensitiveCollation runs the userName lookup against a
// login column with a binary collation: retroscim must fold case in SQL.
func TestUserNameCaseSensitiveCollation(t *testing.T) {
	e := newEnv(t, "ALTER TABLE users MODIFY login VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL")
	for _, name := range []string{"carol.chen@acme.test", "CAROL.CHEN@ACME.TEST", "Carol.Chen@Acme.test"} {
		r := e.get("/Users?filter=" + q(`userName eq "`+name+`"`))
		if got := r.json(t)["totalResults"]; got != float64(1) {
			t.Errorf("userName eq %q on a utf8mb4_bin column: totalResults = %v, want 1", name, got)
		}
	}
	// co/sw also ignore case.
	if got := e.get("/Users?filter=" + q(`userName sw "CAROL"`)).json(t)["totalResults"]; got != float64(1) {
		t.Errorf("userName sw CAROL: totalResults = %v, want 1", got)
	}
}

// TestExternalIDCaseExact: externalId is caseExact (RFC 7643 §3.1) even on
// a case-insensitive column.
func TestExternalIDCaseExact(t *testing.T) {
	e := newEnv(t)
	if got := e.get("/Users?filter=" + q(`externalId eq "00u1alice00000000001"`)).json(t)["totalResults"]; got != float64(1) {
		t.Errorf("exact externalId: totalResults = %v, want 1", got)
	}
	if got := e.get("/Users?filter=" + q(`externalId eq "00U1ALICE00000000001"`)).json(t)["totalResults"]; got != float64(0) {
		t.Errorf("externalId differing in case: totalResults = %v, want 0", got)
	}
}

func TestLikeEscaping(t *testing.T) {
	e := newEnv(t, `INSERT INTO users (id, org_id, login, auth_source) VALUES (20, 1, 'percent%_user@acme.test', 'saml'), (21, 1, 'percentXYuser@acme.test', 'saml')`)
	r := e.get("/Users?filter=" + q(`userName co "%_"`) + "&attributes=userName")
	if got := r.json(t)["totalResults"]; got != float64(1) || !strings.Contains(string(r.Body), "percent%_user") {
		t.Errorf(`userName co "%%_" = %s, want only the row containing a literal %%_`, r.Body)
	}
}

// TestDeepPagination pages through 3,000 users the way Okta imports: every
// user exactly once, totals consistent, no duplicates.
func TestDeepPagination(t *testing.T) {
	var vals []string
	for i := 100; i < 3100; i++ {
		vals = append(vals, fmt.Sprintf("(%d, 1, 'user%05d@acme.test', 'saml')", i, i))
	}
	e := newEnv(t, "INSERT INTO users (id, org_id, login, auth_source) VALUES "+strings.Join(vals, ","))
	seen := map[string]bool{}
	const want = 3005 // 3,000 added + the 5 sample SSO users of tenant 1
	for start := 1; ; start += 100 {
		r := e.get(fmt.Sprintf("/Users?startIndex=%d&count=100&attributes=id", start))
		body := r.json(t)
		if body["totalResults"] != float64(want) {
			t.Fatalf("startIndex=%d: totalResults = %v, want %d", start, body["totalResults"], want)
		}
		res, _ := body["Resources"].([]any)
		if len(res) == 0 {
			break
		}
		for _, x := range res {
			id := x.(map[string]any)["id"].(string)
			if seen[id] {
				t.Fatalf("id %s returned twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != want {
		t.Errorf("saw %d users, want %d", len(seen), want)
	}
}

func TestETag(t *testing.T) {
	e := newEnv(t)
	r := e.get("/Users/2")
	etag := r.Header.Get("ETag")
	if etag != `W/"1715575354123456"` {
		t.Fatalf("ETag = %q", etag)
	}
	if r := e.get("/Users/2", "If-None-Match", etag); r.Status != http.StatusNotModified {
		t.Errorf("If-None-Match with the current ETag: %d, want 304", r.Status)
	}
	if r := e.get("/Users/2", "If-None-Match", `W/"1"`); r.Status != http.StatusOK {
		t.Errorf("If-None-Match with an old ETag: %d, want 200", r.Status)
	}
	legacytest.MustExec(t, e.dsn, "UPDATE users SET first_name = 'Alicia' WHERE id = 2")
	if r := e.get("/Users/2", "If-None-Match", etag); r.Status != http.StatusOK || r.Header.Get("ETag") == etag {
		t.Errorf("after an update: status %d, ETag %q; want 200 and a new ETag", r.Status, r.Header.Get("ETag"))
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		header string
		want   int
	}{
		{"Bearer " + testToken, 200},
		{"bearer " + testToken, 200},
		{testToken, 200}, // a bare token, as some HTTP-header integrations send it
		{"Bearer  " + testToken + " ", 200},
		{"Bearer " + testToken + "x", 401},
		{"Bearer", 401},
		{"Token " + testToken, 401},
		{"", 401},
	}
	for _, tt := range tests {
		r := e.get("/Users?count=1", "Authorization", tt.header)
		if tt.header == "" {
			r = e.get("/Users?count=1", "Authorization", "")
		}
		if r.Status != tt.want {
			t.Errorf("Authorization %q: %d, want %d", tt.header, r.Status, tt.want)
		}
		if tt.want == 401 {
			if r.Header.Get("WWW-Authenticate") != `Bearer realm="retroscim"` {
				t.Errorf("Authorization %q: WWW-Authenticate = %q", tt.header, r.Header.Get("WWW-Authenticate"))
			}
			if body := r.json(t); body["status"] != "401" || body["schemas"].([]any)[0] != mapping.ErrorSchema {
				t.Errorf("Authorization %q: body %s", tt.header, r.Body)
			}
		}
	}
	// Discovery endpoints need the token too.
	if r := e.get("/ServiceProviderConfig", "Authorization", ""); r.Status != 401 {
		t.Errorf("/ServiceProviderConfig without token: %d", r.Status)
	}
}

func TestPathVariants(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/Users/", "//Users", "/Users/2/", "/ServiceProviderConfig/"} {
		if r := e.get(p); r.Status != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", p, r.Status)
		}
	}
	r := e.do(http.MethodDelete, "/ServiceProviderConfig", "")
	if r.Status != http.StatusMethodNotAllowed || r.json(t)["schemas"].([]any)[0] != mapping.ErrorSchema {
		t.Errorf("DELETE /ServiceProviderConfig = %d %s, want a 405 SCIM error", r.Status, r.Body)
	}
}

func TestPageParameters(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		query      string
		wantStatus int
		wantItems  int
		wantStart  float64
	}{
		{"count=2", 200, 2, 1},
		{"count=-5", 200, 0, 1},
		{"count=99999999999999999999999", 200, 5, 1},
		{"startIndex=0&count=1", 200, 1, 1},
		{"startIndex=-3&count=1", 200, 1, 1},
		{"startIndex=99999999999999999999&count=5", 200, 0, 1 << 40},
		{"startIndex=5&count=5", 200, 1, 5},
		{"startIndex=6&count=5", 200, 0, 6},
		{"startIndex=1.5", 400, 0, 0},
		{"count=1e3", 400, 0, 0},
	}
	for _, tt := range tests {
		r := e.get("/Users?attributes=id&" + tt.query)
		if r.Status != tt.wantStatus {
			t.Errorf("%s: status %d, want %d (%s)", tt.query, r.Status, tt.wantStatus, r.Body)
			continue
		}
		if r.Status != 200 {
			if r.json(t)["scimType"] != string(mapping.SCIMInvalidValue) {
				t.Errorf("%s: %s, want invalidValue", tt.query, r.Body)
			}
			continue
		}
		body := r.json(t)
		if body["itemsPerPage"] != float64(tt.wantItems) || body["startIndex"] != tt.wantStart || body["totalResults"] != float64(5) {
			t.Errorf("%s: itemsPerPage %v startIndex %v totalResults %v; want %d %v 5", tt.query, body["itemsPerPage"], body["startIndex"], body["totalResults"], tt.wantItems, tt.wantStart)
		}
	}
}
