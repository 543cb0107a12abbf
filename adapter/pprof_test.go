package adapter

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// TestPprofOnlyOnAdminListener: /debug/pprof/ is 404 unless server.pprof
// is on, and then (after a reload) it is served on the admin listener
// only, never on the API's.
func TestPprofOnlyOnAdminListener(t *testing.T) {
	cfg, err := mapping.LoadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.AdminListen = "127.0.0.1:0"
	e := newEnvOptions(t, cfg, legacy.Options{}, Options{SeparateAdmin: true}, sampleSchema(t))
	admin := httptest.NewServer(e.srv.AdminHandler())
	t.Cleanup(admin.Close)
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	paths := []string{"/debug/pprof/", "/debug/pprof/heap?debug=1", "/debug/pprof/goroutine?debug=1", "/debug/pprof/cmdline"}

	for _, p := range paths {
		if code, _ := get(admin.URL + p); code != http.StatusNotFound {
			t.Errorf("pprof off: admin %s = %d, want 404", p, code)
		}
	}
	// A reload switches it on (as SIGHUP does).
	next := *e.cfg
	next.Server.Pprof = true
	e.srv.Reload(&next)
	for _, p := range paths {
		if code, body := get(admin.URL + p); code != http.StatusOK || body == "" {
			t.Errorf("pprof on: admin %s = %d, want 200 with a profile", p, code)
		}
		if code, body := get(e.root() + p); code == http.StatusOK || strings.Contains(body, "goroutine") {
			t.Errorf("pprof on: API listener %s = %d %q, want it not served", p, code, body)
		}
	}
	if _, body := get(admin.URL + "/debug/pprof/"); !strings.Contains(body, "goroutine") {
		t.Errorf("pprof index does not list the goroutine profile:\n%s", body)
	}
}

// TestPprofNeedsAdminListen: server.pprof without admin_listen is a
// configuration error, not a profiler on the API's listener.
func TestPprofNeedsAdminListen(t *testing.T) {
	_, err := mapping.Parse("c.yaml", []byte("database: { dsn: \"u@tcp(h)/d\" }\nserver: { pprof: true }\nauth: { bearer_tokens: [ { name: t, token: \"0123456789abcdef\" } ] }\nusers: { table: users, id: id, attributes: { userName: { column: login } } }\n"))
	if err == nil || !strings.Contains(err.Error(), "server.pprof") || !strings.Contains(err.Error(), "admin_listen") {
		t.Errorf("Parse = %v, want an error naming server.pprof and admin_listen", err)
	}
}
