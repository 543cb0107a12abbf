package legacy

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// waitDone waits for ctx to end, failing after a minute (not a timing
// threshold: a step that never ends is the failure).
func waitDone(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(time.Minute):
		t.Fatal("the step's context never ended")
	}
}

func TestStepContextEnds(t *testing.T) {
	type key struct{}
	tests := []struct {
		name      string
		step      time.Duration
		parent    func() (context.Context, context.CancelFunc)
		cancel    string // "step", "parent" or "" (let it run out)
		wantErr   error
		wantCause error
	}{
		{"its deadline passes", 30 * time.Millisecond, func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, "", context.DeadlineExceeded, errStepDeadline},
		{"the request is cancelled", time.Hour, func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, "parent", context.Canceled, context.Canceled},
		{"the request's own deadline passes first", time.Hour, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 20*time.Millisecond)
		}, "", context.DeadlineExceeded, context.DeadlineExceeded},
		{"its work is over", time.Hour, func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, "step", context.Canceled, context.Canceled},
		{"a detached step outlives its request", 30 * time.Millisecond, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return context.WithoutCancel(ctx), func() {}
		}, "", context.DeadlineExceeded, errStepDeadline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newStepSweeper(tt.step)
			parent, cancelParent := tt.parent()
			defer cancelParent()
			parent = context.WithValue(parent, key{}, "request's")
			ctx, cancel := w.start(parent, tt.step)
			defer cancel()
			// What database/sql derives from a step must end with it.
			derived, cancelDerived := context.WithCancel(ctx)
			defer cancelDerived()
			if ctx.Err() != nil {
				t.Fatalf("Err before the end = %v", ctx.Err())
			}
			if got := derived.Value(key{}); got != "request's" {
				t.Errorf("Value = %v, want the request's value", got)
			}
			if d, ok := ctx.Deadline(); !ok || time.Until(d) > tt.step {
				t.Errorf("Deadline = %v, %v; want at most the step's %s from now", d, ok, tt.step)
			}
			switch tt.cancel {
			case "step":
				cancel()
			case "parent":
				cancelParent()
			}
			waitDone(t, ctx)
			waitDone(t, derived)
			if !errors.Is(ctx.Err(), tt.wantErr) {
				t.Errorf("Err = %v, want %v", ctx.Err(), tt.wantErr)
			}
			if !errors.Is(derived.Err(), tt.wantErr) {
				t.Errorf("derived Err = %v, want %v", derived.Err(), tt.wantErr)
			}
			if got := stepCause(derived); got != tt.wantCause {
				t.Errorf("stepCause(derived) = %v, want %v", got, tt.wantCause)
			}
			w.mu.Lock()
			open := len(w.open)
			w.mu.Unlock()
			if tt.cancel != "step" && open != 0 {
				t.Errorf("%d steps still open after the sweep", open)
			}
		})
	}
}

func TestStepContextCancelledParent(t *testing.T) {
	parent, cancel := context.WithCancelCause(context.Background())
	gone := errors.New("client gone")
	cancel(gone)
	ctx, end := newStepSweeper(time.Second).start(parent, time.Second)
	defer end()
	waitDone(t, ctx)
	if !errors.Is(ctx.Err(), context.Canceled) || stepCause(ctx) != gone {
		t.Errorf("Err, cause = %v, %v; want Canceled, %v", ctx.Err(), stepCause(ctx), gone)
	}
}

// TestStepContextNested: a step opened inside another ends with the outer
// step's cause when the outer one's deadline passes first.
func TestStepContextNested(t *testing.T) {
	w := newStepSweeper(10 * time.Millisecond)
	outer, endOuter := w.start(context.Background(), 10*time.Millisecond)
	defer endOuter()
	inner, endInner := w.start(context.WithValue(outer, markKey{}, &opMark{}), time.Hour) // as Tx.step does
	defer endInner()
	waitDone(t, inner)
	if got := stepCause(inner); got != errStepDeadline {
		t.Errorf("inner step's cause = %v, want the outer step's %v", got, errStepDeadline)
	}
}

// TestStepContextAfterFuncStop: a derived context cancelled first is
// unregistered, and the step's end does not run it again.
func TestStepContextAfterFuncStop(t *testing.T) {
	ctx, end := newStepSweeper(time.Hour).start(context.Background(), time.Hour)
	s := ctx.(*stepContext)
	ran := 0
	stop := s.AfterFunc(func() { ran++ })
	if !stop() {
		t.Fatal("stop of a registered func = false")
	}
	if stop() {
		t.Error("second stop = true")
	}
	keep := s.AfterFunc(func() { ran += 10 })
	end()
	if ran != 10 {
		t.Errorf("after the end, ran = %d, want only the func not stopped (10)", ran)
	}
	if keep() {
		t.Error("stop after the end = true")
	}
	done := make(chan struct{})
	s.AfterFunc(func() { close(done) }) // registered after the end: runs at once
	waitDone(t, contextOf(done))
}

// contextOf is a context that ends when done is closed.
func contextOf(done chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-done; cancel() }()
	return ctx
}

// TestStepSweeperConcurrent opens, ends and times out steps from many
// goroutines at once (run with -race): every step ends, with the right
// error, and none is left open.
func TestStepSweeperConcurrent(t *testing.T) {
	w := newStepSweeper(10 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				d := time.Hour
				if i%5 == 0 {
					d = 5 * time.Millisecond
				}
				ctx, cancel := w.start(context.Background(), d)
				derived, cancelDerived := context.WithCancel(ctx)
				if d == time.Hour {
					cancel()
				}
				<-derived.Done()
				if d != time.Hour && stepCause(ctx) != errStepDeadline {
					errs <- errors.New("a timed-out step's cause is " + stepCause(ctx).Error())
				}
				cancelDerived()
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.open) != 0 {
		t.Errorf("%d steps left open", len(w.open))
	}
}
