package adapter

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/legacy/legacytest/golden"
	"github.com/retroscim/retroscim/mapping"
)

// testToken is the bearer token the shipped config.yaml reads from
// RETROSCIM_TOKEN during tests.
const testToken = "test-token-0123456789abcdef"

func TestMain(m *testing.M) {
	os.Setenv("RETROSCIM_TOKEN", testToken)
	os.Setenv("RETROSCIM_DSN", "set-by-each-test")
	os.Exit(m.Run())
}

// env is one running retroscim over a throwaway copy of the sample app.
type env struct {
	t     *testing.T
	url   string // base URL of the SCIM API
	dsn   string
	store *legacy.Store
	cfg   *mapping.Config
	own   legacy.OwnTables
	logs  *legacytest.Buffer
	srv   *Server
}

func sampleSchema(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../examples/sample/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newEnv serves the shipped config.yaml over a fresh sample database.
// extraSQL runs after the sample schema (to add rows or change columns).
func newEnv(t *testing.T, extraSQL ...string) *env {
	t.Helper()
	cfg, err := mapping.LoadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, append([]string{sampleSchema(t)}, extraSQL...)...)
}

// newEnvWith serves cfg over a fresh database loaded with scripts.
func newEnvWith(t *testing.T, cfg *mapping.Config, scripts ...string) *env {
	t.Helper()
	return newEnvOptions(t, cfg, legacy.Options{}, Options{}, scripts...)
}

// newEnvOptions is newEnvWith with options for the store and the server;
// the server's Log and Own are the test's own.
func newEnvOptions(t *testing.T, cfg *mapping.Config, storeOpts legacy.Options, opts Options, scripts ...string) *env {
	t.Helper()
	dsn := legacytest.NewDatabase(t, scripts...)
	cfg.Database.DSN = dsn
	cfg.Server.PublicURL = "https://scim.example.test"
	store, err := legacy.Open(context.Background(), dsn, storeOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := BindSchema(context.Background(), cfg, store); err != nil {
		t.Fatal(err)
	}
	own := legacy.OwnTables{Prefix: cfg.Store.Prefix, Schema: cfg.Store.Schema}
	if _, err := store.Migrate(context.Background(), own); err != nil {
		t.Fatal(err)
	}
	logs := &legacytest.Buffer{}
	var logOut io.Writer = logs
	if opts.AccessLog != nil {
		// The test asks for batched access lines: into this env's log,
		// flushed by the test (or at cleanup), never by the clock.
		lw := NewLogWriter(logs, time.Hour)
		t.Cleanup(func() { lw.Close() })
		opts.AccessLog, logOut = lw, lw
	}
	opts.Log, opts.Own = slog.New(slog.NewJSONHandler(logOut, nil)), &own
	srv := New(cfg, store, opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &env{t: t, url: hs.URL + cfg.Server.BasePath, dsn: dsn, store: store, cfg: cfg, own: own, logs: logs, srv: srv}
}

// response is what a test looks at.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not JSON: %s", r.Body)
	}
	return m
}

// do sends a request with the test token unless headers set Authorization.
func (e *env) do(method, path string, body string, headers ...string) response {
	e.t.Helper()
	r, err := e.send(http.DefaultClient, method, path, body, headers...)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// send is do on client, returning the error of a request that got no
// whole answer. headers are name, value pairs; an empty value removes the
// header.
func (e *env) send(client *http.Client, method, path, body string, headers ...string) (response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

func (e *env) get(path string, headers ...string) response {
	e.t.Helper()
	return e.do(http.MethodGet, path, "", headers...)
}

// writtenAt masks what a write sets to the time it happened.
var writtenAt = regexp.MustCompile(`"(created|lastModified|version)":"[^"\\]*(\\"[^"\\]*\\")?"`)

// goldenWrite is goldenResponse for responses to writes: meta.lastModified,
// meta.version (and meta.created of a new user) hold the time of the write
// and are masked; the tests check separately that they change.
func goldenWrite(t *testing.T, name string, r response) {
	t.Helper()
	r.Body = writtenAt.ReplaceAll(r.Body, []byte(`"$1":"(time of the write)"`))
	goldenResponse(t, name, r)
}

// goldenResponse compares a response with testdata/golden/name.json, which holds
// the status and the indented body; -update rewrites it.
func goldenResponse(t *testing.T, name string, r response) {
	t.Helper()
	var body bytes.Buffer
	if len(r.Body) > 0 {
		if err := json.Indent(&body, r.Body, "  ", "  "); err != nil {
			t.Fatalf("%s: body is not JSON: %s", name, r.Body)
		}
	} else {
		body.WriteString("null")
	}
	got := []byte("{\n  \"status\": " + itoa(r.Status) + ",\n  \"body\": " + body.String() + "\n}\n")
	golden.Compare(t, filepath.Join("testdata", "golden", name+".json"), got)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
