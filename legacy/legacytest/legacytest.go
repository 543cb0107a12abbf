// Package legacytest gives tests a throwaway database on a real MySQL or
// MariaDB server: created empty, loaded with the test's schema and rows,
// dropped when the test ends.
//
// The server is found at RETROSCIM_TEST_DSN (a go-sql-driver/mysql DSN
// without a database name) or, by default, root@tcp(127.0.0.1:3306)/.
package legacytest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// DefaultDSN is the server tests use when RETROSCIM_TEST_DSN is unset.
const DefaultDSN = "root@tcp(127.0.0.1:3306)/"

// ServerDSN returns the DSN of the test server, without a database.
func ServerDSN() string {
	if dsn := os.Getenv("RETROSCIM_TEST_DSN"); dsn != "" {
		return dsn
	}
	return DefaultDSN
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// NewDatabase creates an empty database named after the test, runs each
// SQL script in it (several statements per script are fine), and
// returns a DSN for it. The database is dropped when tb ends.
func NewDatabase(tb testing.TB, scripts ...string) string {
	tb.Helper()
	server, err := mysql.ParseDSN(ServerDSN())
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
