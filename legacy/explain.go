package legacy

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"strings"
	"sync"
)

// ExplainLog records what a store opened in explain mode would run, in
// order. Reads run (with the database's EXPLAIN of each), writes are
// recorded and not run, and every transaction is rolled back: a store in
// explain mode changes nothing.
type ExplainLog struct {
	mu         sync.Mutex
	statements []Statement
	tx         int
}

// Statement is one recorded statement or transaction boundary.
type Statement struct {
	// Tx numbers the transaction the statement runs in; 0 outside one.
	Tx int
	// Kind is begin, commit, rollback, read or write.
	Kind string
	SQL  string
	Args []any
	// Plan is the EXPLAIN of a read: a header row, then one row per table.
	Plan [][]string
}

// Statements returns what was recorded so far.
func (l *ExplainLog) Statements() []Statement {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Statement(nil), l.statements...)
}

// Reset forgets what was recorded (the schema reads at start-up).
func (l *ExplainLog) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.statements = nil
}

func (l *ExplainLog) add(s Statement) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.statements = append(l.statements, s)
}

func (l *ExplainLog) nextTx() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tx++
	return l.tx
}

// explainConnector wraps the driver's connector so that every statement
// passes through the log.
type explainConnector struct {
	driver.Connector
	log *ExplainLog
}

func (c explainConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &explainConn{Conn: conn, log: c.log}, nil
}

type explainConn struct {
	driver.Conn
	log *ExplainLog
	tx  int
}

func (c *explainConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	st := Statement{Tx: c.tx, Kind: "read", SQL: query, Args: values(args)}
	if upper := strings.ToUpper(strings.TrimSpace(query)); strings.HasPrefix(upper, "SELECT") {
		st.Plan = c.explain(ctx, q, query, args)
	}
	rows, err := q.QueryContext(ctx, query, args)
	if err != driver.ErrSkip {
		// A declined read comes back through explainStmt: record it once.
		c.log.add(st)
	}
	return rows, err
}

// explain asks the database how it would run a read.
func (c *explainConn) explain(ctx context.Context, q driver.QueryerContext, query string, args []driver.NamedValue) [][]string {
	rows, err := q.QueryContext(ctx, "EXPLAIN "+query, args)
	if err != nil {
		return [][]string{{"EXPLAIN failed: " + err.Error()}}
	}
	defer rows.Close()
	plan := [][]string{rows.Columns()}
	vals := make([]driver.Value, len(plan[0]))
	for {
		if err := rows.Next(vals); err != nil {
			if err != io.EOF {
				plan = append(plan, []string{"EXPLAIN failed: " + err.Error()})
			}
			return plan
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				row[i] = "NULL"
			case []byte:
				row[i] = string(x)
			default:
				row[i] = fmt.Sprint(x)
			}
		}
		plan = append(plan, row)
	}
}

// ExecContext records a write without running it. The statements that
// delimit a transaction (the store runs transactions by hand) are recorded
// as such and run, except that COMMIT becomes ROLLBACK.
func (c *explainConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	switch strings.ToUpper(strings.TrimSpace(query)) {
	case "START TRANSACTION":
		if err := c.run(ctx, "START TRANSACTION"); err != nil {
			return nil, err
		}
		c.tx = c.log.nextTx()
		c.log.add(Statement{Tx: c.tx, Kind: "begin"})
		return explainResult{}, nil
	case "COMMIT", "ROLLBACK":
		kind := strings.ToLower(strings.TrimSpace(query))
		c.log.add(Statement{Tx: c.tx, Kind: kind})
		c.tx = 0
		return explainResult{}, c.run(ctx, "ROLLBACK")
	}
	c.log.add(Statement{Tx: c.tx, Kind: "write", SQL: query, Args: values(args)})
	return explainResult{}, nil
}

// run runs a statement without arguments on the real connection.
func (c *explainConn) run(ctx context.Context, stmt string) error {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return fmt.Errorf("explain: the driver cannot run %s", stmt)
	}
	_, err := e.ExecContext(ctx, stmt, nil)
	return err
}

// PrepareContext hands out statements that keep the same rules, so that
// no path through database/sql (the driver declining to interpolate, for
// one) can reach the server with a write.
func (c *explainConn) PrepareContext(_ context.Context, query string) (driver.Stmt, error) {
	return &explainStmt{conn: c, query: query}, nil
}

// Prepare is PrepareContext without a context.
func (c *explainConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// explainStmt is a prepared statement in explain mode: reads go through
// the connection's QueryContext, writes are recorded.
type explainStmt struct {
	conn  *explainConn
	query string
}

func (s *explainStmt) Close() error  { return nil }
func (s *explainStmt) NumInput() int { return -1 }

func (s *explainStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), named(args))
}

func (s *explainStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), named(args))
}

func (s *explainStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.conn.ExecContext(ctx, s.query, args)
}

func (s *explainStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := s.conn.QueryContext(ctx, s.query, args)
	if err != driver.ErrSkip {
		return rows, err
	}
	s.conn.log.add(Statement{Tx: s.conn.tx, Kind: "read", SQL: s.query, Args: values(args)})
	// The driver wants a server-side statement for this read: prepare it
	// on the real connection (reads only; writes never get here).
	p, ok := s.conn.Conn.(driver.ConnPrepareContext)
	if !ok {
		return nil, fmt.Errorf("explain: the driver cannot prepare %q", s.query)
	}
	st, err := p.PrepareContext(ctx, s.query)
	if err != nil {
		return nil, err
	}
	q, ok := st.(driver.StmtQueryContext)
	if !ok {
		st.Close()
		return nil, fmt.Errorf("explain: the driver cannot query %q", s.query)
	}
	rows, err = q.QueryContext(ctx, args)
	if err != nil {
		st.Close()
		return nil, err
	}
	return closingRows{Rows: rows, stmt: st}, nil
}

// closingRows closes a statement prepared for one read with its rows.
type closingRows struct {
	driver.Rows
	stmt driver.Stmt
}

func (r closingRows) Close() error {
	err := r.Rows.Close()
	if cerr := r.stmt.Close(); err == nil {
		err = cerr
	}
	return err
}

func named(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, v := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return out
}

// explainResult is what a write that was not run reports.
type explainResult struct{}

func (explainResult) LastInsertId() (int64, error) { return 0, nil }
func (explainResult) RowsAffected() (int64, error) { return 1, nil }

func (c *explainConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	b, ok := c.Conn.(driver.ConnBeginTx)
	if !ok {
		return nil, fmt.Errorf("explain: the driver cannot begin transactions")
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.tx = c.log.nextTx()
	c.log.add(Statement{Tx: c.tx, Kind: "begin"})
	return &explainTx{Tx: tx, conn: c}, nil
}

func (c *explainConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *explainConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *explainConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *explainConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// explainTx rolls back where the request would commit.
type explainTx struct {
	driver.Tx
	conn *explainConn
}

func (t *explainTx) Commit() error {
	t.conn.log.add(Statement{Tx: t.conn.tx, Kind: "commit"})
	t.conn.tx = 0
	return t.Tx.Rollback()
}

func (t *explainTx) Rollback() error {
	t.conn.log.add(Statement{Tx: t.conn.tx, Kind: "rollback"})
	t.conn.tx = 0
	return t.Tx.Rollback()
}

func values(args []driver.NamedValue) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}
