package legacy

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"

	"github.com/go-sql-driver/mysql"
)

// More errors a Store method can end with.
var (
	// ErrBusy means every connection of the pool was in use for the whole
	// step's deadline: retroscim is saturated, the database may be fine.
	ErrBusy = errors.New("every connection to the database is in use")
	// ErrOutcomeUnknown means COMMIT was sent and no answer came back (the
	// connection broke or the deadline passed): the write may or may not
	// have been applied. It is also ErrUnavailable.
	ErrOutcomeUnknown = errors.New("the database did not confirm the commit")
)

// ErrDenied means the database refused a statement because the account
// retroscim connects with lacks a privilege on a table, a column or the
// database. The server is healthy and retrying does not help: the grants
// must change (retroscim check lists what is missing).
var ErrDenied = errors.New("the database account lacks a privilege")

// deniedError classifies the server's privilege refusals: 1142 (SELECT,
// INSERT, UPDATE or DELETE command denied for a table), 1143 (for a
// column) and 1044 (access to the database denied, as a new connection
// meets it after a REVOKE). It returns nil for any other error.
func deniedError(err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) && (me.Number == 1142 || me.Number == 1143 || me.Number == 1044) {
		return fmt.Errorf("%w: %v", ErrDenied, me)
	}
	return nil
}

// commitError is a COMMIT whose outcome is unknown.
type commitError struct{ cause error }

func (e *commitError) Error() string {
	return "commit: the database did not confirm it, so the write may or may not have been applied: " + e.cause.Error()
}

// Is makes errors.Is(err, ErrOutcomeUnknown) and errors.Is(err,
// ErrUnavailable) true.
func (e *commitError) Is(target error) bool {
	return target == ErrOutcomeUnknown || target == ErrUnavailable
}

func (e *commitError) Unwrap() error { return e.cause }

// consumerError is an error of the code that consumes a stream of rows
// (Each's callback: a write to a slow or vanished HTTP client), not of the
// database.
type consumerError struct{ err error }

func (e *consumerError) Error() string { return e.err.Error() }
func (e *consumerError) Unwrap() error { return e.err }

// serverFailures are the server errors that say the database itself
// cannot serve: it is full, shutting down, read-only after a fail-over,
// out of resources, or dropping connections. Every other server error is
// about one statement on a healthy server (syntax, privileges, data, lock
// waits, statement timeouts) and never trips the breaker.
var serverFailures = map[uint16]string{
	1040: "too many connections",
	1203: "max_user_connections reached",
	1226: "a resource limit of the account reached (max_queries_per_hour, ...)",
	1129: "host blocked after connection errors",
	1130: "host not allowed to connect",
	1045: "access denied: nothing can be served",
	1053: "server shutdown in progress",
	1927: "connection killed (MariaDB)",
	4031: "disconnected for inactivity (MySQL 8)",
	1021: "disk full",
	1030: "storage engine error",
	1037: "out of memory",
	1038: "out of sort memory",
	1041: "out of resources",
	1135: "cannot create a thread",
	1180: "error during COMMIT",
	1181: "error during ROLLBACK",
	1290: "read-only server (--read-only: a replica after a fail-over)",
	1836: "read-only mode",
	1792: "read-only transaction",
	1047: "node not ready for application use (Galera: WSREP)",
	1152: "aborted connection",
	1154: "network read error",
	1155: "network error",
	1156: "packets out of order",
	1157: "network uncompress error",
	1158: "network read error",
	1159: "network read interrupted",
	1160: "network write error",
	1161: "network write interrupted",
}

func serverFailure(number uint16) bool { return serverFailures[number] != "" }

// isDatabaseFailure tells the failures that say the database is unwell
// (unreachable, lost connections, silent past the deadline, full or
// read-only) from outcomes that say nothing against it: not found,
// constraint violations, the server's own statement and lock timeouts,
// the request's own deadline or cancellation, a busy pool, a slow or
// vanished HTTP client, and errors of the request itself. Only the former
// trip the breaker, so one tenant's heavy filter or slow client cannot
// make the database unavailable for every tenant.
func isDatabaseFailure(err error) bool {
	if err == nil {
		return false
	}
	var cons *consumerError
	var te *timeoutError
	var ce *ConstraintError
	switch {
	case errors.As(err, &cons):
		return false
	case errors.As(err, &te):
		return te.kind == timeoutNoAnswer
	case errors.Is(err, ErrNotFound), errors.As(err, &ce), errors.Is(err, ErrBusy),
		errors.Is(err, ErrDenied), errors.Is(err, ErrWriteConflict),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.Is(err, ErrUnavailable), errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn):
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return serverFailure(me.Number)
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// outcome names how an operation ended, for the observer.
func outcome(err error) string {
	var ce *ConstraintError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.As(err, &ce):
		return "constraint"
	case errors.Is(err, ErrWriteConflict):
		return "conflict"
	case errors.Is(err, ErrDenied):
		return "denied"
	case errors.Is(err, ErrOutcomeUnknown):
		return "commit_unknown"
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, ErrBusy):
		return "busy"
	case errors.Is(err, ErrUnavailable):
		return "unavailable"
	case !isDatabaseFailure(err):
		return "ok" // the operation's own outcome (a refused request), not the database's
	}
	return "error"
}
