package mapping

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// configCase is one edit of the sample config.yaml, fed to both the JSON
// Schema and the loader.
type configCase struct {
	name string
	// old and new edit the sample: the first old is replaced by new.
	old, new string
	// valid says whether both must accept the result.
	valid bool
	// at is text on the line the loader's first message must name, and
	// msg text that message must contain (broken configs only).
	at, msg string
}

var configCases = []configCase{
	// Unknown and mistyped keys.
	{name: "unknown top-level key", old: "pagination:", new: "paginaton:", at: "paginaton:", msg: `unknown key "paginaton", did you mean "pagination"?`},
	{name: "mistyped database key", old: "max_open_conns: 20", new: "max_open_con: 20", at: "max_open_con:", msg: `did you mean "max_open_conns"?`},
	{name: "mistyped attribute key", old: "{ column: first_name }", new: "{ colum: first_name }", at: "colum:", msg: `unknown key "colum"`},
	{name: "unknown members key", old: "join: { table: user_roles", new: "joins: { table: user_roles", at: "joins:", msg: `unknown key "joins"`},
	{name: "unknown key in a token", old: "tenant: \"1\"", new: "tennant: \"1\"", at: "tennant:", msg: `did you mean "tenant"?`},
	// Wrong types.
	{name: "text for a number", old: "max_open_conns: 20", new: "max_open_conns: many", at: "max_open_conns:", msg: "cannot unmarshal"},
	{name: "quoted number", old: "max_count: 1000", new: `max_count: "1000"`, at: "max_count:", msg: "cannot unmarshal"},
	{name: "number for a duration", old: "query_timeout: 5s", new: "query_timeout: 5", at: "query_timeout:", msg: "cannot unmarshal"},
	{name: "not a duration", old: "query_timeout: 5s", new: "query_timeout: 5 seconds", at: "query_timeout:", msg: "cannot unmarshal"},
	{name: "negative duration", old: "query_timeout: 5s", new: "query_timeout: -5s", at: "database:", msg: "must be positive"},
	{name: "list for a section", old: "pagination:\n  default_count: 100\n  max_count: 1000\n  count_warm: 24h", new: "pagination: [100, 1000]", at: "pagination:", msg: "expected a mapping of keys"},
	{name: "text for an attribute", old: "{ column: first_name }", new: "first_name", at: "name.givenName:", msg: "expected a mapping of keys"},
	{name: "negative pool size", old: "max_open_conns: 20", new: "max_open_conns: -1", at: "database:", msg: "must not be negative"},
	{name: "text for a boolean", old: "{ column: job_title }", new: "{ column: job_title, required: maybe }", at: "job_title", msg: "cannot unmarshal"},
	{name: "column name with a space", old: "{ column: first_name }", new: `{ column: "first name" }`, at: "first name", msg: "not a valid column name"},
	{name: "public_url without scheme", old: "# public_url: https://scim.example.com", new: "public_url: scim.example.com", at: "server:", msg: "must start with http://"},
	{name: "empty scope", old: "scope:                         # the ONLY rows SCIM sees or changes: JIT-created SSO users\n    auth_source: saml", new: "scope: {}", at: "scope: {}", msg: "empty scope"},
	{name: "scope not decided", old: "scope:                         # the ONLY rows SCIM sees or changes: JIT-created SSO users\n    auth_source: saml", new: "scope: TODO", at: "scope: TODO", msg: "not decided yet"},
	{name: "sha256 and token", old: `token: "${RETROSCIM_TOKEN}"`, new: `token: "${RETROSCIM_TOKEN}"` + "\n      sha256: " + strings.Repeat("ab", 32), at: "auth:", msg: "either sha256 or token"},
	{name: "column and lookup", old: "{ column: job_title }", new: "{ column: job_title, lookup: { table: titles, match: name, column: title_id } }", at: "job_title", msg: "column or lookup, not both"},
	// Bad enum values.
	{name: "bad create policy", old: "create: deny", new: "create: never", at: "create: never", msg: `"never" is not a create policy`},
	{name: "bad delete policy", old: "delete: deactivate", new: "delete: remove", at: "delete: remove", msg: `"remove" is not a delete policy`},
	{name: "groups cannot be deactivated", old: "delete: delete ", new: "delete: deactivate ", at: "delete: deactivate      ", msg: "groups cannot be deactivated"},
	{name: "bad id format", old: "  id: id\n", new: "  id: { column: id, generate: ulid }\n", at: "generate: ulid", msg: `"ulid" is not an id format`},
	{name: "mistyped id key", old: "  id: id\n", new: "  id: { column: id, generat: mattermost }\n", at: "generat:", msg: `unknown key "generat"`},
	{name: "bad mutability", old: "{ column: okta_id }", new: "{ column: okta_id, mutability: writeOnce }", at: "okta_id", msg: `"writeOnce" is not a mutability`},
	{name: "bad unique_within", old: "{ column: okta_id }", new: "{ column: okta_id, unique_within: tenant }", at: "okta_id", msg: `"tenant" is not a unique_within`},
	{name: "bad custom type", old: "{ column: employee_no }", new: "{ column: employee_no }\n    'urn:ietf:params:scim:schemas:core:2.0:User:badge': { column: badge_no, type: int }", at: "badge_no", msg: "int"},
	{name: "bad membership rule", old: "join: { table: user_roles, user: user_id, group: role_id }", new: "column: role_id\n    rule: newest_wins", at: "rule:", msg: `"newest_wins" is not a rule`},
	// Missing required keys.
	{name: "missing users table", old: "  table: users\n", new: "", at: "id: id", msg: "users.table"},
	{name: "missing scope", old: "  scope:                         # the ONLY rows SCIM sees or changes: JIT-created SSO users\n    auth_source: saml\n", new: "", at: "table: users", msg: "users.scope: missing"},
	{name: "missing dsn", old: `dsn: "${RETROSCIM_DSN}"`, new: "max_idle_conns: 5", at: "database:", msg: "database.dsn: missing"},
	{name: "missing members", old: "  members:\n    join: { table: user_roles, user: user_id, group: role_id }\n", new: "", at: "table: roles", msg: "groups.members: missing"},
	{name: "attribute without column", old: "{ column: job_title }", new: "{ mutability: readOnly }", at: "title:", msg: "column: missing"},
	{name: "lookup without match", old: "{ column: job_title }", new: "{ lookup: { table: titles, column: title_id } }", at: "titles", msg: "needs table, match and column"},
	{name: "related without key", old: "{ column: job_title }", new: "{ column: title, related: { table: profiles } }", at: "profiles", msg: "needs table and key"},
	{name: "related with a quote in where", old: "{ column: job_title }", new: `{ column: title, related: { table: profiles, key: user_id, where: { kind: "it's" } } }`, at: "profiles", msg: "expected an integer or a plain word"},
	{name: "mistyped related key", old: "{ column: job_title }", new: "{ column: title, related: { table: profiles, key: user_id, wher: { kind: 1 } } }", at: "profiles", msg: `unknown key "wher"`},
	// What both accept.
	{name: "the sample as shipped", valid: true},
	{name: "no value: unset", old: "max_open_conns: 20", new: "max_open_conns:", valid: true},
	{name: "a number where text goes", old: `tenant: "1"`, new: "tenant: 1", valid: true},
	{name: "enum from the environment", old: "create: deny", new: `create: "${RETROSCIM_CREATE:-deny}"`, valid: true},
	{name: "duration from the environment", old: "query_timeout: 5s", new: `query_timeout: "${RETROSCIM_QUERY_TIMEOUT:-3s}"`, valid: true},
	{name: "deactivation deletes", old: "active: { column: is_active, true: 1, false: 0 }", new: "active: { deactivate: delete }", valid: true},
	{name: "scope with null and not", old: "auth_source: saml", new: "auth_source: [saml, oidc]\n    sso_subject: { not: null }", valid: true},
	{name: "true may be a list", old: "true: 1, false: 0", new: "true: [1, 2], false: 0", valid: true},
	{name: "a related row", old: "{ column: job_title }", new: "{ column: title, related: { table: profiles, key: user_id, where: { kind: work, is_default: true }, first_by: id } }", valid: true},
	{name: "an id format", old: "  id: id\n", new: "  id: { column: id, generate: uuid_hex, copy_to: [login] }\n", valid: true},
	{name: "membership column", old: "join: { table: user_roles, user: user_id, group: role_id }", new: "column: role_id\n    rule: last_wins", valid: true},
}

// TestSchemaAndLoaderAgree feeds the same configs to the JSON Schema an
// editor uses and to the loader that serve, check, explain and demo use:
// both accept or both refuse, and the loader says where, as file:line.
func TestSchemaAndLoaderAgree(t *testing.T) {
	t.Setenv("RETROSCIM_DSN", "app:secret@tcp(127.0.0.1:3306)/app")
	t.Setenv("RETROSCIM_TOKEN", "a-token-of-at-least-16-characters")
	schema := compileSchema(t)
	sample, err := os.ReadFile("../examples/sample/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	located := regexp.MustCompile(`^config\.yaml:(\d+): `)
	for _, tc := range configCases {
		t.Run(tc.name, func(t *testing.T) {
			src := string(sample)
			if tc.old != "" {
				if !strings.Contains(src, tc.old) {
					t.Fatalf("the sample has no %q to edit", tc.old)
				}
				src = strings.Replace(src, tc.old, tc.new, 1)
			}
			schemaErr := schema.Validate(yamlInstance(t, []byte(src)))
			_, loadErr := Parse("config.yaml", []byte(src))
			if tc.valid {
				if schemaErr != nil {
					t.Errorf("the schema refuses it:\n%v", schemaErr)
				}
				if loadErr != nil {
					t.Errorf("the loader refuses it:\n%v", loadErr)
				}
				return
			}
			if schemaErr == nil {
				t.Errorf("the schema accepts it; the loader says:\n%v", loadErr)
			}
			if loadErr == nil {
				t.Fatalf("the loader accepts it; the schema says:\n%v", schemaErr)
			}
			first, _, _ := strings.Cut(loadErr.Error(), "\n")
			m := located.FindStringSubmatch(first)
			if m == nil {
				t.Fatalf("loader message %q does not start with config.yaml:<line>:", first)
			}
			if want := lineWith(t, src, tc.at); m[1] != strconv.Itoa(want) {
				t.Errorf("loader message %q names line %s, want %d (the line with %q)", first, m[1], want, tc.at)
			}
			if !strings.Contains(first, tc.msg) {
				t.Errorf("loader message %q does not say %q", first, tc.msg)
			}
		})
	}
}

// lineWith is the 1-based number of the first line of src, comments
// aside, that contains s.
func lineWith(t *testing.T, src, s string) int {
	t.Helper()
	for i, l := range strings.Split(src, "\n") {
		if !strings.HasPrefix(l, "#") && strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("no line contains %q", s)
	return 0
}
