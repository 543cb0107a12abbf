// Package legacytest gives tests a throwaway database on a real MySQL or
// MariaDB server: created empty, loaded with the test's schema and rows,
// dropped when the test ends.
//
// The server is, in order: RETROSCIM_TEST_DSN (a go-sql-driver/mysql DSN
// without a database name); root@tcp(127.0.0.1:3306)/ when it answers;
// otherwise a throwaway MariaDB that the first test starts from the
// installed binaries and leaves running, in $TMPDIR/retroscim-testdb-<uid>,
// for the other test packages and the next run (make testdb-stop stops it).
//
// It also holds what the tests of several packages share around a
// database: a Proxy that fails the network on cue and a Buffer for a
// server's log. Golden files are compared by the subpackage golden, which
// mapping's tests can import too.
package legacytest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/retroscim/retroscim/legacy/tempdb"
)

// DefaultDSN is the server tests use when RETROSCIM_TEST_DSN is unset.
const DefaultDSN = "root@tcp(127.0.0.1:3306)/"

var (
	serverOnce sync.Once
	serverDSN  string
	serverErr  error
)

// ServerDSN returns the DSN of the test server, without a database.
func ServerDSN() string {
	dsn, _ := findServer()
	return dsn
}

func findServer() (string, error) {
	serverOnce.Do(func() {
		if dsn := os.Getenv("RETROSCIM_TEST_DSN"); dsn != "" {
			serverDSN = dsn
			return
		}
		if err := ping(DefaultDSN); err == nil {
			serverDSN = DefaultDSN
			return
		}
		serverDSN, serverErr = sharedTempServer()
		if serverErr == nil {
			fmt.Fprintf(os.Stderr, "legacytest: nothing answers at 127.0.0.1:3306; using a throwaway MariaDB at %s\n", serverDSN)
		}
	})
	return serverDSN, serverErr
}

func ping(dsn string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return err
	}
	cfg.Timeout = time.Second
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// sharedTempServer returns the throwaway server shared by every test
// process of this user, starting it if none runs. A file lock keeps two
// test packages from starting two.
func sharedTempServer() (string, error) {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("retroscim-testdb-%d", os.Getuid()))
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	portFile := filepath.Join(dir, "port")
	if b, err := os.ReadFile(portFile); err == nil {
		dsn := fmt.Sprintf("root@tcp(127.0.0.1:%s)/", strings.TrimSpace(string(b)))
		if ping(dsn) == nil {
			return dsn, nil
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	srv, err := tempdb.Start(context.Background(), tempdb.Options{Dir: dir, Detach: true})
	if err != nil {
		if errors.Is(err, tempdb.ErrNotInstalled) {
			return "", fmt.Errorf("no MySQL/MariaDB server answers at 127.0.0.1:3306, RETROSCIM_TEST_DSN is unset, and %w; install it: %s", err, tempdb.InstallHint)
		}
		return "", err
	}
	if err := os.WriteFile(portFile, []byte(strconv.Itoa(srv.Port)), 0o600); err != nil {
		return "", err
	}
	return srv.DSN(), nil
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// NewDatabase creates an empty database named after the test, runs each
// SQL script in it (several statements per script are fine), and
// returns a DSN for it. The database is dropped when tb ends.
func NewDatabase(tb testing.TB, scripts ...string) string {
	tb.Helper()
	dsn, err := findServer()
	if err != nil {
		tb.Fatal(err)
	}
	server, err := mysql.ParseDSN(dsn)
	if err != nil {
		tb.Fatalf("RETROSCIM_TEST_DSN: %v", err)
	}
	admin, err := sql.Open("mysql", server.FormatDSN())
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if err := admin.Ping(); err != nil {
		tb.Fatalf("no MySQL/MariaDB server at %s (set RETROSCIM_TEST_DSN): %v", server.Addr, err)
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := unsafeName.ReplaceAllString(strings.ToLower(tb.Name()), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	name = "rs_" + name + "_" + hex.EncodeToString(suffix)
	if _, err := admin.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		admin, err := sql.Open("mysql", server.FormatDSN())
		if err != nil {
			return
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS `" + name + "`"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})

	dbCfg := server.Clone()
	dbCfg.DBName = name
	dbCfg.MultiStatements = true
	db, err := sql.Open("mysql", dbCfg.FormatDSN())
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	for _, script := range scripts {
		if strings.TrimSpace(script) == "" {
			continue
		}
		if _, err := db.Exec(script); err != nil {
			tb.Fatalf("load test schema: %v", err)
		}
	}
	dbCfg.MultiStatements = false
	return dbCfg.FormatDSN()
}

// MustExec runs statements against dsn, failing the test on error.
func MustExec(tb testing.TB, dsn string, stmts ...string) {
	tb.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			tb.Fatalf("%s: %v", s, err)
		}
	}
}

// Checksum returns a digest of a table's rows, to prove a request changed
// nothing.
func Checksum(tb testing.TB, dsn, table string) string {
	tb.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var name string
	var sum sql.NullInt64
	if err := db.QueryRow("CHECKSUM TABLE `"+table+"` EXTENDED").Scan(&name, &sum); err != nil {
		tb.Fatalf("checksum %s: %v", table, err)
	}
	return fmt.Sprint(sum.Int64)
}

// Row returns the first row a query selects on dsn, as strings ("NULL"
// for NULL), or nil when it selects none.
func Row(tb testing.TB, dsn, query string, args ...any) []string {
	tb.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(query, args...)
	if err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		tb.Fatal(err)
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			tb.Fatalf("%s: %v", query, err)
		}
		return nil
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		tb.Fatal(err)
	}
	out := make([]string, len(cols))
	for i, v := range vals {
		out[i] = "NULL"
		if v.Valid {
			out[i] = v.String
		}
	}
	return out
}

// NewAccount creates a database account for the test with only the
// privileges stmts give it, and returns a DSN that logs in as it to the
// database of dsn. Each statement runs as the server's administrator,
// with {account} standing for the new account ('rs_…'@'%') and {db} for
// the quoted database name: "GRANT SELECT ON {db}.`users` TO {account}".
// The account is dropped when tb ends. The test server's account must be
// allowed to create users and to grant (WITH GRANT OPTION), as root is.
func NewAccount(tb testing.TB, dsn string, stmts ...string) string {
	tb.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	user, password := "rs_"+hex.EncodeToString(suffix), "pw-"+hex.EncodeToString(suffix)
	account := "'" + user + "'@'%'"
	MustExec(tb, dsn, "CREATE USER "+account+" IDENTIFIED BY '"+password+"'")
	tb.Cleanup(func() {
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			return
		}
		defer db.Close()
		if _, err := db.Exec("DROP USER IF EXISTS " + account); err != nil {
			tb.Errorf("drop test account %s: %v", account, err)
		}
	})
	r := strings.NewReplacer("{account}", account, "{db}", "`"+strings.ReplaceAll(cfg.DBName, "`", "``")+"`")
	for _, s := range stmts {
		MustExec(tb, dsn, r.Replace(s))
	}
	cfg.User, cfg.Passwd = user, password
	return cfg.FormatDSN()
}
