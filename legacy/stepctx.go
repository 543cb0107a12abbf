package legacy

import (
	"context"
	"sync"
	"time"
)

// A step's deadline is kept by one sweeper per Store rather than by a
// context.WithTimeout per step. The standard timer context costs a timer,
// a registration in the request context's children and a second one for
// each context database/sql derives from it: about 1.5 µs and 8
// allocations per step, 4% of a `userName eq` lookup's instructions. A
// stepContext costs its struct, its channel and a place in the sweeper's
// set; the sweeper runs every sweepEvery while steps are open, ends each
// step whose deadline has passed (cause errStepDeadline) or whose request
// is done (the request's error and cause), and stops when none is open.
// So a step ends at most sweepEvery after its deadline or its client's
// departure, instead of at once: a few milliseconds on deadlines of
// seconds.

// stepContext is the context of one database step: the request's values,
// the earlier of the request's deadline and the step's, and a Done that the
// sweeper closes.
type stepContext struct {
	parent   context.Context
	deadline time.Time
	done     chan struct{}

	mu    sync.Mutex
	err   error // nil while the step runs
	cause error
	after []func() // what AfterFunc registered; nil entries were stopped
	slot  int      // index in sweeper.open; -1 once removed

	// marks says the step is a whole operation of Store.do, whose mark
	// (see opMark) is own; otherwise the parent's mark is the step's. One
	// context for both spares an operation a context and its allocation.
	marks bool
	own   opMark
}

// stepKey finds a step's own context among a derived context's values.
type stepKey struct{}

// Deadline is the step's deadline, or the request's when that is earlier.
func (s *stepContext) Deadline() (time.Time, bool) {
	if d, ok := s.parent.Deadline(); ok && d.Before(s.deadline) {
		return d, true
	}
	return s.deadline, true
}

// Done is closed when the step ends.
func (s *stepContext) Done() <-chan struct{} { return s.done }

// Err is nil while the step runs; then context.DeadlineExceeded for a
// passed deadline, or the request's error, or context.Canceled once the
// step's work is over.
func (s *stepContext) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Value is the request's value for key; stepKey{} gives the step itself,
// and markKey{} its own mark when it has one.
func (s *stepContext) Value(key any) any {
	switch key.(type) {
	case stepKey:
		return s
	case markKey:
		if s.marks {
			return &s.own
		}
	}
	return s.parent.Value(key)
}

// AfterFunc is what the context package uses to tie a context derived from
// this one (database/sql derives one per result set) to its end, instead
// of a goroutine per derived context. f runs once the step ends; stop
// unregisters it and reports whether it did.
func (s *stepContext) AfterFunc(f func()) (stop func() bool) {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	i := len(s.after)
	s.after = append(s.after, f)
	s.mu.Unlock()
	return func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.err != nil || s.after[i] == nil {
			return false
		}
		s.after[i] = nil
		return true
	}
}

// end ends the step with err and cause, once, and runs what AfterFunc
// registered (each cancels a derived context, which takes no lock of ours).
func (s *stepContext) end(err, cause error) {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return
	}
	s.err, s.cause = err, cause
	close(s.done)
	after := s.after
	s.after = nil
	s.mu.Unlock()
	for _, f := range after {
		if f != nil {
			f()
		}
	}
}

// stepCause is context.Cause for contexts that may be or derive from a
// step's: context.Cause only knows the standard library's own contexts
// and would give the request's cause.
func stepCause(ctx context.Context) error {
	if s, ok := ctx.Value(stepKey{}).(*stepContext); ok {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.err != nil {
			return s.cause
		}
	}
	return context.Cause(ctx)
}

// stepSweeper ends the steps of one Store whose deadline has passed or
// whose request is done.
type stepSweeper struct {
	every time.Duration

	mu    sync.Mutex
	open  []*stepContext
	timer *time.Timer // armed while open is not empty
}

func newStepSweeper(step time.Duration) *stepSweeper {
	return &stepSweeper{every: sweepEvery(step)}
}

// sweepEvery is how often the open steps are checked: a sixty-fourth of
// the step's deadline, between 2 and 20 ms.
func sweepEvery(step time.Duration) time.Duration {
	return min(max(step/64, 2*time.Millisecond), 20*time.Millisecond)
}

// start opens a step under parent with the deadline d from now. The
// returned cancel ends it (context.Canceled) and must be called when the
// step's work is over.
func (w *stepSweeper) start(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return w.startAt(parent, time.Now().Add(d), false)
}

// startAt opens a step under parent that ends at deadline; with marks, the
// step carries a fresh mark of its own (Store.do's operations).
func (w *stepSweeper) startAt(parent context.Context, deadline time.Time, marks bool) (context.Context, context.CancelFunc) {
	s := &stepContext{parent: parent, deadline: deadline, done: make(chan struct{}), marks: marks}
	if err := parent.Err(); err != nil {
		s.slot = -1
		s.end(err, stepCause(parent))
		return s, func() {}
	}
	w.mu.Lock()
	s.slot = len(w.open)
	w.open = append(w.open, s)
	if w.timer == nil {
		w.timer = time.AfterFunc(w.every, w.sweep)
	} else if len(w.open) == 1 {
		w.timer.Reset(w.every)
	}
	w.mu.Unlock()
	return s, func() {
		w.remove(s)
		s.end(context.Canceled, context.Canceled)
	}
}

// remove takes s out of the open steps, if it is still there.
func (w *stepSweeper) remove(s *stepContext) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s.slot >= 0 {
		w.take(s.slot)
	}
}

// take removes the open step at i, the last one taking its slot, and
// returns it. Held by w.mu.
func (w *stepSweeper) take(i int) *stepContext {
	s, last := w.open[i], w.open[len(w.open)-1]
	w.open[i], last.slot = last, i
	w.open[len(w.open)-1] = nil
	w.open = w.open[:len(w.open)-1]
	s.slot = -1
	return s
}

// sweep ends the open steps that are over and comes back while any is
// still open.
func (w *stepSweeper) sweep() {
	type ending struct {
		s          *stepContext
		err, cause error
	}
	now := time.Now()
	var over []ending
	w.mu.Lock()
	for i := 0; i < len(w.open); {
		s := w.open[i]
		var err, cause error
		switch {
		case !now.Before(s.deadline):
			err, cause = context.DeadlineExceeded, errStepDeadline
		case s.parent.Err() != nil:
			err, cause = s.parent.Err(), stepCause(s.parent)
		default:
			i++
			continue
		}
		over = append(over, ending{w.take(i), err, cause})
	}
	if len(w.open) > 0 {
		w.timer.Reset(w.every)
	}
	w.mu.Unlock()
	for _, e := range over {
		e.s.end(e.err, e.cause)
	}
}
