package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
)

// smokeUsers adds 600 users (ids 100-699, one in 50 a local account) to
// the sample's nine, so that an import has several pages.
const smokeUsers = `INSERT INTO users (id, org_id, login, email, first_name, last_name, auth_source, is_active, updated_at)
WITH RECURSIVE s(n) AS (SELECT 100 UNION ALL SELECT n + 1 FROM s WHERE n < 699)
SELECT n, 1, CONCAT('user', n, '@smoke.test'), CONCAT('user', n, '@smoke.test'), 'Given', CONCAT('Family', n),
       IF(n % 50 = 0, 'local', 'saml'), 1, '2024-06-01 00:00:00' FROM s`

// TestSmoke runs the whole tool, as make bench-http does, on a tiny
// database: one short round of every scenario and mapping, and a short
// import. It builds retroscim and starts real servers, so -short skips it.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds retroscim and starts servers")
	}
	schema, err := os.ReadFile("../../examples/sample/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	dsn := legacytest.NewDatabase(t, string(schema), smokeUsers)
	bin := filepath.Join(t.TempDir(), "benchhttp")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "run", "--dsn", dsn, "--pairs", "1", "--duration", "150ms", "--warmup", "50ms", "--conns", "2", "--import", "4")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("benchhttp run: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"database      ", " 609 users, 593 in scope",
		"== GET /Users/{id}, 4 attributes", "== import pages: ", `== GET /Users?filter=userName eq "…" (Okta's lookup), the sample's full mapping`,
		"bare:      SELECT `id`, `is_active`, `created_at`, `updated_at`, `login`, `first_name`, `last_name`, `email` FROM `users` WHERE",
		"== Sequential import, the sample's full mapping",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report has no %q:\n%s", want, out)
		}
	}
	// Every scenario's summary line has a throughput for both servers.
	row := regexp.MustCompile(`(?m)^\| (get|lookup|pages) \| (4|full) \| \d+ µs \| \d+ µs \| [\d.]+ .* \| [\d,]+ req/s \| [\d,]+ req/s \|`)
	if n := len(row.FindAllString(out, -1)); n != 6 {
		t.Errorf("the summary has %d complete rows, want 6:\n%s", n, out)
	}
	// retroscim's features were on: its metrics and its access log saw
	// every request the driver sent.
	features := regexp.MustCompile(`retroscim answered ([\d,]+) requests of this driver; its /metrics counted ([\d,]+) \(200: ([\d,]+)\), its access log ([\d,]+) lines`)
	m := features.FindAllStringSubmatch(out, -1)
	if len(m) != 2 {
		t.Fatalf("the report shows retroscim's counts %d times, want once per mapping:\n%s", len(m), out)
	}
	for _, c := range m {
		if c[1] == "0" || c[1] != c[2] || c[1] != c[3] || c[1] != c[4] {
			t.Errorf("sent, counted by /metrics, answered 200 and logged differ: %s", c[0])
		}
	}
	// The import read 4 pages of 100 from each server.
	imports := regexp.MustCompile(`(?m)^ +1 +(retroscim|bare|bare') +4 +400 `)
	if n := len(imports.FindAllString(out, -1)); n != 3 {
		t.Errorf("the import table has %d rows of 4 pages and 400 rows, want 3:\n%s", n, out)
	}
}
