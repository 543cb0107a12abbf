// Package legacy runs SQL against the application's own MySQL/MariaDB
// database: the statements mapping builds (values of legacy/sqlstmt, never
// text), in transactions with a deadline on every step, behind a circuit
// breaker, with keyset continuation of paged lists, bounded caches of
// totals, cursors and lookups, and retroscim's own tables (tokens, audit,
// dry runs). It knows SQL, not SCIM; its only SQL text is its own: the
// catalog queries of check and introspect, and the statements on
// retroscim's own tables.
package legacy

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/jmoiron/sqlx"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// Errors returned by Store methods. Callers match them with errors.Is.
var (
	// ErrNotFound means no row matched.
	ErrNotFound = errors.New("row not found")
	// ErrTimeout means a statement ran past the query timeout.
	ErrTimeout = errors.New("database query timed out")
	// ErrUnavailable means the database could not be reached.
	ErrUnavailable = errors.New("database unavailable")
)

// Options tune a Store. Zero values take the defaults noted.
type Options struct {
	MaxOpenConns    int           // default 20
	MaxIdleConns    int           // default MaxOpenConns
	ConnMaxLifetime time.Duration // default 30m
	// QueryTimeout bounds each database step; default 5s. The server stops
	// a statement at QueryTimeout; the client gives up on an answer a
	// grace later (a quarter of it, between 0.1 s and 1 s), and so it does
	// for a connect, a free pooled connection, BEGIN and COMMIT.
	QueryTimeout time.Duration
	// CountTTL is how long a COUNT(*) for one predicate is reused as it is;
	// default 30s. Until twice CountTTL it is still served while one
	// background recount replaces it.
	CountTTL time.Duration
	// CountWarm is how long after a page last needed a list's total its
	// count is kept counted in the background, once per CountTTL, so
	// that no page waits for it (see warm.go); 0, the default, keeps
	// none.
	CountWarm time.Duration
	// CursorTTL is how long a remembered page position is usable; default 10m.
	CursorTTL time.Duration
	// CursorCacheSize bounds the list queries with remembered positions
	// (and the cached counts); default 4096.
	CursorCacheSize int
	// LookupTTL is how long a looked-up key (a role's id by its name) is
	// reused; it bounds how late a renamed role is noticed. Default 10s.
	LookupTTL time.Duration
	// LookupCacheSize bounds the cached lookups; default 4096.
	LookupCacheSize int
	// BreakerFailures consecutive database failures open the circuit
	// breaker (default 5); it stays open for BreakerOpenFor (default 10s),
	// then lets one probe through. BreakerInterval (default 60s) clears
	// the failure count while closed.
	BreakerFailures int
	BreakerOpenFor  time.Duration
	BreakerInterval time.Duration
	// ConnMaxIdleTime closes connections idle this long (default 5m).
	ConnMaxIdleTime time.Duration
	// Observer receives query, cache and breaker events (metrics).
	Observer Observer
	// Explain, when set, opens the store in explain mode: statements are
	// recorded there, reads run with their EXPLAIN, writes do not run and
	// transactions roll back.
	Explain *ExplainLog
	// TolerateUnsafeCharset opens connections whose character set would
	// make interpolation unsafe, and then interpolates nothing (values go
	// as server-side prepared statement arguments); UnsafeCharset says
	// what was seen. For retroscim check, which reports the character set
	// as a finding instead of refusing to run.
	TolerateUnsafeCharset bool
}

func (o *Options) defaults() {
	if o.MaxOpenConns <= 0 {
		o.MaxOpenConns = 20
	}
	if o.MaxIdleConns <= 0 {
		o.MaxIdleConns = o.MaxOpenConns
	}
	if o.ConnMaxLifetime <= 0 {
		o.ConnMaxLifetime = 30 * time.Minute
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 5 * time.Second
	}
	if o.CountTTL <= 0 {
		o.CountTTL = 30 * time.Second
	}
	if o.CursorTTL <= 0 {
		o.CursorTTL = 10 * time.Minute
	}
	if o.CursorCacheSize <= 0 {
		o.CursorCacheSize = 4096
	}
	if o.LookupTTL <= 0 {
		o.LookupTTL = 10 * time.Second
	}
	if o.LookupCacheSize <= 0 {
		o.LookupCacheSize = 4096
	}
	if o.BreakerFailures <= 0 {
		o.BreakerFailures = 5
	}
	if o.BreakerOpenFor <= 0 {
		o.BreakerOpenFor = 10 * time.Second
	}
	if o.BreakerInterval <= 0 {
		o.BreakerInterval = time.Minute
	}
	if o.ConnMaxIdleTime <= 0 {
		o.ConnMaxIdleTime = 5 * time.Minute
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
}

// Store executes statements against the app's database.
type Store struct {
	db      *sqlx.DB
	opts    Options
	cursors *expirable.LRU[string, *cursorSet]
	counts  *expirable.LRU[string, countEntry]
	// countGens numbers this process's writes per partition, so cached
	// counts older than a write are not used.
	countGens *generations
	lookups   *expirable.LRU[string, any]
	breaker   *breaker
	obs       Observer
	// connector opens the pool's connections and the breaker's probes.
	connector driver.Connector
	checked   *connector
	// stepTimeout is the client's deadline of one database step:
	// query_timeout and the grace.
	stepTimeout time.Duration
	// steps keeps the open steps' deadlines (queryContext).
	steps *stepSweeper
	// now is the clock counts are aged by (tests move it).
	now func() time.Time
	recounts
	warm warmth
}

// Open connects to the database named by dsn (a go-sql-driver/mysql DSN).
//
// Some connection settings are forced, whatever the DSN says:
// interpolateParams=true, because the driver's default prepare, execute and
// close per query halves throughput; and parseTime=true, so DATETIME values
// arrive as time.Time. Unless the DSN sets time_zone, the session uses UTC
// so TIMESTAMP columns read the same as the driver's UTC location.
//
// Because values are interpolated, every new connection is checked before
// use: its @@character_set_client must be one of SafeCharsets, whatever
// the DSN or the server's init_connect chose. Open fails with a
// *CharsetError otherwise (and later such a connection is refused, and the
// database is unavailable), unless opts.TolerateUnsafeCharset is set.
//
// Every database step is bounded: see queryContext. The server stops a
// statement at QueryTimeout; the client gives up a grace later; dial,
// handshake and session set-up of a connection share one such deadline,
// and the kernel's TCP timeouts back it all up (dial.go).
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		// The driver's message can quote the DSN, password included.
		return nil, errors.New("invalid database DSN: expected user:password@tcp(host:port)/database?param=value")
	}
	opts.defaults()
	step := opts.QueryTimeout + grace(opts.QueryTimeout)
	cfg.InterpolateParams = !opts.TolerateUnsafeCharset
	cfg.ParseTime = true
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if _, ok := cfg.Params["time_zone"]; !ok && (cfg.Loc == nil || cfg.Loc == time.UTC) {
		cfg.Params["time_zone"] = "'+00:00'"
	}
	// A user's groups are read as one GROUP_CONCAT; MySQL cuts it at 1 KiB
	// by default.
	if _, ok := cfg.Params["group_concat_max_len"]; !ok {
		cfg.Params["group_concat_max_len"] = "4194304"
	}
	if cfg.Timeout == 0 || cfg.Timeout > step {
		cfg.Timeout = step
	}
	// The backstop under the contexts: the kernel's, at dial (dial.go).
	if cfg.Net == "tcp" && cfg.DialFunc == nil {
		cfg.DialFunc = dialContext(step + grace(opts.QueryTimeout))
	}
	source := charsetSource(cfg)
	flavor, err := serverFlavor(ctx, cfg, source, step, opts.TolerateUnsafeCharset)
	if err != nil {
		return nil, fmt.Errorf("connect to database %s: %w", describe(cfg), safeErr(err))
	}
	// The server enforces the query timeout too: when the client gives up
	// on a statement, the server stops running it instead of carrying on
	// against the app's tables.
	switch flavor {
	case "mariadb":
		cfg.Params["max_statement_time"] = strconv.FormatFloat(opts.QueryTimeout.Seconds(), 'f', 3, 64)
	case "mysql":
		// max_execution_time covers reads only; the lock waits of writes
		// end with the server's lock wait timeout instead of the client's
		// deadline, so a lock held by the app is not taken for a dead
		// database.
		cfg.Params["max_execution_time"] = strconv.FormatInt(opts.QueryTimeout.Milliseconds(), 10)
		if _, ok := cfg.Params["innodb_lock_wait_timeout"]; !ok {
			cfg.Params["innodb_lock_wait_timeout"] = strconv.FormatInt(int64(math.Ceil(opts.QueryTimeout.Seconds())), 10)
		}
	}
	checked, err := newConnector(cfg, source, step, opts.TolerateUnsafeCharset)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", describe(cfg), err)
	}
	var conn driver.Connector = dryRunConnector{Connector: checked}
	if opts.Explain != nil {
		conn = explainConnector{Connector: checked, log: opts.Explain}
	}
	db := sqlx.NewDb(sql.OpenDB(conn), "mysql")
	db.SetMaxOpenConns(opts.MaxOpenConns)
	db.SetMaxIdleConns(opts.MaxIdleConns)
	db.SetConnMaxLifetime(opts.ConnMaxLifetime)
	db.SetConnMaxIdleTime(opts.ConnMaxIdleTime)
	s := &Store{
		db:          db,
		opts:        opts,
		obs:         opts.Observer,
		breaker:     newBreaker(opts, opts.Observer),
		cursors:     expirable.NewLRU[string, *cursorSet](opts.CursorCacheSize, nil, opts.CursorTTL),
		counts:      expirable.NewLRU[string, countEntry](opts.CursorCacheSize, nil, countEntryTTL(opts.CountTTL)),
		lookups:     expirable.NewLRU[string, any](opts.LookupCacheSize, nil, opts.LookupTTL),
		connector:   conn,
		checked:     checked,
		stepTimeout: step,
		steps:       newStepSweeper(step),
		now:         time.Now,
	}
	s.countGens = newGenerations()
	s.breaker.probe = s.probeWhenHalfOpen
	pctx, cancel := context.WithTimeout(ctx, step)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to database %s: %w", describe(cfg), safeErr(err))
	}
	s.startWarming()
	return s, nil
}

// newConnector is the driver's connector for cfg, checked and bounded.
func newConnector(cfg *mysql.Config, source string, timeout time.Duration, tolerate bool) (*connector, error) {
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return &connector{Connector: c, timeout: timeout, source: source, tolerate: tolerate}, nil
}

// UnsafeCharset says, for a store opened with TolerateUnsafeCharset,
// which unsafe client character set its connections had (and what set
// it); nil when none had.
func (s *Store) UnsafeCharset() *CharsetError {
	if cs := s.checked.unsafeCharset(); cs != "" {
		return &CharsetError{Charset: cs, Source: s.checked.source}
	}
	return nil
}

// serverFlavor tells MariaDB from MySQL 5.7.8+ (which has
// max_execution_time); it returns "" for anything else.
func serverFlavor(ctx context.Context, cfg *mysql.Config, source string, timeout time.Duration, tolerate bool) (string, error) {
	connector, err := newConnector(cfg, source, timeout, tolerate)
	if err != nil {
		return "", err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return "", err
	}
	if strings.Contains(strings.ToLower(version), "mariadb") {
		return "mariadb", nil
	}
	var major, minor, patch int
	if _, err := fmt.Sscanf(version, "%d.%d.%d", &major, &minor, &patch); err == nil &&
		(major > 5 || (major == 5 && (minor > 7 || (minor == 7 && patch >= 8)))) {
		return "mysql", nil
	}
	return "", nil
}

// describe names a database without its credentials.
func describe(cfg *mysql.Config) string {
	return fmt.Sprintf("%q at %s", cfg.DBName, cfg.Addr)
}

// safeErr drops driver errors that may echo connection details and keeps
// the MySQL error number and message, which do not.
func safeErr(err error) error {
	var me *mysql.MySQLError
	var cse *CharsetError
	if errors.As(err, &cse) {
		return cse
	}
	if errors.As(err, &me) {
		return me
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return fmt.Errorf("%w: %v", ErrUnavailable, ne)
	}
	return err
}

// DB exposes the connection pool for retroscim's own tables and tests.
func (s *Store) DB() *sqlx.DB { return s.db }

// Close stops the breaker's probes and closes the connection pool.
func (s *Store) Close() error {
	s.stopWarming()
	s.background.Wait() // background recounts end by their deadline
	s.breaker.stop()
	return s.db.Close()
}

// Ping checks that the database answers, through the breaker: while it is
// open, Ping fails at once; when half-open, Ping is the probe.
func (s *Store) Ping(ctx context.Context) error {
	return s.do(ctx, "ping", true, func(ctx context.Context) error { return s.wrap(ctx, s.db.PingContext(ctx)) })
}

// Stats reports the connection pool's statistics.
func (s *Store) Stats() sql.DBStats { return s.db.Stats() }

// Get returns the one row q selects, or ErrNotFound.
func (s *Store) Get(ctx context.Context, q sqlstmt.Select) ([]any, error) {
	q.Limit = 2
	rows, err := s.Query(ctx, q)
	return oneRow(q, rows, err)
}

// query runs a SELECT outside any transaction.
func (s *Store) query(ctx context.Context, stmt string, args []any, width int) ([][]any, error) {
	return queryRows(ctx, s.db, stmt, args, width, s.wrap)
}

// Each runs a SELECT and calls fn for each row as it arrives, without
// holding the result in memory: a 10,000-member group is streamed to the
// client row by row. The row slice is reused between calls.
//
// An error of fn (a write to a slow or vanished client) is returned as it
// is and never counts against the database; nor does the deadline cutting
// a stream that rows were arriving on.
func (s *Store) Each(ctx context.Context, q sqlstmt.Select, fn func([]any) error) error {
	stmt, args := q.SQL()
	return s.do(ctx, "each", true, func(ctx context.Context) error { return s.each(ctx, stmt, args, len(q.Columns), fn) })
}

func (s *Store) each(ctx context.Context, stmt string, args []any, width int, fn func([]any) error) error {
	rows, err := s.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return s.wrap(ctx, err)
	}
	defer rows.Close()
	vals := make([]any, width)
	ptrs := make([]any, width)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	delivered := false
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return s.wrap(ctx, err)
		}
		delivered = true
		if err := fn(vals); err != nil {
			return &consumerError{err: err}
		}
	}
	err = s.wrap(ctx, rows.Err())
	if delivered {
		err = consumerTimeout(err)
	}
	return err
}

// Query runs a SELECT outside any transaction and returns every row.
func (s *Store) Query(ctx context.Context, q sqlstmt.Select) ([][]any, error) {
	stmt, args := q.SQL()
	var rows [][]any
	err := s.do(ctx, "query", true, func(ctx context.Context) (err error) {
		rows, err = s.query(ctx, stmt, args, len(q.Columns))
		return err
	})
	return rows, err
}
