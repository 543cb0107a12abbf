package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/retroscim/retroscim/examples/sample"
	"github.com/retroscim/retroscim/legacy/legacytest"
)

// patchTitle sends Okta's profile push of a title and returns the status,
// the Warning header and the title answered.
func patchTitle(t *testing.T, addr, token, title string) (int, string, any) {
	t.Helper()
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"title":"` + title + `"}}]}`
	req, _ := http.NewRequest(http.MethodPatch, "http://"+addr+"/scim/v2/Users/2", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, resp.Header.Get("Warning"), m["title"]
}

// TestDryRunThenLive: serve starts in dry run (server.dry_run), writes
// nothing, records the would-be change for retroscim report; a SIGHUP
// with dry_run removed goes live without a restart. With --dry-run, a
// reload cannot switch the dry run off.
func TestDryRunThenLive(t *testing.T) {
	dsn := legacytest.NewDatabase(t, sample.Schema)
	const token = "dryrun-test-token-0123456789"
	t.Setenv("RETROSCIM_DSN", dsn)
	t.Setenv("RETROSCIM_TOKEN", token)
	live := string(sample.Config)
	dry := strings.Replace(live, "  base_path: /scim/v2\n", "  base_path: /scim/v2\n  dry_run: true\n", 1)
	if dry == live {
		t.Fatal("the sample configuration has no base_path line to add dry_run after")
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	write := func(content string) {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(dry)
	if code, out, errOut := runCmd(t, "", "migrate", "--config", path); code != 0 || !strings.Contains(out, "created `retroscim_dry_run`") {
		t.Fatalf("migrate: %d %q %q", code, out, errOut)
	}
	addr, log, stopServe := startServe(t, "--config", path)
	stopped := false
	stop := func() int { stopped = true; return stopServe() }
	defer func() {
		if !stopped {
			stop()
		}
	}()
	if !strings.Contains(log.String(), "dry run: requests are served by the real code but nothing is written") {
		t.Errorf("the log does not say it is a dry run:\n%s", log.String())
	}
	if status, warning, title := patchTitle(t, addr, token, "CTO"); status != 200 || warning != `199 - "dry run: nothing was written"` || title != "CTO" {
		t.Errorf("dry-run PATCH = %d %q title %v", status, warning, title)
	}
	if got := legacytest.Row(t, dsn, "SELECT job_title FROM users WHERE id = 2"); got[0] != "Staff Engineer" {
		t.Errorf("a dry run wrote the title: %v", got)
	}
	hup := func(content, wantLog string) {
		t.Helper()
		write(content)
		before := strings.Count(log.String(), wantLog)
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(log.String(), wantLog) == before {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the log:\n%s", wantLog, log.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	hup(live, "dry run over: writes are live from now on")
	if status, warning, title := patchTitle(t, addr, token, "CTO"); status != 200 || warning != "" || title != "CTO" {
		t.Errorf("live PATCH = %d %q title %v", status, warning, title)
	}
	if got := legacytest.Row(t, dsn, "SELECT job_title FROM users WHERE id = 2"); got[0] != "CTO" {
		t.Errorf("after going live the title is %v", got)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited %d", code)
	}

	code, out, errOut := runCmd(t, "", "report", "--since", "1h", "--config", path)
	if code != 0 || !strings.Contains(out, "1 write requests recorded") || !strings.Contains(out, "title  job_title  1 change on 1 row") {
		t.Errorf("report: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCmd(t, "", "report", "--since", "1h", "--format", "json", "--config", path)
	var rep dryRunReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Tenants) != 1 || rep.Tenants[0].Changes["User"]["update"] != 1 {
		t.Errorf("report --format json: %d %q", code, out)
	}
	if code, _, errOut := runCmd(t, "", "report", "--format", "yaml", "--config", path); code != 2 || !strings.Contains(errOut, "use text or json") {
		t.Errorf("report --format yaml: %d %q", code, errOut)
	}

	// --dry-run wins over the file, on start and on reload.
	addr, log, stopServe = startServe(t, "--config", path, "--dry-run")
	defer stopServe()
	hup(live, "configuration reloaded")
	if status, warning, _ := patchTitle(t, addr, token, "CEO"); status != 200 || warning == "" {
		t.Errorf("PATCH under --dry-run after a reload = %d %q", status, warning)
	}
	if got := legacytest.Row(t, dsn, "SELECT job_title FROM users WHERE id = 2"); got[0] != "CTO" {
		t.Errorf("--dry-run wrote the title: %v", got)
	}
}

// TestDryRunNeedsItsTable: a dry run does not start without the table
// its records go to.
func TestDryRunNeedsItsTable(t *testing.T) {
	dsn := legacytest.NewDatabase(t, sample.Schema)
	t.Setenv("RETROSCIM_DSN", dsn)
	t.Setenv("RETROSCIM_TOKEN", "dryrun-test-token-0123456789")
	t.Setenv("RETROSCIM_ADMIN_LISTEN", "127.0.0.1:0")
	if code, _, errOut := runCmd(t, "", "migrate", "--config", "../../config.yaml"); code != 0 {
		t.Fatalf("migrate: %d %q", code, errOut)
	}
	legacytest.MustExec(t, dsn, "DROP TABLE retroscim_dry_run")
	code, _, errOut := runCmd(t, "", "serve", "--config", "../../config.yaml", "--listen", "127.0.0.1:0", "--dry-run")
	if code != 1 || !strings.Contains(errOut, "dry-run table `retroscim_dry_run` does not exist yet: run retroscim migrate") {
		t.Errorf("serve --dry-run without its table: %d %q", code, errOut)
	}
}
