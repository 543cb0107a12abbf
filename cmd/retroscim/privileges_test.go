package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// checkAs runs check --format json with config, connected as the account
// of dsn, and returns the exit code and its privileges findings.
func checkAs(t *testing.T, dsn, config string) (int, []mapping.Finding, string) {
	t.Helper()
	code, rep, path := checkJSON(t, dsn, config)
	var got []mapping.Finding
	for _, f := range rep.Findings {
		if f.Check == "privileges" {
			got = append(got, f)
		}
	}
	return code, got, path
}

// TestCheckPrivileges connects check as accounts with too few grants and
// asserts, per configured policy, exactly what it reports missing and the
// GRANT it proposes; then runs every proposed GRANT as the administrator
// and checks again: the account then has all it needs and nothing is
// reported. Column grants count: an account that may update login and
// email is told only about the other columns.
func TestCheckPrivileges(t *testing.T) {
	policies := strings.NewReplacer(
		"  create: deny\n  delete: deactivate\n", "  create: allow\n  defaults: { plan: free }\n  delete: delete\n",
		"  scope: all\n", "  scope: all\n  create: allow\n  delete: delete\n",
	).Replace(checkConfig)
	groupColumn := strings.Replace(checkConfig, "join: { table: team_members, user: account_id, group: team_id }", "column: team_id", 1)
	tests := []struct {
		name, config, schema string
		grants               []string
		own                  bool // run retroscim migrate first
		// noCreate withholds CREATE on retroscim's tables, which every
		// other case grants so as not to repeat that note.
		noCreate bool
		want     []wantFinding
	}{
		{
			name:   "reads only, some columns updatable",
			config: checkConfig,
			grants: []string{"GRANT SELECT ON {db}.* TO {account}", "GRANT UPDATE (`login`, `email`) ON {db}.`accounts` TO {account}"},
			want: []wantFinding{
				{mapping.SevError, "privileges", "externalId:", "users.attributes.externalId", "has no UPDATE privilege on columns ext_id, enabled of accounts: written by PATCH and PUT of users; written by deactivation and reactivation", "GRANT UPDATE (`ext_id`, `enabled`) ON {db}.`accounts` TO {account};"},
				{mapping.SevError, "privileges", "displayName:", "groups.attributes.displayName", "has no UPDATE privilege on column title of teams: written by PATCH and PUT of groups", "GRANT UPDATE (`title`) ON {db}.`teams` TO {account};"},
				{mapping.SevError, "privileges", "join: {", "groups.members.join", "has no INSERT privilege on columns account_id, team_id of team_members: written when group members are added and removed", "GRANT INSERT (`account_id`, `team_id`) ON {db}.`team_members` TO {account};"},
				{mapping.SevError, "privileges", "join: {", "groups.members.join", "has no DELETE privilege on team_members: removing group members deletes rows", "GRANT DELETE ON {db}.`team_members` TO {account};"},
			},
		},
		{
			name:   "create and delete",
			config: policies,
			grants: []string{"GRANT SELECT, UPDATE ON {db}.* TO {account}", "GRANT INSERT, DELETE ON {db}.`team_members` TO {account}"},
			want: []wantFinding{
				{mapping.SevError, "privileges", "create: allow", "users.create", "has no INSERT privilege on columns login, email, ext_id, plan, source, org_id, enabled, created_at of accounts: written by POST /Users (create: allow)", "GRANT INSERT (`login`, `email`, `ext_id`, `plan`, `source`, `org_id`, `enabled`, `created_at`) ON {db}.`accounts` TO {account};"},
				{mapping.SevError, "privileges", "delete: delete", "users.delete", "has no DELETE privilege on accounts: DELETE /Users/{id} deletes the row (delete: delete)", "GRANT DELETE ON {db}.`accounts` TO {account};"},
				{mapping.SevError, "privileges", "  create: allow\n  delete: delete\n  attributes:\n    displayName", "groups.create", "has no INSERT privilege on columns title, org_id of teams: written by POST /Groups (create: allow)", "GRANT INSERT (`title`, `org_id`) ON {db}.`teams` TO {account};"},
				{mapping.SevError, "privileges", "  delete: delete\n  attributes:\n    displayName", "groups.delete", "has no DELETE privilege on teams: DELETE /Groups/{id} deletes the row (delete: delete)", "GRANT DELETE ON {db}.`teams` TO {account};"},
			},
		},
		{
			name:   "a group column",
			config: groupColumn,
			schema: "ALTER TABLE accounts ADD team_id INT UNSIGNED NULL",
			grants: []string{"GRANT SELECT ON {db}.* TO {account}", "GRANT UPDATE (`login`, `email`, `ext_id`, `enabled`) ON {db}.`accounts` TO {account}", "GRANT UPDATE ON {db}.`teams` TO {account}"},
			want: []wantFinding{
				{mapping.SevError, "privileges", "column: team_id", "groups.members.column", "has no UPDATE privilege on column team_id of accounts: written when group members are added and removed", "GRANT UPDATE (`team_id`) ON {db}.`accounts` TO {account};"},
			},
		},
		{
			name:   "a table the account cannot see",
			config: checkConfig,
			grants: []string{"GRANT SELECT, UPDATE ON {db}.`accounts` TO {account}", "GRANT SELECT, INSERT, DELETE ON {db}.`team_members` TO {account}"},
			want: []wantFinding{
				{mapping.SevError, "privileges", "id: id\n  tenant: org_id\n  scope: all", "groups.id", "has no SELECT privilege on columns id, org_id, title of teams: read by every request; until it is granted those requests fail with 500 (with no privilege at all on a table, the account cannot see it, and check reports it missing)", "GRANT SELECT (`id`, `org_id`, `title`) ON {db}.`teams` TO {account};"},
				{mapping.SevError, "privileges", "displayName:", "groups.attributes.displayName", "has no UPDATE privilege on column title of teams", "GRANT UPDATE (`title`) ON {db}.`teams` TO {account};"},
			},
		},
		{
			name:   "retroscim's tables",
			config: checkConfig,
			own:    true,
			grants: []string{"GRANT SELECT, UPDATE ON {db}.* TO {account}", "GRANT INSERT, DELETE ON {db}.`team_members` TO {account}"},
			want: []wantFinding{
				{mapping.SevError, "privileges", "", "store", "has no INSERT privilege on retroscim_tokens: bearer tokens are checked, recorded as used, created and revoked there", "GRANT INSERT ON {db}.`retroscim_tokens` TO {account};"},
				{mapping.SevError, "privileges", "", "store", "has no INSERT privilege on retroscim_audit: every write is audited there", "GRANT INSERT ON {db}.`retroscim_audit` TO {account};"},
			},
		},
		{
			name:   "a dry run's table",
			config: "server: { dry_run: true }\n" + checkConfig,
			own:    true,
			grants: []string{"GRANT SELECT, UPDATE ON {db}.* TO {account}", "GRANT INSERT, DELETE ON {db}.`team_members` TO {account}",
				"GRANT INSERT ON {db}.`retroscim_tokens` TO {account}", "GRANT INSERT ON {db}.`retroscim_audit` TO {account}"},
			want: []wantFinding{
				{mapping.SevError, "privileges", "", "server.dry_run", "has no INSERT privilege on retroscim_dry_run: a dry run records each would-be change there", "GRANT INSERT ON {db}.`retroscim_dry_run` TO {account};"},
			},
		},
		{
			name:     "no tables of its own, and no CREATE",
			config:   checkConfig,
			noCreate: true,
			grants:   []string{"GRANT SELECT, UPDATE ON {db}.* TO {account}", "GRANT INSERT, DELETE ON {db}.`team_members` TO {account}"},
			want: []wantFinding{
				{mapping.SevNote, "privileges", "", "store", "retroscim's own tables (retroscim_tokens, retroscim_audit) do not exist, and the database account {account} may not create them",
					"GRANT CREATE, SELECT, INSERT, UPDATE ON {db}.`retroscim_tokens` TO {account}; GRANT CREATE, SELECT, INSERT ON {db}.`retroscim_audit` TO {account};"},
			},
		},
		{
			name:   "enough",
			config: checkConfig,
			grants: []string{"GRANT SELECT ON {db}.* TO {account}", "GRANT UPDATE (`login`, `email`, `ext_id`, `enabled`) ON {db}.`accounts` TO {account}", "GRANT UPDATE (`title`) ON {db}.`teams` TO {account}", "GRANT INSERT (`account_id`, `team_id`), DELETE ON {db}.`team_members` TO {account}"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := legacytest.NewDatabase(t, checkSchema, tt.schema)
			if tt.own {
				t.Setenv("RETROSCIM_DSN", root)
				t.Setenv("RETROSCIM_TOKEN", "check-test-token-0123456789")
				path := filepath.Join(t.TempDir(), "config.yaml")
				os.WriteFile(path, []byte(tt.config), 0o600)
				if code, out, errOut := runCmd(t, "", "migrate", "--config", path); code != 0 {
					t.Fatalf("migrate: %d %s %s", code, out, errOut)
				}
			}
			grants := tt.grants
			if !tt.noCreate && !tt.own {
				grants = append(grants, "GRANT CREATE ON {db}.`retroscim_tokens` TO {account}", "GRANT CREATE ON {db}.`retroscim_audit` TO {account}")
			}
			dsn := legacytest.NewAccount(t, root, grants...)
			cfg, _ := mysql.ParseDSN(dsn)
			account, db := "'"+cfg.User+"'@'%'", "`"+cfg.DBName+"`"
			fill := strings.NewReplacer("{account}", account, "{db}", db).Replace
			code, got, path := checkAs(t, dsn, tt.config)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d privileges finding(s), want %d:\n%s", len(got), len(tt.want), describeFindings(got))
			}
			for i, w := range tt.want {
				g := got[i]
				line := 0
				if w.at != "" {
					line = lineIn(tt.config, strings.Split(w.at, "\n")[0])
					if strings.Contains(w.at, "\n") {
						line = strings.Count(tt.config[:strings.Index(tt.config, w.at)], "\n") + 1
					}
				}
				if g.Severity != w.sev || g.File != path || g.Line != line || g.Key != w.key || !strings.Contains(g.Message, fill(w.msg)) || g.Fix != fill(w.fix) {
					t.Errorf("finding %d:\n got %s\nwant %s %s %s:%d %s: ...%s...\n     fix: %s", i, describeFindings([]mapping.Finding{g}), w.sev, w.check, path, line, w.key, fill(w.msg), fill(w.fix))
				}
				if !strings.Contains(g.Message, account) {
					t.Errorf("finding %d does not name the account %s: %s", i, account, g.Message)
				}
			}
			if len(tt.want) == 0 {
				if code != 0 {
					t.Errorf("check as an account with every grant it needs: exit %d", code)
				}
				return
			}
			// The proposed GRANTs, run as the administrator, are all the
			// account lacked.
			for _, f := range got {
				for _, stmt := range strings.SplitAfter(f.Fix, ";") {
					if stmt = strings.TrimSpace(stmt); stmt != "" {
						legacytest.MustExec(t, root, stmt)
					}
				}
			}
			if _, again, _ := checkAs(t, dsn, tt.config); len(again) != 0 {
				t.Errorf("after the proposed GRANTs, check still finds:\n%s", describeFindings(again))
			}
		})
	}
}
