package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/retroscim/retroscim/legacy/legacytest"
)

// benchSetup is the command that builds the 1M-user bench database, or
// finds it already built: the data generator of make bench, reused.
var benchSetup = []string{"go", "test", "-run", "^$", "-bench", "^BenchmarkSetup$", "-benchtime", "1x", "./adapter/"}

// ensureBenchDatabase runs benchSetup in the module at root and returns the
// DSN of the database it built: retroscim_bench (RETROSCIM_BENCH_DB) on
// the test server (RETROSCIM_TEST_DSN, or root@127.0.0.1:3306).
func ensureBenchDatabase(ctx context.Context, root string, progress io.Writer) (string, error) {
	fmt.Fprintf(progress, "benchhttp: bench database: %s (the first time builds 1M users)\n", shellJoin(benchSetup))
	cmd := exec.CommandContext(ctx, benchSetup[0], benchSetup[1:]...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build the bench database: %w\n%s", err, out.String())
	}
	cfg, err := mysql.ParseDSN(legacytest.ServerDSN())
	if err != nil {
		return "", err
	}
	cfg.DBName = os.Getenv("RETROSCIM_BENCH_DB")
	if cfg.DBName == "" {
		cfg.DBName = "retroscim_bench"
	}
	return cfg.FormatDSN(), nil
}

// dataset is what the driver knows of the database: its size, and a
// sample of the users the token may see, to pick requests from.
type dataset struct {
	name, addr     string // database and server, for the report (never the DSN)
	version        string
	users, inScope int64
	ids            []string
	logins         []string
}

// sampleSize bounds the users the driver picks from at random. The sample
// is spread over the whole table.
const sampleSize = 50000

func openDataset(ctx context.Context, dsn string) (*dataset, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("--dsn: %w", err)
	}
	db, err := sqlx.Open("mysql", dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	d := &dataset{name: cfg.DBName, addr: cfg.Addr}
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&d.version); err != nil {
		return nil, fmt.Errorf("database %s at %s: %w", d.name, d.addr, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*), COUNT(CASE WHEN auth_source = ? AND org_id = ? THEN 1 END) FROM users", scopeSource, scopeTenant).Scan(&d.users, &d.inScope); err != nil {
		return nil, fmt.Errorf("database %s at %s (the sample schema?): %w", d.name, d.addr, err)
	}
	if d.inScope == 0 {
		return nil, fmt.Errorf("database %s has no users with auth_source %q in tenant %d", d.name, scopeSource, scopeTenant)
	}
	fraction := min(1, 1.1*sampleSize/float64(d.inScope))
	rows, err := db.QueryxContext(ctx, "SELECT id, login FROM users WHERE auth_source = ? AND org_id = ? AND RAND() < ? LIMIT ?", scopeSource, scopeTenant, fraction, sampleSize)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, login string
		if err := rows.Scan(&id, &login); err != nil {
			return nil, err
		}
		d.ids = append(d.ids, id)
		d.logins = append(d.logins, login)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(d.ids) == 0 {
		return nil, fmt.Errorf("database %s: the sample of users in scope came out empty", d.name)
	}
	return d, nil
}
