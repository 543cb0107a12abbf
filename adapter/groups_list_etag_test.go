package adapter

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// TestDeclaredGroupsETag: a declared group carries meta.version and an
// ETag, as a table group does, covering its own attributes (the name)
// and not its members; If-Match on PATCH and PUT is checked against it,
// and a mismatch is 412 with nothing changed.
func TestDeclaredGroupsETag(t *testing.T) {
	storages := []struct {
		name, yaml, schema, table string
		group, other, member      string
	}{
		{"list in a column (Mattermost)", mattermostRolesYAML, "testdata/apps/mattermost.sql", "Users", "system_admin", "system_user_manager", mmAlice},
		{"rows of names (MediaWiki)", mediawikiGroupsYAML, "testdata/apps/mediawiki.sql", "user_groups", "sysop", "bureaucrat", "2"},
	}
	for _, st := range storages {
		t.Run(st.name, func(t *testing.T) {
			cfg, err := mapping.Parse("app.yaml", []byte(st.yaml))
			if err != nil {
				t.Fatal(err)
			}
			schema, err := os.ReadFile(st.schema)
			if err != nil {
				t.Fatal(err)
			}
			e := newEnvWith(t, cfg, string(schema))
			r := e.get("/Groups/" + st.group)
			etag := r.Header.Get("ETag")
			meta, _ := r.json(t)["meta"].(map[string]any)
			if !strings.HasPrefix(etag, `W/"`) || meta["version"] != etag {
				t.Fatalf("GET: ETag %q, meta.version %v", etag, meta["version"])
			}
			if other := e.get("/Groups/" + st.other).Header.Get("ETag"); other == etag || other == "" {
				t.Errorf("two groups share the version %q (%q)", etag, other)
			}
			list := e.get("/Groups?filter=id%20eq%20%22" + st.group + "%22").json(t)
			res, _ := list["Resources"].([]any)
			if len(res) != 1 {
				t.Fatalf("list = %v", list)
			}
			if m, _ := res[0].(map[string]any)["meta"].(map[string]any); m["version"] != etag {
				t.Errorf("version in a list = %v, want %s", m["version"], etag)
			}
			add := memberPatch(`{"op":"add","path":"members","value":[{"value":"` + st.member + `"}]}`)
			stale := `W/"0123456789abcdef0123"`
			before := legacytest.Checksum(t, e.dsn, st.table)
			refused := []struct{ method, body string }{
				{http.MethodPatch, add},
				{http.MethodPut, `{"displayName":"` + st.group + `","members":[]}`},
			}
			for _, q := range refused {
				if r := e.do(q.method, "/Groups/"+st.group, q.body, "If-Match", stale); r.Status != http.StatusPreconditionFailed {
					t.Errorf("%s with a stale If-Match = %d %s", q.method, r.Status, r.Body)
				}
			}
			if legacytest.Checksum(t, e.dsn, st.table) != before {
				t.Errorf("a refused If-Match changed %s", st.table)
			}
			if r := e.do(http.MethodPatch, "/Groups/"+st.group, add, "If-Match", etag); r.Status != http.StatusNoContent {
				t.Fatalf("PATCH with the group's ETag = %d %s", r.Status, r.Body)
			}
			if legacytest.Checksum(t, e.dsn, st.table) == before {
				t.Errorf("the PATCH changed nothing")
			}
			// Members are not the group's own attributes: the version stays.
			if after := e.get("/Groups/" + st.group).Header.Get("ETag"); after != etag {
				t.Errorf("ETag after a member change = %q, was %q", after, etag)
			}
			r = e.do(http.MethodPut, "/Groups/"+st.group, `{"displayName":"`+st.group+`","members":[{"value":"`+st.member+`"}]}`, "If-Match", etag)
			if r.Status != http.StatusOK || r.Header.Get("ETag") != etag {
				t.Errorf("PUT with the group's ETag = %d, ETag %q: %s", r.Status, r.Header.Get("ETag"), r.Body)
			}
		})
	}
}
