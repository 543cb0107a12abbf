package legacy

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/sony/gobreaker"
)

// Observer receives what the store does, for metrics. Methods must be
// cheap and safe for concurrent use.
type Observer interface {
	// Query reports one database operation: its name, how long it took and
	// how it ended ("ok", "not_found", "constraint", "conflict",
	// "timeout", "unavailable", "denied", "breaker_open", "error").
	Query(op string, took time.Duration, outcome string)
	// Cache reports a lookup in one of the store's caches.
	Cache(cache string, hit bool)
	// Breaker reports the circuit breaker's new state: "closed",
	// "half-open" or "open".
	Breaker(state string)
}

type nopObserver struct{}

func (nopObserver) Query(string, time.Duration, string) {}
func (nopObserver) Cache(string, bool)                  {}
func (nopObserver) Breaker(string)                      {}

// UnavailableError is ErrUnavailable with the time after which retrying
// makes sense (the breaker's open period), for Retry-After.
type UnavailableError struct {
	RetryAfter time.Duration
	Cause      error
}

func (e *UnavailableError) Error() string {
	if e.Cause != nil {
		return "database unavailable: " + e.Cause.Error()
	}
	return "database unavailable"
}

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

func (e *UnavailableError) Unwrap() error { return e.Cause }

// breaker guards the app's database: after repeated failures it opens,
// and every operation fails at once with ErrUnavailable (no queueing, no
// connection attempts) until the open period ends; then one probe may
// pass (half-open), and a success closes it again.
type breaker struct {
	cb      *gobreaker.CircuitBreaker
	openFor time.Duration

	mu       sync.Mutex
	openedAt time.Time
}

func newBreaker(opts Options, obs Observer) *breaker {
	b := &breaker{openFor: opts.BreakerOpenFor}
	b.cb = gobreaker.NewCircuitBreaker(gobreaker.Settings{
		Name:        "database",
		MaxRequests: 1,
		Interval:    opts.BreakerInterval,
		Timeout:     opts.BreakerOpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= uint32(opts.BreakerFailures)
		},
		IsSuccessful: func(err error) bool { return !isDatabaseFailure(err) },
		OnStateChange: func(_ string, _, to gobreaker.State) {
			b.mu.Lock()
			if to == gobreaker.StateOpen {
				b.openedAt = time.Now()
			}
			b.mu.Unlock()
			obs.Breaker(stateName(to))
		},
	})
	obs.Breaker("closed")
	return b
}

func stateName(s gobreaker.State) string {
	switch s {
	case gobreaker.StateOpen:
		return "open"
	case gobreaker.StateHalfOpen:
		return "half-open"
	}
	return "closed"
}

// retryAfter is how long until the open breaker lets a probe through.
func (b *breaker) retryAfter() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return max(time.Until(b.openedAt.Add(b.openFor)), time.Second)
}

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

// isDatabaseFailure tells the failures that say the database is unwell
// (unreachable, too slow, server errors) from the outcomes of a healthy
// database: not found, constraint violations, write conflicts between
// concurrent transactions, errors of the request itself, and clients that
// went away. Only the former trip the breaker.
func isDatabaseFailure(err error) bool {
	if err == nil {
		return false
	}
	var ce *ConstraintError
	var me *mysql.MySQLError
	var ne net.Error
	switch {
	case errors.Is(err, ErrNotFound), errors.As(err, &ce), errors.Is(err, context.Canceled), errors.Is(err, ErrDenied), errors.Is(err, ErrWriteConflict):
		return false
	case errors.Is(err, ErrTimeout), errors.Is(err, ErrUnavailable), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, mysql.ErrInvalidConn), errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne):
		return true
	case errors.As(err, &me):
		return true // the server refused an operation retroscim built: its problem or ours, not the client's
	}
	return false
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
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ErrUnavailable):
		return "unavailable"
	case errors.Is(err, ErrDenied):
		return "denied"
	case !isDatabaseFailure(err):
		return "ok" // the operation's own outcome (a refused request), not the database's
	}
	return "error"
}

// do runs one database operation under the breaker, with the statement
// deadline when timed is set, and reports it to the observer.
func (s *Store) do(ctx context.Context, op string, timed bool, fn func(context.Context) error) error {
	start := time.Now()
	_, err := s.breaker.cb.Execute(func() (any, error) {
		if timed {
			var cancel context.CancelFunc
			ctx, cancel = s.queryContext(ctx)
			defer cancel()
		}
		return nil, fn(ctx)
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		s.obs.Query(op, time.Since(start), "breaker_open")
		return &UnavailableError{RetryAfter: s.breaker.retryAfter(), Cause: fmt.Errorf("circuit breaker open after repeated database failures")}
	}
	s.obs.Query(op, time.Since(start), outcome(err))
	return err
}

// BreakerState reports the breaker's state: closed, half-open or open.
func (s *Store) BreakerState() string { return stateName(s.breaker.cb.State()) }
