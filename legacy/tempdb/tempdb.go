// Package tempdb starts a throwaway MariaDB server: a fresh data directory,
// a free loopback port, root without a password. retroscim demo serves the
// sample app on one, and tests fall back to one when no server answers.
package tempdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// ErrNotInstalled means no MariaDB server binary was found.
var ErrNotInstalled = errors.New("MariaDB is not installed (no mariadbd on PATH or in /usr/sbin)")

// InstallHint is the command that installs what Start needs.
const InstallHint = "sudo apt-get install -y mariadb-server-core mariadb-client   # Debian/Ubuntu; elsewhere install MariaDB 10.6+"

// Binaries are the MariaDB programs Start runs.
type Binaries struct {
	Server    string // mariadbd
	InstallDB string // mariadb-install-db
}

// Find locates mariadbd and mariadb-install-db.
func Find() (Binaries, error) {
	server := lookPath("mariadbd", "/usr/sbin", "/usr/local/sbin", "/usr/libexec", "/opt/homebrew/bin", "/usr/local/bin")
	install := lookPath("mariadb-install-db", "/usr/bin", "/usr/local/bin", "/opt/homebrew/bin")
	if install == "" {
		install = lookPath("mysql_install_db", "/usr/bin", "/usr/local/bin")
	}
	if server == "" || install == "" {
		return Binaries{}, ErrNotInstalled
	}
	return Binaries{Server: server, InstallDB: install}, nil
}

func lookPath(name string, dirs ...string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// Options tune Start.
type Options struct {
	// Dir holds the data directory, socket and log. Empty: a new temporary
	// directory, removed by Stop.
	Dir string
	// Detach lets the server outlive this process (tests share one server
	// across packages). Otherwise the server is killed when the process
	// that started it dies.
	Detach bool
}

// Server is a running throwaway MariaDB.
type Server struct {
	Port    int
	Dir     string
	cmd     *exec.Cmd
	ownsDir bool
	exited  chan error
}

// Start installs a data directory and starts mariadbd on a free loopback
// port, returning once the server answers.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bins, err := Find()
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: opts.Dir}
	if s.Dir == "" {
		if s.Dir, err = os.MkdirTemp("", "retroscim-mariadb-"); err != nil {
			return nil, err
		}
		s.ownsDir = true
	}
	data := filepath.Join(s.Dir, "data")
	user := currentUser()
	install := exec.CommandContext(ctx, bins.InstallDB, "--no-defaults", "--auth-root-authentication-method=normal",
		"--datadir="+data, "--skip-test-db", "--user="+user)
	if out, err := install.CombinedOutput(); err != nil {
		s.cleanup()
		return nil, fmt.Errorf("%s: %w\n%s", filepath.Base(bins.InstallDB), err, lastLines(string(out), 10))
	}
	if s.Port, err = freePort(); err != nil {
		s.cleanup()
		return nil, err
	}
	args := []string{"--no-defaults", "--datadir=" + data, "--port=" + strconv.Itoa(s.Port),
		"--bind-address=127.0.0.1", "--socket=" + filepath.Join(s.Dir, "mariadb.sock"),
		"--pid-file=" + filepath.Join(s.Dir, "mariadb.pid"), "--log-error=" + filepath.Join(s.Dir, "error.log"),
		"--skip-log-bin", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
		"--innodb-buffer-pool-size=64M", "--user=" + user}
	s.cmd = exec.Command(bins.Server, args...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if !opts.Detach {
		s.cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := s.cmd.Start(); err != nil {
		s.cleanup()
		return nil, fmt.Errorf("start %s: %w", bins.Server, err)
	}
	s.exited = make(chan error, 1)
	go func() { s.exited <- s.cmd.Wait() }()
	if err := s.waitReady(ctx, 30*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// currentUser is the account mariadbd runs as; it refuses root unless told.
func currentUser() string {
	if os.Geteuid() == 0 {
		return "root"
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return strconv.Itoa(os.Geteuid())
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// DSN is the server's root DSN, without a database.
func (s *Server) DSN() string {
	return fmt.Sprintf("root@tcp(127.0.0.1:%d)/", s.Port)
}

func (s *Server) waitReady(ctx context.Context, limit time.Duration) error {
	cfg, _ := mysql.ParseDSN(s.DSN())
	cfg.Timeout = time.Second
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	deadline := time.Now().Add(limit)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := db.PingContext(pctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case werr := <-s.exited:
			s.exited <- werr
			return fmt.Errorf("mariadbd exited while starting (%v); its log:\n%s", werr, s.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mariadbd did not answer within %s; its log:\n%s", limit, s.logTail())
		}
	}
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "error.log"))
	return lastLines(string(b), 15)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Stop shuts the server down (SIGTERM, then SIGKILL after 10 s) and
// removes the directory Start created.
func (s *Server) Stop() error {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.exited
		}
	}
	return s.cleanup()
}

func (s *Server) cleanup() error {
	if s.ownsDir {
		return os.RemoveAll(s.Dir)
	}
	return nil
}
