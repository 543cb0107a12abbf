package adapter

import (
	"net/url"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// TestHostileInputs drives a fixed list of attacks and malformed requests.
// Each gets a 4xx SCIM error or an empty (or ordinary) result, and no
// table changes.
func TestHostileInputs(t *testing.T) {
	e := newWriteEnv(t)
	patch := func(op string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + op + `]}`
	}
	deep := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	tests := []struct {
		name         string
		method, path string
		body         string
		headers      []string
		// wantStatus 0 means "any 2xx with no resources beyond the usual".
		wantStatus int
	}{
		// Filters.
		{"filter quote injection", "GET", "/Users?filter=" + q(`userName eq "x' OR '1'='1"`), "", nil, 0},
		{"filter comment injection", "GET", "/Users?filter=" + q(`userName eq "x\" OR 1=1 -- "`), "", nil, 0},
		{"filter paren injection", "GET", "/Users?filter=" + q(`userName eq "x") OR (1=1`), "", nil, 400},
		{"filter bare SQL", "GET", "/Users?filter=" + q(`id eq 1 OR 1=1`), "", nil, 400},
		{"filter union", "GET", "/Users?filter=" + q(`userName eq "x" UNION SELECT password_hash FROM users`), "", nil, 400},
		{"filter NUL", "GET", "/Users?filter=" + q("userName eq \"\\u0000\""), "", nil, 0},
		{"filter LIKE wildcards", "GET", "/Users?filter=" + q(`userName co "%"`), "", nil, 0},
		{"filter deep nesting", "GET", "/Users?filter=" + q(strings.Repeat("(", 5000)+`userName pr`+strings.Repeat(")", 5000)), "", nil, 400},
		{"filter too long", "GET", "/Users?filter=" + q(`userName eq "`+strings.Repeat("a", 20000)+`"`), "", nil, 400},
		{"filter invalid UTF-8", "GET", "/Users?filter=userName%20eq%20%22%ff%fe%22", "", nil, 400},
		{"filter column name", "GET", "/Users?filter=" + q(`login eq "alice@acme.test"`), "", nil, 400},
		{"filter urn injection", "GET", "/Users?filter=" + q("urn:x' OR '1'='1:userName eq \"x\""), "", nil, 400},
		// Other parameters.
		{"sortBy injection", "GET", "/Users?sortBy=" + q("id; DROP TABLE users"), "", nil, 400},
		{"sortBy column", "GET", "/Users?sortBy=password_hash", "", nil, 400},
		{"sortBy backticks", "GET", "/Users?sortBy=" + q("`id`"), "", nil, 400},
		{"sortOrder injection", "GET", "/Users?sortOrder=" + q("ASC, (SELECT SLEEP(5))"), "", nil, 400},
		{"attributes injection", "GET", "/Users?attributes=" + q("userName,(SELECT 1)"), "", nil, 400},
		{"huge count", "GET", "/Users?count=99999999999999999999999&attributes=id", "", nil, 0},
		{"huge negative startIndex", "GET", "/Users?startIndex=-99999999999999999999&attributes=id", "", nil, 0},
		{"count not a number", "GET", "/Users?count=1e9", "", nil, 400},
		// Ids.
		{"id injection", "GET", "/Users/" + url.PathEscape("2 OR 1=1"), "", nil, 404},
		{"id quote", "GET", "/Users/" + url.PathEscape("2'--"), "", nil, 404},
		{"id traversal", "GET", "/Users/..%2F..%2Fetc%2Fpasswd", "", nil, 404},
		{"id NUL", "GET", "/Users/2%00", "", nil, 404},
		{"id very long", "GET", "/Users/" + strings.Repeat("9", 5000), "", nil, 404},
		{"id hex", "GET", "/Users/0x2", "", nil, 404},
		{"group id injection", "GET", "/Groups/" + url.PathEscape("1) OR (1=1"), "", nil, 404},
		// PATCH paths and values.
		{"path injection", "PATCH", "/Users/2", patch(`{"op":"replace","path":"userName\"; DROP TABLE users; --","value":"x"}`), nil, 400},
		{"path filter injection", "PATCH", "/Users/2", patch(`{"op":"replace","path":"emails[type eq \"work\" or 1=1].value","value":"x"}`), nil, 400},
		{"path urn injection", "PATCH", "/Users/2", patch(`{"op":"replace","path":"urn:x' OR '1:title","value":"x"}`), nil, 400},
		{"member id injection", "PATCH", "/Groups/2", patch(`{"op":"add","path":"members","value":[{"value":"5) OR (1=1"}]}`), nil, 400},
		{"member filter injection", "PATCH", "/Groups/2", patch(`{"op":"remove","path":"members[value eq \"1\" or 1 eq 1]"}`), nil, 400},
		{"value too long", "PATCH", "/Users/2", patch(`{"op":"replace","path":"displayName","value":"` + strings.Repeat("x", 300) + `"}`), nil, 400},
		{"value wrong type", "PATCH", "/Users/2", patch(`{"op":"replace","path":"name","value":[1,2,3]}`), nil, 400},
		{"lookup injection", "PATCH", "/Users/2", patch(`{"op":"replace","path":"pantherRole","value":"Admin' OR '1'='1"}`), nil, 400},
		// Bodies.
		{"oversized body", "PATCH", "/Users/2", patch(`{"op":"replace","path":"title","value":"` + strings.Repeat("x", 3<<20) + `"}`), nil, 413},
		{"deeply nested JSON", "PATCH", "/Users/2", `{"Operations":[{"op":"add","value":` + deep + `}]}`, nil, 400},
		{"invalid UTF-8 body", "PUT", "/Users/2", "{\"userName\":\"\xc3\x28\"}", nil, 400},
		{"JSON array body", "POST", "/Users", `[{"userName":"x"}]`, nil, 400},
		{"two JSON values", "PUT", "/Users/2", `{"userName":"a"}{"userName":"b"}`, nil, 400},
		{"wrong media type", "POST", "/Users", `userName=x`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415},
		{"operations not an array", "PATCH", "/Users/2", `{"Operations":"drop"}`, nil, 400},
		// Headers.
		{"request id junk", "GET", "/Users/2", "", []string{"X-Request-Id", "abc; Set-Cookie: x=1 " + strings.Repeat("z", 200)}, 200},
		{"auth header junk", "GET", "/Users", "", []string{"Authorization", "Bearer " + strings.Repeat("\xff'\"", 100)}, 401},
	}
	tables := []string{"users", "roles", "user_roles", "organizations"}
	sums := func() string {
		var s []string
		for _, tb := range tables {
			s = append(s, legacytest.Checksum(t, e.dsn, tb))
		}
		return strings.Join(s, "/")
	}
	before := sums()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.body, tt.headers...)
			switch {
			case tt.wantStatus == 0:
				if r.Status != 200 {
					t.Fatalf("status %d %s, want 200", r.Status, truncate(string(r.Body), 300))
				}
				if n := r.json(t)["totalResults"]; tt.path[len("/Users"):][0] == '?' && n != float64(0) && !strings.Contains(tt.path, "count=") && !strings.Contains(tt.path, "startIndex") {
					t.Errorf("totalResults %v, want 0", n)
				}
			case r.Status != tt.wantStatus:
				t.Fatalf("status %d %s, want %d", r.Status, truncate(string(r.Body), 300), tt.wantStatus)
			case r.Status >= 400:
				body := r.json(t)
				if s, _ := body["schemas"].([]any); len(s) == 0 || s[0] != mapping.ErrorSchema || body["status"] == nil {
					t.Errorf("not a SCIM error: %s", truncate(string(r.Body), 300))
				}
			}
			if h := r.Header.Get("Set-Cookie"); h != "" {
				t.Errorf("a header was injected: Set-Cookie %q", h)
			}
		})
	}
	if after := sums(); after != before {
		t.Error("a hostile request changed the database")
	}
	// Refused writes are audited as refused, with no changes.
	if n := e.query("SELECT COUNT(*) FROM retroscim_audit WHERE status < 400 OR changes <> '[]'")[0]; n != "0" {
		t.Errorf("%s writes recorded as applied", n)
	}
}
