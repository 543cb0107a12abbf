package legacy

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/retroscim/retroscim/legacy/legacytest"
)

// TestBreakerIgnoresClientErrors: not-found, constraint violations and a
// request's own errors are outcomes of a healthy database; any number of
// them leaves the breaker closed, while database failures open it.
func TestBreakerIgnoresClientErrors(t *testing.T) {
	dsn := legacytest.NewDatabase(t, txSchema)
	s, err := Open(context.Background(), dsn, Options{BreakerFailures: 2, BreakerOpenFor: time.Minute, QueryTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	refused := errors.New("the request is invalid")
	for i := 0; i < 10; i++ {
		if _, err := s.Get(ctx, Select{Table: "people", Columns: []string{"`id`"}, Where: "`id` = ?", Args: []any{99}}); !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		err := s.InTx(ctx, func(tx *Tx) error {
			_, err := tx.Insert(ctx, Insert{Table: "people", Set: []Assignment{{Column: "login", Value: "ann"}}})
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
		_, _ = s.Get(cctx, Select{Table: "people", Columns: []string{"`id`"}, Where: "TRUE"})
	}
	if st := s.BreakerState(); st != "closed" {
		t.Fatalf("after 40 client errors the breaker is %s", st)
	}
	// Two timeouts in a row open it, and then it answers at once.
	for i := 0; i < 2; i++ {
		if _, err := s.Get(ctx, Select{Table: "people", Columns: []string{"`id`"}, Where: "SLEEP(1) = 0"}); !errors.Is(err, ErrTimeout) {
			t.Fatalf("slow query: %v", err)
		}
	}
	if st := s.BreakerState(); st != "open" {
		t.Fatalf("after 2 timeouts the breaker is %s", st)
	}
	_, err = s.Get(ctx, Select{Table: "people", Columns: []string{"`id`"}, Where: "TRUE"})
	var ue *UnavailableError
	if !errors.As(err, &ue) || !errors.Is(err, ErrUnavailable) || ue.RetryAfter < 50*time.Second {
		t.Errorf("with the breaker open: %v (retry after %v)", err, ue)
	}
}
