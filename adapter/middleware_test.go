package adapter

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/mapping"
)

// TestMiddlewareOnEveryAnswer: the server's middleware, composed once
// (routes), is around every answer as echo's per-request middleware was:
// routes, echo's own 404 and 405, the catch-all of the API groups (a
// token is needed before a path under the base is a 404), paths that
// normalisation makes routable. Each answer has its request id, the
// security headers, an access line and, when it failed, a "request
// failed" line with the same request id (the error handler is given the
// reqContext), and is counted in the metrics.
func TestMiddlewareOnEveryAnswer(t *testing.T) {
	e := metricsEnv(t)
	root, base := e.root(), e.cfg.Server.BasePath
	tests := []struct {
		name, method, path string
		token              bool
		want               int
		route              string // the metrics' route label
	}{
		{"route", http.MethodGet, base + "/Users/2", true, http.StatusOK, base + "/Users/:id"},
		{"route, no token", http.MethodGet, base + "/Users/2", false, http.StatusUnauthorized, base + "/Users/:id"},
		{"normalised path", http.MethodGet, "/" + base + "//Users/2/", true, http.StatusOK, base + "/Users/:id"},
		{"405 of a route", http.MethodDelete, base + "/ServiceProviderConfig", true, http.StatusMethodNotAllowed, base + "/ServiceProviderConfig"},
		{"under the base, no token", http.MethodGet, base + "/Nothing", false, http.StatusUnauthorized, "unmatched"},
		{"under the base", http.MethodGet, base + "/Nothing", true, http.StatusNotFound, "unmatched"},
		{"the base itself, no token", http.MethodGet, base, false, http.StatusUnauthorized, "unmatched"},
		{"tenant URL, no token", http.MethodGet, base + "/t/1/Nothing", false, http.StatusUnauthorized, "unmatched"},
		{"tenant URL", http.MethodGet, base + "/t/1/Users/2", true, http.StatusOK, base + "/t/:tenant/Users/:id"},
		{"tenant URL, other tenant", http.MethodGet, base + "/t/2/Users/2", true, http.StatusForbidden, base + "/t/:tenant/Users/:id"},
		{"outside the base", http.MethodGet, "/nothing", true, http.StatusNotFound, "unmatched"},
		{"echo's 405", http.MethodPost, "/healthz", false, http.StatusMethodNotAllowed, "/healthz"},
		{"admin route", http.MethodGet, "/healthz", false, http.StatusOK, "/healthz"},
	}
	id := regexp.MustCompile(`^[0-9a-f]{16}$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, root+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.token {
				req.Header.Set("Authorization", "Bearer "+testToken)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
			}
			rid := resp.Header.Get("X-Request-Id")
			if !id.MatchString(rid) {
				t.Errorf("X-Request-Id = %q", rid)
			}
			for _, kv := range securityHeaderValues {
				if got := resp.Header.Get(kv.key); got != kv.value[0] {
					t.Errorf("%s = %q, want %q", kv.key, got, kv.value[0])
				}
			}
			if n := countLines(e, "request", rid); n != 1 {
				t.Errorf("%d access lines with request_id %s, want 1", n, rid)
			}
			failed := countLines(e, "request failed", rid)
			if want := map[bool]int{true: 1, false: 0}[tt.want >= 400]; failed != want {
				t.Errorf("%d \"request failed\" lines with request_id %s, want %d", failed, rid, want)
			}
		})
	}
	text := e.scrape()
	for _, tt := range tests {
		want := `retroscim_http_requests_total{method="` + tt.method + `",route="` + tt.route + `",status="` + itoa(tt.want) + `"}`
		if !strings.Contains(text, want) {
			t.Errorf("%s: /metrics has no %s; request series:\n%s", tt.name, want, strings.Join(series(text, "retroscim_http_requests_total"), "\n"))
		}
	}
}

// countLines counts the log lines with msg and request_id id.
func countLines(e *env, msg, id string) int {
	n := 0
	for _, l := range e.logLines(msg) {
		if l["request_id"] == id {
			n++
		}
	}
	return n
}

// TestScheme: scheme answers what echo's Context.Scheme does, for TLS,
// each forwarding header (set, empty, repeated), and trusted and
// untrusted peers.
func TestScheme(t *testing.T) {
	e := echo.New()
	headers := []map[string][]string{
		{},
		{"X-Forwarded-Proto": {"https"}},
		{"X-Forwarded-Proto": {""}},
		{"X-Forwarded-Proto": {}},
		{"X-Forwarded-Proto": {"http", "https"}},
		{"X-Forwarded-Proto": {"wss, HTTPS"}},
		{"X-Forwarded-Proto": {"gopher"}},
		{"X-Forwarded-Protocol": {"https"}},
		{"X-Forwarded-Ssl": {"on"}},
		{"X-Forwarded-Ssl": {"off"}},
		{"X-Url-Scheme": {"HTTPS"}},
		{"X-Url-Scheme": {"ftp"}},
		{"X-Forwarded-For": {"10.0.0.1"}},
		{"X-Forwarded-Protocol": {"ws"}, "X-Url-Scheme": {"https"}},
	}
	peers := []string{"127.0.0.1:5000", "10.1.2.3:443", "192.0.2.7:1234", "[::1]:80", "[2001:db8::1]:80", "", "@", "/run/sock", "garbage"}
	for _, h := range headers {
		for _, peer := range peers {
			for _, withTLS := range []bool{false, true} {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.RemoteAddr = peer
				r.Header = http.Header(h)
				if withTLS {
					r.TLS = &tls.ConnectionState{}
				}
				c := e.NewContext(r, httptest.NewRecorder())
				if got, want := scheme(c), c.Scheme(); got != want {
					t.Errorf("headers %v, peer %q, TLS %v: scheme = %q, echo says %q", h, peer, withTLS, got, want)
				}
			}
		}
	}
}

// TestRequestIDsDistinct: request ids read ahead from crypto/rand are all
// different, across refills of the buffer and concurrent requests.
func TestRequestIDsDistinct(t *testing.T) {
	var s idSource
	const workers, each = 4, 1000
	got := make(chan [8]byte, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				got <- s.next()
			}
		}()
	}
	wg.Wait()
	close(got)
	seen := map[[8]byte]bool{}
	for b := range got {
		if seen[b] {
			t.Fatalf("request id bytes %x handed out twice", b)
		}
		seen[b] = true
	}
}

// TestBaseURL: baseURL is public_url or the request's scheme and host,
// then the base path and the tenant segment, whatever it kept from the
// requests before (hosts alternating, schemes changing).
func TestBaseURL(t *testing.T) {
	e := echo.New()
	for _, public := range []string{"", "https://scim.example.test"} {
		cfg := &mapping.Config{}
		cfg.Server.PublicURL = public
		s := &Server{base: "/scim/v2", log: slog.New(slog.DiscardHandler)}
		s.current.Store(s.newState(cfg))
		for i, tt := range []struct{ host, proto, tenant string }{
			{"a.test", "", ""}, {"a.test", "", ""}, {"b.test:8080", "", ""}, {"a.test", "https", ""},
			{"a.test", "", "7"}, {"a.test", "", ""}, {"b.test:8080", "https", "t 1"}, {"b.test:8080", "", ""},
		} {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Host, r.RemoteAddr = tt.host, "127.0.0.1:4000"
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			c := e.NewContext(r, httptest.NewRecorder())
			if tt.tenant != "" {
				c.SetParamNames("tenant")
				c.SetParamValues(tt.tenant)
			}
			want := c.Scheme() + "://" + tt.host
			if public != "" {
				want = public
			}
			want += "/scim/v2"
			if tt.tenant != "" {
				want += "/t/" + tt.tenant
			}
			if got := s.baseURL(c); got != want {
				t.Errorf("public_url %q, request %d %+v: baseURL = %q, want %q", public, i, tt, got, want)
			}
		}
	}
}
