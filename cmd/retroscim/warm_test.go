package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/retroscim/retroscim/examples/sample"
	"github.com/retroscim/retroscim/legacy/legacytest"
)

// countsRun is how many COUNT(*) the server at admin reports as run.
func countsRun(t *testing.T, admin string) string {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^retroscim_db_operation_duration_seconds_count\{op="count",outcome="ok"\} (\d+)$`).FindSubmatch(b)
	if m == nil {
		return "0"
	}
	return string(m[1])
}

var sampleCountWarm = regexp.MustCompile(`(?m)^  count_warm: .*\n`)

// TestServeWarmsCounts: with pagination.count_warm, serve counts each
// token tenant's Users and Groups lists at start, so that the first page
// of an import finds its total counted; without it, the first page counts.
func TestServeWarmsCounts(t *testing.T) {
	for _, tt := range []struct {
		name, warm          string
		atStart, afterPage1 string
	}{
		{"count_warm 1h", "  count_warm: 1h\n", "2", "2"},
		{"no count_warm", "", "0", "1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dsn := legacytest.NewDatabase(t, sample.Schema)
			t.Setenv("RETROSCIM_DSN", dsn)
			t.Setenv("RETROSCIM_TOKEN", "warm-test-token-0123456789")
			path := filepath.Join(t.TempDir(), "config.yaml")
			// The sample sets count_warm: each case puts its own in its place.
			cfg := sampleCountWarm.ReplaceAllString(string(sample.Config), tt.warm)
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			addr, log, stop := startServe(t, "--config", path)
			defer stop()
			admin := waitFor(t, log, regexp.MustCompile(`"msg":"serving health and metrics","address":"([^"]+)"`))
			// The start's counts run in the background: wait for them
			// (a second, for the case that has none).
			deadline := time.Now().Add(10 * time.Second)
			if tt.atStart == "0" {
				deadline = time.Now().Add(time.Second)
			}
			for countsRun(t, admin) != tt.atStart && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := countsRun(t, admin); n != tt.atStart {
				t.Fatalf("COUNT(*) run at start: %s, want %s", n, tt.atStart)
			}
			// Tenant 1 has 5 users in scope: a page of 2 needs the total.
			status, body := get(t, "http://"+addr+"/scim/v2/Users?startIndex=1&count=2", "warm-test-token-0123456789")
			if status != http.StatusOK || body["totalResults"] != float64(5) {
				t.Fatalf("page 1: %d, totalResults %v, want 200 and 5", status, body["totalResults"])
			}
			if n := countsRun(t, admin); n != tt.afterPage1 {
				t.Errorf("COUNT(*) run after page 1: %s, want %s", n, tt.afterPage1)
			}
		})
	}
}
