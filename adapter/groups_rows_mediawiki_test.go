package adapter

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// mediawikiGroupsYAML declares two of MediaWiki's groups; a membership is
// a user_groups row naming the group. The wiki's first account (user 1)
// is outside the scope.
const mediawikiGroupsYAML = `server: { base_path: /scim/v2 }
database: { dsn: x }
auth: { bearer_tokens: [ { name: okta, token: "${RETROSCIM_TOKEN}" } ] }
users:
  table: user
  id: user_id
  scope: { user_id: { not: 1 } }
  create: deny
  delete: deny
  attributes:
    userName: { column: user_name }
    displayName: { column: user_real_name }
groups:
  names: [sysop, bureaucrat]
  rows: { table: user_groups, user: ug_user, name: ug_group }
`

// userGroups is every user_groups row, "user:group:expiry".
func (e *env) userGroups() string {
	e.t.Helper()
	return strings.Join(e.column("SELECT CONCAT(ug_user, ':', ug_group, ':', COALESCE(ug_expiry, '-')) FROM user_groups ORDER BY ug_user, ug_group"), " ")
}

// TestDeclaredGroupsMediaWiki runs Okta's Group Push and Entra's check
// against user_groups: rows of undeclared groups (bot, interface-admin)
// and of the out-of-scope account stay as they are, and a kept row keeps
// its ug_expiry.
func TestDeclaredGroupsMediaWiki(t *testing.T) {
	cfg, err := mapping.Parse("mediawiki.yaml", []byte(mediawikiGroupsYAML))
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("testdata/apps/mediawiki.sql")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, cfg, string(schema))
	g := e.get("/Groups/sysop").json(t)
	if ms := g["members"].([]any); len(ms) != 1 || ms[0].(map[string]any)["value"] != "3" || ms[0].(map[string]any)["display"] != "Bob Berg" {
		t.Errorf("sysop members = %v", g["members"])
	}
	steps := []struct {
		name, method, path, body string
		want                     int
		rows                     string
	}{
		{"add", http.MethodPatch, "/Groups/sysop", memberPatch(`{"op":"add","path":"members","value":[{"value":"2"},{"value":"3"}]}`), 204,
			"1:bureaucrat:- 1:interface-admin:- 1:sysop:- 2:sysop:- 3:sysop:20300101000000 4:bot:-"},
		{"entra add and remove", http.MethodPatch, "/Groups/bureaucrat", memberPatch(`{"op":"Add","path":"members","value":[{"value":"2"},{"value":"3"}]}`, `{"op":"Remove","path":"members","value":[{"value":"3"}]}`), 204,
			"1:bureaucrat:- 1:interface-admin:- 1:sysop:- 2:bureaucrat:- 2:sysop:- 3:sysop:20300101000000 4:bot:-"},
		{"push now replaces all", http.MethodPut, "/Groups/sysop", `{"displayName":"sysop","members":[{"value":"4"}]}`, 200,
			"1:bureaucrat:- 1:interface-admin:- 1:sysop:- 2:bureaucrat:- 4:bot:- 4:sysop:-"},
		{"okta remove", http.MethodPatch, "/Groups/bureaucrat", memberPatch(`{"op":"remove","path":"members[value eq \"2\"]"}`), 204,
			"1:bureaucrat:- 1:interface-admin:- 1:sysop:- 4:bot:- 4:sysop:-"},
	}
	for _, s := range steps {
		if r := e.do(s.method, s.path, s.body); r.Status != s.want {
			t.Fatalf("%s: %d %s", s.name, r.Status, r.Body)
		}
		if got := e.userGroups(); got != s.rows {
			t.Errorf("%s:\n got %s\nwant %s", s.name, got, s.rows)
		}
	}
	for who, want := range map[string]float64{"4": 1, "2": 0, "1": 0} {
		l := e.get("/Groups?attributes=id&filter=" + url.QueryEscape(`id eq "sysop" and members eq "`+who+`"`)).json(t)
		if l["totalResults"] != want {
			t.Errorf("is %s a sysop: %v", who, l)
		}
	}
	before := legacytest.Checksum(t, e.dsn, "user_groups")
	if r := e.do(http.MethodPatch, "/Groups/sysop", memberPatch(`{"op":"add","path":"members","value":[{"value":"2"},{"value":"1"}]}`)); r.Status != http.StatusBadRequest {
		t.Errorf("add the out-of-scope account = %d %s", r.Status, r.Body)
	}
	if r := e.do(http.MethodPost, "/Groups", `{"displayName":"checkuser"}`); r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "kept in user_groups.ug_group") {
		t.Errorf("POST = %d %s", r.Status, r.Body)
	}
	if legacytest.Checksum(t, e.dsn, "user_groups") != before {
		t.Error("a refused request changed user_groups")
	}
}

// TestDeclaredGroupsMediaWikiExpiry: with groups.rows.expiry, a user_groups
// row whose ug_expiry has passed is no membership for any read (the
// group, Entra's check, a filter across groups), an add revives it (NULL:
// no expiry) instead of answering 204 and leaving it expired, a live row
// added again keeps its expiry, and removing a user whose row expired
// writes nothing.
func TestDeclaredGroupsMediaWikiExpiry(t *testing.T) {
	cfg, err := mapping.Parse("mediawiki.yaml", []byte(strings.Replace(mediawikiGroupsYAML,
		"name: ug_group }", "name: ug_group, expiry: { column: ug_expiry, format: yyyymmddhhmmss } }", 1)))
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("testdata/apps/mediawiki.sql")
	if err != nil {
		t.Fatal(err)
	}
	// Alice's bureaucrat and the bot's sysop memberships ended in 2020;
	// Bob's bureaucrat too. Bob's sysop runs until 2030.
	e := newEnvWith(t, cfg, string(schema)+`
INSERT INTO user_groups (ug_user, ug_group, ug_expiry) VALUES
  (2, 'bureaucrat', '20200101000000'), (3, 'bureaucrat', '20200101000000'), (4, 'sysop', '20200101000000');`)
	reads := []struct{ name, path, want string }{
		{"sysop members", "/Groups/sysop?attributes=members", `"members":[{"value":"3"`},
		{"bureaucrat members", "/Groups/bureaucrat?attributes=members", `"members":[]`},
		{"entra: is Alice a bureaucrat", "/Groups?attributes=id&filter=" + url.QueryEscape(`id eq "bureaucrat" and members.value eq "2"`), `"totalResults":0`},
		{"entra: is the bot a sysop", "/Groups?attributes=id&filter=" + url.QueryEscape(`id eq "sysop" and members eq "4"`), `"totalResults":0`},
		{"entra: is Bob a sysop", "/Groups?attributes=id&filter=" + url.QueryEscape(`id eq "sysop" and members eq "3"`), `"totalResults":1`},
		{"Bob's groups", "/Groups?attributes=id&filter=" + url.QueryEscape(`members.value eq "3"`), `"totalResults":1`},
	}
	for _, r := range reads {
		if b := string(e.get(r.path).Body); !strings.Contains(b, r.want) {
			t.Errorf("%s: %s, want %s", r.name, b, r.want)
		}
	}
	if b := string(e.get("/Groups/sysop").Body); strings.Contains(b, `"value":"4"`) {
		t.Errorf("an expired member is listed: %s", b)
	}
	steps := []struct {
		name, method, path, body string
		want                     int
		rows                     string
	}{
		{"add revives the expired row", http.MethodPatch, "/Groups/bureaucrat", memberPatch(`{"op":"add","path":"members","value":[{"value":"2"}]}`), 204,
			"1:bureaucrat:- 1:interface-admin:- 1:sysop:- 2:bureaucrat:- 3:bureaucrat:20200101000000 3:sysop:20300101000000 4:bot:- 4:sysop:20200101000000"},
		{"a live member added again keeps her expiry", http.MethodPatch, "/Groups/sysop", memberPatch(`{"op":"add","path":"members","value":[{"value":"3"}]}`), 204,
			"1:bureaucrat:- 1:interface-admin:- 1:sysop:- 2:bureaucrat:- 3:bureaucrat:20200101000000 3:sysop:20300101000000 4:bot:- 4:sysop:20200101000000"},
		{"removing an expired member writes nothing", http.MethodPatch, "/Groups/bureaucrat", memberPatch(`{"op":"remove","path":"members[value eq \"3\"]"}`), 204,
			"1:bureaucrat:- 1:interface-admin:- 1:sysop:- 2:bureaucrat:- 3:bureaucrat:20200101000000 3:sysop:20300101000000 4:bot:- 4:sysop:20200101000000"},
		{"push now: the bot revived, Bob removed", http.MethodPut, "/Groups/sysop", `{"displayName":"sysop","members":[{"value":"4"}]}`, 200,
			"1:bureaucrat:- 1:interface-admin:- 1:sysop:- 2:bureaucrat:- 3:bureaucrat:20200101000000 4:bot:- 4:sysop:-"},
		{"entra add (new row) and remove", http.MethodPatch, "/Groups/sysop", memberPatch(`{"op":"Add","path":"members","value":[{"value":"2"}]}`, `{"op":"Remove","path":"members","value":[{"value":"4"}]}`), 204,
			"1:bureaucrat:- 1:interface-admin:- 1:sysop:- 2:bureaucrat:- 2:sysop:- 3:bureaucrat:20200101000000 4:bot:-"},
	}
	for _, s := range steps {
		before := legacytest.Checksum(t, e.dsn, "user_groups")
		if r := e.do(s.method, s.path, s.body); r.Status != s.want {
			t.Fatalf("%s: %d %s", s.name, r.Status, r.Body)
		}
		if got := e.userGroups(); got != s.rows {
			t.Errorf("%s:\n got %s\nwant %s", s.name, got, s.rows)
		}
		if strings.Contains(s.name, "writes nothing") || strings.Contains(s.name, "keeps") {
			if legacytest.Checksum(t, e.dsn, "user_groups") != before {
				t.Errorf("%s: user_groups changed", s.name)
			}
		}
	}
	if b := string(e.get("/Groups/bureaucrat?attributes=members").Body); !strings.Contains(b, `"value":"2"`) {
		t.Errorf("the revived member is not listed: %s", b)
	}
}
