package adapter

import (
	"net/http"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// managerSchema: Alice (1) and Bob (2) are SSO users of tenant 1, Carol
// (3) a local account of tenant 1, Dan (9) an SSO user of tenant 2.
const managerSchema = `
CREATE TABLE staff (
  id INT AUTO_INCREMENT PRIMARY KEY,
  org_id INT NOT NULL,
  login VARCHAR(60) NOT NULL UNIQUE,
  auth_source VARCHAR(10) NOT NULL,
  manager_id INT NULL
);
INSERT INTO staff (id, org_id, login, auth_source, manager_id) VALUES
  (1, 1, 'alice', 'saml', NULL), (2, 1, 'bob', 'saml', 1), (3, 1, 'carol', 'local', NULL), (9, 2, 'dan', 'saml', NULL);
`

const managerConfig = `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "` + testToken + `", tenant: "1" } ] }
users:
  table: staff
  tenant: org_id
  scope: { auth_source: saml }
  create: allow
  attributes:
    userName: { column: login }
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value': { column: manager_id }
`

func newManagerEnv(t *testing.T) *env {
	t.Helper()
	cfg, err := mapping.Parse("manager.yaml", []byte(managerConfig))
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, managerSchema)
}

const managerPath = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"

// TestManagerRendered: the manager is a reference, with its $ref.
func TestManagerRendered(t *testing.T) {
	e := newManagerEnv(t)
	r := e.get("/Users/2")
	ext, _ := r.json(t)[mapping.EnterpriseUserSchema].(map[string]any)
	m, _ := ext["manager"].(map[string]any)
	if m["value"] != "1" || !strings.HasSuffix(m["$ref"].(string), "/scim/v2/Users/1") {
		t.Errorf("manager = %v in %s", m, r.Body)
	}
}

// TestManagerWrites sends Entra's manager shapes to Alice (id 1) and
// checks staff.manager_id.
func TestManagerWrites(t *testing.T) {
	for _, tc := range []struct {
		name, ops, want string
	}{
		{"Entra's bare string", `{"op":"Add","path":"` + managerPath + `","value":"2"}`, "2"},
		{"the object form", `{"op":"Replace","path":"` + managerPath + `","value":{"value":"2"}}`, "2"},
		{"the sub-attribute path", `{"op":"Replace","path":"` + managerPath + `.value","value":"2"}`, "2"},
		{"path-less, in the extension", `{"op":"Replace","value":{"` + mapping.EnterpriseUserSchema + `":{"manager":"2"}}}`, "2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newManagerEnv(t)
			if r := e.do(http.MethodPatch, "/Users/1", jsonPatch(tc.ops)); r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if got := e.query("SELECT COALESCE(manager_id, 'NULL') FROM staff WHERE id = 1")[0]; got != tc.want {
				t.Errorf("manager_id = %s, want %s", got, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, ops string }{
		{"Entra's remove", `{"op":"Remove","path":"` + managerPath + `"}`},
		{"replace with null", `{"op":"Replace","path":"` + managerPath + `","value":null}`},
		{"replace with \"\"", `{"op":"Replace","path":"` + managerPath + `","value":""}`},
		{"the object with an empty value", `{"op":"Replace","path":"` + managerPath + `","value":{"value":""}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newManagerEnv(t)
			if r := e.do(http.MethodPatch, "/Users/2", jsonPatch(tc.ops)); r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if got := e.query("SELECT COALESCE(manager_id, 'NULL') FROM staff WHERE id = 2")[0]; got != "NULL" {
				t.Errorf("manager_id = %s, want NULL", got)
			}
		})
	}
}

// TestManagerRefused: a manager outside the scope, in another tenant,
// unknown, not an id, or the user itself is 400 invalidValue, nothing
// changed.
func TestManagerRefused(t *testing.T) {
	e := newManagerEnv(t)
	for _, tc := range []struct{ name, method, path, body, detail string }{
		{"a local account", http.MethodPatch, "/Users/1", jsonPatch(`{"op":"Add","path":"` + managerPath + `","value":"3"}`), `manager: \"3\" is not a user this server manages`},
		{"another tenant's user", http.MethodPatch, "/Users/1", jsonPatch(`{"op":"Replace","path":"` + managerPath + `","value":{"value":"9"}}`), `manager: \"9\" is not a user`},
		{"no such user", http.MethodPatch, "/Users/1", jsonPatch(`{"op":"Add","path":"` + managerPath + `","value":"999"}`), `manager: \"999\"`},
		{"not an id", http.MethodPatch, "/Users/1", jsonPatch(`{"op":"Add","path":"` + managerPath + `","value":"bob"}`), `\"bob\" is not one`},
		{"its own manager", http.MethodPatch, "/Users/1", jsonPatch(`{"op":"Add","path":"` + managerPath + `","value":"1"}`), "cannot be its own manager"},
		{"a create with an outside manager", http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","` + mapping.EnterpriseUserSchema + `"],"userName":"erin","` + mapping.EnterpriseUserSchema + `":{"manager":{"value":"9"}}}`, `manager: \"9\"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := legacytest.Checksum(t, e.dsn, "staff")
			r := e.do(tc.method, tc.path, tc.body)
			if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"scimType":"invalidValue"`) || !strings.Contains(string(r.Body), tc.detail) {
				t.Errorf("%d %s, want 400 invalidValue with %q", r.Status, r.Body, tc.detail)
			}
			if legacytest.Checksum(t, e.dsn, "staff") != before {
				t.Error("a refused manager changed staff")
			}
		})
	}
	// A create with an in-scope manager stores it.
	r := e.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","`+mapping.EnterpriseUserSchema+`"],"userName":"erin","`+mapping.EnterpriseUserSchema+`":{"manager":{"value":"2"}}}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST: %d %s", r.Status, r.Body)
	}
	if got := e.query("SELECT manager_id FROM staff WHERE login = 'erin'")[0]; got != "2" {
		t.Errorf("created manager_id = %s", got)
	}
}
