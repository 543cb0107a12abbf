package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/examples/sample"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/legacy/legacytest/golden"
)

// TestIntrospect drafts a mapping for the sample app, compares it with
// the golden draft, and follows the DBA's next steps: check refuses the
// draft until the scope is decided, and accepts it after.
func TestIntrospect(t *testing.T) {
	dsn := legacytest.NewDatabase(t, sample.Schema)
	t.Setenv("RETROSCIM_DSN", dsn)
	t.Setenv("RETROSCIM_TOKEN", "introspect-test-token-0123456789")
	code, out, errOut := runCmd(t, "", "introspect", "--dsn", dsn, "--table", "users", "--roles-table", "roles", "--members-table", "user_roles")
	if code != 0 {
		t.Fatalf("introspect: exit %d: %s", code, errOut)
	}
	dated := regexp.MustCompile(`on \d{4}-\d{2}-\d{2}\.`)
	if !dated.MatchString(out) {
		t.Errorf("the draft does not say when it was written:\n%s", out)
	}
	golden.Compare(t, filepath.Join("testdata", "introspect", "sample.yaml"), []byte(dated.ReplaceAllString(out, "on YYYY-MM-DD.")))
	if strings.Contains(out, "password_hash: {") {
		t.Error("the draft maps the password hash")
	}

	path := filepath.Join(t.TempDir(), "draft.yaml")
	os.WriteFile(path, []byte(out), 0o600)
	code, report, _ := runCmd(t, "", "check", "--config", path)
	if want := fmt.Sprintf("%s:%d: error [config] users.scope: not decided yet", path, lineIn(out, "scope: TODO")); code != 1 || !strings.Contains(report, want) {
		t.Errorf("check on the undecided draft lacks %q:\n%s", want, report)
	}
	if code, _, errOut := runCmd(t, "", "serve", "--config", path); code != 1 || !strings.Contains(errOut, "users.scope: not decided yet") {
		t.Errorf("serve on the undecided draft: exit %d %q", code, errOut)
	}

	// Scope decided: accepted, with the advice that login has no index
	// of its own (the app's is (org_id, login)).
	decided := strings.Replace(out, "  scope: TODO", "  scope: { auth_source: saml }", 1)
	os.WriteFile(path, []byte(decided), 0o600)
	code, report, _ = runCmd(t, "", "check", "--config", path)
	if code != 2 || !strings.Contains(report, "no index starts with login") {
		t.Errorf("check on the decided draft: exit %d:\n%s", code, report)
	}
	// With the tenant the draft suggests, and a token for tenant 1: clean.
	tenanted := regexp.MustCompile(`(?m)^  # tenant: org_id .*$`).ReplaceAllString(decided, "  tenant: org_id")
	tenanted = strings.Replace(tenanted, `token: "${RETROSCIM_TOKEN}" }`, `token: "${RETROSCIM_TOKEN}", tenant: "1" }`, 1)
	os.WriteFile(path, []byte(tenanted), 0o600)
	if code, report, _ = runCmd(t, "", "check", "--config", path); code != 0 {
		t.Errorf("check on the draft with its tenant: exit %d:\n%s", code, report)
	}

	if code, _, errOut := runCmd(t, "", "introspect", "--dsn", dsn, "--table", "nope"); code != 1 || !strings.Contains(errOut, "nope") {
		t.Errorf("introspect of a missing table: exit %d %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "", "introspect", "--table", "users"); code != 2 || !strings.Contains(errOut, "usage: retroscim introspect") {
		t.Errorf("introspect without --dsn: exit %d %q", code, errOut)
	}
}
