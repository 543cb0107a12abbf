package legacy

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// DryRunLog collects the writes of one request served in dry-run mode:
// every statement that would change a row is recorded here and not run,
// and the transaction it belongs to is rolled back where it would commit.
// Reads run as usual, so the request sees every row as it is.
//
// It is explain mode for a whole server, one request at a time: a store
// serves live and dry-run requests side by side, and which a request is
// depends only on its context (WithDryRun). Switching a server between
// the two is a configuration reload, not a new store.
type DryRunLog struct {
	mu         sync.Mutex
	statements []Statement
	tx         int
	secrets    [][]byte
}

// Statements returns the statements recorded so far, with the values
// passed to Redact replaced by "(redacted)".
func (l *DryRunLog) Statements() []Statement {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Statement, len(l.statements))
	for i, st := range l.statements {
		st.Args = append([]any(nil), st.Args...)
		for j, a := range st.Args {
			if l.secret(a) {
				st.Args[j] = Redacted
			}
		}
		out[i] = st
	}
	return out
}

// Redacted stands for a credential in a recorded statement's arguments.
const Redacted = "(redacted)"

// Redact marks values that must never be shown (a password, its hash):
// an argument equal to one of them is recorded as Redacted.
func (l *DryRunLog) Redact(values ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, v := range values {
		if b, ok := bytesOf(v); ok && len(b) > 0 {
			l.secrets = append(l.secrets, b)
		}
	}
}

func (l *DryRunLog) secret(v any) bool {
	b, ok := bytesOf(v)
	if !ok {
		return false
	}
	for _, s := range l.secrets {
		if bytes.Equal(b, s) {
			return true
		}
	}
	return false
}

func bytesOf(v any) ([]byte, bool) {
	switch x := v.(type) {
	case string:
		return []byte(x), true
	case []byte:
		return x, true
	}
	return nil, false
}

// Writes reports whether a write statement was recorded.
func (l *DryRunLog) Writes() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, st := range l.statements {
		if st.Kind == "write" {
			return true
		}
	}
	return false
}

func (l *DryRunLog) add(s Statement) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.statements = append(l.statements, s)
}

func (l *DryRunLog) nextTx() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tx++
	return l.tx
}

type dryRunKey struct{}

// WithDryRun serves everything done with ctx in dry-run mode, recording
// its writes in log. A nil log makes ctx live again (for the dry-run
// record itself, which is written).
func WithDryRun(ctx context.Context, log *DryRunLog) context.Context {
	return context.WithValue(ctx, dryRunKey{}, log)
}

// DryRunOf returns the log of a dry-run context, nil for a live one.
func DryRunOf(ctx context.Context) *DryRunLog {
	l, _ := ctx.Value(dryRunKey{}).(*DryRunLog)
	return l
}

// ErrDryRunRead is a statement sent as a read in dry-run mode that is not
// one: it is refused rather than run.
var ErrDryRunRead = errors.New("dry run: a statement that is not a read was refused")

// dryRunConnector wraps the driver's connector so that each connection
// obeys the context of what runs on it.
type dryRunConnector struct {
	driver.Connector
}

func (c dryRunConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &dryRunConn{Conn: conn}, nil
}

// dryRunConn is a connection that runs the writes of live contexts and
// records those of dry-run ones. A transaction begun in a dry-run context
// stays one until it ends, whatever the context of its later statements.
type dryRunConn struct {
	driver.Conn
	// txLog is the log of the dry-run transaction open on the connection.
	txLog *DryRunLog
	tx    int
}

// logFor is where a write on the connection is recorded; nil: run it.
func (c *dryRunConn) logFor(ctx context.Context) *DryRunLog {
	if c.txLog != nil {
		return c.txLog
	}
	return DryRunOf(ctx)
}

func (c *dryRunConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	log := c.logFor(ctx)
	if log == nil {
		e, ok := c.Conn.(driver.ExecerContext)
		if !ok {
			return nil, driver.ErrSkip
		}
		return e.ExecContext(ctx, query, args)
	}
	switch strings.ToUpper(strings.TrimSpace(query)) {
	case "START TRANSACTION":
		if err := c.run(ctx, "START TRANSACTION"); err != nil {
			return nil, err
		}
		c.txLog, c.tx = log, log.nextTx()
		log.add(Statement{Tx: c.tx, Kind: "begin"})
		return dryRunResult{}, nil
	case "COMMIT", "ROLLBACK":
		log.add(Statement{Tx: c.tx, Kind: strings.ToLower(strings.TrimSpace(query))})
		c.txLog, c.tx = nil, 0
		return dryRunResult{}, c.run(ctx, "ROLLBACK")
	}
	log.add(Statement{Tx: c.tx, Kind: "write", SQL: query, Args: values(args)})
	return dryRunResult{}, nil
}

// run runs a statement without arguments on the real connection.
func (c *dryRunConn) run(ctx context.Context, stmt string) error {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return fmt.Errorf("dry run: the driver cannot run %s", stmt)
	}
	_, err := e.ExecContext(ctx, stmt, nil)
	return err
}

// QueryContext runs reads. In dry-run mode anything that is not plainly a
// read is refused: no path may reach the server with a write.
func (c *dryRunConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.logFor(ctx) != nil && !isRead(query) {
		return nil, fmt.Errorf("%w: %.60q", ErrDryRunRead, query)
	}
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	return q.QueryContext(ctx, query, args)
}

// isRead reports whether a statement only reads.
func isRead(query string) bool {
	q := strings.ToUpper(strings.TrimLeft(query, " \t\r\n("))
	for _, p := range []string{"SELECT", "SHOW", "EXPLAIN", "DESCRIBE"} {
		if strings.HasPrefix(q, p) {
			return true
		}
	}
	return false
}

// PrepareContext prepares on the real connection (preparing runs
// nothing); the statement records its executions in dry-run mode.
func (c *dryRunConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var st driver.Stmt
	var err error
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &dryRunStmt{Stmt: st, conn: c, query: query}, nil
}

// Prepare is PrepareContext without a context.
func (c *dryRunConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// dryRunStmt is a prepared statement that obeys the dry-run rules.
type dryRunStmt struct {
	driver.Stmt
	conn  *dryRunConn
	query string
}

func (s *dryRunStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), named(args))
}

func (s *dryRunStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), named(args))
}

func (s *dryRunStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if s.conn.logFor(ctx) != nil {
		return s.conn.ExecContext(ctx, s.query, args)
	}
	e, ok := s.Stmt.(driver.StmtExecContext)
	if !ok {
		return nil, fmt.Errorf("dry run: the driver cannot execute %.60q", s.query)
	}
	return e.ExecContext(ctx, args)
}

func (s *dryRunStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if s.conn.logFor(ctx) != nil && !isRead(s.query) {
		return nil, fmt.Errorf("%w: %.60q", ErrDryRunRead, s.query)
	}
	q, ok := s.Stmt.(driver.StmtQueryContext)
	if !ok {
		return nil, fmt.Errorf("dry run: the driver cannot query %.60q", s.query)
	}
	return q.QueryContext(ctx, args)
}

// dryRunResult is what a write that was not run reports: one row, as if
// it had matched; no generated id.
type dryRunResult struct{}

func (dryRunResult) LastInsertId() (int64, error) { return 0, nil }
func (dryRunResult) RowsAffected() (int64, error) { return 1, nil }

func (c *dryRunConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	b, ok := c.Conn.(driver.ConnBeginTx)
	if !ok {
		return nil, errors.New("dry run: the driver cannot begin transactions")
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	log := DryRunOf(ctx)
	if log == nil {
		return tx, nil
	}
	c.txLog, c.tx = log, log.nextTx()
	log.add(Statement{Tx: c.tx, Kind: "begin"})
	return &dryRunTx{Tx: tx, conn: c}, nil
}

// dryRunTx rolls back where the request would commit.
type dryRunTx struct {
	driver.Tx
	conn *dryRunConn
}

func (t *dryRunTx) Commit() error { return t.end("commit") }

func (t *dryRunTx) Rollback() error { return t.end("rollback") }

func (t *dryRunTx) end(kind string) error {
	if l := t.conn.txLog; l != nil {
		l.add(Statement{Tx: t.conn.tx, Kind: kind})
	}
	t.conn.txLog, t.conn.tx = nil, 0
	return t.Tx.Rollback()
}

func (c *dryRunConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *dryRunConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *dryRunConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *dryRunConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}
