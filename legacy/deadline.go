package legacy

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Every database step of a request (connect, the wait for a pooled
// connection, BEGIN, each statement, COMMIT) has a deadline. The server
// stops a statement at query_timeout (max_statement_time on MariaDB,
// max_execution_time for MySQL's reads); the client waits a little longer,
// the grace, before it gives up and closes the connection. So a heavy
// statement on a healthy server ends with the server's own timeout error,
// which is the request's fault and leaves the circuit breaker alone, and
// only a database that says nothing at all within the grace counts as a
// failing one.

// grace is how much longer than query_timeout the client waits.
func grace(queryTimeout time.Duration) time.Duration {
	return min(max(queryTimeout/4, 100*time.Millisecond), time.Second)
}

// errStepDeadline is the cause of a step's context when its own deadline,
// not the request's, ended it.
var errStepDeadline = errors.New("the database did not answer within the step's deadline")

// queryContext is the context of one database step: the request's, with
// the step's deadline.
func (s *Store) queryContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return s.steps.start(ctx, s.stepTimeout)
}

// detachedContext is a step context that the request's end does not
// cancel: COMMIT and ROLLBACK run to their own deadline even when the
// client has gone, so a finished write is not left in doubt, and a
// transaction is always ended before its connection goes back to the pool.
func (s *Store) detachedContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return s.queryContext(context.WithoutCancel(ctx))
}

type timeoutKind int

const (
	// timeoutServer: the server stopped the statement at query_timeout.
	// The server is healthy; the statement was too heavy or waited for a
	// lock too long.
	timeoutServer timeoutKind = iota
	// timeoutNoAnswer: the database said nothing within query_timeout and
	// the grace, and the connection was closed. The database is unwell.
	timeoutNoAnswer
	// timeoutRequest: the request's own deadline passed.
	timeoutRequest
	// timeoutConsumer: a stream of rows was cut at its deadline after rows
	// had arrived, because its reader (an HTTP client) was slow.
	timeoutConsumer
)

// timeoutError is ErrTimeout, saying whose timeout it was.
type timeoutError struct {
	kind  timeoutKind
	after time.Duration
	cause error
}

func (e *timeoutError) Error() string {
	switch e.kind {
	case timeoutServer:
		return fmt.Sprintf("%v: the server stopped the statement, which ran or waited for a lock past its limit (query_timeout %s)", ErrTimeout, e.after)
	case timeoutRequest:
		return fmt.Sprintf("%v: the request's deadline passed", ErrTimeout)
	case timeoutConsumer:
		return fmt.Sprintf("%v: the stream was cut at its deadline (%s); its reader was slow", ErrTimeout, e.after)
	}
	return fmt.Sprintf("%v: no answer within %s", ErrTimeout, e.after)
}

// Is makes errors.Is(err, ErrTimeout) true.
func (e *timeoutError) Is(target error) bool { return target == ErrTimeout }

func (e *timeoutError) Unwrap() error { return e.cause }

// wrap classifies a database error of a step whose context is ctx: whose
// timeout it was (the server's, the step's or the request's), a pool with
// no free connection (ErrBusy), a database that cannot be reached or lost
// the connection (ErrUnavailable), or else the server's own error.
func (s *Store) wrap(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch {
		case me.Number == 1969 || me.Number == 3024: // MariaDB max_statement_time, MySQL max_execution_time
			return &timeoutError{kind: timeoutServer, after: s.opts.QueryTimeout, cause: me}
		case me.Number == 1205: // ER_LOCK_WAIT_TIMEOUT
			return &timeoutError{kind: timeoutServer, after: s.opts.QueryTimeout, cause: me}
		case me.Number == 1213: // a deadlock victim or, on Galera, a certification failure
			return fmt.Errorf("%w: %w", ErrWriteConflict, me)
		}
		if de := deniedError(me); de != nil {
			return de
		}
	}
	if ctx.Err() != nil {
		switch {
		case stepCause(ctx) == errStepDeadline && reached(ctx):
			return &timeoutError{kind: timeoutNoAnswer, after: s.stepTimeout, cause: err}
		case stepCause(ctx) == errStepDeadline:
			return fmt.Errorf("%w: none was free within %s (database.max_open_conns is %d)", ErrBusy, s.stepTimeout, s.opts.MaxOpenConns)
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return &timeoutError{kind: timeoutRequest, cause: ctx.Err()}
		}
		return ctx.Err()
	}
	var cse *CharsetError
	var ce *connectError
	switch {
	case errors.As(err, &cse):
		return cse
	case errors.As(err, &ce):
		return fmt.Errorf("%w: %v", ErrUnavailable, safeErr(ce.err))
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, mysql.ErrPktSync), errors.Is(err, mysql.ErrPktSyncMul):
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	case me != nil && serverFailure(me.Number):
		return fmt.Errorf("%w: %v", ErrUnavailable, me)
	}
	return safeErr(err)
}

// Each's deadline cut a stream that rows were arriving on: its reader,
// not the database, was slow.
func consumerTimeout(err error) error {
	var te *timeoutError
	if errors.As(err, &te) && te.kind == timeoutNoAnswer {
		return &timeoutError{kind: timeoutConsumer, after: te.after, cause: te.cause}
	}
	return err
}
