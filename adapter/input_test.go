package adapter

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
)

// withPassword is the shipped config.yaml with the password mapped.
func withPassword(t *testing.T, hash string) string {
	t.Helper()
	src := string(mustReadFile(t, "../config.yaml"))
	line := "    userName:                     { column: login }\n"
	if !strings.Contains(src, line) {
		t.Fatal("config.yaml has no userName line")
	}
	return strings.Replace(src, line, line+"    password:                     { column: password_hash, hash: "+hash+" }\n", 1)
}

// TestPasswordIsNoOracle maps the password (as cleartext and as bcrypt)
// and tries every way a filter, sortBy or attributes could test it. Each
// is refused with 400, and the answers are byte for byte the same whatever
// the stored value is: nothing can be learnt about it, one character at a
// time or otherwise.
func TestPasswordIsNoOracle(t *testing.T) {
	requests := []struct {
		query    string
		scimType string
	}{
		{"filter=" + q(`password sw "a"`), "invalidFilter"},
		{"filter=" + q(`password eq "alpha-secret"`), "invalidFilter"},
		{"filter=" + q(`password co "s"`), "invalidFilter"},
		{"filter=" + q(`password gt "m"`), "invalidFilter"},
		{"filter=" + q(`password pr`), "invalidFilter"},
		{"filter=" + q(`not (password eq "x")`), "invalidFilter"},
		{"filter=" + q(`userName eq "alice@acme.test" and password sw "$2"`), "invalidFilter"},
		{"filter=" + q(`title pr or password eq null`), "invalidFilter"},
		{"filter=" + q(`urn:ietf:params:scim:schemas:core:2.0:User:password sw "a"`), "invalidFilter"},
		{"sortBy=password", "invalidValue"},
		{"sortBy=password&sortOrder=descending", "invalidValue"},
		{"attributes=password", "invalidValue"},
		{"attributes=userName,password", "invalidValue"},
	}
	for _, hash := range []string{"none", "bcrypt"} {
		t.Run(hash, func(t *testing.T) {
			e := newEnvYAML(t, withPassword(t, hash))
			answers := map[string]string{}
			for _, stored := range []string{"alpha-secret", "$2a$12$zzzzzzzzzzzzzzzzzzzzzu"} {
				legacytest.MustExec(t, e.dsn, "UPDATE users SET password_hash = '"+stored+"' WHERE id = 2")
				for _, rq := range requests {
					r := e.get("/Users?" + rq.query)
					body := r.json(t)
					if r.Status != http.StatusBadRequest || body["scimType"] != rq.scimType {
						t.Errorf("GET /Users?%s = %d %s, want 400 %s", rq.query, r.Status, r.Body, rq.scimType)
					}
					if d, _ := body["detail"].(string); !strings.Contains(d, "password is write-only") {
						t.Errorf("GET /Users?%s: detail %q does not say password is write-only", rq.query, d)
					}
					if strings.Contains(string(r.Body), stored) {
						t.Errorf("GET /Users?%s quotes the stored password: %s", rq.query, r.Body)
					}
					if prev, ok := answers[rq.query]; ok && prev != string(r.Body) {
						t.Errorf("GET /Users?%s answers differently for another stored password:\n%s\n%s", rq.query, prev, r.Body)
					}
					answers[rq.query] = string(r.Body)
				}
			}
			// Excluding what is never returned is simply true.
			if r := e.get("/Users?excludedAttributes=password"); r.Status != http.StatusOK || strings.Contains(string(r.Body), "password") {
				t.Errorf("excludedAttributes=password = %d %s", r.Status, r.Body)
			}
			// The password stays writable, and /Schemas says it is write-only.
			if r := e.do(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"password","value":"n3w-Passw0rd"}]}`); r.Status != http.StatusOK || strings.Contains(string(r.Body), "n3w-Passw0rd") {
				t.Errorf("PATCH password = %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestWriteOnlyInValuePaths marks a sub-attribute of a multi-valued
// attribute write-only: a filter's value path, a whole-attribute pr and a
// PATCH value filter cannot name it either.
func TestWriteOnlyInValuePaths(t *testing.T) {
	src := strings.Replace(string(mustReadFile(t, "../config.yaml")),
		`'phoneNumbers[type eq "work"].value': { column: phone }`,
		`'phoneNumbers[type eq "work"].value': { column: phone, mutability: writeOnly }`, 1)
	e := newEnvYAML(t, src)
	for _, f := range []string{
		`phoneNumbers[value sw "+1"]`,
		`phoneNumbers[type eq "work" and value pr]`,
		`phoneNumbers.value eq "+1 555 0100"`,
		`phoneNumbers pr`,
		`not (phoneNumbers[value eq "x"])`,
	} {
		r := e.get("/Users?filter=" + q(f))
		if r.Status != http.StatusBadRequest || r.json(t)["scimType"] != "invalidFilter" || !strings.Contains(string(r.Body), "is write-only") {
			t.Errorf("filter %s = %d %s, want 400 invalidFilter", f, r.Status, r.Body)
		}
	}
	sum := legacytest.Checksum(t, e.dsn, "users")
	r := e.do(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"phoneNumbers[value sw \"+1\"].value","value":"+1 555 0199"}]}`)
	if r.Status != http.StatusBadRequest || r.json(t)["scimType"] != "invalidFilter" {
		t.Errorf("PATCH with a write-only value filter = %d %s", r.Status, r.Body)
	}
	if legacytest.Checksum(t, e.dsn, "users") != sum {
		t.Error("a refused PATCH changed the table")
	}
	// Writing it is what write-only is for.
	if r := e.do(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"phoneNumbers[type eq \"work\"].value","value":"+1 555 0199"}]}`); r.Status != http.StatusOK {
		t.Errorf("PATCH of the write-only phone = %d %s", r.Status, r.Body)
	}
	if got := e.query("SELECT phone FROM users WHERE id = 2")[0]; got != "+1 555 0199" {
		t.Errorf("phone = %q", got)
	}
}

// TestLookupPerTenant: with lookup.tenant, each tenant sees only its own
// roles, in error messages and in what can be stored, and the lookup
// cache never hands one tenant's key to another. Both tenants have a role
// named Admin (1 for Acme, 4 for Globex).
func TestLookupPerTenant(t *testing.T) {
	src := strings.Replace(string(mustReadFile(t, "testdata/write.yaml")),
		`    - { name: okta, token: "${RETROSCIM_TOKEN}", tenant: "1" }`,
		`    - { name: okta, token: "${RETROSCIM_TOKEN}", tenant: "1" }
    - { name: globex, token: "`+globexToken+`", tenant: "2" }`, 1)
	e := newEnvYAML(t, src)
	role := func(tenant, id, value string, headers ...string) response {
		return e.do(http.MethodPatch, "/Users/"+id, `{"Operations":[{"op":"replace","path":"pantherRole","value":"`+value+`"}]}`, headers...)
	}
	sum := legacytest.Checksum(t, e.dsn, "users")
	for _, tt := range []struct {
		who, id, value, known string
		headers               []string
	}{
		{"Acme", "2", "Viewer", "Admin, Analyst, Developer", nil},
		{"Globex", "8", "Analyst", "Admin, Viewer", asGlobex()},
		{"Globex", "8", "Developer", "Admin, Viewer", asGlobex()},
	} {
		r := role(tt.who, tt.id, tt.value, tt.headers...)
		want := `pantherRole: "` + tt.value + `" is not a known value; known values: ` + tt.known + `; nothing was changed`
		if d, _ := r.json(t)["detail"].(string); r.Status != http.StatusBadRequest || !strings.HasSuffix(d, want) {
			t.Errorf("%s sets %s = %d %s, want 400 %q", tt.who, tt.value, r.Status, r.Body, want)
		}
	}
	if legacytest.Checksum(t, e.dsn, "users") != sum {
		t.Error("a refused role changed the table")
	}
	// Admin resolves per tenant, cached or not.
	for _, tt := range []struct {
		id, want string
		headers  []string
	}{{"2", "1", nil}, {"8", "4", asGlobex()}, {"4", "1", nil}, {"8", "4", asGlobex()}} {
		if r := role("", tt.id, "Admin", tt.headers...); r.Status != http.StatusOK {
			t.Fatalf("PATCH user %s pantherRole Admin = %d %s", tt.id, r.Status, r.Body)
		}
		if got := e.query("SELECT role_id FROM users WHERE id = ?", tt.id)[0]; got != tt.want {
			t.Errorf("user %s has role %s after pantherRole Admin, want %s", tt.id, got, tt.want)
		}
	}
	if r := role("", "8", "Viewer", asGlobex()...); r.Status != http.StatusOK || e.query("SELECT role_id FROM users WHERE id = 8")[0] != "5" {
		t.Errorf("Globex sets its own Viewer = %d %s", r.Status, r.Body)
	}
}

// TestEqualityIsExact is Okta's and Entra's account linking: userName eq
// must find the user whose userName differs at most in case, on every
// collation a user table has. utf8mb4_general_ci and _unicode_ci also
// ignore accents ("josé" = "jose") and, like every PAD SPACE collation
// (utf8mb4_bin included), trailing spaces; neither may link the wrong
// person. Uniqueness on write compares the same way.
func TestEqualityIsExact(t *testing.T) {
	for _, coll := range []string{"utf8mb4_general_ci", "utf8mb4_unicode_ci", "utf8mb4_unicode_520_ci", "utf8mb4_bin", "latin1_swedish_ci"} {
		t.Run(coll, func(t *testing.T) {
			cs := coll[:strings.IndexByte(coll, '_')]
			e := newEnv(t,
				"ALTER TABLE users DROP INDEX uq_users_org_login",
				"ALTER TABLE users MODIFY login VARCHAR(190) CHARACTER SET "+cs+" COLLATE "+coll+" NOT NULL",
				"ALTER TABLE users MODIFY okta_id VARCHAR(64) CHARACTER SET "+cs+" COLLATE "+coll+" NULL",
				"INSERT INTO users (id, org_id, login, auth_source, okta_id) VALUES (20, 1, 'jose.n@x.com', 'saml', '00uJose')")
			find := func(f string) []string {
				t.Helper()
				r := e.get("/Users?attributes=userName&filter=" + q(f))
				if r.Status != http.StatusOK {
					t.Fatalf("filter %s = %d %s", f, r.Status, r.Body)
				}
				var ids []string
				for _, res := range r.json(t)["Resources"].([]any) {
					ids = append(ids, res.(map[string]any)["id"].(string))
				}
				return ids
			}
			for f, want := range map[string]string{
				`userName eq "jose.n@x.com"`:                            "[20]",
				`userName eq "JOSE.N@X.com"`:                            "[20]",
				`userName eq "josé.n@x.com"`:                            "[]",
				`userName eq "jose.n@x.com "`:                           "[]",
				`userName eq "JOSÉ.N@x.com"`:                            "[]",
				`userName ne "jose.n@x.com "`:                           "[2 3 4 5 7 20]",
				`externalId eq "00uJose"`:                               "[20]",
				`externalId eq "00ujose"`:                               "[]",
				`externalId eq "00uJose "`:                              "[]",
				`externalId eq "00uJosé"`:                               "[]",
				`emails[type eq "work"] and userName eq "jose.n@x.com"`: "[20]",
			} {
				if got := fmt.Sprint(find(f)); got != want {
					t.Errorf("filter %s finds %s, want %s", f, got, want)
				}
			}
			// Uniqueness: another case is taken, another accent or a
			// trailing space is not.
			rename := func(id, login string) response {
				return e.do(http.MethodPatch, "/Users/"+id, `{"Operations":[{"op":"replace","path":"userName","value":"`+login+`"}]}`)
			}
			sum := legacytest.Checksum(t, e.dsn, "users")
			if r := rename("3", "JOSE.N@x.com"); r.Status != http.StatusConflict || r.json(t)["scimType"] != "uniqueness" {
				t.Errorf("rename to another case of a taken userName = %d %s", r.Status, r.Body)
			}
			if legacytest.Checksum(t, e.dsn, "users") != sum {
				t.Error("a refused rename changed the table")
			}
			if r := rename("5", "josé.n@x.com"); r.Status != http.StatusOK {
				t.Errorf("rename to josé.n@x.com = %d %s", r.Status, r.Body)
			}
			if got := fmt.Sprint(find(`userName eq "josé.n@x.com"`)); got != "[5]" {
				t.Errorf("after the rename, josé.n@x.com finds %s, want [5]", got)
			}
			if got := fmt.Sprint(find(`userName eq "jose.n@x.com"`)); got != "[20]" {
				t.Errorf("after the rename, jose.n@x.com finds %s, want [20]", got)
			}
		})
	}
}

// TestEqualityAndTheAppsUniqueKey: where the app's own unique key ignores
// accents (utf8mb4_general_ci), it refuses what retroscim's check allows,
// and the answer is a 409 that changes nothing, not a 500.
func TestEqualityAndTheAppsUniqueKey(t *testing.T) {
	e := newEnv(t, "INSERT INTO users (id, org_id, login, auth_source) VALUES (20, 1, 'jose.n@x.com', 'saml')")
	sum := legacytest.Checksum(t, e.dsn, "users")
	r := e.do(http.MethodPatch, "/Users/5", `{"Operations":[{"op":"replace","path":"userName","value":"josé.n@x.com"}]}`)
	if r.Status != http.StatusConflict || r.json(t)["scimType"] != "uniqueness" || !strings.Contains(string(r.Body), "uq_users_org_login") {
		t.Errorf("rename onto the app's unique key = %d %s", r.Status, r.Body)
	}
	if legacytest.Checksum(t, e.dsn, "users") != sum {
		t.Error("a refused rename changed the table")
	}
}

// noActive is the shipped config.yaml for an app without an active flag
// (several real ones have none): no active key, and delete: deny.
func noActive(t *testing.T) string {
	t.Helper()
	src := string(mustReadFile(t, "../config.yaml"))
	for _, l := range []string{"  delete: deactivate\n", "  active: { column: is_active, true: 1, false: 0 }\n"} {
		if !strings.Contains(src, l) {
			t.Fatalf("config.yaml has no %q", l)
		}
		src = strings.Replace(src, l, "", 1)
	}
	return src
}

// TestDeactivationWithoutActive: a mapping that cannot deactivate never
// answers 200 to a deactivation (Okta and Entra would believe the user
// lost access): every shape of it is refused and nothing changes, while
// active=true, which every user of such a mapping is, succeeds.
func TestDeactivationWithoutActive(t *testing.T) {
	e := newEnvYAML(t, noActive(t))
	sum := legacytest.Checksum(t, e.dsn, "users")
	for _, tt := range []struct{ name, method, body string }{
		{"okta", http.MethodPatch, request(t, "okta_deactivate")},
		{"entra", http.MethodPatch, request(t, "entra_disable_string_boolean")},
		{"with a profile change", http.MethodPatch, `{"Operations":[{"op":"replace","path":"title","value":"Gone"},{"op":"replace","path":"active","value":false}]}`},
		{"put", http.MethodPut, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice@acme.test","active":false}`},
	} {
		r := e.do(tt.method, "/Users/2", tt.body)
		d, _ := r.json(t)["detail"].(string)
		if r.Status != http.StatusBadRequest || r.json(t)["scimType"] != "mutability" || !strings.Contains(d, "no way to deactivate") || !strings.Contains(d, "add users.active: {") || !strings.Contains(d, "nothing was changed") {
			t.Errorf("%s deactivation = %d %s", tt.name, r.Status, r.Body)
		}
	}
	if legacytest.Checksum(t, e.dsn, "users") != sum {
		t.Error("a refused deactivation changed the table")
	}
	for _, body := range []string{request(t, "okta_reactivate"), `{"Operations":[{"op":"Replace","path":"active","value":"True"}]}`} {
		if r := e.do(http.MethodPatch, "/Users/2", body); r.Status != http.StatusOK {
			t.Errorf("active=true = %d %s", r.Status, r.Body)
		}
	}
	if legacytest.Checksum(t, e.dsn, "users") != sum {
		t.Error("active=true changed the table")
	}
	if r := e.do(http.MethodDelete, "/Users/2", ""); r.Status != http.StatusForbidden || strings.Contains(string(r.Body), "PATCH active=false") {
		t.Errorf("DELETE = %d %s; it must not send the client to a deactivation that is refused", r.Status, r.Body)
	}
}

// TestLaxInputRefused: what a client sends must be what the schema says.
// Each bad body is refused with the error that names the problem, and
// nothing is written.
func TestLaxInputRefused(t *testing.T) {
	e := newWriteEnv(t)
	const core = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
	grace := func(extra string) string {
		return strings.Replace(request(t, "okta_create"), `"userName": "Grace.Hopper@acme.test",`, extra, 1)
	}
	patch := func(ops string) string { return `{"Operations":[` + ops + `]}` }
	users, roles := legacytest.Checksum(t, e.dsn, "users"), legacytest.Checksum(t, e.dsn, "roles")
	for _, tt := range []struct {
		name, method, path, body, scimType, detail string
	}{
		{"number for userName", http.MethodPost, "/Users", grace(`"userName": 123,`), "invalidValue", "userName must be a string, got 123"},
		{"boolean for userName", http.MethodPut, "/Users/2", `{` + core + `,"userName":true}`, "invalidValue", "userName must be a string, got true"},
		{"number in a path-less PATCH", http.MethodPatch, "/Users/2", patch(`{"op":"replace","value":{"title":42}}`), "invalidValue", "title must be a string, got 42"},
		{"unknown schema on POST", http.MethodPost, "/Users", strings.Replace(request(t, "okta_create"), `"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]`, `"schemas": ["urn:hostile:nope"]`, 1), "invalidSyntax", `schemas: "urn:hostile:nope" is not a schema of Users on this server`},
		{"unknown schema on PUT", http.MethodPut, "/Users/2", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:hostile:nope"],"userName":"alice@acme.test"}`, "invalidSyntax", `"urn:hostile:nope" is not a schema of Users`},
		{"no core schema", http.MethodPut, "/Users/2", `{"schemas":["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"alice@acme.test"}`, "invalidSyntax", "schemas must contain urn:ietf:params:scim:schemas:core:2.0:User"},
		{"no schemas", http.MethodPut, "/Users/2", `{"userName":"alice@acme.test"}`, "invalidSyntax", "the body has no schemas"},
		{"group schema on a user", http.MethodPost, "/Users", strings.Replace(request(t, "okta_create"), "core:2.0:User\"]", "core:2.0:Group\"]", 1), "invalidSyntax", "is not a schema of Users"},
		{"user schema on a group", http.MethodPost, "/Groups", `{` + core + `,"displayName":"Ops"}`, "invalidSyntax", "is not a schema of Groups"},
		{"NUL in userName", http.MethodPatch, "/Users/2", patch(`{"op":"replace","path":"userName","value":"alice\u0000@acme.test"}`), "invalidValue", "userName contains the control character U+0000 (NUL), which is not accepted"},
		{"NUL in a POST", http.MethodPost, "/Users", grace(`"userName": "grace\u0000@acme.test",`), "invalidValue", "U+0000 (NUL)"},
		{"escape sequence in a name", http.MethodPatch, "/Users/2", patch(`{"op":"replace","path":"name.givenName","value":"Al\u001b[2Jice"}`), "invalidValue", "U+001B"},
		{"newline in a title", http.MethodPatch, "/Users/2", patch(`{"op":"replace","path":"title","value":"Staff\nEngineer"}`), "invalidValue", "U+000A"},
		{"control character in a group name", http.MethodPatch, "/Groups/2", patch(`{"op":"replace","path":"displayName","value":"Ana\u0007lyst"}`), "invalidValue", "U+0007"},
		{"filter on a type not stored", http.MethodPatch, "/Users/2", patch(`{"op":"replace","path":"emails[type eq \"home\"].value","value":"alice@home.test"}`), "noTarget", `emails[type eq "home"] matches no value this server stores: it stores emails of type work; nothing was changed`},
		{"Entra's add of a type not stored", http.MethodPatch, "/Users/2", patch(`{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0111"}`), "noTarget", `phoneNumbers[type eq "mobile"] matches no value`},
		{"filter on a value not stored", http.MethodPatch, "/Users/2", patch(`{"op":"replace","path":"emails[value eq \"old@acme.test\"].value","value":"new@acme.test"}`), "noTarget", `emails[value eq "old@acme.test"] matches no value`},
		{"noTarget rolls back earlier operations", http.MethodPatch, "/Users/2", patch(`{"op":"replace","path":"title","value":"Lead"},{"op":"replace","path":"emails[type eq \"home\"].value","value":"x@y.z"}`), "noTarget", "nothing was changed"},
	} {
		r := e.do(tt.method, tt.path, tt.body)
		body := r.json(t)
		if d, _ := body["detail"].(string); r.Status != http.StatusBadRequest || body["scimType"] != tt.scimType || !strings.Contains(d, tt.detail) {
			t.Errorf("%s: %s %s = %d %s, want 400 %s %q", tt.name, tt.method, tt.path, r.Status, r.Body, tt.scimType, tt.detail)
		}
	}
	if legacytest.Checksum(t, e.dsn, "users") != users || legacytest.Checksum(t, e.dsn, "roles") != roles {
		t.Error("a refused request changed the tables")
	}
	// Removing a value the app does not store removes nothing, successfully.
	if r := e.do(http.MethodPatch, "/Users/2", patch(`{"op":"remove","path":"emails[type eq \"home\"]"}`)); r.Status != http.StatusOK {
		t.Errorf("remove of a type not stored = %d %s", r.Status, r.Body)
	}
	if legacytest.Checksum(t, e.dsn, "users") != users {
		t.Error("a remove of nothing changed the users table")
	}
}

// TestAddIfMissing: Okta and Entra set a typed value with a filtered
// path whether or not the user has one yet (Entra's documented
// add-if-missing behaviour). Dave has no e-mail and no phone.
func TestAddIfMissing(t *testing.T) {
	e := newWriteEnv(t)
	for _, tt := range []struct{ body, column, want string }{
		{`{"Operations":[{"op":"Add","path":"emails[type eq \"work\"].value","value":"dave@acme.test"}]}`, "email", "dave@acme.test"},
		{`{"Operations":[{"op":"replace","path":"phoneNumbers[type eq \"work\"].value","value":"+1 555 0105"}]}`, "phone", "+1 555 0105"},
	} {
		if r := e.do(http.MethodPatch, "/Users/5", tt.body); r.Status != http.StatusOK {
			t.Errorf("PATCH %s = %d %s", tt.body, r.Status, r.Body)
		}
		if got := e.query("SELECT " + tt.column + " FROM users WHERE id = 5")[0]; got != tt.want {
			t.Errorf("%s = %q, want %q", tt.column, got, tt.want)
		}
	}
}

// TestClientSchemasAccepted: the schema lists Okta and Entra really send
// are accepted, the enterprise URN included where nothing of it is
// mapped, and Entra's Microsoft URN when it creates a group.
func TestClientSchemasAccepted(t *testing.T) {
	src := string(mustReadFile(t, "testdata/write.yaml"))
	for _, l := range []string{
		"    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department':     { column: department, values: [Engineering, Finance, Design, IT] }\n",
		"    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber': { column: employee_no }\n",
	} {
		if !strings.Contains(src, l) {
			t.Fatalf("write.yaml has no %q", l)
		}
		src = strings.Replace(src, l, "", 1)
	}
	e := newEnvYAML(t, src)
	entraUser := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1","active":true,
		"emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
		"meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"}}`
	if r := e.do(http.MethodPost, "/Users", entraUser); r.Status != http.StatusCreated {
		t.Errorf("Entra's POST /Users = %d %s", r.Status, r.Body)
	}
	if r := e.do(http.MethodPut, "/Users/2", request(t, "okta_put")); r.Status != http.StatusOK {
		t.Errorf("Okta's PUT = %d %s", r.Status, r.Body)
	}
	entraGroup := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
		"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"Entra Group","meta":{"resourceType":"Group"}}`
	// The groups mapping stores no externalId: Entra's default group
	// mapping sends the object id anyway, and the create must go through
	// (the id is ignored; /Schemas does not list externalId).
	if r := e.do(http.MethodPost, "/Groups", entraGroup); r.Status != http.StatusCreated {
		t.Errorf("Entra's POST /Groups = %d %s", r.Status, r.Body)
	}
}

// noOpEnv is write.yaml over the sample schema with an integer version
// column next to updated_at (which the sample declares ON UPDATE
// CURRENT_TIMESTAMP(6)), and attributes whose stored form differs from
// what a client sends: a dateTime, a decimal, a cleartext password.
func noOpEnv(t *testing.T) *env {
	t.Helper()
	src := string(mustReadFile(t, "testdata/write.yaml"))
	for old, new := range map[string]string{
		"meta: { created: created_at, last_modified: updated_at, version: updated_at }": "meta: { created: created_at, last_modified: updated_at, version: row_version }",
		"    userName: { column: login }\n": "    userName: { column: login }\n" +
			"    password: { column: password_hash, hash: none }\n" +
			"    'urn:acme:scim:ext:1.0:User:lastLogin': { column: last_login_at, type: dateTime }\n" +
			"    'urn:acme:scim:ext:1.0:User:quota': { column: quota, type: decimal }\n",
	} {
		if !strings.Contains(src, old) {
			t.Fatalf("write.yaml has no %q", old)
		}
		src = strings.Replace(src, old, new, 1)
	}
	return newEnvYAML(t, src,
		"ALTER TABLE users ADD COLUMN row_version INT NOT NULL DEFAULT 0, ADD COLUMN quota DECIMAL(6,2) NULL",
		"UPDATE users SET last_login_at = '2024-01-01 10:00:00', quota = 1.50, password_hash = 'secret-one' WHERE id = 2")
}

// TestNoOpWritesNothing sends requests whose effect is nil, in the shapes
// Okta and Entra send them, and checks that each writes nothing: the
// tables are byte for byte the same, the version and updated_at (ON
// UPDATE CURRENT_TIMESTAMP) do not move, the ETag stays, no audit entry
// appears. A real change afterwards shows the same checks see a write.
func TestNoOpWritesNothing(t *testing.T) {
	e := noOpEnv(t)
	alice := e.get("/Users/2")
	if alice.Status != http.StatusOK {
		t.Fatalf("GET /Users/2 = %d %s", alice.Status, alice.Body)
	}
	put := string(alice.Body)
	group := e.get("/Groups/1")
	state := func() string {
		return legacytest.Checksum(t, e.dsn, "users") + legacytest.Checksum(t, e.dsn, "user_roles") + legacytest.Checksum(t, e.dsn, "roles") +
			strings.Join(e.query("SELECT row_version, updated_at FROM users WHERE id = 2"), "|") +
			e.query("SELECT COUNT(*) FROM retroscim_audit")[0]
	}
	before := state()
	patch := func(ops string) string { return `{"Operations":[` + ops + `]}` }
	for _, tt := range []struct{ name, method, path, body string }{
		{"same title", http.MethodPatch, "/Users/2", patch(`{"op":"replace","path":"title","value":"Staff Engineer"}`)},
		{"Okta's profile push, unchanged", http.MethodPatch, "/Users/2", patch(`{"op":"replace","value":{"name":{"givenName":"Alice","familyName":"Anders"},"emails":[{"primary":true,"value":"alice@acme.test","type":"work"}],"active":true}}`)},
		{"Entra's active True", http.MethodPatch, "/Users/2", patch(`{"op":"Replace","path":"active","value":"True"}`)},
		{"Entra's add of the same e-mail", http.MethodPatch, "/Users/2", patch(`{"op":"Add","path":"emails[type eq \"work\"].value","value":"alice@acme.test"}`)},
		{"a role in another case", http.MethodPatch, "/Users/2", patch(`{"op":"replace","path":"pantherRole","value":"admin"}`)},
		{"a time with more precision than the column", http.MethodPatch, "/Users/2", patch(`{"op":"replace","path":"urn:acme:scim:ext:1.0:User:lastLogin","value":"2024-01-01T10:00:00.2Z"}`)},
		{"the same time in another zone", http.MethodPatch, "/Users/2", patch(`{"op":"replace","path":"urn:acme:scim:ext:1.0:User:lastLogin","value":"2024-01-01T12:00:00+02:00"}`)},
		{"a decimal written another way", http.MethodPatch, "/Users/2", patch(`{"op":"replace","path":"urn:acme:scim:ext:1.0:User:quota","value":"1.5"}`)},
		{"the same cleartext password", http.MethodPatch, "/Users/2", patch(`{"op":"replace","path":"password","value":"secret-one"}`)},
		{"removing what is not there", http.MethodPatch, "/Users/5", patch(`{"op":"remove","path":"title"}`)},
		{"PUT of the resource as read", http.MethodPut, "/Users/2", put},
		{"adding an existing member", http.MethodPatch, "/Groups/1", patch(`{"op":"add","path":"members","value":[{"value":"2"}]}`)},
		{"removing a non-member", http.MethodPatch, "/Groups/1", patch(`{"op":"remove","path":"members[value eq \"4\"]"}`)},
		{"renaming to the same name", http.MethodPatch, "/Groups/1", patch(`{"op":"replace","value":{"id":"1","displayName":"Admin"}}`)},
		{"PUT of the group as read", http.MethodPut, "/Groups/1", string(group.Body)},
	} {
		r := e.do(tt.method, tt.path, tt.body)
		if r.Status != http.StatusOK && r.Status != http.StatusNoContent {
			t.Errorf("%s: %s %s = %d %s", tt.name, tt.method, tt.path, r.Status, r.Body)
			continue
		}
		if after := state(); after != before {
			t.Errorf("%s wrote something:\n%s\n%s", tt.name, before, after)
			before = after
		}
		if tt.path == "/Users/2" && tt.method == http.MethodPatch && r.Header.Get("ETag") != alice.Header.Get("ETag") {
			t.Errorf("%s: ETag %s, was %s", tt.name, r.Header.Get("ETag"), alice.Header.Get("ETag"))
		}
	}
	if r := e.do(http.MethodPatch, "/Users/2", patch(`{"op":"replace","path":"title","value":"Lead"}`)); r.Status != http.StatusOK || r.Header.Get("ETag") == alice.Header.Get("ETag") {
		t.Fatalf("a real change = %d, ETag %s", r.Status, r.Header.Get("ETag"))
	}
	if state() == before {
		t.Error("a real change left the same state: the checks above see nothing")
	}
}

// TestFirstWinsAddOfAHeldUser: with one group per user and first_wins, an
// add of a user who already has another group leaves the user there; it
// writes nothing and records no change.
func TestFirstWinsAddOfAHeldUser(t *testing.T) {
	e := newEnvYAML(t, singleColumnConfig(t, "first_wins"))
	before := legacytest.Checksum(t, e.dsn, "users")
	if r := e.do(http.MethodPatch, "/Groups/3", `{"Operations":[{"op":"add","path":"members","value":[{"value":"2"}]}]}`); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH = %d %s", r.Status, r.Body)
	}
	if legacytest.Checksum(t, e.dsn, "users") != before || e.roleOf(2) != "1" {
		t.Errorf("Alice's group moved or her row was written: role %s", e.roleOf(2))
	}
	if n := e.query("SELECT COUNT(*) FROM retroscim_audit")[0]; n != "0" {
		t.Errorf("%s audit entries for an add that changed nothing", n)
	}
	// Dave has no group: he is added, and only he is recorded.
	if r := e.do(http.MethodPatch, "/Groups/3", `{"Operations":[{"op":"add","path":"members","value":[{"value":"2"},{"value":"5"}]}]}`); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH = %d %s", r.Status, r.Body)
	}
	if got := e.query("SELECT changes FROM retroscim_audit ORDER BY id DESC LIMIT 1")[0]; got != `{"added":["5"],"removed":[]}` {
		t.Errorf("audit = %s, want Dave alone added", got)
	}
}
