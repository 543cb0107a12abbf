package cluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

// galeraCluster is the name of the test's cluster (wsrep_cluster_name).
const galeraCluster = "retroscim_test"

// node is one Galera node: a mariadbd with its own data directory, socket,
// pid file and ports.
type node struct {
	addr   nodeAddr
	dir    string
	cnf    string
	server string // mariadbd
	cred   *syscall.Credential
	proc   *proc
	db     *sql.DB // root, straight to the node
}

// nodeConfig is the node's option file: what is particular to the test's
// machine (paths, ports, memory) and then the Galera settings of the
// template, which the README shows.
func nodeConfig(dir string, a nodeAddr, all []nodeAddr) (string, error) {
	galera, err := render("galera.cnf.tmpl", galeraTemplate, galeraParams{Cluster: galeraCluster, Nodes: all, Node: a})
	if err != nil {
		return "", err
	}
	local := fmt.Sprintf(`# Node %s of retroscim's cluster test: paths and ports of its own.
[mysqld]
datadir                        = %s
port                           = %d
bind-address                   = 127.0.0.1
socket                         = %s
pid-file                       = %s
log-error                      = %s
character-set-server           = utf8mb4
collation-server               = utf8mb4_general_ci
innodb_buffer_pool_size        = 64M
# A killed mariadbd loses nothing with 2 (the log is written at each commit,
# flushed once a second); only a machine crash would, and the other nodes
# hold every committed write set.
innodb_flush_log_at_trx_commit = 2
max_connections                = 300

`, a.Name, filepath.Join(dir, "data"), a.Port, filepath.Join(dir, "mariadb.sock"), filepath.Join(dir, "mariadb.pid"), filepath.Join(dir, "error.log"))
	return local + galera, nil
}

func newNode(dir string, a nodeAddr, all []nodeAddr, server string, cred *syscall.Credential) (*node, error) {
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o750); err != nil {
		return nil, err
	}
	text, err := nodeConfig(dir, a, all)
	if err != nil {
		return nil, err
	}
	n := &node{addr: a, dir: dir, cnf: filepath.Join(dir, "my.cnf"), server: server, cred: cred}
	if err := os.WriteFile(n.cnf, []byte(text), 0o644); err != nil {
		return nil, err
	}
	if err := chownTree(dir, cred); err != nil {
		return nil, err
	}
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(127.0.0.1:%d)/?timeout=1s&readTimeout=20s&writeTimeout=20s&multiStatements=true&interpolateParams=true", a.Port))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	db.SetConnMaxIdleTime(2 * time.Second)
	n.db = db
	return n, nil
}

// install creates the data directory of the node that bootstraps the
// cluster; the others receive theirs from it by SST.
func (n *node) install(ctx context.Context) error {
	installDB, err := lookPath("mariadb-install-db")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, installDB, "--defaults-file="+n.cnf, "--auth-root-authentication-method=normal", "--skip-test-db")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: n.cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("mariadb-install-db: %w\n%s", err, out)
	}
	return nil
}

// start starts mariadbd; args are extra options (--wsrep-new-cluster).
func (n *node) start(args ...string) error {
	if n.proc.running() {
		return fmt.Errorf("%s is already running", n.addr.Name)
	}
	p, err := startProc(n.addr.Name, filepath.Join(n.dir, "mariadbd.out"), n.cred, nil, n.server, append([]string{"--defaults-file=" + n.cnf}, args...)...)
	if err != nil {
		return err
	}
	n.proc = p
	return nil
}

var recoveredPosition = regexp.MustCompile(`WSREP: Recovered position: ([0-9a-f-]+:-?[0-9]+)`)

// restart starts a node that was killed, as Debian's galera_recovery does:
// mariadbd --wsrep-recover reads the last committed write set from InnoDB,
// and the node starts from there, so it catches up by IST (the write sets
// it missed) rather than by copying every table again (SST).
func (n *node) restart(ctx context.Context) error {
	log := filepath.Join(n.dir, "recover.log")
	_ = os.Remove(log)
	cmd := exec.CommandContext(ctx, n.server, "--defaults-file="+n.cnf, "--wsrep-recover", "--log-error="+log)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: n.cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s --wsrep-recover: %w\n%s", n.addr.Name, err, out)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		return err
	}
	m := recoveredPosition.FindSubmatch(b)
	if m == nil {
		return fmt.Errorf("%s --wsrep-recover found no position:\n%s", n.addr.Name, logTail(log, 10))
	}
	return n.start("--wsrep_start_position=" + string(m[1]))
}

// kill is SIGKILL: the node dies mid-statement, as in a crash.
func (n *node) kill() { n.proc.kill() }

// stop shuts the node down cleanly.
func (n *node) stop() { n.proc.stop(30 * time.Second) }

// status reads the node's wsrep status variables.
func (n *node) status(ctx context.Context) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rows, err := n.db.QueryContext(ctx, "SHOW GLOBAL STATUS WHERE Variable_name LIKE 'wsrep%' OR Variable_name LIKE 'Handler_read%'")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	st := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		st[strings.ToLower(k)] = v
	}
	return st, rows.Err()
}

// counter reads one numeric status variable.
func (n *node) counter(ctx context.Context, name string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var k, v string
	if err := n.db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE ?", name).Scan(&k, &v); err != nil {
		return 0, fmt.Errorf("%s: %s: %w", n.addr.Name, name, err)
	}
	return strconv.ParseInt(v, 10, 64)
}

// waitSynced waits until the node is Synced in a primary component of
// size nodes.
func (n *node) waitSynced(ctx context.Context, size int) error {
	var last string
	for {
		if !n.proc.running() {
			return fmt.Errorf("%s exited while joining (%v); its log:\n%s", n.addr.Name, n.proc.err, logTail(filepath.Join(n.dir, "error.log"), 25))
		}
		st, err := n.status(ctx)
		if err == nil {
			last = fmt.Sprintf("state %s, cluster size %s, %s", st["wsrep_local_state_comment"], st["wsrep_cluster_size"], st["wsrep_cluster_status"])
			if st["wsrep_local_state_comment"] == "Synced" && st["wsrep_ready"] == "ON" && st["wsrep_cluster_size"] == strconv.Itoa(size) && st["wsrep_cluster_status"] == "Primary" {
				return nil
			}
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s is not Synced in a cluster of %d (%s): %w; its log:\n%s", n.addr.Name, size, last, ctx.Err(), logTail(filepath.Join(n.dir, "error.log"), 25))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// startGalera bootstraps the first node with --wsrep-new-cluster, joins
// the others (state transfer by rsync) and waits until all are Synced.
func startGalera(ctx context.Context, nodes []*node) error {
	if err := nodes[0].install(ctx); err != nil {
		return err
	}
	if err := nodes[0].start("--wsrep-new-cluster"); err != nil {
		return err
	}
	if err := nodes[0].waitSynced(ctx, 1); err != nil {
		return err
	}
	for _, n := range nodes[1:] {
		if err := n.start(); err != nil {
			return err
		}
	}
	for _, n := range nodes {
		if err := n.waitSynced(ctx, len(nodes)); err != nil {
			return err
		}
	}
	return nil
}

// galeraBinaries checks for what the cluster needs and says how to
// install what is missing.
func galeraBinaries() (server string, err error) {
	var missing []string
	server, err = lookPath("mariadbd")
	if err != nil {
		missing = append(missing, "mariadb-server")
	}
	for _, p := range []string{"mariadb-install-db", "mariadb", "rsync", "haproxy", "wsrep_sst_rsync"} {
		if _, err := lookPath(p); err != nil {
			missing = append(missing, p)
		}
	}
	if _, err := os.Stat("/usr/lib/galera/libgalera_smm.so"); err != nil {
		missing = append(missing, "galera-4")
	}
	if len(missing) > 0 {
		return "", errors.New("missing " + strings.Join(missing, ", ") + ": run .ci/cluster-deps (apt-get install galera-4 rsync haproxy mariadb-server mariadb-client)")
	}
	return server, nil
}
