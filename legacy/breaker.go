package legacy

import (
	"context"
	"database/sql/driver"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker"
)

// Observer receives what the store does, for metrics. Methods must be
// cheap and safe for concurrent use.
type Observer interface {
	// Query reports one database operation: its name, how long it took and
	// how it ended ("ok", "not_found", "constraint", "conflict", "timeout",
	// "busy", "unavailable", "denied", "commit_unknown", "breaker_open",
	// "error"). The
	// breaker's own probes are op "probe".
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
// connection attempts) until the open period ends. Then it is half-open,
// and one probe decides: a success closes it, a failure opens it again.
//
// The probe is always retroscim's own ping on a connection of its own,
// never a request: a request admitted as the probe could be a write stuck
// in BEGIN or a group streamed to a client that reads slowly, and every
// other request would wait for that one client. A timer probes when the
// open period ends, so the breaker closes when the database is back
// whether or not requests arrive; a request that finds the breaker
// half-open runs the probe itself first.
type breaker struct {
	cb      *gobreaker.TwoStepCircuitBreaker
	openFor time.Duration
	// state is the breaker's state as its last change left it (a
	// gobreaker.State), for admit: gobreaker changes state only inside its
	// own calls, and tells OnStateChange before the call returns, so after
	// Allow this is what cb.State() would say, without a second clock
	// reading and lock.
	state atomic.Int32
	// healthy is set while the breaker is closed and gobreaker counts no
	// consecutive failure. Then a success changes nothing gobreaker
	// decides on, and an operation needs neither its Allow nor its done
	// (two locks and two clock readings each, on every request): it is
	// admitted at once and reports only a failure (healthyDone). healthy
	// is set only by report, after gobreaker has counted an outcome.
	healthy atomic.Bool
	// healthMu serialises report: healthy must say what the last outcome
	// counted left, not an earlier one that finished checking later.
	healthMu sync.Mutex
	// healthyDone is b.reportHealthy, made once: the fast path allocates
	// nothing.
	healthyDone func(success bool)

	mu       sync.Mutex
	openedAt time.Time
	timer    *time.Timer
	closed   bool
	// probe runs when the open period ends.
	probe func()
}

func newBreaker(opts Options, obs Observer) *breaker {
	b := &breaker{openFor: opts.BreakerOpenFor}
	b.cb = gobreaker.NewTwoStepCircuitBreaker(gobreaker.Settings{
		Name:        "database",
		MaxRequests: 1,
		Interval:    opts.BreakerInterval,
		Timeout:     opts.BreakerOpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= uint32(opts.BreakerFailures)
		},
		// Called with the breaker's lock held: it must not call the breaker.
		OnStateChange: func(_ string, _, to gobreaker.State) {
			b.state.Store(int32(to))
			if to != gobreaker.StateClosed {
				b.healthy.Store(false)
			}
			b.mu.Lock()
			if to == gobreaker.StateOpen {
				b.openedAt = time.Now()
				b.scheduleLocked(b.openFor)
			}
			b.mu.Unlock()
			obs.Breaker(stateName(to))
		},
	})
	b.healthyDone = b.reportHealthy
	b.healthy.Store(true)
	obs.Breaker("closed")
	return b
}

// report tells gobreaker the outcome of an operation it admitted (done is
// what its Allow returned) and works out healthy again.
func (b *breaker) report(done func(success bool), success bool) {
	b.healthMu.Lock()
	defer b.healthMu.Unlock()
	done(success)
	b.healthy.Store(gobreaker.State(b.state.Load()) == gobreaker.StateClosed && b.cb.Counts().ConsecutiveFailures == 0)
}

// reporting is done reporting through report.
func (b *breaker) reporting(done func(success bool)) func(success bool) {
	return func(success bool) { b.report(done, success) }
}

// reportHealthy reports the outcome of an operation admitted while the
// breaker was healthy. A success while it still is changes nothing; a
// failure, or a success after another operation's failure, is counted as
// an operation gobreaker admits now. An outcome that finds the breaker no
// longer closed is dropped, as gobreaker drops the outcome of an operation
// admitted before it last changed state.
func (b *breaker) reportHealthy(success bool) {
	if success && b.healthy.Load() {
		return
	}
	if gobreaker.State(b.state.Load()) != gobreaker.StateClosed {
		return
	}
	done, err := b.cb.Allow()
	if err != nil {
		return
	}
	b.report(done, success)
}

// scheduleLocked runs the probe after d, unless the store is closed.
func (b *breaker) scheduleLocked(d time.Duration) {
	if b.closed || b.probe == nil {
		return
	}
	if b.timer != nil {
		b.timer.Stop()
	}
	b.timer = time.AfterFunc(d, b.probe)
}

// stop ends the probing for good.
func (b *breaker) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if b.timer != nil {
		b.timer.Stop()
	}
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

// admit lets an operation through the breaker and returns the function
// that reports its outcome. When the breaker is half-open, the operation
// that holds the one probe slot does not spend it: it pings the database
// on a connection of its own first (bounded by the step deadline), which
// closes the breaker or opens it again, and then asks again.
func (s *Store) admit(ctx context.Context) (func(success bool), error) {
	if s.breaker.healthy.Load() {
		return s.breaker.healthyDone, nil
	}
	for range 2 {
		done, err := s.breaker.cb.Allow()
		if err != nil {
			return nil, err
		}
		if gobreaker.State(s.breaker.state.Load()) != gobreaker.StateHalfOpen {
			return s.breaker.reporting(done), nil
		}
		s.breaker.report(done, s.probe(ctx) == nil)
	}
	return nil, gobreaker.ErrTooManyRequests
}

// probeWhenHalfOpen is the breaker's timer: at the end of the open period
// it probes the database without waiting for a request.
func (s *Store) probeWhenHalfOpen() {
	s.breaker.mu.Lock()
	closed := s.breaker.closed
	s.breaker.mu.Unlock()
	if closed {
		return // the store is closed: nobody to probe for
	}
	switch s.breaker.cb.State() {
	case gobreaker.StateClosed:
		return
	case gobreaker.StateOpen: // the timer fired a hair early
		s.breaker.mu.Lock()
		s.breaker.scheduleLocked(50 * time.Millisecond)
		s.breaker.mu.Unlock()
		return
	}
	done, err := s.breaker.cb.Allow()
	if err != nil {
		return // another probe holds the slot and will decide
	}
	s.breaker.report(done, s.probe(context.Background()) == nil)
}

// probe pings the database on a new connection outside the pool, so that
// neither a saturated pool nor a request stuck on a connection can hold
// it up; it is bounded by the step deadline and by nothing a client does.
func (s *Store) probe(ctx context.Context) error {
	start := time.Now()
	ctx, cancel := s.detachedContext(ctx)
	defer cancel()
	err := func() error {
		conn, err := s.connector.Connect(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if p, ok := conn.(driver.Pinger); ok {
			return p.Ping(ctx)
		}
		return nil
	}()
	err = s.wrap(ctx, err)
	if err == nil {
		s.obs.Query("probe", time.Since(start), "ok")
	} else {
		s.obs.Query("probe", time.Since(start), "unavailable")
	}
	return err
}

// do runs one database operation under the breaker, with the step
// deadline when timed is set, and reports it to the observer.
func (s *Store) do(ctx context.Context, op string, timed bool, fn func(context.Context) error) (err error) {
	start := time.Now()
	done, err := s.admit(ctx)
	if err != nil {
		s.obs.Query(op, time.Since(start), "breaker_open")
		return &UnavailableError{RetryAfter: s.breaker.retryAfter(), Cause: fmt.Errorf("circuit breaker open after repeated database failures")}
	}
	defer func() {
		if p := recover(); p != nil {
			done(true) // a bug of ours, not the database's failure
			panic(p)
		}
		done(!isDatabaseFailure(err))
		s.obs.Query(op, time.Since(start), outcome(err))
	}()
	if timed {
		// The step is the operation's mark too; its deadline counts from
		// the clock reading above.
		var cancel context.CancelFunc
		ctx, cancel = s.steps.startAt(ctx, start.Add(s.stepTimeout), true)
		defer cancel()
	} else {
		ctx, _ = withMark(ctx)
	}
	return fn(ctx)
}

// BreakerState reports the breaker's state: closed, half-open or open.
func (s *Store) BreakerState() string { return stateName(s.breaker.cb.State()) }

// doAside runs a side write that must neither mask nor cause the
// breaker's verdict: the best-effort audit of a refused write. It runs
// only while the breaker is closed (an unwell database is not asked for a
// record of what it could not do) and its outcome is reported to the
// observer but never to the breaker, so a cheap INSERT that succeeds
// between hung requests does not reset their count of failures.
func (s *Store) doAside(ctx context.Context, op string, fn func(context.Context) error) (err error) {
	start := time.Now()
	if s.breaker.cb.State() != gobreaker.StateClosed {
		s.obs.Query(op, time.Since(start), "breaker_open")
		return &UnavailableError{RetryAfter: s.breaker.retryAfter(), Cause: fmt.Errorf("circuit breaker not closed: side write skipped")}
	}
	defer func() { s.obs.Query(op, time.Since(start), outcome(err)) }()
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	return fn(ctx)
}
