package adapter

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

const nullUpdateSchema = `
CREATE TABLE people (
  id INT AUTO_INCREMENT PRIMARY KEY,
  login VARCHAR(60) NOT NULL UNIQUE,
  title VARCHAR(60) NULL,
  nick VARCHAR(60) NOT NULL,
  cost VARCHAR(20) NOT NULL DEFAULT 'none',
  level INT NOT NULL DEFAULT 1,
  badge INT NOT NULL,
  hired DATE NULL
);
INSERT INTO people (id, login, title, nick, cost, level, badge, hired) VALUES (1, 'alice', 'Engineer', 'Al', 'CC-7', 5, 42, '2020-02-03');
`

const nullUpdateConfig = `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "` + testToken + `" } ] }
users:
  table: people
  scope: all
  attributes:
    userName: { column: login }
    title: { column: title }
    nickName: { column: nick }
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter': { column: cost }
    'urn:acme:scim:ext:1.0:User:level': { column: level, type: integer }
    'urn:acme:scim:ext:1.0:User:badge': { column: badge, type: integer }
    'urn:acme:scim:ext:1.0:User:hired': { column: hired, type: dateTime }
`

// TestEntraNullUpdate: Entra clears an attribute by replacing it with ""
// or null (its "null update"). The column becomes NULL, or its default,
// or "" for a NOT NULL text column without one (which reads as no value);
// a NOT NULL column of another type without a default is a 400 that names
// it, and changes nothing.
func TestEntraNullUpdate(t *testing.T) {
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
	const acme = "urn:acme:scim:ext:1.0:User:"
	row := "SELECT COALESCE(title, 'NULL'), nick, cost, level, badge, COALESCE(hired, 'NULL') FROM people WHERE id = 1"
	start := []string{"Engineer", "Al", "CC-7", "5", "42", "2020-02-03"}
	for _, tc := range []struct {
		name string
		ops  string
		want []string // the row after, nil for a refusal
	}{
		{"replace a nullable text with \"\"", `{"op":"Replace","path":"title","value":""}`, []string{"NULL", "Al", "CC-7", "5", "42", "2020-02-03"}},
		{"replace with null", `{"op":"Replace","path":"title","value":null}`, []string{"NULL", "Al", "CC-7", "5", "42", "2020-02-03"}},
		{"path-less, dotted key", `{"op":"Replace","value":{"title":""}}`, []string{"NULL", "Al", "CC-7", "5", "42", "2020-02-03"}},
		{"NOT NULL text without a default: empty", `{"op":"Replace","path":"nickName","value":""}`, []string{"Engineer", "", "CC-7", "5", "42", "2020-02-03"}},
		{"enterprise attribute with a column default", `{"op":"Replace","path":"` + ent + `costCenter","value":""}`, []string{"Engineer", "Al", "none", "5", "42", "2020-02-03"}},
		{"an integer with a column default", `{"op":"Replace","path":"` + acme + `level","value":""}`, []string{"Engineer", "Al", "CC-7", "1", "42", "2020-02-03"}},
		{"a date-time", `{"op":"Replace","path":"` + acme + `hired","value":""}`, []string{"Engineer", "Al", "CC-7", "5", "42", "NULL"}},
		{"an integer NOT NULL without a default", `{"op":"Replace","path":"` + acme + `badge","value":""}`, nil},
		{"the same with null, after another change", `{"op":"Replace","path":"title","value":"Lead"},{"op":"Replace","path":"` + acme + `badge","value":null}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := mapping.Parse("null.yaml", []byte(nullUpdateConfig))
			if err != nil {
				t.Fatal(err)
			}
			e := newEnvWith(t, cfg, nullUpdateSchema)
			before := legacytest.Checksum(t, e.dsn, "people")
			r := e.do(http.MethodPatch, "/Users/1", jsonPatch(tc.ops))
			if tc.want == nil {
				if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `column \"badge\" is NOT NULL without a default`) || !strings.Contains(string(r.Body), `"scimType":"invalidValue"`) {
					t.Errorf("%d %s, want 400 invalidValue naming badge", r.Status, r.Body)
				}
				if legacytest.Checksum(t, e.dsn, "people") != before {
					t.Error("a refused null update changed people")
				}
				if got := e.query(row); !cmp.Equal(got, start) {
					t.Errorf("row %v after a refusal", got)
				}
				return
			}
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if got := e.query(row); !cmp.Equal(got, tc.want) {
				t.Errorf("row %v, want %v", got, tc.want)
			}
		})
	}
}
