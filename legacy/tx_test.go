package legacy

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

const txSchema = `
CREATE TABLE roles (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, org INT NOT NULL DEFAULT 1, UNIQUE KEY uq_roles (org, name));
CREATE TABLE people (
  id INT AUTO_INCREMENT PRIMARY KEY,
  login VARCHAR(20) NOT NULL,
  role_id INT NULL,
  UNIQUE KEY uq_people_login (login),
  FOREIGN KEY (role_id) REFERENCES roles (id)
);
CREATE TABLE badges (id INT PRIMARY KEY, person INT NOT NULL, FOREIGN KEY (person) REFERENCES people (id));
INSERT INTO roles (id, name, org) VALUES (1, 'Admin', 1), (2, 'Viewer', 1), (3, 'Admin', 2);
INSERT INTO people (id, login, role_id) VALUES (1, 'ann', 1), (2, 'ben', NULL);
INSERT INTO badges VALUES (1, 2);`

func TestInTxRollsBack(t *testing.T) {
	s, dsn := openStore(t, txSchema)
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.Update(ctx, sqlstmt.Update{Table: "people", Set: []sqlstmt.Assignment{{Column: "login", Value: "changed"}}, Where: sqlstmt.Cond("`id` = ?", 1)}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	if got := legacytest.Checksum(t, dsn, "people"); got == "" {
		t.Fatal("no checksum")
	}
	row, err := s.Get(ctx, sqlstmt.Select{From: "`people`", Columns: []string{"`login`"}, Where: sqlstmt.Cond("`id` = 1")})
	if err != nil || string(asBytes(row[0])) != "ann" {
		t.Errorf("after rollback login = %v, %v; want ann", row, err)
	}
}

func TestConstraintErrors(t *testing.T) {
	s, _ := openStore(t, txSchema)
	ctx := context.Background()
	tests := []struct {
		name    string
		run     func(*Tx) error
		kind    error
		wantKey string
	}{
		{"duplicate", func(tx *Tx) error {
			_, err := tx.Insert(ctx, sqlstmt.Insert{Table: "people", Set: []sqlstmt.Assignment{{Column: "login", Value: "ann"}}})
			return err
		}, ErrConflict, "uq_people_login"},
		{"foreign key to nothing", func(tx *Tx) error {
			_, err := tx.Update(ctx, sqlstmt.Update{Table: "people", Set: []sqlstmt.Assignment{{Column: "role_id", Value: 99}}, Where: sqlstmt.Cond("`id` = 1")})
			return err
		}, ErrInvalidData, ""},
		{"too long", func(tx *Tx) error {
			_, err := tx.Update(ctx, sqlstmt.Update{Table: "people", Set: []sqlstmt.Assignment{{Column: "login", Value: "a-login-far-too-long-for-twenty"}}, Where: sqlstmt.Cond("`id` = 1")})
			return err
		}, ErrInvalidData, "login"},
		{"referenced", func(tx *Tx) error {
			_, err := tx.Delete(ctx, sqlstmt.Delete{Table: "people", Where: sqlstmt.Cond("`id` = ?", 2)})
			return err
		}, ErrReferenced, ""},
	}
	for _, tt := range tests {
		err := s.InTx(ctx, tt.run)
		var ce *ConstraintError
		if !errors.As(err, &ce) || !errors.Is(err, tt.kind) || ce.Key != tt.wantKey {
			t.Errorf("%s: error = %v (key %q), want %v with key %q", tt.name, err, keyOf(ce), tt.kind, tt.wantKey)
		}
	}
}

func keyOf(ce *ConstraintError) string {
	if ce == nil {
		return ""
	}
	return ce.Key
}

func TestInsertReturnsID(t *testing.T) {
	s, _ := openStore(t, txSchema)
	ctx := context.Background()
	var id int64
	err := s.InTx(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.Insert(ctx, sqlstmt.Insert{Table: "people", Set: []sqlstmt.Assignment{{Column: "login", Value: "cat"}, {Column: "role_id", Expr: "NULL"}}})
		return err
	})
	if err != nil || id != 3 {
		t.Errorf("Insert = %d, %v; want 3", id, err)
	}
}

// TestDeadlockRetried makes two transactions lock two rows in opposite
// orders; the server rolls one back as the deadlock victim and InTx runs
// it again, so both succeed.
func TestDeadlockRetried(t *testing.T) {
	s, _ := openStore(t, txSchema)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	ready := make(chan struct{}, 2)
	var once [2]sync.Once
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			first, second := 1, 2
			if i == 1 {
				first, second = 2, 1
			}
			errs[i] = s.InTx(ctx, func(tx *Tx) error {
				if _, err := tx.Get(ctx, sqlstmt.Select{From: "`people`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`id` = ?", first), Lock: true}); err != nil {
					return err
				}
				once[i].Do(func() {
					ready <- struct{}{}
					for len(ready) < 2 {
						time.Sleep(time.Millisecond)
					}
				})
				_, err := tx.Get(ctx, sqlstmt.Select{From: "`people`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`id` = ?", second), Lock: true})
				return err
			})
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
}

// TestDeadlockDoesNotOpenBreaker: a deadlock victim is an outcome of a
// healthy database that InTx retries; even with a breaker that opens on
// the first failure, both transactions of a real deadlock succeed.
func TestDeadlockDoesNotOpenBreaker(t *testing.T) {
	dsn := legacytest.NewDatabase(t, txSchema)
	obs := &outcomes{}
	s, err := Open(context.Background(), dsn, Options{BreakerFailures: 1, BreakerOpenFor: time.Minute, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	var locked sync.WaitGroup
	locked.Add(2)
	for i := 0; i < 2; i++ {
		var once sync.Once
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			first, second := 1+i, 2-i
			errs[i] = s.InTx(ctx, func(tx *Tx) error {
				if _, err := tx.Get(ctx, sqlstmt.Select{From: "`people`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`id` = ?", first), Lock: true}); err != nil {
					return err
				}
				once.Do(func() { locked.Done(); locked.Wait() })
				_, err := tx.Get(ctx, sqlstmt.Select{From: "`people`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`id` = ?", second), Lock: true})
				return err
			})
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
	if st := s.BreakerState(); st != "closed" {
		t.Errorf("after a deadlock the breaker is %s", st)
	}
	if n := obs.count("tx", "conflict"); n != 1 {
		t.Errorf("observer saw %d tx conflicts, want 1 (outcomes %v)", n, obs.all())
	}
}

// TestWriteConflictAttempts: a transaction that keeps ending in a write
// conflict (here a trigger that fails like a Galera certification failure,
// error 1213) is run maxConflictAttempts times, then fails with
// ErrWriteConflict, having changed nothing and leaving the breaker closed.
func TestWriteConflictAttempts(t *testing.T) {
	dsn := legacytest.NewDatabase(t, txSchema, "CREATE TRIGGER people_conflict BEFORE UPDATE ON people FOR EACH ROW "+
		"SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'Deadlock: wsrep aborted transaction'")
	s, err := Open(context.Background(), dsn, Options{BreakerFailures: 1, BreakerOpenFor: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	attempts := 0
	err = s.InTx(ctx, func(tx *Tx) error {
		attempts++
		if _, err := tx.Insert(ctx, sqlstmt.Insert{Table: "badges", Set: []sqlstmt.Assignment{{Column: "id", Value: 9}, {Column: "person", Value: 1}}}); err != nil {
			return err
		}
		_, err := tx.Update(ctx, sqlstmt.Update{Table: "people", Set: []sqlstmt.Assignment{{Column: "login", Value: "changed"}}, Where: sqlstmt.Cond("`id` = ?", 1)})
		return err
	})
	if !errors.Is(err, ErrWriteConflict) || attempts != maxConflictAttempts {
		t.Errorf("InTx = %v after %d attempts, want ErrWriteConflict after %d", err, attempts, maxConflictAttempts)
	}
	if st := s.BreakerState(); st != "closed" {
		t.Errorf("after write conflicts the breaker is %s", st)
	}
	rows, err := s.Query(ctx, sqlstmt.Select{Columns: []string{"COUNT(*)"}, From: "badges"})
	if err != nil || asString(rows[0][0]) != "1" {
		t.Errorf("badges has %v rows (%v), want the 1 it had", rows, err)
	}
}

// outcomes records the operations a Store reports.
type outcomes struct {
	mu   sync.Mutex
	seen []string
}

func (o *outcomes) Query(op string, _ time.Duration, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = append(o.seen, op+" "+outcome)
}

func (o *outcomes) Cache(string, bool) {}
func (o *outcomes) Breaker(string)     {}

func (o *outcomes) count(op, outcome string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, s := range o.seen {
		if s == op+" "+outcome {
			n++
		}
	}
	return n
}

func (o *outcomes) all() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.seen...)
}

func TestLookupCache(t *testing.T) {
	dsn := legacytest.NewDatabase(t, txSchema)
	s, err := Open(context.Background(), dsn, Options{LookupTTL: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	lookup := func(name string, org any) sqlstmt.Select {
		where := sqlstmt.Eq("`name`", name)
		if org != nil {
			where = sqlstmt.And(where, sqlstmt.Eq("`org`", org))
		}
		return sqlstmt.Select{Columns: []string{"`id`"}, From: "`roles`", Where: where}
	}
	admin := lookup("admin", 2)
	if k, err := s.Lookup(ctx, admin); err != nil || k != int64(3) && k != "3" {
		t.Fatalf("Lookup(admin, org 2) = %v, %v; want 3", k, err)
	}
	if _, err := s.Lookup(ctx, lookup("Nobody", nil)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Lookup(Nobody) = %v, want ErrNotFound", err)
	}
	// A cached key is served until the TTL passes.
	legacytest.MustExec(t, dsn, "UPDATE roles SET name = 'Owner' WHERE id = 3")
	if _, err := s.Lookup(ctx, admin); err != nil {
		t.Errorf("cached lookup after rename = %v, want the cached key", err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := s.Lookup(ctx, admin); !errors.Is(err, ErrNotFound) {
		t.Errorf("lookup after the TTL = %v, want ErrNotFound", err)
	}
	vals, err := s.Values(ctx, sqlstmt.Select{Columns: []string{"`name`"}, From: "`roles`", Where: sqlstmt.Eq("`org`", 1), Order: []sqlstmt.OrderKey{{Expr: "1"}}, Limit: 10})
	if err != nil || len(vals) != 2 || vals[0] != "Admin" || vals[1] != "Viewer" {
		t.Errorf("Values = %v, %v", vals, err)
	}
}

// TestConflictWait: the retries after a write conflict wait twice as long
// each time, up to the cap, and all of them together stay about a second.
func TestConflictWait(t *testing.T) {
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{1, 10 * time.Millisecond},
		{2, 20 * time.Millisecond},
		{3, 40 * time.Millisecond},
		{4, 80 * time.Millisecond},
		{5, 160 * time.Millisecond},
		{6, 200 * time.Millisecond},
		{9, 200 * time.Millisecond},
		{64, 200 * time.Millisecond}, // no shift past the width of a Duration
	}
	for _, tt := range tests {
		if got := conflictWait(tt.attempt); got != tt.want {
			t.Errorf("conflictWait(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
	var total time.Duration
	for attempt := 1; attempt < maxConflictAttempts; attempt++ {
		total += conflictWait(attempt)
	}
	if total != 1110*time.Millisecond {
		t.Errorf("the retries wait at most %v in all, want 1.11s as the comment says", total)
	}
}
