package adapter

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestSecurityHeadersShared: responses share the security headers' value
// slices without allocating, and a handler that adds to one changes its
// own response only.
func TestSecurityHeadersShared(t *testing.T) {
	e := echo.New()
	serve := func(h echo.HandlerFunc) http.Header {
		rec := httptest.NewRecorder()
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
		if err := securityHeaders(h)(c); err != nil {
			t.Fatal(err)
		}
		return c.Response().Header()
	}
	got := serve(func(c echo.Context) error {
		c.Response().Header().Add("Cache-Control", "private")
		c.Response().Header().Set("Referrer-Policy", "same-origin")
		return nil
	})
	if v := got.Values("Cache-Control"); !slices.Equal(v, []string{"no-store", "private"}) {
		t.Errorf("Cache-Control after Add = %q", v)
	}
	next := serve(func(echo.Context) error { return nil })
	for _, kv := range securityHeaderValues {
		if v := next.Values(kv.key); len(v) != 1 || v[0] != kv.value[0] || len(kv.value) != 1 {
			t.Errorf("%s on the next response = %q (shared %q)", kv.key, v, kv.value)
		}
	}
	h := http.Header{}
	c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	c.Response().Writer = headerWriter{h}
	run := securityHeaders(func(echo.Context) error { return nil })
	if n := testing.AllocsPerRun(100, func() { _ = run(c) }); n != 0 {
		t.Errorf("security headers allocate %v times per response, want 0", n)
	}
}

type headerWriter struct{ h http.Header }

func (w headerWriter) Header() http.Header         { return w.h }
func (w headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w headerWriter) WriteHeader(int)             {}
