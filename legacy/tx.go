package legacy

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// Errors a write can end with. ConstraintError wraps them with detail.
var (
	// ErrConflict means a unique key already holds the value (MySQL 1062).
	ErrConflict = errors.New("duplicate key")
	// ErrReferenced means other rows reference the row (MySQL 1451).
	ErrReferenced = errors.New("row is referenced by other rows")
	// ErrInvalidData means the database refused a value: too long, wrong
	// type, NULL for NOT NULL, or a foreign key to nothing.
	ErrInvalidData = errors.New("invalid data for column")
)

// ConstraintError is a write the database refused because of the data.
type ConstraintError struct {
	Kind error  // ErrConflict, ErrReferenced or ErrInvalidData
	Key  string // the unique key or column named by the server, if any
	Err  *mysql.MySQLError
}

func (e *ConstraintError) Error() string {
	if e.Key != "" {
		return fmt.Sprintf("%v (%s): %v", e.Kind, e.Key, e.Err)
	}
	return fmt.Sprintf("%v: %v", e.Kind, e.Err)
}

func (e *ConstraintError) Unwrap() error { return e.Kind }

// constraintError classifies MySQL errors caused by the data written.
func constraintError(err error) error {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return nil
	}
	switch me.Number {
	case 1062: // Duplicate entry 'x' for key 'uq_users_org_login'
		return &ConstraintError{Kind: ErrConflict, Key: quotedAfter(me.Message, "for key "), Err: me}
	case 1451: // Cannot delete or update a parent row: a foreign key constraint fails
		return &ConstraintError{Kind: ErrReferenced, Err: me}
	case 1452, 1406, 1366, 1048, 1264, 1265, 1292, 1364: // FK to nothing, too long, bad value, NULL, out of range, truncated, bad date, no default
		return &ConstraintError{Kind: ErrInvalidData, Key: quotedAfter(me.Message, "column "), Err: me}
	}
	return nil
}

// quotedAfter extracts 'name' following marker in a server message.
func quotedAfter(msg, marker string) string {
	i := strings.Index(msg, marker)
	if i < 0 {
		return ""
	}
	// MariaDB qualifies the name (`db`.`table`.`column`): the last part is
	// the one to report, and the database's name is nobody's business.
	rest, name := msg[i+len(marker):], ""
	for len(rest) > 0 && strings.ContainsRune("'`\"", rune(rest[0])) {
		j := strings.IndexByte(rest[1:], rest[0])
		if j < 0 {
			break
		}
		name, rest = rest[1:j+1], rest[j+2:]
		if !strings.HasPrefix(rest, ".") {
			break
		}
		rest = rest[1:]
	}
	return name
}

// Tx is one transaction: every statement of a SCIM write request runs in
// one, so a request applies completely or not at all.
//
// It is run by hand on one pooled connection (START TRANSACTION, the
// statements, COMMIT or ROLLBACK), not with database/sql's Tx, so that
// every step has the step deadline: sql.Tx.Commit takes no context, and
// the server's statement time limit does not cover COMMIT, so a COMMIT
// that never got an answer would hold the request for as long as the
// network lets it. go-sql-driver closes the connection when a step's
// context ends, which also makes the server roll the transaction back.
type Tx struct {
	conn *sqlx.Conn
	s    *Store
	// mark says the transaction holds a connection: any deadline it meets
	// is the database's silence, not a wait for the pool.
	mark *opMark
}

// ErrWriteConflict means the server rolled the transaction back because a
// concurrent one wrote the same rows: an InnoDB deadlock victim, or on
// Galera a certification failure at COMMIT or a local transaction aborted
// for a replicated one (brute-force abort). All are MySQL error 1213, and
// nothing of the transaction was applied. InTx runs such a transaction
// again; callers see the error only once the attempts ran out.
var ErrWriteConflict = errors.New("transaction rolled back by a concurrent write")

// maxConflictAttempts bounds how often a transaction that ends in a write
// conflict is run. Writers of one hot row on three Galera nodes need more
// than a single retry (cluster/ measures it): six concurrent group PATCHes
// through three nodes on a loaded machine have conflicted five times in a
// row within 80 ms, so the bound is set by the time the retries may take
// (conflictWait) rather than by a small count.
const maxConflictAttempts = 10

// conflictBackoff is the first retry's longest wait; each later retry may
// wait twice as long, up to conflictBackoffMax. The wait is random (full
// jitter), so transactions that collided do not collide again at once. The
// nine waits between ten attempts add up to at most 1.11 s (about half
// that on average), well inside a request's deadline, which ends the
// retries anyway.
const (
	conflictBackoff    = 10 * time.Millisecond
	conflictBackoffMax = 200 * time.Millisecond
)

// conflictWait is the longest wait before the attempt after attempt
// (1 for the first retry).
func conflictWait(attempt int) time.Duration {
	d := conflictBackoff
	for i := 1; i < attempt && d < conflictBackoffMax; i++ {
		d *= 2
	}
	return min(d, conflictBackoffMax)
}

// InTx runs fn in a transaction and commits it if fn returns nil. A
// transaction rolled back by a write conflict (ErrWriteConflict) is run
// again, up to maxConflictAttempts times, so fn must be safe to run again.
func (s *Store) InTx(ctx context.Context, fn func(*Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.do(ctx, "tx", false, func(ctx context.Context) error { return s.inTx(ctx, fn) })
		if !errors.Is(err, ErrWriteConflict) || attempt == maxConflictAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(rand.N(conflictWait(attempt))):
		}
	}
}

func (s *Store) inTx(ctx context.Context, fn func(*Tx) error) (err error) {
	conn, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	t := &Tx{conn: conn, s: s, mark: &opMark{}}
	t.mark.reached.Store(true)
	ended := false
	defer func() {
		if p := recover(); p != nil {
			t.rollback(ctx)
			panic(p)
		}
		if !ended {
			t.rollback(ctx)
		}
	}()
	if err = fn(t); err != nil {
		return err
	}
	ended, err = t.commit(ctx)
	return err
}

// begin takes a connection and starts a transaction on it, each within the
// step deadline. A connection found broken before START TRANSACTION was
// written (driver.ErrBadConn) is safe to replace, as database/sql does for
// BeginTx.
func (s *Store) begin(ctx context.Context) (*sqlx.Conn, error) {
	for attempt := 1; ; attempt++ {
		sctx, cancel := s.queryContext(ctx)
		conn, err := s.db.Connx(sctx)
		if err == nil {
			if _, err = conn.ExecContext(sctx, "START TRANSACTION"); err != nil {
				discard(conn)
			}
		}
		werr := s.wrap(sctx, err)
		cancel()
		switch {
		case err == nil:
			return conn, nil
		case errors.Is(err, driver.ErrBadConn) && attempt < 3 && ctx.Err() == nil:
			continue
		}
		return nil, werr
	}
}

// commit sends COMMIT and reports whether the transaction is over (and its
// connection back in the pool or closed). A client that has gone away does
// not stop it: the work is done, and cancelling now would only leave its
// outcome unknown.
func (t *Tx) commit(ctx context.Context) (ended bool, err error) {
	cctx, cancel := t.s.detachedContext(t.ctx(ctx))
	defer cancel()
	_, err = t.conn.ExecContext(cctx, "COMMIT")
	var me *mysql.MySQLError
	switch {
	case err == nil:
		t.conn.Close()
		return true, nil
	case errors.As(err, &me):
		// The server answered: the transaction did not commit. It is
		// rolled back with the rest.
		return false, fmt.Errorf("commit: %w", t.s.wrap(cctx, err))
	case errors.Is(err, driver.ErrBadConn) && cctx.Err() == nil:
		// The connection broke before COMMIT was written: the server
		// rolls the transaction back when it sees the connection go.
		discard(t.conn)
		return true, fmt.Errorf("commit: %w", t.s.wrap(cctx, err))
	}
	discard(t.conn)
	return true, &commitError{cause: t.s.wrap(cctx, err)}
}

// rollback ends the transaction. A connection whose ROLLBACK fails is
// closed, never handed back to the pool with a transaction still open on
// it.
func (t *Tx) rollback(ctx context.Context) {
	rctx, cancel := t.s.detachedContext(ctx)
	defer cancel()
	if _, err := t.conn.ExecContext(rctx, "ROLLBACK"); err != nil {
		discard(t.conn)
		return
	}
	t.conn.Close()
}

// discard closes a connection instead of returning it to the pool.
func discard(c *sqlx.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
	_ = c.Close()
}

// ctx is the context of a step of the transaction: marked as holding its
// connection.
func (t *Tx) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, markKey{}, t.mark)
}

// step is the context of one statement of the transaction.
func (t *Tx) step(ctx context.Context) (context.Context, context.CancelFunc) {
	return t.s.queryContext(t.ctx(ctx))
}

// Get reads the one row q matches, or ErrNotFound. A locking read
// (q.Lock, SELECT ... FOR UPDATE) keeps the row locked until the
// transaction ends, so concurrent writers of the same row queue up.
func (t *Tx) Get(ctx context.Context, q sqlstmt.Select) ([]any, error) {
	q.Limit = 2
	rows, err := t.Query(ctx, q)
	return oneRow(q, rows, err)
}

// Exists reports whether q selects a row, as a locking read: under
// REPEATABLE READ it also locks the gap, so no other transaction can
// insert a matching row before this one ends.
func (t *Tx) Exists(ctx context.Context, q sqlstmt.Select) (bool, error) {
	q.Columns, q.ColumnArgs, q.Limit, q.Lock = []string{"1"}, nil, 1, true
	rows, err := t.Query(ctx, q)
	if err != nil {
		return false, fmt.Errorf("check: %w", err)
	}
	return len(rows) > 0, nil
}

// Update runs an UPDATE and returns the number of rows matched.
func (t *Tx) Update(ctx context.Context, u sqlstmt.Update) (int64, error) {
	return t.run(ctx, "update "+u.Table, u, false)
}

// Insert runs an INSERT and returns the AUTO_INCREMENT id it generated (0
// when the table has none).
func (t *Tx) Insert(ctx context.Context, in sqlstmt.Insert) (int64, error) {
	return t.run(ctx, "insert into "+in.Table, in, true)
}

// Delete removes the rows d matches and returns how many.
func (t *Tx) Delete(ctx context.Context, d sqlstmt.Delete) (int64, error) {
	return t.run(ctx, "delete from "+d.Table, d, false)
}

// Write runs one write statement of any kind (the steps of a membership
// change) and returns the rows it affected.
func (t *Tx) Write(ctx context.Context, st sqlstmt.Statement) (int64, error) {
	return t.run(ctx, "write", st, false)
}

// run executes a statement value.
func (t *Tx) run(ctx context.Context, what string, st sqlstmt.Statement, lastID bool) (int64, error) {
	stmt, args := st.SQL()
	return t.exec(ctx, what, stmt, args, lastID)
}

// exec executes statement text: a rendered statement value, or one of
// legacy's own statements on retroscim's tables.
func (t *Tx) exec(ctx context.Context, what, stmt string, args []any, lastID bool) (int64, error) {
	ctx, cancel := t.step(ctx)
	defer cancel()
	res, err := t.conn.ExecContext(ctx, stmt, args...)
	if err != nil {
		if ce := constraintError(err); ce != nil {
			return 0, fmt.Errorf("%s: %w", what, ce)
		}
		return 0, fmt.Errorf("%s: %w", what, t.s.wrap(ctx, err))
	}
	if lastID {
		return res.LastInsertId()
	}
	return res.RowsAffected()
}

// Query runs a SELECT in the transaction and returns every row.
func (t *Tx) Query(ctx context.Context, q sqlstmt.Select) ([][]any, error) {
	stmt, args := q.SQL()
	return t.query(ctx, stmt, args, len(q.Columns))
}

// query runs SELECT text in the transaction: a rendered statement value, or
// one of legacy's own statements on retroscim's tables.
func (t *Tx) query(ctx context.Context, stmt string, args []any, width int) ([][]any, error) {
	ctx, cancel := t.step(ctx)
	defer cancel()
	return queryRows(ctx, t.conn, stmt, args, width, t.s.wrap)
}

// oneRow is the answer of a read by key: the one row, ErrNotFound, or an
// error saying the key is not unique.
func oneRow(q sqlstmt.Select, rows [][]any, err error) ([]any, error) {
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", q.From, err)
	}
	switch len(rows) {
	case 0:
		return nil, fmt.Errorf("read %s: %w", q.From, ErrNotFound)
	case 1:
		return rows[0], nil
	}
	return nil, fmt.Errorf("read %s: the key matched %d rows; is the id column unique?", q.From, len(rows))
}

// queryer is what queryRows needs: a *sqlx.DB or a *sqlx.Conn.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryRows runs a SELECT and scans every row into width values.
func queryRows(ctx context.Context, q queryer, stmt string, args []any, width int, wrap func(context.Context, error) error) ([][]any, error) {
	rows, err := q.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, wrap(ctx, err)
	}
	defer rows.Close()
	var out [][]any
	ptrs := make([]any, width) // Scan's destinations, pointed at each row's values in turn
	for rows.Next() {
		vals := make([]any, width)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, wrap(ctx, err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(ctx, err)
	}
	return out, nil
}
