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

// wordpressRolesYAML declares two of WordPress's roles as groups: a user
// holds them as keys of the PHP-serialized array in her wp_usermeta row
// whose meta_key is wp_capabilities.
const wordpressRolesYAML = `server: { base_path: /scim/v2 }
database: { dsn: x }
auth: { bearer_tokens: [ { name: okta, token: "${RETROSCIM_TOKEN}" } ] }
users:
  table: wp_users
  id: ID
  scope: { user_status: 0 }
  create: deny
  delete: deny
  attributes:
    userName: { column: user_login }
    displayName: { column: display_name }
groups:
  names: [administrator, editor]
  list:
    column: meta_value
    format: php_array_keys
    related: { table: wp_usermeta, key: user_id, where: { meta_key: wp_capabilities } }
`

// wpCaps is every user's wp_capabilities, "user=value" by user; other
// meta rows are checked apart.
func (e *env) wpCaps() string {
	e.t.Helper()
	return strings.Join(e.column("SELECT CONCAT(user_id, '=', meta_value) FROM wp_usermeta WHERE meta_key = 'wp_capabilities' ORDER BY user_id, umeta_id"), "; ")
}

func (e *env) wpOtherMeta() string {
	e.t.Helper()
	return strings.Join(e.column("SELECT CONCAT(umeta_id, ':', user_id, ':', meta_key, '=', meta_value) FROM wp_usermeta WHERE meta_key <> 'wp_capabilities' ORDER BY umeta_id"), "; ")
}

// TestDeclaredGroupsWordPress runs Okta's Group Push and Entra's check
// against wp_capabilities: roles SCIM does not manage (subscriber,
// bbPress's bbp_participant), site 2's wp_2_capabilities, the other meta
// rows and the out-of-scope administrator stay as they are.
func TestDeclaredGroupsWordPress(t *testing.T) {
	cfg, err := mapping.Parse("wordpress.yaml", []byte(wordpressRolesYAML))
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("testdata/apps/wordpress.sql")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, cfg, string(schema))
	other := e.wpOtherMeta()
	users := legacytest.Checksum(t, e.dsn, "wp_users")

	g := e.get("/Groups/administrator").json(t)
	if ms := g["members"].([]any); len(ms) != 0 {
		t.Errorf("administrator members = %v (the admin is out of scope; site 2 does not count)", ms)
	}
	g = e.get("/Groups/editor").json(t)
	if ms := g["members"].([]any); len(ms) != 1 || ms[0].(map[string]any)["value"] != "3" || ms[0].(map[string]any)["display"] != "Bob Berg" {
		t.Errorf("editor members = %v", g["members"])
	}

	steps := []struct {
		name, method, path, body string
		want                     int
		caps                     string
	}{
		{"add (carol has no row yet)", http.MethodPatch, "/Groups/administrator", memberPatch(`{"op":"add","path":"members","value":[{"value":"2"},{"value":"4"}]}`), 204,
			`1=a:1:{s:13:"administrator";b:1;}; 2=a:2:{s:10:"subscriber";b:1;s:13:"administrator";b:1;}; 3=a:2:{s:6:"editor";b:1;s:15:"bbp_participant";b:1;}; 4=a:1:{s:13:"administrator";b:1;}`},
		{"remove keeps bbp_participant", http.MethodPatch, "/Groups/editor", memberPatch(`{"op":"remove","path":"members[value eq \"3\"]"}`), 204,
			`1=a:1:{s:13:"administrator";b:1;}; 2=a:2:{s:10:"subscriber";b:1;s:13:"administrator";b:1;}; 3=a:1:{s:15:"bbp_participant";b:1;}; 4=a:1:{s:13:"administrator";b:1;}`},
		{"push now replaces all", http.MethodPut, "/Groups/administrator", `{"displayName":"administrator","members":[{"value":"3"}]}`, 200,
			`1=a:1:{s:13:"administrator";b:1;}; 2=a:1:{s:10:"subscriber";b:1;}; 3=a:2:{s:15:"bbp_participant";b:1;s:13:"administrator";b:1;}; 4=a:0:{}`},
		{"no-op", http.MethodPatch, "/Groups/administrator", memberPatch(`{"op":"add","path":"members","value":[{"value":"3"}]}`), 204,
			`1=a:1:{s:13:"administrator";b:1;}; 2=a:1:{s:10:"subscriber";b:1;}; 3=a:2:{s:15:"bbp_participant";b:1;s:13:"administrator";b:1;}; 4=a:0:{}`},
	}
	for _, s := range steps {
		if r := e.do(s.method, s.path, s.body); r.Status != s.want {
			t.Fatalf("%s: %d %s", s.name, r.Status, r.Body)
		}
		if got := e.wpCaps(); got != s.caps {
			t.Errorf("%s:\n got %s\nwant %s", s.name, got, s.caps)
		}
	}
	if got := e.wpOtherMeta(); got != other {
		t.Errorf("other meta rows changed:\n got %s\nwant %s", got, other)
	}
	if got := legacytest.Checksum(t, e.dsn, "wp_users"); got != users {
		t.Error("wp_users changed")
	}
	for who, want := range map[string]float64{"3": 1, "2": 0, "1": 0} {
		l := e.get("/Groups?attributes=id&filter=" + url.QueryEscape(`id eq "administrator" and members.value eq "`+who+`"`)).json(t)
		if l["totalResults"] != want {
			t.Errorf("is %s an administrator: %v", who, l)
		}
	}
	// Adding the out-of-scope admin is refused and changes nothing.
	before := legacytest.Checksum(t, e.dsn, "wp_usermeta")
	if r := e.do(http.MethodPatch, "/Groups/editor", memberPatch(`{"op":"add","path":"members","value":[{"value":"2"},{"value":"1"}]}`)); r.Status != http.StatusBadRequest {
		t.Errorf("add the admin = %d %s", r.Status, r.Body)
	}
	if legacytest.Checksum(t, e.dsn, "wp_usermeta") != before {
		t.Error("a refused PATCH changed wp_usermeta")
	}
}
