package adapter

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// newWriteEnv serves testdata/write.yaml (every write rule on) over a fresh
// sample database.
func newWriteEnv(t *testing.T, extraSQL ...string) *env {
	t.Helper()
	cfg, err := mapping.LoadFile("testdata/write.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, append([]string{sampleSchema(t)}, extraSQL...)...)
}

// newEnvYAML serves an inline configuration over a fresh sample database.
func newEnvYAML(t *testing.T, src string, extraSQL ...string) *env {
	t.Helper()
	cfg, err := mapping.Parse("inline.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, append([]string{sampleSchema(t)}, extraSQL...)...)
}

func request(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "requests", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// query returns the first row of a SELECT as strings ("NULL" for NULL).
func (e *env) query(stmt string, args ...any) []string {
	e.t.Helper()
	return legacytest.Row(e.t, e.dsn, stmt, args...)
}

// userColumns are what the write tests look at in the users table.
const userColumns = "SELECT login, first_name, last_name, display_name, job_title, email, okta_id, department, employee_no, is_active, role_id, password_hash FROM users WHERE id = ?"

// TestPatchForms applies each PATCH shape Okta and Entra send to Alice
// (id 2) and checks the columns it must change, and only those.
func TestPatchForms(t *testing.T) {
	alice := []string{"alice@acme.test", "Alice", "Anders", "Alice Anders", "Staff Engineer", "alice@acme.test", "00u1alice00000000001", "Engineering", "1001", "1", "1", "NULL"}
	with := func(changes map[int]string) []string {
		out := append([]string(nil), alice...)
		for i, v := range changes {
			out[i] = v
		}
		return out
	}
	const (
		login = iota
		first
		last
		display
		title
		email
		oktaID
		dept
		empNo
		active
		role
	)
	tests := []struct {
		request string
		want    []string
	}{
		{"okta_deactivate", with(map[int]string{active: "0"})},
		{"okta_profile_pathless", with(map[int]string{first: "Alicia", email: "alicia@acme.test", dept: "Design", role: "2"})},
		{"entra_replace", with(map[int]string{email: "updated.alice@acme.test", last: "Andersson"})},
		{"entra_disable_string_boolean", with(map[int]string{active: "0"})},
		{"entra_add_external_id", with(map[int]string{oktaID: "a5c1e2f0-entra-object-id", empNo: "2002"})},
		{"entra_add_pathless_dotted", with(map[int]string{display: "Alice A.", first: "Ally", title: "Principal"})},
		{"entra_remove_manager", with(map[int]string{title: "NULL"})},
		{"path_panther_role", with(map[int]string{role: "3"})},
		{"remove_work_email", with(map[int]string{email: "NULL"})},
	}
	for _, tt := range tests {
		t.Run(tt.request, func(t *testing.T) {
			e := newWriteEnv(t)
			before := e.get("/Users/2").Header.Get("ETag")
			r := e.do(http.MethodPatch, "/Users/2", request(t, tt.request), "Content-Type", "application/json")
			if r.Status != http.StatusOK {
				t.Fatalf("PATCH = %d %s", r.Status, r.Body)
			}
			if diff := cmp.Diff(tt.want, e.query(userColumns, 2)); diff != "" {
				t.Errorf("row mismatch (-want +got):\n%s", diff)
			}
			// The response is the resource as stored, with a new version.
			if got := e.get("/Users/2"); string(got.Body) != string(r.Body) {
				t.Errorf("PATCH response differs from a fresh GET:\n%s\n%s", r.Body, got.Body)
			}
			if after := r.Header.Get("ETag"); after == before || after == "" {
				t.Errorf("ETag %q after the write, %q before", after, before)
			}
		})
	}
}

func TestPatchGolden(t *testing.T) {
	e := newWriteEnv(t)
	goldenWrite(t, "patch_okta_profile", e.do(http.MethodPatch, "/Users/2", request(t, "okta_profile_pathless")))
	goldenWrite(t, "patch_okta_deactivate", e.do(http.MethodPatch, "/Users/4", request(t, "okta_deactivate")))
	goldenWrite(t, "put_okta", e.do(http.MethodPut, "/Users/2", request(t, "okta_put")))
	goldenWrite(t, "post_okta", e.do(http.MethodPost, "/Users", request(t, "okta_create")))
}

// TestPatchErrors sends bad requests and checks each gets the right SCIM
// error and leaves the table exactly as it was.
func TestPatchErrors(t *testing.T) {
	e := newWriteEnv(t)
	patch := func(ops string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
	}
	tests := []struct {
		name, id, body string
		headers        []string
		wantStatus     int
		wantType       string
		wantDetail     string
	}{
		{"unknown role rolls back earlier ops", "2", request(t, "multi_op_bad_role"), nil, 400, "invalidValue", `pantherRole: "Superuser" is not a known value; known values: Admin, Analyst, Developer; nothing was changed`},
		{"forbidden character", "2", patch(`{"op":"replace","path":"name.givenName","value":"Al!ce"}`), nil, 400, "invalidValue", `name.givenName must not contain '!' (forbidden: @ , # $ !)`},
		{"pattern", "2", patch(`{"op":"replace","path":"name.familyName","value":"Anders 2"}`), nil, 400, "invalidValue", `does not match the required pattern`},
		{"max_length", "2", patch(`{"op":"replace","path":"title","value":"Senior Principal Staff Engineer"}`), nil, 400, "invalidValue", `title is too long: 31 characters, at most 20`},
		{"column length", "2", patch(`{"op":"replace","path":"displayName","value":"` + strings.Repeat("x", 201) + `"}`), nil, 400, "invalidValue", `displayName is too long: 201 characters, at most 200`},
		{"value list", "2", patch(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Marketing"}`), nil, 400, "invalidValue", `must be one of Engineering, Finance, Design, IT, got "Marketing"`},
		{"bad boolean", "2", patch(`{"op":"replace","path":"active","value":"maybe"}`), nil, 400, "invalidValue", `active must be true or false, got "maybe"`},
		{"string for number", "2", patch(`{"op":"replace","path":"userName","value":true}`), nil, 400, "invalidValue", `userName must be a string, got true`},
		{"unknown op", "2", patch(`{"op":"move","path":"title","value":"x"}`), nil, 400, "invalidSyntax", `op must be add, replace or remove, got move`},
		{"remove without path", "2", patch(`{"op":"remove"}`), nil, 400, "noTarget", `remove needs a path`},
		{"bad path syntax", "2", patch(`{"op":"replace","path":"emails[type eq work].value","value":"x"}`), nil, 400, "invalidPath", `invalid path`},
		{"unknown attribute", "2", patch(`{"op":"replace","path":"usrName","value":"x"}`), nil, 400, "invalidPath", `usrName names no attribute`},
		{"read-only id", "2", patch(`{"op":"replace","path":"id","value":"99"}`), nil, 400, "mutability", `id is read-only`},
		{"userName taken, other case", "2", patch(`{"op":"replace","path":"userName","value":"CAROL.CHEN@acme.test"}`), nil, 409, "uniqueness", `userName "CAROL.CHEN@acme.test" is already taken`},
		{"userName of a local account", "2", patch(`{"op":"replace","path":"userName","value":"admin@acme.test"}`), nil, 409, "uniqueness", `already taken`},
		{"unique email", "2", patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"carol.chen@acme.test"}`), nil, 409, "uniqueness", `emails[type eq "work"].value "carol.chen@acme.test" is already taken`},
		{"required userName", "2", patch(`{"op":"remove","path":"userName"}`), nil, 400, "invalidValue", `userName is required`},
		{"no operations", "2", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`, nil, 400, "invalidSyntax", `Operations must be a non-empty array`},
		{"wrong schema", "2", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"Operations":[{"op":"remove","path":"title"}]}`, nil, 400, "invalidSyntax", `schemas must contain`},
		{"not JSON", "2", `{"Operations": [`, nil, 400, "invalidSyntax", `the body is not valid JSON`},
		{"invalid UTF-8", "2", patch("{\"op\":\"replace\",\"path\":\"title\",\"value\":\"\xff\"}"), nil, 400, "invalidSyntax", `not valid UTF-8`},
		{"media type", "2", patch(`{"op":"remove","path":"title"}`), []string{"Content-Type", "text/plain"}, 415, "", `send the body as application/scim+json or application/json`},
		{"too large", "2", patch(`{"op":"replace","path":"title","value":"` + strings.Repeat("x", 2<<20) + `"}`), nil, 413, "", `larger than`},
		{"local account", "1", patch(`{"op":"replace","path":"title","value":"x"}`), nil, 404, "", `User "1" not found`},
		{"other tenant", "8", patch(`{"op":"replace","path":"title","value":"x"}`), nil, 404, "", `User "8" not found`},
		{"missing", "999", patch(`{"op":"replace","path":"title","value":"x"}`), nil, 404, "", `User "999" not found`},
		{"stale If-Match", "2", patch(`{"op":"replace","path":"title","value":"x"}`), []string{"If-Match", `W/"1"`}, 412, "", `has changed since it was read`},
	}
	before := legacytest.Checksum(t, e.dsn, "users")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(http.MethodPatch, "/Users/"+tt.id, tt.body, tt.headers...)
			body := r.json(t)
			if r.Status != tt.wantStatus || fmt.Sprint(body["status"]) != fmt.Sprint(tt.wantStatus) {
				t.Fatalf("status %d, body %s; want %d", r.Status, r.Body, tt.wantStatus)
			}
			if got, _ := body["scimType"].(string); got != tt.wantType {
				t.Errorf("scimType %q, want %q", got, tt.wantType)
			}
			if d, _ := body["detail"].(string); !strings.Contains(d, tt.wantDetail) {
				t.Errorf("detail %q, want it to contain %q", d, tt.wantDetail)
			}
			if after := legacytest.Checksum(t, e.dsn, "users"); after != before {
				t.Errorf("the users table changed")
			}
		})
	}
}

// TestPut replaces Alice with Okta's PUT body: the placeholder password,
// groups, echoed id and meta and the empty middleName are ignored;
// attributes the body leaves out are cleared.
func TestPut(t *testing.T) {
	e := newWriteEnv(t)
	r := e.do(http.MethodPut, "/Users/2", request(t, "okta_put"), "Content-Type", "application/json")
	if r.Status != http.StatusOK {
		t.Fatalf("PUT = %d %s", r.Status, r.Body)
	}
	want := []string{"alice@acme.test", "Alice", "Anderson", "Alice Anderson", "NULL", "alice@acme.test", "00u1alice00000000001", "NULL", "NULL", "1", "NULL", "NULL"}
	if diff := cmp.Diff(want, e.query(userColumns, 2)); diff != "" {
		t.Errorf("row after PUT mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(string(r.Body), "password") || strings.Contains(string(r.Body), "1mz050nq") {
		t.Errorf("the response mentions the password: %s", r.Body)
	}
	if n := e.query("SELECT COUNT(*) FROM user_roles WHERE user_id = 2")[0]; n != "2" {
		t.Errorf("PUT with groups: [] changed memberships: %s rows", n)
	}
	// A PUT without userName breaks the required rule and changes nothing.
	sum := legacytest.Checksum(t, e.dsn, "users")
	r = e.do(http.MethodPut, "/Users/2", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"name":{"givenName":"X"}}`)
	if r.Status != 400 || r.json(t)["detail"] != "userName is required" {
		t.Errorf("PUT without userName = %d %s", r.Status, r.Body)
	}
	if legacytest.Checksum(t, e.dsn, "users") != sum {
		t.Error("a refused PUT changed the table")
	}
}

func TestCreate(t *testing.T) {
	e := newWriteEnv(t)
	r := e.do(http.MethodPost, "/Users", request(t, "okta_create"), "Content-Type", "application/json")
	if r.Status != http.StatusCreated {
		t.Fatalf("POST = %d %s", r.Status, r.Body)
	}
	body := r.json(t)
	id := body["id"].(string)
	if loc := r.Header.Get("Location"); loc != "https://scim.example.test/scim/v2/Users/"+id {
		t.Errorf("Location = %q", loc)
	}
	row := e.query("SELECT login, first_name, org_id, auth_source, is_active, department, employee_no, password_hash FROM users WHERE id = ?", id)
	if diff := cmp.Diff([]string{"Grace.Hopper@acme.test", "Grace", "1", "saml", "1", "Engineering", "1010", "NULL"}, row); diff != "" {
		t.Errorf("created row mismatch (-want +got):\n%s", diff)
	}
	if got := e.get("/Users/" + id); got.Status != 200 {
		t.Errorf("GET the created user = %d", got.Status)
	}
	// The same userName in another case is a conflict; nothing is written.
	sum := legacytest.Checksum(t, e.dsn, "users")
	dup := strings.Replace(request(t, "okta_create"), "Grace.Hopper@acme.test", "grace.hopper@ACME.TEST", 1)
	dup = strings.Replace(dup, "grace.hopper@acme.test", "other@acme.test", 1)
	r = e.do(http.MethodPost, "/Users", dup)
	if r.Status != http.StatusConflict || r.json(t)["scimType"] != "uniqueness" {
		t.Errorf("duplicate POST = %d %s", r.Status, r.Body)
	}
	r = e.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"name":{"givenName":"No"}}`)
	if r.Status != 400 || r.json(t)["detail"] != "userName is required" {
		t.Errorf("POST without userName = %d %s", r.Status, r.Body)
	}
	if legacytest.Checksum(t, e.dsn, "users") != sum {
		t.Error("a refused POST changed the table")
	}
}

// TestCreateDeny is the Panther case: users come from SSO login only.
func TestCreateDeny(t *testing.T) {
	e := newEnv(t)
	sum := legacytest.Checksum(t, e.dsn, "users")
	r := e.do(http.MethodPost, "/Users", request(t, "okta_create"))
	if r.Status != http.StatusForbidden || !strings.Contains(r.json(t)["detail"].(string), "first sign in through SSO") {
		t.Errorf("POST with create: deny = %d %s", r.Status, r.Body)
	}
	if legacytest.Checksum(t, e.dsn, "users") != sum {
		t.Error("POST with create: deny wrote something")
	}
}

func TestDeletePolicies(t *testing.T) {
	t.Run("deactivate", func(t *testing.T) {
		e := newEnv(t)
		if r := e.do(http.MethodDelete, "/Users/2", ""); r.Status != http.StatusNoContent || len(r.Body) != 0 {
			t.Fatalf("DELETE = %d %s", r.Status, r.Body)
		}
		got := e.get("/Users/2").json(t)
		if got["active"] != false {
			t.Errorf("after DELETE the user is %v, want readable with active false", got["active"])
		}
		if r := e.do(http.MethodPatch, "/Users/2", request(t, "okta_reactivate")); r.Status != 200 || r.json(t)["active"] != true {
			t.Errorf("reactivation = %d %s", r.Status, r.Body)
		}
		if r := e.do(http.MethodDelete, "/Users/1", ""); r.Status != http.StatusNotFound {
			t.Errorf("DELETE of a local account = %d", r.Status)
		}
	})
	t.Run("delete", func(t *testing.T) {
		e := newEnvYAML(t, strings.Replace(string(mustReadFile(t, "../config.yaml")), "delete: deactivate", "delete: delete", 1))
		if r := e.do(http.MethodDelete, "/Users/5", "", "If-Match", `W/"1"`); r.Status != http.StatusPreconditionFailed {
			t.Errorf("DELETE with a stale If-Match = %d", r.Status)
		}
		if r := e.do(http.MethodDelete, "/Users/5", ""); r.Status != http.StatusNoContent {
			t.Fatalf("DELETE = %d %s", r.Status, r.Body)
		}
		if n := e.query("SELECT COUNT(*) FROM users WHERE id = 5")[0]; n != "0" {
			t.Errorf("row still there")
		}
		if r := e.get("/Users/5"); r.Status != http.StatusNotFound {
			t.Errorf("GET after delete = %d", r.Status)
		}
		// Alice's roles reference her with ON DELETE CASCADE; Bob is
		// referenced by nothing else; a referenced row gives 409.
		legacytest.MustExec(t, e.dsn, "CREATE TABLE tickets (id INT PRIMARY KEY, owner BIGINT UNSIGNED, FOREIGN KEY (owner) REFERENCES users (id))", "INSERT INTO tickets VALUES (1, 3)")
		if r := e.do(http.MethodDelete, "/Users/3", ""); r.Status != http.StatusConflict || !strings.Contains(r.json(t)["detail"].(string), "deactivate it instead") {
			t.Errorf("DELETE of a referenced user = %d %s", r.Status, r.Body)
		}
	})
	t.Run("deactivation deletes", func(t *testing.T) {
		// Harmony SASE's model: deactivating deletes the row, so a row
		// other tables hold cannot be deactivated either; the detail must
		// not send Okta's admin in a circle.
		src := strings.Replace(string(mustReadFile(t, "../config.yaml")), "active: { column: is_active, true: 1, false: 0 }", "active: { deactivate: delete }", 1)
		e := newEnvYAML(t, strings.Replace(src, "delete: deactivate", "delete: delete", 1),
			"CREATE TABLE tickets (id INT PRIMARY KEY, owner BIGINT UNSIGNED, FOREIGN KEY (owner) REFERENCES users (id))", "INSERT INTO tickets VALUES (1, 3)")
		sum := legacytest.Checksum(t, e.dsn, "users")
		for _, r := range []response{e.do(http.MethodDelete, "/Users/3", ""), e.do(http.MethodPatch, "/Users/3", request(t, "okta_deactivate"))} {
			if d, _ := r.json(t)["detail"].(string); r.Status != http.StatusConflict || strings.Contains(d, "deactivate it instead") || !strings.Contains(d, "the application must release those rows first") {
				t.Errorf("removing a referenced user = %d %s", r.Status, r.Body)
			}
		}
		if legacytest.Checksum(t, e.dsn, "users") != sum {
			t.Error("a refused removal changed the table")
		}
	})
	t.Run("deny", func(t *testing.T) {
		e := newEnvYAML(t, strings.Replace(string(mustReadFile(t, "../config.yaml")), "delete: deactivate", "delete: deny", 1))
		sum := legacytest.Checksum(t, e.dsn, "users")
		if r := e.do(http.MethodDelete, "/Users/2", ""); r.Status != http.StatusForbidden || !strings.Contains(r.json(t)["detail"].(string), "PATCH active=false") {
			t.Errorf("DELETE with delete: deny = %d %s", r.Status, r.Body)
		}
		if legacytest.Checksum(t, e.dsn, "users") != sum {
			t.Error("DELETE with delete: deny changed the table")
		}
	})
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDeactivateDeletes is Harmony SASE: deactivation deletes the user
// (and frees a licence); the app has no active column.
func TestDeactivateDeletes(t *testing.T) {
	cfg := strings.Replace(string(mustReadFile(t, "../config.yaml")), "active: { column: is_active, true: 1, false: 0 }", "active: { deactivate: delete }", 1)
	e := newEnvYAML(t, cfg)
	if got := e.get("/Users/3").json(t)["active"]; got != true {
		t.Errorf("without an active column every user is active; got %v", got)
	}
	r := e.do(http.MethodPatch, "/Users/3", request(t, "okta_deactivate"))
	if r.Status != http.StatusOK || r.json(t)["active"] != false {
		t.Fatalf("deactivation = %d %s", r.Status, r.Body)
	}
	if n := e.query("SELECT COUNT(*) FROM users WHERE id = 3")[0]; n != "0" {
		t.Error("the deactivated user's row is still there")
	}
	if r := e.get("/Users/3"); r.Status != http.StatusNotFound {
		t.Errorf("GET after deactivation = %d", r.Status)
	}
}

// TestImmutable is Atlan and Harmony: userName and the e-mail cannot change
// once provisioned; sending the same values is fine.
func TestImmutable(t *testing.T) {
	cfg := strings.NewReplacer(
		"userName:                     { column: login }", "userName: { column: login, mutability: immutable }",
		`'emails[type eq "work"].value': { column: email }`, `'emails[type eq "work"].value': { column: email, mutability: immutable }`,
	).Replace(string(mustReadFile(t, "../config.yaml")))
	e := newEnvYAML(t, cfg)
	sum := legacytest.Checksum(t, e.dsn, "users")
	r := e.do(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"userName","value":"alice2@acme.test"}]}`)
	if r.Status != 400 || r.json(t)["scimType"] != "mutability" || !strings.Contains(r.json(t)["detail"].(string), `userName is immutable: it cannot change once set (it is "alice@acme.test"; the request gives "alice2@acme.test")`) {
		t.Errorf("userName change = %d %s", r.Status, r.Body)
	}
	r = e.do(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","value":{"emails":[{"value":"new@acme.test","type":"work","primary":true}]}}]}`)
	if r.Status != 400 || r.json(t)["scimType"] != "mutability" {
		t.Errorf("email change = %d %s", r.Status, r.Body)
	}
	if legacytest.Checksum(t, e.dsn, "users") != sum {
		t.Error("a refused change to an immutable attribute changed the table")
	}
	// Okta's PUT repeats both unchanged: accepted.
	put := strings.Replace(request(t, "okta_put"), `"familyName": "Anderson"`, `"familyName": "Anders"`, 1)
	if r := e.do(http.MethodPut, "/Users/2", put); r.Status != 200 {
		t.Errorf("PUT with unchanged immutable values = %d %s", r.Status, r.Body)
	}
	// An immutable value may be set once where it was empty (Dave has no email).
	if r := e.do(http.MethodPatch, "/Users/5", `{"Operations":[{"op":"add","path":"emails[type eq \"work\"].value","value":"dave@acme.test"}]}`); r.Status != 200 {
		t.Errorf("first email for Dave = %d %s", r.Status, r.Body)
	}
}

// TestIfMatch shows optimistic concurrency: a PATCH based on an old
// version is refused; one based on the current version succeeds.
func TestIfMatch(t *testing.T) {
	e := newWriteEnv(t)
	etag := e.get("/Users/2").Header.Get("ETag")
	r := e.do(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"title","value":"One"}]}`, "If-Match", etag)
	if r.Status != 200 {
		t.Fatalf("PATCH with the current ETag = %d %s", r.Status, r.Body)
	}
	r = e.do(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"title","value":"Two"}]}`, "If-Match", etag)
	if r.Status != http.StatusPreconditionFailed {
		t.Errorf("PATCH with the old ETag = %d %s", r.Status, r.Body)
	}
	if got := e.query("SELECT job_title FROM users WHERE id = 2")[0]; got != "One" {
		t.Errorf("title = %q, want One", got)
	}
}

// TestConcurrentPatches runs 50 read-modify-write cycles on one user from
// 50 goroutines, each retrying on 412 with the new ETag. With If-Match no
// update is lost: the counter ends at exactly 50.
func TestConcurrentPatches(t *testing.T) {
	e := newWriteEnv(t)
	legacytest.MustExec(t, e.dsn, "UPDATE users SET employee_no = '0' WHERE id = 2")
	const workers = 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for attempt := 0; attempt < 500; attempt++ {
				cur := e.get("/Users/2")
				if cur.Status == http.StatusTooManyRequests {
					// 50 workers exceed the tenant's connection bound: do as
					// a client told Retry-After would, and ask again.
					time.Sleep(time.Duration(1+attempt%10) * time.Millisecond)
					continue
				}
				if cur.Status != http.StatusOK {
					errs <- fmt.Errorf("GET = %d %s", cur.Status, cur.Body)
					return
				}
				ext := cur.json(t)[mapping.EnterpriseUserSchema].(map[string]any)
				var n int
				fmt.Sscan(ext["employeeNumber"].(string), &n)
				body := fmt.Sprintf(`{"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"%d"}]}`, n+1)
				r := e.do(http.MethodPatch, "/Users/2", body, "If-Match", cur.Header.Get("ETag"))
				switch r.Status {
				case http.StatusOK:
					return
				case http.StatusPreconditionFailed:
					continue
				case http.StatusTooManyRequests:
					time.Sleep(time.Duration(1+attempt%10) * time.Millisecond)
					continue
				default:
					errs <- fmt.Errorf("PATCH = %d %s", r.Status, r.Body)
					return
				}
			}
			errs <- fmt.Errorf("no success in 500 attempts")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := e.query("SELECT employee_no FROM users WHERE id = 2")[0]; got != "50" {
		t.Errorf("counter = %s after %d increments, want 50: an update was lost", got, workers)
	}
}

// TestUnmappedIgnored: RFC 7643 attributes the app does not store are
// accepted and ignored, in PATCH and PUT alike, as are unknown members of
// a body; a PATCH path naming an attribute of a schema this server does
// not serve is invalidPath, as the same name without its URN is.
func TestUnmappedIgnored(t *testing.T) {
	e := newWriteEnv(t)
	sum := legacytest.Checksum(t, e.dsn, "users")
	for _, body := range []string{
		`{"Operations":[{"op":"replace","path":"nickName","value":"Al"}]}`,
		`{"Operations":[{"op":"replace","value":{"nickName":"Al","locale":"en-US","roles":[{"value":"x"}],"urn:example:ext:1.0:User:x":"y"}}]}`,
		`{"Operations":[{"op":"replace","value":{"urn:acme:unknown:1.0:User:badge":"7"}}]}`,
	} {
		if r := e.do(http.MethodPatch, "/Users/2", body); r.Status != 200 {
			t.Errorf("PATCH %s = %d %s", body, r.Status, r.Body)
		}
	}
	for _, path := range []string{"urn:acme:unknown:1.0:User:badge", "badge"} {
		body := `{"Operations":[{"op":"replace","path":"` + path + `","value":"7"}]}`
		if r := e.do(http.MethodPatch, "/Users/2", body); r.Status != 400 || !strings.Contains(string(r.Body), `"scimType":"invalidPath"`) || !strings.Contains(string(r.Body), path+" names no attribute") {
			t.Errorf("PATCH %s = %d %s, want 400 invalidPath", body, r.Status, r.Body)
		}
	}
	if legacytest.Checksum(t, e.dsn, "users") != sum {
		t.Error("ignored attributes changed the table")
	}
}

func TestLastModifiedMaintained(t *testing.T) {
	e := newEnv(t)
	before := e.query("SELECT updated_at FROM users WHERE id = 2")[0]
	if r := e.do(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"title","value":"Lead"}]}`); r.Status != 200 {
		t.Fatal(r.Status)
	}
	after := e.query("SELECT updated_at FROM users WHERE id = 2")[0]
	if after <= before {
		t.Errorf("updated_at %s -> %s, want it to advance", before, after)
	}
	// A PATCH that changes nothing writes nothing.
	if r := e.do(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"title","value":"Lead"}]}`); r.Status != 200 {
		t.Fatal(r.Status)
	}
	if again := e.query("SELECT updated_at FROM users WHERE id = 2")[0]; again != after {
		t.Errorf("a no-op PATCH touched updated_at: %s -> %s", after, again)
	}
}

// TestLookupAttribute reads, filters and sorts on Panther's role, stored
// as users.role_id and shown as roles.name, within the caller's tenant.
func TestLookupAttribute(t *testing.T) {
	e := newWriteEnv(t)
	if got := e.get("/Users/4").json(t)["pantherRole"]; got != "Developer" {
		t.Errorf("Carol's pantherRole = %v, want Developer", got)
	}
	r := e.get("/Users?filter=" + q(`pantherRole eq "admin"`) + "&attributes=userName,pantherRole")
	body := r.json(t)
	if body["totalResults"] != float64(1) || !strings.Contains(string(r.Body), `"userName":"alice@acme.test","pantherRole":"Admin"`) {
		t.Errorf("pantherRole eq admin = %s", r.Body)
	}
	// Viewer is a role of Globex (tenant 2): tenant 1 may not use it.
	r = e.do(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"pantherRole","value":"Viewer"}]}`)
	if r.Status != 400 || !strings.Contains(r.json(t)["detail"].(string), `"Viewer" is not a known value; known values: Admin, Analyst, Developer`) {
		t.Errorf("a role of another tenant = %d %s", r.Status, r.Body)
	}
	r = e.get("/Users?sortBy=pantherRole&attributes=pantherRole")
	if r.Status != 200 || !strings.Contains(string(r.Body), `"pantherRole":"Admin"`) {
		t.Errorf("sortBy=pantherRole = %d %s", r.Status, r.Body)
	}
}

// TestLookupDefault removes a role that has a default: the default is a
// role name like any value of the attribute, and is stored as its key.
func TestLookupDefault(t *testing.T) {
	src, err := os.ReadFile("testdata/write.yaml")
	if err != nil {
		t.Fatal(err)
	}
	line := "      lookup: { table: roles, match: name, key: id, column: role_id, tenant: org_id }\n"
	if !strings.Contains(string(src), line) {
		t.Fatal("testdata/write.yaml has no pantherRole lookup")
	}
	e := newEnvYAML(t, strings.Replace(string(src), line, line+"      default: Analyst\n", 1))
	r := e.do(http.MethodPatch, "/Users/4", `{"Operations":[{"op":"remove","path":"pantherRole"}]}`)
	if r.Status != 200 || r.json(t)["pantherRole"] != "Analyst" {
		t.Errorf("remove pantherRole = %d %s", r.Status, r.Body)
	}
	if got := e.query("SELECT r.name FROM users u JOIN roles r ON r.id = u.role_id WHERE u.id = 4"); len(got) != 1 || got[0] != "Analyst" {
		t.Errorf("Carol's role is %v, want Analyst", got)
	}
}
