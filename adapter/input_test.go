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
