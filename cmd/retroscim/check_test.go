package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// checkSchema is an app written without SCIM in mind: accounts with a
// CHAR(1) flag, teams and a join table, every index check wants.
const checkSchema = `
CREATE TABLE accounts (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_id     INT UNSIGNED NOT NULL,
  login      VARCHAR(100) NOT NULL,
  email      VARCHAR(100) NULL,
  ext_id     VARCHAR(64) NULL,
  enabled    CHAR(1) NOT NULL DEFAULT 'Y',
  seats      INT NULL,
  source     VARCHAR(10) NOT NULL DEFAULT 'local',
  plan       VARCHAR(10) NOT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY ix_accounts_org_id (org_id, id),
  UNIQUE KEY uq_accounts_login (org_id, login),
  KEY ix_accounts_ext (org_id, ext_id),
  KEY ix_accounts_email (org_id, email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_general_ci;
CREATE TABLE teams (
  id     INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_id INT UNSIGNED NOT NULL,
  title  VARCHAR(50) NOT NULL,
  KEY ix_teams_org_id (org_id, id), KEY ix_teams_title (org_id, title)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_general_ci;
CREATE TABLE team_members (
  account_id BIGINT UNSIGNED NOT NULL,
  team_id    INT UNSIGNED NOT NULL,
  PRIMARY KEY (account_id, team_id), KEY ix_team (team_id, account_id)
) ENGINE=InnoDB;
INSERT INTO accounts (org_id, login, email, ext_id, source, plan) VALUES
  (1, 'root', NULL, NULL, 'local', 'pro'),
  (1, 'ann@a.test', 'ann@a.test', '00u1', 'sso', 'pro'),
  (1, 'ben@a.test', 'ben@a.test', '00u2', 'sso', 'pro'),
  (1, 'cat@a.test', 'cat@a.test', '00u3', 'sso', 'pro'),
  (2, 'dan@b.test', 'dan@b.test', '00u4', 'sso', 'free');
INSERT INTO teams (org_id, title) VALUES (1, 'Admins'), (1, 'Readers'), (2, 'Admins');
`

// checkConfig maps checkSchema cleanly.
const checkConfig = `database: { dsn: "${RETROSCIM_DSN}" }
auth:
  bearer_tokens:
    - { name: okta, token: "${RETROSCIM_TOKEN}", tenant: "1" }
users:
  table: accounts
  id: id
  tenant: org_id
  scope: { source: sso }
  create: deny
  delete: deactivate
  active: { column: enabled, true: Y, false: N }
  meta: { created: created_at }
  attributes:
    userName: { column: login, max_length: 100 }
    'emails[type eq "work"].value': { column: email, max_length: 100 }
    externalId: { column: ext_id, max_length: 64 }
groups:
  table: teams
  id: id
  tenant: org_id
  scope: all
  attributes:
    displayName: { column: title, max_length: 50 }
  members:
    join: { table: team_members, user: account_id, group: team_id }
`

// manyLocalAccounts adds 2,000 local accounts to tenant 1, so that its
// SSO users are a small part of the table.
const manyLocalAccounts = `INSERT INTO accounts (org_id, login, source, plan)
SELECT 1, CONCAT('local', a.n * 1000 + b.n * 100 + c.n * 10 + d.n), 'local', 'free'
FROM (SELECT 0 n UNION ALL SELECT 1) a,
     (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b,
     (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c,
     (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) d`

// manySSOAccounts adds 50,000 SSO accounts to tenant 1: enough rows in
// scope that counting them row by row is worth an index.
const manySSOAccounts = `INSERT INTO accounts (org_id, login, source, plan)
SELECT 1, CONCAT('sso', a.n * 10000 + b.n * 1000 + c.n * 100 + d.n * 10 + e.n), 'sso', 'free'
FROM (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) a,
     (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b,
     (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c,
     (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) d,
     (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) e`

// checkReport is check's --format json output.
type checkReport struct {
	Findings []mapping.Finding `json:"findings"`
	Scope    []scopeCount      `json:"scope"`
	Errors   int               `json:"errors"`
	Warnings int               `json:"warnings"`
}

// runCheck loads schema into a new database and checks config against it.
func runCheck(t *testing.T, schema, config string, extra ...string) (int, checkReport, string) {
	t.Helper()
	return checkJSON(t, legacytest.NewDatabase(t, append([]string{schema}, extra...)...), config)
}

// checkJSON runs check --format json with config, connected with dsn, and
// returns the exit code, the report and the config file's path.
func checkJSON(t *testing.T, dsn, config string) (int, checkReport, string) {
	t.Helper()
	t.Setenv("RETROSCIM_DSN", dsn)
	t.Setenv("RETROSCIM_TOKEN", "check-test-token-0123456789")
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "", "check", "--config", path, "--format", "json")
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("check output is not JSON (%v): %q %q", err, out, errOut)
	}
	return code, rep, path
}

// lineIn is the 1-based line of the first line of text containing s.
func lineIn(text, s string) int {
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	return 0
}

// wantFinding is a finding a broken mapping must produce: line is the
// config line holding at, message a part of the message, fix the whole fix.
type wantFinding struct {
	sev   mapping.Severity
	check string
	at    string
	key   string
	msg   string
	fix   string
}

// TestCheckFindings breaks a clean mapping (or its schema) one way at a
// time and asserts exactly what check adds to the clean mapping's report.
func TestCheckFindings(t *testing.T) {
	code, clean, _ := runCheck(t, checkSchema, checkConfig)
	if code != 0 || clean.Errors != 0 || clean.Warnings != 0 {
		t.Fatalf("the clean mapping: exit %d, %+v", code, clean)
	}
	wantScope := []scopeCount{
		{Resource: "User", Tenant: "1", InScope: 3, Total: 4},
		{Resource: "User", Tenant: "2", InScope: 1, Total: 1},
		{Resource: "Group", Tenant: "1", InScope: 2, Total: 2},
		{Resource: "Group", Tenant: "2", InScope: 1, Total: 1},
	}
	if fmt.Sprint(clean.Scope) != fmt.Sprint(wantScope) {
		t.Errorf("scope counts = %v, want %v", clean.Scope, wantScope)
	}
	baseline := map[string]bool{}
	for _, f := range clean.Findings {
		if f.Severity != mapping.SevNote {
			t.Errorf("the clean mapping has %s", f.Message)
		}
		baseline[f.Key+"|"+f.Message] = true
	}

	tests := []struct {
		name           string
		config, schema [2]string // replace [0] with [1]
		extra          string
		want           []wantFinding
	}{
		{
			name:   "yaml typo",
			config: [2]string{"userName: { column: login", "userName: { colum: login"},
			want:   []wantFinding{{mapping.SevError, "config", "colum: login", "users.attributes.userName.colum", `unknown key "colum", did you mean "column"?`, ""}},
		},
		{
			name:   "table does not exist",
			config: [2]string{"table: accounts", "table: acounts"},
			want:   []wantFinding{{mapping.SevError, "table", "table: acounts", "users.table", `table "acounts" does not exist in the database, did you mean "accounts"?`, ""}},
		},
		{
			name:   "column does not exist",
			config: [2]string{"column: login,", "column: logn,"},
			want:   []wantFinding{{mapping.SevError, "column", "column: logn", "users.attributes.userName.column", `"logn"`, ""}},
		},
		{
			name:   "text active flag without values",
			config: [2]string{"active: { column: enabled, true: Y, false: N }", "active: { column: enabled }"},
			want:   []wantFinding{{mapping.SevError, "type", "active:", "users.active", "enabled is char(1), but no true/false values are given", ""}},
		},
		{
			name:   "string attribute on an INT column",
			config: [2]string{"    externalId:", "    title: { column: seats }\n    externalId:"},
			want:   []wantFinding{{mapping.SevWarning, "type", "title:", "users.attributes.title", "a string attribute on a number column", ""}},
		},
		{
			name:   "string attribute on a DATETIME column",
			config: [2]string{"    externalId:", "    nickName: { column: created_at }\n    externalId:"},
			want:   []wantFinding{{mapping.SevError, "type", "nickName:", "users.attributes.nickName", "a string attribute on a date column", ""}},
		},
		{
			name:   "create without values for NOT NULL columns and the scope",
			config: [2]string{"create: deny", "create: allow"},
			want:   []wantFinding{{mapping.SevError, "create", "create: allow", "users.defaults", "NOT NULL columns without a default get no value: plan; map them or give them values in users.defaults", ""}},
		},
		{
			name:   "create with defaults",
			config: [2]string{"create: deny", "create: allow\n  defaults: { plan: free }"},
		},
		{
			name:   "max_length larger than the column",
			config: [2]string{"column: login, max_length: 100", "column: login, max_length: 200"},
			want:   []wantFinding{{mapping.SevWarning, "max_length", "max_length: 200", "users.attributes.userName.max_length", "max_length 200 is more than login holds (varchar(100))", ""}},
		},
		{
			name:   "unique_within scope under the app's unique key",
			config: [2]string{"column: login, max_length: 100", "column: login, max_length: 100, unique_within: scope"},
			want: []wantFinding{{mapping.SevWarning, "unique", "userName:", "users.attributes.userName.unique_within",
				"unique_within: scope, but the app's unique key uq_accounts_login covers login in every row of accounts, in the scope or not", ""}},
		},
		{
			name:   "max_length absent",
			config: [2]string{"column: ext_id, max_length: 64", "column: ext_id"},
			want:   []wantFinding{{mapping.SevNote, "max_length", "column: ext_id", "users.attributes.externalId", "no max_length: ext_id is varchar(64), so values over 64 characters are refused with 400", ""}},
		},
		{
			name:   "case-sensitive collation on userName",
			schema: [2]string{"login      VARCHAR(100) NOT NULL", "login      VARCHAR(100) COLLATE utf8mb4_bin NOT NULL"},
			want: []wantFinding{{mapping.SevWarning, "collation", "userName:", "users.attributes.userName",
				"login uses utf8mb4_bin, which is case-sensitive: retroscim folds case with LOWER() on both sides so that userName matches case-insensitively, and LOWER(login) cannot use an index on the column",
				"ALTER TABLE `accounts` MODIFY `login` varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL;"}},
		},
		{
			name:   "no index for userName",
			schema: [2]string{"UNIQUE KEY uq_accounts_login (org_id, login),", ""},
			want: []wantFinding{{mapping.SevWarning, "index", "userName:", "users.attributes.userName", `userName is looked up by Okta or Entra (userName eq "..."), but no index starts with login, alone or after org_id, source (which every lookup fixes)`,
				"CREATE INDEX `ix_accounts_org_id_source_login` ON `accounts` (`org_id`, `source`, `login`);"}},
		},
		{
			name:   "no index for emails",
			schema: [2]string{"KEY ix_accounts_email (org_id, email)", "KEY ix_other (plan)"},
			want: []wantFinding{{mapping.SevWarning, "index", "emails[", `users.attributes.emails[type eq "work"].value`, "no index starts with email, alone or after org_id, source",
				"CREATE INDEX `ix_accounts_org_id_source_email` ON `accounts` (`org_id`, `source`, `email`);"}},
		},
		{
			name:   "no index for the tenant's pages",
			schema: [2]string{"KEY ix_accounts_org_id (org_id, id),", ""},
			want: []wantFinding{{mapping.SevWarning, "index", "tenant: org_id", "users.tenant", "no index starts with (org_id, id)",
				"CREATE INDEX `ix_accounts_org_id_source_id` ON `accounts` (`org_id`, `source`, `id`);"}},
		},
		{
			name:  "selective scope without an index",
			extra: manyLocalAccounts,
			want: []wantFinding{{mapping.SevWarning, "index", "scope: { source: sso }", "users.scope", "4 of 2005 rows are in scope: without an index on (org_id, source, id)",
				"CREATE INDEX `ix_accounts_org_id_source_id` ON `accounts` (`org_id`, `source`, `id`);"}},
		},
		{
			name:   "selective scope with an index",
			schema: [2]string{"KEY ix_accounts_org_id (org_id, id),", "KEY ix_accounts_org_id (org_id, id), KEY ix_accounts_scope (org_id, source, id),"},
			extra:  manyLocalAccounts,
		},
		{
			// totalResults is a COUNT(*) of the rows in scope: with
			// 50,000 of them, an index on what the scope fixes makes
			// it a range scan (and serves the keyset walk).
			name:  "many rows in scope without a counting index",
			extra: manySSOAccounts,
			want: []wantFinding{{mapping.SevWarning, "index", "scope: { source: sso }", "users.scope", "50004 rows are in scope: without an index on (org_id, source, id), each COUNT(*) for totalResults reads every one of them",
				"CREATE INDEX `ix_accounts_org_id_source_id` ON `accounts` (`org_id`, `source`, `id`);"}},
		},
		{
			name:   "many rows in scope with a counting index",
			schema: [2]string{"KEY ix_accounts_org_id (org_id, id),", "KEY ix_accounts_org_id (org_id, id), KEY ix_accounts_count (source, org_id),"},
			extra:  manySSOAccounts,
		},
		{
			name:   "no index for group displayName",
			schema: [2]string{", KEY ix_teams_title (org_id, title)", ""},
			want: []wantFinding{{mapping.SevWarning, "index", "displayName:", "groups.attributes.displayName", "no index starts with title, alone or after org_id",
				"CREATE INDEX `ix_teams_org_id_title` ON `teams` (`org_id`, `title`);"}},
		},
		{
			name:   "no index for a group's members",
			schema: [2]string{", KEY ix_team (team_id, account_id)", ""},
			want: []wantFinding{{mapping.SevWarning, "index", "join: {", "groups.members.join", "no index on team_members starts with team_id: listing a group's members scans the table",
				"CREATE INDEX `ix_team_members_team_id_account_id` ON `team_members` (`team_id`, `account_id`);"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			config, schema := checkConfig, checkSchema
			if tt.config[0] != "" {
				if !strings.Contains(config, tt.config[0]) {
					t.Fatalf("the config has no %q", tt.config[0])
				}
				config = strings.Replace(config, tt.config[0], tt.config[1], 1)
			}
			if tt.schema[0] != "" {
				if !strings.Contains(schema, tt.schema[0]) {
					t.Fatalf("the schema has no %q", tt.schema[0])
				}
				schema = strings.Replace(schema, tt.schema[0], tt.schema[1], 1)
			}
			code, rep, path := runCheck(t, schema, config, tt.extra)
			var got []mapping.Finding
			for _, f := range rep.Findings {
				if !baseline[f.Key+"|"+f.Message] {
					got = append(got, f)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d new finding(s), want %d:\n%s", len(got), len(tt.want), describeFindings(got))
			}
			wantCode := 0
			for i, w := range tt.want {
				g := got[i]
				line := lineIn(config, w.at)
				if g.Severity != w.sev || g.Check != w.check || g.File != path || g.Line != line || g.Key != w.key || !strings.Contains(g.Message, w.msg) || g.Fix != w.fix {
					t.Errorf("finding %d:\n got %s\nwant %s %s %s:%d %s: ...%s...\n     fix: %s", i, describeFindings([]mapping.Finding{g}), w.sev, w.check, path, line, w.key, w.msg, w.fix)
				}
				switch {
				case w.sev == mapping.SevError:
					wantCode = 1
				case w.sev == mapping.SevWarning && wantCode == 0:
					wantCode = 2
				}
			}
			if code != wantCode {
				t.Errorf("exit code %d, want %d", code, wantCode)
			}
		})
	}
}

func describeFindings(fs []mapping.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s %s %s:%d %s: %s\n     fix: %s\n", f.Severity, f.Check, f.File, f.Line, f.Key, f.Message, f.Fix)
	}
	return b.String()
}

// TestCheckText shows the report a DBA reads, and that check changes
// nothing in the database.
func TestCheckText(t *testing.T) {
	dsn := legacytest.NewDatabase(t, checkSchema)
	t.Setenv("RETROSCIM_DSN", dsn)
	t.Setenv("RETROSCIM_TOKEN", "check-test-token-0123456789")
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte(strings.Replace(checkConfig, "column: login, max_length: 100", "column: login, max_length: 200", 1)), 0o600)
	before := legacytest.Checksum(t, dsn, "accounts")
	code, out, _ := runCmd(t, "", "check", "--config", path)
	if code != 2 {
		t.Errorf("exit code %d, want 2 (warnings only)", code)
	}
	for _, want := range []string{
		path + ":15: warning [max_length] users.attributes.userName.max_length: max_length 200 is more than login holds (varchar(100)): values over 100 characters are refused anyway\n",
		"  RESOURCE  TENANT  IN SCOPE  OUTSIDE  TOTAL\n  User      1       3         1        4\n",
		"\n0 error(s), 1 warning(s)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if after := legacytest.Checksum(t, dsn, "accounts"); after != before {
		t.Error("check changed the accounts table")
	}
	if code, _, errOut := runCmd(t, "", "check", "--config", path, "--format", "yaml"); code != 2 || !strings.Contains(errOut, "--format is text or json") {
		t.Errorf("--format yaml: %d %q", code, errOut)
	}
}

// TestCheckShippedConfigs runs check on the top-level config.yaml and on
// every example, each over its own schema.sql: all must be clean.
func TestCheckShippedConfigs(t *testing.T) {
	configs, _ := filepath.Glob("../../examples/*/config.yaml")
	configs = append(configs, "../../config.yaml")
	if len(configs) < 6 {
		t.Fatalf("found %d configurations: %v", len(configs), configs)
	}
	for _, cfg := range configs {
		t.Run(filepath.Base(filepath.Dir(cfg)), func(t *testing.T) {
			real, err := filepath.EvalSymlinks(cfg)
			if err != nil {
				t.Fatal(err)
			}
			schema, err := os.ReadFile(filepath.Join(filepath.Dir(real), "schema.sql"))
			if err != nil {
				t.Fatal(err)
			}
			t.Setenv("RETROSCIM_DSN", legacytest.NewDatabase(t, string(schema)))
			t.Setenv("RETROSCIM_TOKEN", "check-test-token-0123456789")
			code, out, errOut := runCmd(t, "", "check", "--config", cfg)
			if code != 0 {
				t.Errorf("check %s: exit %d\n%s%s", cfg, code, out, errOut)
			}
		})
	}
}
