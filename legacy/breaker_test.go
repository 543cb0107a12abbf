package legacy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// proxiedStore opens a store on a fresh database through a proxy the test
// controls, with a short query timeout and a quick breaker.
func proxiedStore(t *testing.T, opts Options, scripts ...string) (*Store, *legacytest.Proxy, string) {
	t.Helper()
	dsn := legacytest.NewDatabase(t, scripts...)
	proxy, proxied := legacytest.NewProxy(t, dsn)
	if opts.QueryTimeout == 0 {
		opts.QueryTimeout = 200 * time.Millisecond
	}
	s, err := Open(context.Background(), proxied, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, proxy, dsn
}

// waitFor polls cond for up to 20 s, which is far longer than any bound
// the tests expect; a hang is what it catches.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBreakerIgnoresClientErrors: not-found, constraint violations, a
// request's own errors and cancellations, the server stopping a heavy
// statement at query_timeout, and lock waits on a healthy server are all
// outcomes of a healthy database: any number of them leaves the breaker
// closed, while database failures open it.
func TestBreakerIgnoresClientErrors(t *testing.T) {
	s, proxy, dsn := proxiedStore(t, Options{BreakerFailures: 2, BreakerOpenFor: time.Minute}, txSchema)
	ctx := context.Background()
	refused := errors.New("the request is invalid")
	// Another client of the app's database holds person 1's row.
	locker, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	lockTx, err := locker.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer lockTx.Rollback()
	if _, err := lockTx.Exec("SELECT id FROM people WHERE id = 1 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := s.Get(ctx, sqlstmt.Select{From: "`people`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`id` = ?", 99)}); !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		err := s.InTx(ctx, func(tx *Tx) error {
			_, err := tx.Insert(ctx, sqlstmt.Insert{Table: "people", Set: []sqlstmt.Assignment{{Column: "login", Value: "ann"}}})
			return err
		})
		if !errors.Is(err, ErrConflict) {
			t.Fatal(err)
		}
		if err := s.InTx(ctx, func(*Tx) error { return refused }); !errors.Is(err, refused) {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, _ = s.Get(cctx, sqlstmt.Select{From: "`people`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("TRUE")})
		// A statement too heavy for query_timeout: the server stops it.
		if _, err := s.Get(ctx, sqlstmt.Select{From: "`people`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("SLEEP(1) = 0")}); !errors.Is(err, ErrTimeout) {
			t.Fatalf("slow query: %v", err)
		}
		// A write waiting for the app's lock.
		err = s.InTx(ctx, func(tx *Tx) error {
			_, err := tx.Get(ctx, sqlstmt.Select{From: "`people`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`id` = 1"), Lock: true})
			return err
		})
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("lock wait: %v", err)
		}
		// The request's own deadline, shorter than the store's.
		dctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		_, err = s.Get(dctx, sqlstmt.Select{From: "`people`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("SLEEP(1) = 0")})
		cancel()
		if err == nil {
			t.Fatal("the request's deadline did not end the statement")
		}
	}
	if st := s.BreakerState(); st != "closed" {
		t.Fatalf("after 35 client errors and statement timeouts the breaker is %s", st)
	}
	// Two database failures in a row open it, and then it answers at once.
	proxy.Down()
	for i := 0; i < 2; i++ {
		if _, err := s.Get(ctx, sqlstmt.Select{From: "`people`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("TRUE")}); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("database down: %v", err)
		}
	}
	if st := s.BreakerState(); st != "open" {
		t.Fatalf("after 2 failures the breaker is %s", st)
	}
	_, err = s.Get(ctx, sqlstmt.Select{From: "`people`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("TRUE")})
	var ue *UnavailableError
	if !errors.As(err, &ue) || !errors.Is(err, ErrUnavailable) || ue.RetryAfter < 50*time.Second {
		t.Errorf("with the breaker open: %v (retry after %v)", err, ue)
	}
}

// TestBreakerIgnoresSlowReaders: a stream whose reader fails (a write to a
// client that went away) or reads so slowly that the deadline cuts the
// stream is the reader's problem, not the database's.
func TestBreakerIgnoresSlowReaders(t *testing.T) {
	s, _, dsn := proxiedStore(t, Options{BreakerFailures: 2, BreakerOpenFor: time.Minute}, itemsSchema)
	fillItems(t, dsn, 50)
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		err := s.Each(ctx, sqlstmt.Select{Columns: []string{"`id`"}, From: "`items`"}, func([]any) error {
			time.Sleep(400 * time.Millisecond) // past the 300 ms step deadline
			return nil
		})
		t.Logf("slow reader: %v", err)
	}
	if st := s.BreakerState(); st != "closed" {
		t.Fatalf("after slow readers the breaker is %s", st)
	}
	// A client that went away: writing to its connection is a net.Error.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	gone, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	gone.Close()
	for i := 0; i < 4; i++ {
		err := s.Each(ctx, sqlstmt.Select{Columns: []string{"`id`"}, From: "`items`"}, func([]any) error {
			_, err := gone.Write([]byte("{}"))
			return err
		})
		var ne net.Error
		if !errors.As(err, &ne) {
			t.Fatalf("the reader's error was lost: %v", err)
		}
	}
	if st := s.BreakerState(); st != "closed" {
		t.Fatalf("after vanished readers the breaker is %s", st)
	}
}

// TestBreakerProbeIsNotARequest: when the database is back, a request
// that never ends (a stream to a client that stopped reading) does not
// hold the half-open breaker: other requests succeed meanwhile.
func TestBreakerProbeIsNotARequest(t *testing.T) {
	s, proxy, _ := proxiedStore(t, Options{BreakerFailures: 2, BreakerOpenFor: 300 * time.Millisecond}, txSchema)
	ctx := context.Background()
	sel := sqlstmt.Select{From: "`people`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`id` = 1")}
	proxy.Down()
	waitFor(t, "the breaker to open", func() bool {
		_, _ = s.Get(ctx, sel)
		return s.BreakerState() == "open"
	})
	proxy.Up()
	waitFor(t, "the open period to end", func() bool { return s.BreakerState() != "open" })
	// The stream goes first: it is let through the half-open breaker (or,
	// while another probe decides, refused and tried again).
	stuck, inside := make(chan struct{}), make(chan struct{})
	streaming := make(chan error, 1)
	stream := func() {
		var once sync.Once
		streaming <- s.Each(ctx, sqlstmt.Select{Columns: []string{"`id`"}, From: "`people`"}, func([]any) error {
			once.Do(func() { close(inside) })
			<-stuck // a client that does not read
			return nil
		})
	}
	go stream()
	defer func() {
		close(stuck)
		<-streaming
	}()
	for entered := false; !entered; {
		select {
		case <-inside:
			entered = true
		case err := <-streaming:
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("stream: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
			go stream()
		case <-time.After(20 * time.Second):
			t.Fatal("the stream never started")
		}
	}
	waitFor(t, "a read while the stream is stuck", func() bool {
		_, err := s.Get(ctx, sel)
		return err == nil
	})
	if st := s.BreakerState(); st != "closed" {
		t.Errorf("breaker %s after a successful read", st)
	}
}

// TestBreakerClosesByItself: the breaker closes when the database is back
// without any request arriving to probe it.
func TestBreakerClosesByItself(t *testing.T) {
	s, proxy, _ := proxiedStore(t, Options{BreakerFailures: 2, BreakerOpenFor: 300 * time.Millisecond}, txSchema)
	ctx := context.Background()
	proxy.Down()
	waitFor(t, "the breaker to open", func() bool {
		_, _ = s.Get(ctx, sqlstmt.Select{From: "`people`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("TRUE")})
		return s.BreakerState() == "open"
	})
	// Still down at the end of the first open period: the probe fails and
	// the breaker opens again.
	time.Sleep(500 * time.Millisecond)
	if st := s.BreakerState(); st == "closed" {
		t.Fatalf("the breaker closed while the database was down")
	}
	proxy.Up()
	waitFor(t, "the breaker to close with no request", func() bool { return s.BreakerState() == "closed" })
}

// TestBreakerHealthyFastPath: while the breaker is closed and counts no
// failure, operations skip gobreaker; what they report must still trip it
// exactly as gobreaker alone would: after BreakerFailures consecutive
// failures, with a success in between starting the count again.
func TestBreakerHealthyFastPath(t *testing.T) {
	opts := Options{BreakerFailures: 3}
	opts.defaults()
	b := newBreaker(opts, nopObserver{})
	s := &Store{breaker: b}
	outcome := func(success bool) {
		t.Helper()
		done, err := s.admit(context.Background())
		if err != nil {
			t.Fatalf("admit: %v", err)
		}
		done(success)
	}
	steps := []struct {
		success       bool
		healthy       bool
		state, counts string
	}{
		{true, true, "closed", ""},
		{false, false, "closed", "1 failures"},
		{false, false, "closed", "2 failures"},
		{true, true, "closed", "0 failures"},
		{true, true, "closed", ""},
		{false, false, "closed", "1 failures"},
		{false, false, "closed", "2 failures"},
		{false, false, "open", ""},
	}
	for i, st := range steps {
		outcome(st.success)
		if got := b.healthy.Load(); got != st.healthy {
			t.Fatalf("step %d: healthy = %v, want %v", i, got, st.healthy)
		}
		if got := stateName(b.cb.State()); got != st.state {
			t.Fatalf("step %d: state %s, want %s", i, got, st.state)
		}
		if st.counts != "" {
			if got := fmt.Sprintf("%d failures", b.cb.Counts().ConsecutiveFailures); got != st.counts {
				t.Fatalf("step %d: %s, want %s", i, got, st.counts)
			}
		}
	}
	if _, err := s.admit(context.Background()); err == nil {
		t.Fatal("admitted with the breaker open")
	}
	// An operation admitted while healthy that ends after the breaker
	// opened says nothing about the open period: dropped, as gobreaker
	// drops an outcome of an earlier generation.
	b2 := newBreaker(opts, nopObserver{})
	s2 := &Store{breaker: b2}
	late, err := s2.admit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		done, _ := s2.admit(context.Background())
		done(false)
	}
	late(true)
	late(false)
	if got := stateName(b2.cb.State()); got != "open" {
		t.Fatalf("state %s after late outcomes, want open", got)
	}
}
