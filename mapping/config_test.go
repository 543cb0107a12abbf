package mapping

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func loadTestConfig(t *testing.T) *Config {
	t.Helper()
	data, err := os.ReadFile("testdata/users.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse("users.yaml", data)
	if err != nil {
		t.Fatalf("Parse(testdata/users.yaml): %v", err)
	}
	return cfg
}

func TestParseDefaults(t *testing.T) {
	cfg := loadTestConfig(t)
	if cfg.Server.Listen != ":8080" || cfg.Server.BasePath != "/scim/v2" {
		t.Errorf("server = %+v", cfg.Server)
	}
	if cfg.Pagination.DefaultCount != 100 || cfg.Pagination.MaxCount != 1000 {
		t.Errorf("pagination = %+v", cfg.Pagination)
	}
	r := cfg.Users
	if r.Create != CreateDeny || r.Delete != DeleteDeactivate {
		t.Errorf("policies = %s/%s, want deny/deactivate", r.Create, r.Delete)
	}
	if len(cfg.Auth.BearerTokens) != 1 || cfg.Auth.BearerTokens[0].Name != "okta" {
		t.Errorf("tokens = %+v", cfg.Auth.BearerTokens)
	}
	if got := len(r.Attributes); got != 13 {
		t.Errorf("len(Attributes) = %d, want 13", got)
	}
}

func TestParseEnv(t *testing.T) {
	t.Setenv("TEST_DSN", "u:p@tcp(db:3306)/app")
	t.Setenv("TEST_TOKEN", "a-long-enough-secret-token")
	src := `
database: { dsn: "${TEST_DSN}" }
auth:
  bearer_tokens:
    - { name: env, token: "${TEST_TOKEN}" }
    - { name: off, token: "${TEST_UNSET_TOKEN:-}" }
users:
  table: users
  scope: all
  attributes:
    userName: { column: "${TEST_COLUMN:-login}" }
`
	cfg, err := Parse("env.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database.DSN != "u:p@tcp(db:3306)/app" {
		t.Errorf("dsn = %q", cfg.Database.DSN)
	}
	if len(cfg.Auth.BearerTokens) != 1 {
		t.Fatalf("tokens = %+v, want only the one whose variable is set", cfg.Auth.BearerTokens)
	}
	if cfg.Users.Attributes[0].Column != "login" {
		t.Errorf("default not applied: %q", cfg.Users.Attributes[0].Column)
	}
	// The secret is hashed, never kept.
	if strings.Contains(strings.ToLower(strings.Join(strings.Fields(cfg.Auth.BearerTokens[0].Name), "")), "secret") {
		t.Error("token leaked into name")
	}
}

// TestParseErrors checks that each broken mapping fails with a message
// naming the file, line and key, and says what to do.
func TestParseErrors(t *testing.T) {
	const head = "database: { dsn: x }\n"
	tests := []struct {
		name string
		src  string
		want string // substring of the error
	}{
		{"yaml syntax", head + "users: [", "t.yaml: "},
		{"unknown top-level key", head + "user:\n  table: users\n", `t.yaml:2: user: unknown key "user", did you mean "users"?`},
		{"unknown key with suggestion", head + `users:
  table: users
  scope: all
  attributes:
    userName: { colum: login }
`, `t.yaml:6: users.attributes.userName.colum: unknown key "colum", did you mean "column"?`},
		{"lookup without tenant in a tenant resource", head + `users:
  table: users
  scope: all
  tenant: org_id
  attributes:
    userName: { column: login }
    urn:ietf:params:scim:schemas:core:2.0:User:role:
      lookup: { table: roles, match: name, column: role_id }
`, `t.yaml:9: users.attributes."urn:ietf:params:scim:schemas:core:2.0:User:role".lookup.tenant: missing: users.tenant is set, so the lookup must only see the caller's tenant's rows of roles: add tenant: <the column of roles that holds the tenant>, or shared: true`},
		{"lookup both tenant and shared", head + `users:
  table: users
  scope: all
  tenant: org_id
  attributes:
    userName: { column: login }
    urn:ietf:params:scim:schemas:core:2.0:User:role:
      lookup: { table: roles, match: name, column: role_id, tenant: org_id, shared: true }
`, `lookup.shared: give tenant (the rows are per tenant) or shared: true (every tenant uses the same rows), not both`},
		{"unknown attribute", head + `users:
  table: users
  scope: all
  attributes:
    usrName: { column: login }
`, `t.yaml:6: users.attributes.usrName: unknown attribute "usrName" in the User schema, did you mean "userName"?`},
		{"duplicate mapping", head + `users:
  table: users
  scope: all
  attributes:
    userName: { column: login }
    urn:ietf:params:scim:schemas:core:2.0:User:userName: { column: email }
`, `t.yaml:7: users.attributes."urn:ietf:params:scim:schemas:core:2.0:User:userName": duplicate mapping: userName is already mapped at line 6`},
		{"missing column", head + `users:
  table: users
  scope: all
  attributes:
    userName: { }
`, `t.yaml:6: users.attributes.userName.column: missing`},
		{"bad identifier", head + `users:
  table: users
  scope: all
  attributes:
    userName: { column: "login; DROP TABLE users" }
`, `t.yaml:6: users.attributes.userName.column: "login; DROP TABLE users" is not a valid column name`},
		{"bad table", head + `users:
  table: "users u"
  scope: all
  attributes:
    userName: { column: login }
`, `t.yaml:3: users.table: "users u" is not a valid table name`},
		{"missing scope", head + `users:
  table: users
  attributes:
    userName: { column: login }
`, `users.scope: missing: say which rows SCIM may see`},
		{"empty scope", head + `users:
  table: users
  scope: {}
  attributes:
    userName: { column: login }
`, `empty scope would expose every row`},
		{"no userName", head + `users:
  table: users
  scope: all
  attributes:
    displayName: { column: name }
`, `userName is not mapped`},
		{"complex without sub", head + `users:
  table: users
  scope: all
  attributes:
    userName: { column: login }
    name: { column: full_name }
`, `name is complex: map its sub-attributes, e.g. name.formatted`},
		{"multi-valued without type", head + `users:
  table: users
  scope: all
  attributes:
    userName: { column: login }
    emails.value: { column: email }
`, `emails is multi-valued: map one typed entry's sub-attribute, e.g. emails[type eq "work"].value`},
		{"reserved active", head + `users:
  table: users
  scope: all
  attributes:
    userName: { column: login }
    active: { column: enabled }
`, `map active with the active: block`},
		{"unknown sub-attribute", head + `users:
  table: users
  scope: all
  attributes:
    userName: { column: login }
    name.firstName: { column: first_name }
`, `name has no sub-attribute "firstName"`},
		{"custom type", head + `users:
  table: users
  scope: all
  attributes:
    userName: { column: login }
    urn:acme:scim:ext:1.0:User:level: { column: lvl, type: number }
`, `"number" is not a SCIM type`},
		{"unqualified custom", head + `users:
  table: users
  scope: all
  attributes:
    userName: { column: login }
    pantherRole: { column: role }
`, `custom attributes are schema-qualified, e.g. urn:ietf:params:scim:schemas:core:2.0:User:pantherRole`},
		{"bad mutability", head + `users:
  table: users
  scope: all
  attributes:
    userName: { column: login, mutability: frozen }
`, `"frozen" is not a mutability`},
		{"bad unique_within", head + `users:
  table: users
  scope: all
  attributes:
    userName: { column: login, unique_within: tenant }
`, `t.yaml:6: users.attributes.userName.unique_within: "tenant" is not a unique_within: use table`},
		{"unique_within without unique", head + `users:
  table: users
  scope: all
  attributes:
    userName: { column: login }
    displayName: { column: name, unique_within: scope }
`, `t.yaml:7: users.attributes.displayName.unique_within: unique_within: scope needs a unique attribute: displayName is not unique`},
		{"bad policy", head + `users:
  table: users
  scope: all
  create: maybe
  attributes:
    userName: { column: login }
`, `t.yaml:5: users.create: "maybe" is not a create policy`},
		{"deactivate needs active", head + `users:
  table: users
  scope: all
  delete: deactivate
  attributes:
    userName: { column: login }
`, `deactivate needs an active column`},
		{"unset env", "database: { dsn: \"${RETROSCIM_TEST_SURELY_UNSET}\" }\n", `t.yaml:1: database.dsn: environment variable RETROSCIM_TEST_SURELY_UNSET is not set`},
		{"wrong type", head + `pagination: { max_count: lots }
users: { table: users, scope: all, attributes: { userName: { column: login } } }
`, `t.yaml:2: pagination.max_count: cannot unmarshal str`},
		{"groups without members", head + `users: { table: users, scope: all, attributes: { userName: { column: login } } }
groups: { table: roles, scope: all, attributes: { displayName: { column: name } } }
`, `t.yaml:3: groups.members: missing: say how the app records memberships`},
		{"groups without displayName", head + `users: { table: users, scope: all, attributes: { userName: { column: login } } }
groups: { table: roles, scope: all, attributes: { externalId: { column: ext } }, members: { column: role_id } }
`, `displayName is not mapped to a column`},
		{"groups deactivate", head + `users: { table: users, scope: all, attributes: { userName: { column: login } } }
groups: { table: roles, scope: all, delete: deactivate, attributes: { displayName: { column: name } }, members: { column: role_id } }
`, `groups cannot be deactivated`},
		{"bad rule", head + `users: { table: users, scope: all, attributes: { userName: { column: login } } }
groups: { table: roles, scope: all, attributes: { displayName: { column: name } }, members: { column: role_id, rule: newest } }
`, `"newest" is not a rule: use first_wins`},
		{"rule with join", head + `users: { table: users, scope: all, attributes: { userName: { column: login } } }
groups: { table: roles, scope: all, attributes: { displayName: { column: name } }, members: { join: { table: ur, user: u, group: g }, rule: last_wins } }
`, `rule applies to the single-column model`},
		{"tenant on one side", head + `auth: { bearer_tokens: [ { name: a, token: "0123456789abcdef", tenant: "1" } ] }
users: { table: users, tenant: org_id, scope: all, attributes: { userName: { column: login } } }
groups: { table: roles, scope: all, attributes: { displayName: { column: name } }, members: { column: role_id } }
`, `users and groups must both have a tenant column or neither`},
		{"members in users", head + `users: { table: users, scope: all, members: { column: x }, attributes: { userName: { column: login } } }
`, `members belongs in the groups section`},
		{"token tenant without tenant column", head + `auth: { bearer_tokens: [ { name: a, token: "0123456789abcdef", tenant: "1" } ] }
users: { table: users, scope: all, attributes: { userName: { column: login } } }
`, `auth.bearer_tokens[0].tenant: has a tenant but users.tenant names no tenant column`},
		{"tenant needs token tenant", head + `auth: { bearer_tokens: [ { name: a, token: "0123456789abcdef" } ] }
users: { table: users, tenant: org_id, scope: all, attributes: { userName: { column: login } } }
`, `every token must name the tenant it acts for`},
		{"short token", head + `auth: { bearer_tokens: [ { name: a, token: "short" } ] }
users: { table: users, scope: all, attributes: { userName: { column: login } } }
`, `at least 16 characters`},
		{"bad sha256", head + `auth: { bearer_tokens: [ { name: a, sha256: "abc" } ] }
users: { table: users, scope: all, attributes: { userName: { column: login } } }
`, `must be 64 hexadecimal characters`},
		{"empty file", "", "the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded, want error containing %q", tt.want)
			}
			var ces ConfigErrors
			if !errors.As(err, &ces) {
				t.Fatalf("error is %T, want ConfigErrors", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error =\n%v\nwant it to contain\n%s", err, tt.want)
			}
		})
	}
}

func TestParseReportsAllErrors(t *testing.T) {
	src := `database: { dsn: x }
users:
  table: users
  scope: all
  attributes:
    userName: { colum: login }
    titel: { column: t }
`
	_, err := Parse("t.yaml", []byte(src))
	var ces ConfigErrors
	if !errors.As(err, &ces) || len(ces) != 2 {
		t.Fatalf("got %v, want two errors", err)
	}
	if ces[0].Line != 6 || ces[1].Line != 7 {
		t.Errorf("lines = %d, %d; want 6, 7", ces[0].Line, ces[1].Line)
	}
}

func TestBind(t *testing.T) {
	cfg := loadTestConfig(t)
	cols := sampleColumns()
	if err := cfg.Bind(map[string][]Column{"users": cols}); err != nil {
		t.Fatalf("Bind: %v", err)
	}
	// Drop a column and misname the table.
	var short []Column
	for _, c := range cols {
		if c.Name != "first_name" {
			short = append(short, c)
		}
	}
	err := loadTestConfig(t).Bind(map[string][]Column{"users": short})
	if err == nil || !strings.Contains(err.Error(), `users.yaml:18: users.attributes."name.givenName".column: column "first_name" does not exist in table "users"`) {
		t.Errorf("Bind without first_name = %v", err)
	}
	err = loadTestConfig(t).Bind(map[string][]Column{"user": cols})
	if err == nil || !strings.Contains(err.Error(), `table "users" does not exist in the database, did you mean "user"?`) {
		t.Errorf("Bind without users table = %v", err)
	}
}
