package adapter

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// metricsEnv serves the sample app with metrics, /metrics on the API
// listener (no admin_listen).
func metricsEnv(t *testing.T) *env {
	t.Helper()
	cfg, err := mapping.LoadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics()
	return newEnvOptions(t, cfg, legacy.Options{Observer: m}, Options{Metrics: m}, sampleSchema(t))
}

// scrape returns the /metrics text.
func (e *env) scrape() string {
	e.t.Helper()
	resp, err := http.Get(e.root() + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("/metrics = %d %s", resp.StatusCode, b)
	}
	return string(b)
}

// series returns the sample lines of one metric (a counter's series, or
// a histogram's _count series).
func series(text, name string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, name+"{") {
			out = append(out, l)
		}
	}
	return out
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestMetricLabelsBounded sends 100 requests with invented 20 KB methods
// and random paths: the request metrics keep a handful of series (issue
// 11, item 4; before the fix each method was a series and /metrics grew
// to megabytes).
func TestMetricLabelsBounded(t *testing.T) {
	e := metricsEnv(t)
	root := e.root()
	for i := 0; i < 100; i++ {
		method := strings.ToUpper(randomHex(t, 10<<10)) // 20 KB, a valid token
		path := []string{
			"/" + randomHex(t, 16),
			e.cfg.Server.BasePath + "/" + randomHex(t, 16),
			e.cfg.Server.BasePath + "/Users/" + randomHex(t, 16),
			e.cfg.Server.BasePath + "/Users",
		}[i%4]
		if i%5 == 0 {
			method = http.MethodGet
		}
		req, err := http.NewRequest(method, root+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(body) > 4<<10 {
			t.Fatalf("%.8s… %s: a %d-byte answer echoes the request", method, path, len(body))
		}
	}
	text := e.scrape()
	requests := series(text, "retroscim_http_requests_total")
	durations := series(text, "retroscim_http_request_duration_seconds_count")
	// route x method x status: unmatched/other/404, unmatched/GET/404,
	// /Users/:id/GET/404, /Users/GET/200 and a few more at most.
	if len(requests) > 10 || len(durations) > 10 {
		t.Errorf("%d request series and %d duration series after 100 hostile requests, want at most 10 each:\n%s",
			len(requests), len(durations), strings.Join(requests, "\n"))
	}
	for _, l := range strings.Split(text, "\n") {
		if len(l) > 300 {
			t.Fatalf("a /metrics line of %d bytes: %.200s…", len(l), l)
		}
	}
	for _, want := range []string{
		`retroscim_http_requests_total{method="other",route="unmatched",status="404"}`,
		`retroscim_http_requests_total{method="GET",route="/scim/v2/Users",status="200"}`,
		`retroscim_http_requests_total{method="GET",route="/scim/v2/Users/:id",status="404"}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics has no %s; request series:\n%s", want, strings.Join(requests, "\n"))
		}
	}
	if logs := e.logs.String(); len(logs) > 200<<10 {
		t.Errorf("100 requests wrote %d bytes of log: the methods or paths are logged whole", len(logs))
	}
}
