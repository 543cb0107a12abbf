package cluster

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest/golden"
	"gopkg.in/yaml.v3"
)

// readmeBlocks are the README's copies of the configuration, each after a
// marker naming its template and rendered for the README's hosts.
func readmeBlocks(t *testing.T) map[string]string {
	t.Helper()
	blocks := map[string]string{
		"galera-check.sh": galeraCheck,
		"scim-503.http":   scimUnavailable,
	}
	var err error
	if blocks["haproxy.cfg.tmpl"], err = render("haproxy.cfg.tmpl", haproxyTemplate, readmeHAProxy); err != nil {
		t.Fatal(err)
	}
	if blocks["galera.cnf.tmpl"], err = render("galera.cnf.tmpl", galeraTemplate, galeraParams{Cluster: "app", Nodes: readmeNodes, Node: readmeNodes[0]}); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// TestREADMEShowsTheClusterConfig: the README's "Running several replicas"
// shows the HAProxy configuration, the Galera settings and the health
// check the cluster test runs, rendered for three database hosts. With
// -update the test rewrites them.
func TestREADMEShowsTheClusterConfig(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for name, want := range readmeBlocks(t) {
		re := regexp.MustCompile("(?s)<!-- examples/cluster/testdata/" + regexp.QuoteMeta(name) + " -->\n```[a-z]*\n(.*?)```\n")
		m := re.FindStringSubmatchIndex(readme)
		if m == nil {
			t.Errorf("README.md has no block after <!-- examples/cluster/testdata/%s -->", name)
			continue
		}
		if got := readme[m[2]:m[3]]; got != want {
			if golden.Updating() {
				readme = readme[:m[2]] + want + readme[m[3]:]
				continue
			}
			t.Errorf("README.md's copy of examples/cluster/testdata/%s differs from what the cluster test runs (go test ./examples/cluster -update rewrites it):\n--- README\n%s--- test\n%s", name, got, want)
		}
	}
	if golden.Updating() {
		if err := os.WriteFile("../../README.md", []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReplicaConfig: the replicas' configuration is the sample's with
// the changes the cluster test needs, and nothing else.
func TestReplicaConfig(t *testing.T) {
	c := &cluster{dir: t.TempDir()}
	if err := c.writeConfig(); err != nil {
		t.Fatal(err)
	}
	read := func(path string) map[string]any {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	got, sample := read(c.config), read("../sample/config.yaml")
	users := sample["users"].(map[string]any)
	users["create"] = "allow"
	db := sample["database"].(map[string]any)
	db["breaker"] = map[string]any{"open_for": "2s"}
	sample["server"].(map[string]any)["admin_listen"] = "${RETROSCIM_ADMIN_LISTEN:-}"
	if broken["cursor-cache"] {
		sample["pagination"].(map[string]any)["cursor_ttl"] = "1ms"
	}
	if g, w := fmt.Sprint(got), fmt.Sprint(sample); g != w {
		t.Errorf("replica configuration:\n%s\nwant the sample's with users.create: allow, database.breaker.open_for: 2s and server.admin_listen from the environment:\n%s", g, w)
	}
}

// TestBreakHAProxy: each broken variant takes the health checks and the
// redispatch out of its sections, and the file stays one HAProxy reads.
func TestBreakHAProxy(t *testing.T) {
	cfg, err := render("haproxy.cfg.tmpl", haproxyTemplate, readmeHAProxy)
	if err != nil {
		t.Fatal(err)
	}
	defer func(saved map[string]bool) { broken = saved }(broken)
	broken = map[string]bool{"no-db-check": true, "no-scim-check": true}
	got, err := breakHAProxy(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?m)^ +server .* check|option (httpchk|external-check)`).MatchString(got) || strings.Count(got, "no option redispatch") != 3 || !strings.HasSuffix(got, "\n") {
		t.Errorf("broken configuration:\n%s", got)
	}
	if strings.Count(got, "\n    server ") != strings.Count(cfg, "\n    server ") {
		t.Errorf("servers lost:\n%s", got)
	}
}
