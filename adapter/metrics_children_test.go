package adapter

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestMetricChildren: the per-request series are found by their labels
// without allocating, and count into the series their labels name.
func TestMetricChildren(t *testing.T) {
	m := NewMetrics()
	m.Query("get", time.Millisecond, "ok")
	m.Cache("token", true)
	if n := testing.AllocsPerRun(100, func() {
		m.Query("get", time.Millisecond, "ok")
		m.Cache("token", true)
		m.children.requests.get(requestLabels{"/scim/v2/Users/:id", "GET", 200}).Inc()
	}); n != 0 {
		t.Errorf("a request's metrics allocate %v times, want 0", n)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`retroscim_cache_requests_total{cache="token",result="hit"} 102`,
		`retroscim_http_requests_total{method="GET",route="/scim/v2/Users/:id",status="200"} 101`,
		`retroscim_db_operation_duration_seconds_count{op="get",outcome="ok"} 102`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
