package adapter

import (
	"net/http"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/mapping"
)

// TestDeclaredGroupFormats runs each list format's SQL test on MariaDB: a
// member is found, a near miss (another case, a longer name, an entry of
// a nested array or a value) is not, an unreadable value holds nothing and
// is never rewritten, and add then remove gives back the stored bytes.
func TestDeclaredGroupFormats(t *testing.T) {
	tests := []struct {
		format string
		// values of users 1..4: holds dev; near misses; unreadable; empty
		values [4]string
		added  string // user 4 after adding dev
	}{
		{"space_separated", [4]string{"ops  dev", "DEV developer d_v", "", "ops"}, "ops dev"},
		{"comma_separated", [4]string{"ops, dev", "DEV,developer,d%v", "", "ops"}, "ops,dev"},
		{"json_array", [4]string{`["ops", "dev", 3]`, `["DEV", ["dev"], {"dev": 1}]`, `["dev"`, `[]`}, `["dev"]`},
		{"php_array_keys", [4]string{`a:2:{s:3:"ops";b:1;s:3:"dev";b:1;}`, `a:2:{s:3:"DEV";b:1;s:1:"x";s:3:"dev";}`, `a:1:{s:3:"dev";b:1;`, `a:0:{}`}, `a:1:{s:3:"dev";b:1;}`},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			src := `server: { base_path: /scim/v2 }
database: { dsn: x }
auth: { bearer_tokens: [ { name: okta, token: "${RETROSCIM_TOKEN}" } ] }
users:
  table: accounts
  id: id
  scope: all
  attributes:
    userName: { column: login }
groups:
  names: [dev, ops]
  list: { column: roles, format: ` + tt.format + ` }
`
			cfg, err := mapping.Parse("formats.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			schema := "CREATE TABLE accounts (id int PRIMARY KEY, login varchar(50) NOT NULL, roles text) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;\n" +
				"INSERT INTO accounts VALUES (1, 'u1', ?), (2, 'u2', ?), (3, 'u3', ?), (4, 'u4', ?);"
			for _, v := range tt.values {
				schema = strings.Replace(schema, "?", "'"+strings.ReplaceAll(v, "'", "''")+"'", 1)
			}
			e := newEnvWith(t, cfg, schema)
			g := e.get("/Groups/dev").json(t)
			if ms := g["members"].([]any); len(ms) != 1 || ms[0].(map[string]any)["value"] != "1" {
				t.Errorf("dev members = %v, want user 1 only", g["members"])
			}
			if r := e.do(http.MethodPatch, "/Groups/dev", memberPatch(`{"op":"add","path":"members","value":[{"value":"4"}]}`)); r.Status != http.StatusNoContent {
				t.Fatalf("add = %d %s", r.Status, r.Body)
			}
			if got := e.query("SELECT roles FROM accounts WHERE id = 4")[0]; got != tt.added {
				t.Errorf("after add: %q, want %q", got, tt.added)
			}
			if r := e.do(http.MethodPatch, "/Groups/dev", memberPatch(`{"op":"remove","path":"members[value eq \"4\"]"}`)); r.Status != http.StatusNoContent {
				t.Fatalf("remove = %d %s", r.Status, r.Body)
			}
			if got := e.query("SELECT roles FROM accounts WHERE id = 4")[0]; got != tt.values[3] {
				t.Errorf("after add and remove: %q, want the stored %q", got, tt.values[3])
			}
			if tt.values[2] != "" {
				r := e.do(http.MethodPatch, "/Groups/dev", memberPatch(`{"op":"add","path":"members","value":[{"value":"3"}]}`))
				if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "leaves it as it is") {
					t.Errorf("add to an unreadable value = %d %s", r.Status, r.Body)
				}
				if got := e.query("SELECT roles FROM accounts WHERE id = 3")[0]; got != tt.values[2] {
					t.Errorf("unreadable value rewritten: %q", got)
				}
			}
		})
	}
}
