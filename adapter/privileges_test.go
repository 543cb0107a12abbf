package adapter

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/legacytest"
)

// TestMissingGrant serves the sample app through a database account that
// may read everything and update users but not change the membership
// table: a group PATCH is refused by the server with 1142. The client gets
// a clear 500 that names no table, account or SQL and points the operator
// at retroscim check; the breaker does not count it, so after more refusals
// than open the breaker, reads still work and /readyz is ready.
func TestMissingGrant(t *testing.T) {
	root := newEnv(t)
	account := legacytest.NewAccount(t, root.dsn,
		"GRANT SELECT ON {db}.* TO {account}",
		"GRANT UPDATE ON {db}.`users` TO {account}",
		"GRANT INSERT, UPDATE ON {db}.`retroscim_tokens` TO {account}",
		"GRANT INSERT ON {db}.`retroscim_audit` TO {account}",
	)
	store, err := legacy.Open(context.Background(), account, legacy.Options{BreakerFailures: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	logs := &legacytest.Buffer{}
	hs := httptest.NewServer(New(root.cfg, store, Options{Log: slog.New(slog.NewJSONHandler(logs, nil)), Own: &root.own}))
	t.Cleanup(hs.Close)
	e := *root
	e.url, e.store, e.logs = hs.URL+root.cfg.Server.BasePath, store, logs

	body, err := os.ReadFile("testdata/requests/group_okta_add_members.json")
	if err != nil {
		t.Fatal(err)
	}
	before := legacytest.Checksum(t, root.dsn, "user_roles")
	for i := 0; i < 4; i++ {
		r := e.do(http.MethodPatch, "/Groups/1", string(body))
		if r.Status != http.StatusInternalServerError || r.json(t)["detail"] != deniedDetail || r.Header.Get("Retry-After") != "" {
			t.Fatalf("PATCH %d with no INSERT on the membership table = %d %s (Retry-After %q), want 500 %q", i+1, r.Status, r.Body, r.Header.Get("Retry-After"), deniedDetail)
		}
		for _, leak := range []string{"user_roles", "denied to user", "rs_", "INSERT"} {
			if strings.Contains(string(r.Body), leak) {
				t.Errorf("the answer shows %q: %s", leak, r.Body)
			}
		}
	}
	if got := legacytest.Checksum(t, root.dsn, "user_roles"); got != before {
		t.Error("a refused PATCH changed user_roles")
	}
	if !strings.Contains(logs.String(), "INSERT command denied") {
		t.Errorf("the log does not say what the server refused:\n%s", logs.String())
	}
	if state := store.BreakerState(); state != "closed" {
		t.Errorf("breaker %s after refused grants, want closed", state)
	}
	if r := e.get("/Users?count=1"); r.Status != http.StatusOK {
		t.Errorf("GET /Users after refused grants = %d %s", r.Status, r.Body)
	}
	if code, _ := e.status(http.MethodGet, hs.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after refused grants = %d", code)
	}
}
