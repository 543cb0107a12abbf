package legacy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// hangLimit is how long a test waits before it calls an operation hung.
// With a 200 ms query timeout every step gives up after 300 ms; the old
// behaviour was to wait for as long as the proxy held the database.
const hangLimit = 10 * time.Second

// result runs op and returns its error, or fails the test if op does not
// return within hangLimit.
func result(t *testing.T, what string, op func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- op() }()
	select {
	case err := <-done:
		return err
	case <-time.After(hangLimit):
		t.Fatalf("%s hung", what)
		return nil
	}
}

// TestTxStepsHaveDeadlines holds the database in each step of a write
// (the handshake of a new connection, START TRANSACTION, a statement,
// COMMIT on its way to the server, COMMIT's reply on its way back, and a
// database that has gone silent): the write ends within the step deadline,
// never reports success, says when the outcome is unknown, and counts
// towards the breaker.
func TestTxStepsHaveDeadlines(t *testing.T) {
	tests := []struct {
		name string
		hold func(*legacytest.Proxy)
		// unknown: COMMIT was sent, so the outcome is not known.
		unknown bool
		// committed: what the database holds once the proxy lets go.
		committed bool
	}{
		{"handshake", func(p *legacytest.Proxy) { p.HoldGreetings() }, false, false},
		{"begin", func(p *legacytest.Proxy) { p.HoldStatements("START TRANSACTION") }, false, false},
		{"update", func(p *legacytest.Proxy) { p.HoldStatements("UPDATE") }, false, false},
		// COMMIT was written to the socket: the server may still get it
		// (here it does, once the proxy lets go), so the outcome is unknown.
		{"commit sent", func(p *legacytest.Proxy) { p.HoldStatements("COMMIT") }, true, true},
		{"commit reply", func(p *legacytest.Proxy) { p.HoldReplies("COMMIT") }, true, true},
		{"blackhole", func(p *legacytest.Proxy) { p.Blackhole() }, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, proxy, dsn := proxiedStore(t, Options{BreakerFailures: 2, BreakerOpenFor: time.Minute}, txSchema)
			// No idle connection: the write must open one (and shake hands).
			s.DB().SetMaxIdleConns(0)
			ctx := context.Background()
			// Each write changes a row of its own: a held COMMIT keeps its
			// row locked on the server.
			write := func(id int) func() error {
				return func() error {
					return s.InTx(ctx, func(tx *Tx) error {
						_, err := tx.Update(ctx, sqlstmt.Update{Table: "people", Set: []sqlstmt.Assignment{{Column: "login", Expr: "CONCAT(`login`, '-changed')"}}, Where: sqlstmt.Cond("`id` = ?", id)})
						return err
					})
				}
			}
			tt.hold(proxy)
			for id := 1; id <= 2; id++ {
				start := time.Now()
				err := result(t, "a held write", write(id))
				t.Logf("%s: %v after %v", tt.name, err, time.Since(start).Round(time.Millisecond))
				switch {
				case err == nil:
					t.Fatal("a write the database never confirmed was reported done")
				case tt.unknown && !errors.Is(err, ErrOutcomeUnknown):
					t.Errorf("COMMIT without an answer = %v, want ErrOutcomeUnknown", err)
				case !tt.unknown && errors.Is(err, ErrOutcomeUnknown):
					t.Errorf("%v: the outcome is known, nothing was committed", err)
				case !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrUnavailable):
					t.Errorf("error %v is neither ErrTimeout nor ErrUnavailable", err)
				}
			}
			// Hung writes are database failures: two open the breaker.
			if st := s.BreakerState(); st != "open" {
				t.Errorf("after 2 hung writes the breaker is %s", st)
			}
			proxy.Release()
			time.Sleep(200 * time.Millisecond) // let released bytes arrive
			got := legacytest.Row(t, dsn, "SELECT GROUP_CONCAT(login ORDER BY id) FROM people WHERE id IN (1, 2)")[0]
			if want := map[bool]string{true: "ann-changed,ben-changed", false: "ann,ben"}[tt.committed]; got != want {
				t.Errorf("after the hold the logins are %q, want %q", got, want)
			}
		})
	}
}

// TestReadDeadlines: a read against a silent database, or one waiting for
// a connection that never shakes hands, ends at the step deadline as a
// database failure.
func TestReadDeadlines(t *testing.T) {
	s, proxy, _ := proxiedStore(t, Options{BreakerFailures: 2, BreakerOpenFor: time.Minute}, txSchema)
	s.DB().SetMaxIdleConns(0)
	proxy.Blackhole()
	for i := 0; i < 2; i++ {
		err := result(t, "a read of a silent database", func() error {
			_, err := s.Get(context.Background(), sqlstmt.Select{From: "`people`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`id` = 1")})
			return err
		})
		if !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrUnavailable) {
			t.Errorf("read of a silent database = %v", err)
		}
	}
	if st := s.BreakerState(); st != "open" {
		t.Errorf("after 2 silent reads the breaker is %s", st)
	}
}

// TestBusyPoolIsNotAFailure: requests that wait in vain for a free
// connection of a saturated pool are told so (ErrBusy) and do not open the
// breaker: the database answers fine, retroscim is just full.
func TestBusyPoolIsNotAFailure(t *testing.T) {
	s, _, _ := proxiedStore(t, Options{MaxOpenConns: 1, BreakerFailures: 2, BreakerOpenFor: time.Minute}, txSchema)
	ctx := context.Background()
	// One transaction holds the only connection until released.
	release, holding := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.InTx(ctx, func(*Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	for i := 0; i < 3; i++ {
		_, err := s.Get(ctx, sqlstmt.Select{From: "`people`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`id` = 1")})
		if !errors.Is(err, ErrBusy) {
			t.Errorf("read with the pool full = %v, want ErrBusy", err)
		}
	}
	close(release)
	if st := s.BreakerState(); st != "closed" {
		t.Errorf("after waits for a full pool the breaker is %s", st)
	}
}

// TestBadConnectionInTx: a connection the driver declares bad inside a
// transaction (driver.ErrBadConn, here from rejectReadOnly on a server
// that turned read-only, as after a fail-over) or that the network resets
// is the database being unavailable, and counts towards the breaker.
func TestBadConnectionInTx(t *testing.T) {
	t.Run("read-only", func(t *testing.T) {
		dsn := legacytest.NewDatabase(t, txSchema)
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		cfg.RejectReadOnly = true
		cfg.Params = map[string]string{"tx_read_only": "1"}
		s, err := Open(context.Background(), cfg.FormatDSN(), Options{QueryTimeout: 200 * time.Millisecond, BreakerFailures: 2, BreakerOpenFor: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx := context.Background()
		for i := 0; i < 2; i++ {
			err := s.InTx(ctx, func(tx *Tx) error {
				_, err := tx.Update(ctx, sqlstmt.Update{Table: "people", Set: []sqlstmt.Assignment{{Column: "login", Value: "changed"}}, Where: sqlstmt.Cond("`id` = ?", 1)})
				return err
			})
			if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "bad connection") {
				t.Errorf("write on a read-only server = %v, want ErrUnavailable (driver: bad connection)", err)
			}
		}
		if st := s.BreakerState(); st != "open" {
			t.Errorf("after 2 bad connections the breaker is %s", st)
		}
	})
	t.Run("reset", func(t *testing.T) {
		s, proxy, _ := proxiedStore(t, Options{BreakerFailures: 2, BreakerOpenFor: time.Minute}, txSchema)
		ctx := context.Background()
		for i := 0; i < 2; i++ {
			err := s.InTx(ctx, func(tx *Tx) error {
				proxy.Reset()
				_, err := tx.Update(ctx, sqlstmt.Update{Table: "people", Set: []sqlstmt.Assignment{{Column: "login", Value: "changed"}}, Where: sqlstmt.Cond("`id` = ?", 1)})
				return err
			})
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("write on a reset connection = %v, want ErrUnavailable", err)
			}
		}
		if st := s.BreakerState(); st != "open" {
			t.Errorf("after 2 reset connections the breaker is %s", st)
		}
	})
}
