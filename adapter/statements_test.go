package adapter

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// explainEnv serves cfg over a fresh database through a store in explain
// mode, which records every statement a request runs (reads run, writes
// are recorded and rolled back): the way `retroscim explain` shows them.
func explainEnv(t *testing.T, src string, scripts ...string) (*env, *legacy.ExplainLog) {
	t.Helper()
	cfg, err := mapping.Parse("explain.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	dsn := legacytest.NewDatabase(t, scripts...)
	cfg.Database.DSN = dsn
	log := &legacy.ExplainLog{}
	store, err := legacy.Open(context.Background(), dsn, legacy.Options{Explain: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := BindSchema(context.Background(), cfg, store); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(New(cfg, store, Options{}))
	t.Cleanup(hs.Close)
	return &env{t: t, url: hs.URL + cfg.Server.BasePath, dsn: dsn, cfg: cfg}, log
}

// statements counts the reads and writes one request runs.
func statements(e *env, log *legacy.ExplainLog, method, path, body string, want int) (int, string) {
	e.t.Helper()
	log.Reset()
	if r := e.do(method, path, body, "Content-Type", "application/scim+json"); r.Status != want {
		e.t.Fatalf("%s %s = %d %s", method, path, r.Status, r.Body)
	}
	n := 0
	var sqls []string
	for _, s := range log.Statements() {
		if s.Kind == "read" || s.Kind == "write" {
			n++
			sqls = append(sqls, s.SQL)
		}
	}
	return n, strings.Join(sqls, "\n  ")
}

// TestEntraGroupCallStatements counts the statements of Entra's group
// calls for each membership storage: a join table, a group column on the
// users table, and a list in a users column (declared groups). None loads
// the whole member list (each read names the one group and the one user).
// The bounds are the counts measured. A PATCH of a group row locks it,
// reads the named users once (in scope? member already?), and writes: a
// DELETE and an INSERT on a join table, one UPDATE of a group column
// (Eva, who is in the group, goes; Carol and Dave come). It answers 204,
// so nothing is read back.
func TestEntraGroupCallStatements(t *testing.T) {
	mm, err := os.ReadFile("testdata/apps/mattermost.sql")
	if err != nil {
		t.Fatal(err)
	}
	wp, err := os.ReadFile("testdata/apps/wordpress.sql")
	if err != nil {
		t.Fatal(err)
	}
	mw, err := os.ReadFile("testdata/apps/mediawiki.sql")
	if err != nil {
		t.Fatal(err)
	}
	kinds := []struct {
		name, src, script, group, member, other, third string
		// bounds for: check, check without .value, excludedAttributes, PATCH
		want [4]int
	}{
		{"join table", string(mustReadFile(t, "../config.yaml")), sampleSchema(t), "2", "7", "4", "5", [4]int{1, 1, 1, 4}},
		{"group column", singleColumnConfig(t, "last_wins"), sampleSchema(t), "2", "7", "4", "5", [4]int{1, 1, 1, 3}},
		{"declared list", mattermostRolesYAML, string(mm), "system_admin", mmAlice, mmBob, mmCarol, [4]int{1, 1, 0, 2}},
		// Carol has no wp_capabilities row: the add inserts it, a third statement.
		{"declared list in a related row", wordpressRolesYAML, string(wp), "editor", "3", "2", "4", [4]int{1, 1, 0, 3}},
		// Rows of group names: one read, one DELETE, one INSERT.
		{"declared names as rows", mediawikiGroupsYAML, string(mw), "sysop", "3", "2", "4", [4]int{1, 1, 0, 3}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			e, log := explainEnv(t, k.src, k.script)
			check := func(member string) string {
				return "/Groups?attributes=id&filter=" + url.QueryEscape(fmt.Sprintf(`id eq "%s" and %s eq "%s"`, k.group, member, k.member))
			}
			patch := memberPatch(`{"op":"Add","path":"members","value":[{"value":"`+k.other+`"},{"value":"`+k.third+`"}]}`, `{"op":"Remove","path":"members","value":[{"value":"`+k.member+`"}]}`)
			calls := []struct {
				what, method, path, body string
				status                   int
			}{
				{"members.value check", http.MethodGet, check("members.value"), "", 200},
				{"members check", http.MethodGet, check("members"), "", 200},
				{"excludedAttributes=members", http.MethodGet, "/Groups/" + k.group + "?excludedAttributes=members", "", 200},
				{"PATCH add 2, remove 1", http.MethodPatch, "/Groups/" + k.group, patch, 204},
			}
			for i, c := range calls {
				n, sqls := statements(e, log, c.method, c.path, c.body, c.status)
				t.Logf("%s: %s: %d statements\n  %s", k.name, c.what, n, sqls)
				if n > k.want[i] {
					t.Errorf("%s: %s ran %d statements, want at most %d:\n  %s", k.name, c.what, n, k.want[i], sqls)
				}
			}
		})
	}
}
