package adapter

import (
	"net/http"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
)

// TestGroupPutSchemas: a PUT of a declared group (groups.names) checks
// the body's schemas as a PUT of a table-backed group does: no schemas,
// an empty list or a foreign schema is 400 invalidSyntax with the same
// detail, and nothing is written.
func TestGroupPutSchemas(t *testing.T) {
	table := newEnv(t)
	declared := newMattermostRolesEnv(t)
	cases := []struct{ name, body, detail string }{
		{"no schemas", `{"displayName":"%s","members":[]}`, "the body has no schemas"},
		{"empty schemas", `{"schemas":[],"displayName":"%s","members":[]}`, "schemas must be a non-empty array"},
		{"user schema", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"%s","members":[]}`, "is not a schema of Groups"},
	}
	for _, tc := range cases {
		for _, target := range []struct {
			kind, path, name, table string
			e                       *env
		}{
			{"table-backed", "/Groups/2", "Admins", "user_roles", table},
			{"declared", "/Groups/system_admin", "system_admin", "Users", declared},
		} {
			t.Run(tc.name+"/"+target.kind, func(t *testing.T) {
				before := legacytest.Checksum(t, target.e.dsn, target.table)
				r := target.e.do(http.MethodPut, target.path, strings.Replace(tc.body, "%s", target.name, 1))
				body := r.json(t)
				if r.Status != http.StatusBadRequest || body["scimType"] != "invalidSyntax" || !strings.Contains(body["detail"].(string), tc.detail) {
					t.Errorf("PUT = %d %s, want 400 invalidSyntax %q", r.Status, r.Body, tc.detail)
				}
				if legacytest.Checksum(t, target.e.dsn, target.table) != before {
					t.Errorf("a refused PUT changed %s", target.table)
				}
			})
		}
	}
}
