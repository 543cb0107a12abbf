package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
)

// TestIntrospectEpoch drafts meta: for Gitea's and Mattermost's integer
// times with a unit, which check then accepts.
func TestIntrospectEpoch(t *testing.T) {
	dsn := legacytest.NewDatabase(t,
		"CREATE TABLE `user` (`id` BIGINT PRIMARY KEY AUTO_INCREMENT, `name` VARCHAR(255) NOT NULL, `email` VARCHAR(255) NOT NULL, `created_unix` BIGINT(20), `updated_unix` BIGINT(20));",
		"CREATE TABLE `Users` (`Id` VARCHAR(26) PRIMARY KEY, `Username` VARCHAR(64), `CreateAt` BIGINT(20), `UpdateAt` BIGINT(20));")
	t.Setenv("RETROSCIM_DSN", dsn)
	t.Setenv("RETROSCIM_TOKEN", "introspect-test-token-0123456789")
	for _, tt := range []struct{ table, created, modified string }{
		{"user", "created: { column: created_unix, epoch: seconds }", "last_modified: { column: updated_unix, epoch: seconds }"},
		{"Users", "created: { column: CreateAt, epoch: milliseconds }", "last_modified: { column: UpdateAt, epoch: milliseconds }"},
	} {
		code, out, errOut := runCmd(t, "", "introspect", "--dsn", dsn, "--table", tt.table)
		if code != 0 {
			t.Fatalf("introspect %s: exit %d: %s", tt.table, code, errOut)
		}
		if !strings.Contains(out, tt.created) || !strings.Contains(out, tt.modified) || strings.Contains(out, "version:") {
			t.Errorf("introspect %s drafts meta:\n%s", tt.table, out)
		}
		path := filepath.Join(t.TempDir(), "draft.yaml")
		os.WriteFile(path, []byte(strings.Replace(out, "  scope: TODO", "  scope: all", 1)), 0o600)
		if code, report, _ := runCmd(t, "", "check", "--config", path); code == 1 {
			t.Errorf("check on the %s draft: exit %d:\n%s", tt.table, code, report)
		}
	}
}
