package cluster

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The test runs when RETROSCIM_CLUSTER=1. RETROSCIM_CLUSTER_BREAK names
// deliberately broken variants of the deployment, comma-separated, to see
// the scenario that guards against each fail:
//
//	cursor-cache   pagination.cursor_ttl: 1ms, so no replica remembers a page position (Import)
//	no-sync-wait   the DSN without wsrep_sync_wait=1 (ReadYourWrites)
//	no-db-check    HAProxy without health checks or redispatch for the Galera nodes (NodeKilled)
//	no-scim-check  HAProxy without health checks or redispatch for the replicas (ReplicaKilled)
var (
	enabled = os.Getenv("RETROSCIM_CLUSTER") == "1"
	broken  = map[string]bool{}
)

func init() {
	known := map[string]bool{"cursor-cache": true, "no-sync-wait": true, "no-db-check": true, "no-scim-check": true}
	for _, b := range strings.Split(os.Getenv("RETROSCIM_CLUSTER_BREAK"), ",") {
		if b = strings.TrimSpace(b); b != "" {
			if !known[b] {
				panic("RETROSCIM_CLUSTER_BREAK: unknown variant " + strconv.Quote(b))
			}
			broken[b] = true
		}
	}
}

const (
	// appPassword is the password of the retroscim account on the nodes.
	appPassword = "retroscim-cluster-test"
	// sampleToken is the configuration token of the sample's tenant 1.
	sampleToken = "cluster-sample-token-0123456789"
	// replicaSlots is how many replicas HAProxy knows; a scenario runs
	// some or all of them.
	replicaSlots = 3
	// queryTimeout is the sample configuration's database.query_timeout.
	queryTimeout = 5 * time.Second
)

// cluster is everything the test runs: three Galera nodes, HAProxy and up
// to replicaSlots retroscim replicas.
type cluster struct {
	dir      string
	nodes    []*node
	ha       *haproxy
	bin      string // the retroscim binary
	config   string // the replicas' configuration file
	replicas []*replica
	deployed deployment
	root     *sql.DB // root through galera_writer, for setup and checks
	http     *http.Client
	tokens   map[int]string // stored bearer tokens by tenant
}

// replica is one slot for a `retroscim serve` process: the SCIM API on
// port, /healthz, /readyz and /metrics on adminPort (server.admin_listen).
type replica struct {
	name      string
	port      int
	adminPort int
	proc      *proc
	log       string
}

func (r *replica) base() string  { return fmt.Sprintf("http://127.0.0.1:%d", r.port) }
func (r *replica) admin() string { return fmt.Sprintf("http://127.0.0.1:%d", r.adminPort) }

// deployment says how the replicas run: how many, and through which
// HAProxy listener they reach the database.
type deployment struct {
	replicas int
	db       string // "writer" (galera_writer) or "all" (galera_all)
}

// TestCluster starts the cluster once and runs each scenario on it.
func TestCluster(t *testing.T) {
	if !enabled {
		t.Skip("set RETROSCIM_CLUSTER=1 to run the Galera + HAProxy cluster test (make test-cluster)")
	}
	started := time.Now()
	c := startCluster(t)
	t.Logf("cluster up in %s: 3 Galera nodes, HAProxy, retroscim built (GOMAXPROCS %d)", time.Since(started).Round(100*time.Millisecond), runtime.GOMAXPROCS(0))
	for _, s := range []struct {
		name string
		run  func(*testing.T, *cluster)
	}{
		{"Import", testImport},
		{"GroupPatchConflicts", testGroupPatchConflicts},
		{"ReadYourWrites", testReadYourWrites},
		{"NodeKilled", testNodeKilled},
		{"ReplicaKilled", testReplicaKilled},
		{"TokenRevoked", testTokenRevoked},
	} {
		t.Run(s.name, func(t *testing.T) {
			c.healthy(t)
			began := time.Now()
			s.run(t, c)
			t.Logf("%s took %s", s.name, time.Since(began).Round(100*time.Millisecond))
		})
	}
}

// startCluster builds retroscim, starts the Galera nodes and HAProxy,
// loads the sample app and creates retroscim's own tables. Everything is
// stopped and deleted when the test ends, whether it passed or not.
func startCluster(t *testing.T) *cluster {
	server, err := galeraBinaries()
	if err != nil {
		t.Fatal(err)
	}
	cred, err := serverAccount()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "retroscim-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{dir: dir, tokens: map[int]string{}, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
	}}
	t.Cleanup(func() { c.teardown(t) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	built := make(chan error, 1)
	go func() { built <- c.build(ctx) }()

	ports := freePorts(t, 4*3+3+2*replicaSlots)
	var addrs []nodeAddr
	for i := 0; i < 3; i++ {
		p := ports[4*i:]
		addrs = append(addrs, nodeAddr{Name: fmt.Sprintf("db%d", i+1), Host: "127.0.0.1", Port: p[0], GaleraPort: p[1], ISTPort: p[2], SSTPort: p[3]})
	}
	for _, a := range addrs {
		n, err := newNode(filepath.Join(dir, a.Name), a, addrs, server, cred)
		if err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, n)
	}
	if err := startGalera(ctx, c.nodes); err != nil {
		t.Fatal(err)
	}
	if _, err := c.nodes[0].db.ExecContext(ctx, `CREATE USER 'haproxy_check'@'127.0.0.1'; CREATE USER 'haproxy_check'@'localhost'`); err != nil {
		t.Fatal(err)
	}

	p := ports[12:]
	hp := haproxyParams{
		StatsSocket:     filepath.Join(dir, "haproxy.sock"),
		CheckScript:     filepath.Join(dir, "galera-check.sh"),
		SCIMUnavailable: filepath.Join(dir, "scim-503.http"),
		Writer:          fmt.Sprintf("127.0.0.1:%d", p[0]),
		All:             fmt.Sprintf("127.0.0.1:%d", p[1]),
		SCIM:            fmt.Sprintf("127.0.0.1:%d", p[2]),
		Nodes:           addrs,
	}
	for i := 0; i < replicaSlots; i++ {
		r := &replica{name: fmt.Sprintf("scim%d", i+1), port: p[3+2*i], adminPort: p[4+2*i]}
		r.log = filepath.Join(dir, r.name+".log")
		c.replicas = append(c.replicas, r)
		hp.Replicas = append(hp.Replicas, replicaAddr{Name: r.name, Addr: fmt.Sprintf("127.0.0.1:%d", r.port), AdminPort: r.adminPort})
	}
	if c.ha, err = startHAProxy(ctx, dir, hp, breakHAProxy); err != nil {
		t.Fatal(err)
	}
	up := map[string]string{"db1": "UP", "db2": "UP", "db3": "UP"}
	for _, px := range []string{"galera_writer", "galera_all"} {
		if err := c.ha.waitServers(ctx, px, up); err != nil {
			t.Fatal(err)
		}
	}
	if c.root, err = sql.Open("mysql", "root@tcp("+hp.Writer+")/?timeout=2s&readTimeout=30s&writeTimeout=30s&multiStatements=true&interpolateParams=true"); err != nil {
		t.Fatal(err)
	}
	c.root.SetMaxOpenConns(8)
	c.loadSample(t, ctx)
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	if err := c.writeConfig(); err != nil {
		t.Fatal(err)
	}
	if out, err := c.cli(ctx, "migrate"); err != nil {
		t.Fatalf("retroscim migrate: %v\n%s", err, out)
	}
	return c
}

// build compiles the retroscim binary the replicas run.
func (c *cluster) build(ctx context.Context) error {
	c.bin = filepath.Join(c.dir, "retroscim")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", c.bin, "./cmd/retroscim")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/retroscim: %w\n%s", err, out)
	}
	return nil
}

// loadSample creates the app database from examples/sample/schema.sql and
// the account retroscim connects as.
func (c *cluster) loadSample(t *testing.T, ctx context.Context) {
	schema, err := os.ReadFile("../sample/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{
		"CREATE DATABASE app CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
		"USE app",
		string(schema),
	}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		stmts = append(stmts,
			fmt.Sprintf("CREATE USER 'retroscim'@'%s' IDENTIFIED BY '%s'", host, appPassword),
			fmt.Sprintf("GRANT SELECT, INSERT, UPDATE, DELETE, CREATE ON app.* TO 'retroscim'@'%s'", host))
	}
	conn, err := c.root.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("load the sample app: %v", err)
		}
	}
}

// writeConfig writes the replicas' configuration: examples/sample/config.yaml
// with users.create: allow (read-your-writes creates users), the breaker's
// open period for a balancer that fails over within seconds, and health
// and metrics on a listener of each replica's own.
func (c *cluster) writeConfig() error {
	b, err := os.ReadFile("../sample/config.yaml")
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return err
	}
	// A Galera node that fails takes its in-flight statements with it, and
	// their failures open the circuit breaker although HAProxy has moved
	// the connections to another node within seconds: reopen sooner than
	// the default 10 s (the README says why).
	set := map[string]string{"users.create": "allow", "database.breaker.open_for": "2s", "server.admin_listen": "${RETROSCIM_ADMIN_LISTEN:-}"}
	if broken["cursor-cache"] {
		set["pagination.cursor_ttl"] = "1ms"
	}
	for path, v := range set {
		if err := setYAML(&doc, path, v); err != nil {
			return err
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return err
	}
	c.config = filepath.Join(c.dir, "retroscim.yaml")
	return os.WriteFile(c.config, out, 0o644)
}

// setYAML sets a scalar at a dotted path of a YAML document, adding the
// keys that are missing.
func setYAML(doc *yaml.Node, path, value string) error {
	n := doc.Content[0]
	for _, k := range strings.Split(path, ".") {
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("config: %s: %q is not a mapping", path, n.Value)
		}
		var next *yaml.Node
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == k {
				next = n.Content[j+1]
			}
		}
		if next == nil {
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, next)
		}
		n = next
	}
	n.Kind, n.Tag, n.Value, n.Content, n.Style = yaml.ScalarNode, "", value, nil, 0
	return nil
}

// dsn is the DSN replicas use through one of HAProxy's Galera listeners.
// wsrep_sync_wait=1 makes every read wait until the node has applied every
// write set committed anywhere before it (read-your-writes across nodes).
func (c *cluster) dsn(listener string) string {
	addr := c.ha.params.Writer
	if listener == "all" {
		addr = c.ha.params.All
	}
	dsn := "retroscim:" + appPassword + "@tcp(" + addr + ")/app"
	if !broken["no-sync-wait"] {
		dsn += "?wsrep_sync_wait=1"
	}
	return dsn
}

// cli runs a retroscim command against galera_writer.
func (c *cluster) cli(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.bin, append(args, "--config", c.config)...)
	cmd.Env = append(os.Environ(), "RETROSCIM_DSN="+c.dsn("writer"), "RETROSCIM_TOKEN="+sampleToken)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var newToken = regexp.MustCompile(`\n    (\S+)\n`)

// token is a stored bearer token of tenant (retroscim token create), made
// once and kept.
func (c *cluster) token(t *testing.T, tenant int) string {
	t.Helper()
	if tok, ok := c.tokens[tenant]; ok {
		return tok
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.cli(ctx, "token", "create", "--tenant", strconv.Itoa(tenant), "--name", fmt.Sprintf("okta-tenant-%d", tenant))
	if err != nil {
		t.Fatalf("retroscim token create: %v\n%s", err, out)
	}
	m := newToken.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("retroscim token create printed no token:\n%s", out)
	}
	c.tokens[tenant] = m[1]
	return m[1]
}

// deploy runs d.replicas replicas (the first slots) through d.db and
// waits until HAProxy sends them requests, and no others. Replicas that
// already run that way are kept.
func (c *cluster) deploy(t *testing.T, d deployment) {
	t.Helper()
	if d != c.deployed {
		for _, r := range c.replicas {
			r.proc.stop(25 * time.Second)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	want := map[string]string{}
	for i, r := range c.replicas {
		if i >= d.replicas {
			if !broken["no-scim-check"] {
				want[r.name] = "DOWN"
			}
			continue
		}
		want[r.name] = "UP"
		if !r.proc.running() {
			if err := c.startReplica(ctx, r, d.db); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.deployed = d
	if err := c.ha.waitServers(ctx, "retroscim", want); err != nil {
		t.Fatal(err)
	}
}

// startReplica starts `retroscim serve` in r's slot and waits for /readyz.
func (c *cluster) startReplica(ctx context.Context, r *replica, listener string) error {
	env := []string{"RETROSCIM_DSN=" + c.dsn(listener), "RETROSCIM_TOKEN=" + sampleToken, fmt.Sprintf("RETROSCIM_ADMIN_LISTEN=127.0.0.1:%d", r.adminPort)}
	p, err := startProc(r.name, r.log, nil, env, c.bin, "serve", "--config", c.config, "--listen", fmt.Sprintf("127.0.0.1:%d", r.port))
	if err != nil {
		return err
	}
	r.proc = p
	for {
		resp, err := c.http.Get(r.admin() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if !p.running() {
			return fmt.Errorf("%s exited: %v\n%s", r.name, p.err, logTail(r.log, 20))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s is not ready: %w\n%s", r.name, ctx.Err(), logTail(r.log, 20))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// healthy makes sure every node runs, is Synced in a cluster of three and
// is UP in HAProxy, restarting a node a failed scenario left down.
func (c *cluster) healthy(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for _, n := range c.nodes {
		if !n.proc.running() {
			t.Logf("%s is down: restarting it", n.addr.Name)
			if err := n.restart(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, n := range c.nodes {
		if err := n.waitSynced(ctx, len(c.nodes)); err != nil {
			t.Fatal(err)
		}
	}
	up := map[string]string{"db1": "UP", "db2": "UP", "db3": "UP"}
	for _, px := range []string{"galera_writer", "galera_all"} {
		for sv := range up {
			// A scenario that failed midway may have left one in maintenance.
			if _, err := c.ha.command("set server " + px + "/" + sv + " state ready"); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.ha.waitServers(ctx, px, up); err != nil {
			t.Fatal(err)
		}
	}
}

// teardown stops everything and deletes the directory; the logs of a
// failed run are shown first.
func (c *cluster) teardown(t *testing.T) {
	if t.Failed() {
		for _, r := range c.replicas {
			if r.proc != nil {
				t.Logf("%s log (end):\n%s", r.name, logTail(r.log, 15))
			}
		}
		if c.ha != nil {
			t.Logf("haproxy log (end):\n%s", logTail(c.ha.proc.log, 30))
		}
		for _, n := range c.nodes {
			t.Logf("%s error log (end):\n%s", n.addr.Name, logTail(filepath.Join(n.dir, "error.log"), 15))
		}
	}
	if os.Getenv("RETROSCIM_CLUSTER_KEEP") != "" {
		t.Logf("RETROSCIM_CLUSTER_KEEP is set: not deleting %s", c.dir)
	}
	for _, r := range c.replicas {
		r.proc.stop(25 * time.Second)
	}
	if c.ha != nil {
		c.ha.proc.stop(5 * time.Second)
	}
	if c.root != nil {
		c.root.Close()
	}
	for _, n := range c.nodes {
		n.stop()
		n.db.Close()
	}
	if os.Getenv("RETROSCIM_CLUSTER_KEEP") == "" {
		if err := os.RemoveAll(c.dir); err != nil {
			t.Errorf("remove %s: %v", c.dir, err)
		}
	}
}

// freePorts finds n free loopback ports.
func freePorts(t *testing.T, n int) []int {
	var ls []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// breakHAProxy turns the HAProxy configuration into the broken variants
// RETROSCIM_CLUSTER_BREAK asks for.
func breakHAProxy(cfg string) (string, error) {
	for _, b := range []struct {
		variant, section string
	}{{"no-db-check", "listen galera_writer"}, {"no-db-check", "listen galera_all"}, {"no-scim-check", "backend retroscim"}} {
		if !broken[b.variant] {
			continue
		}
		i := strings.Index(cfg, "\n"+b.section+"\n")
		if i < 0 {
			return "", fmt.Errorf("haproxy.cfg.tmpl has no %q", b.section)
		}
		end := strings.Index(cfg[i+1:], "\n\n")
		if end < 0 {
			end = len(cfg) - i - 1
		}
		sec := strings.TrimSuffix(cfg[i+1:i+1+end], "\n")
		var out []string
		for _, line := range strings.Split(sec, "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) > 0 && f[0] == "server":
				line = strings.Replace(line, " check", "", 1)
			case len(f) > 0 && (f[0] == "option" && (f[1] == "external-check" || f[1] == "httpchk") || f[0] == "external-check" || f[0] == "http-check"):
				continue
			}
			out = append(out, line)
		}
		out = append(out, "    no option redispatch")
		cfg = cfg[:i+1] + strings.Join(out, "\n") + "\n" + strings.TrimPrefix(cfg[i+1+end:], "\n")
	}
	return cfg, nil
}
