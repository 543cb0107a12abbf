package legacy

import (
	"context"
	"testing"
	"time"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// TestListCountsKeptWarm: with CountWarm, a list's total is counted in
// the background (at start by Warm, then whenever it is due or a write
// forgot it), so that its first page never counts inside the request,
// however long the list went unread, until CountWarm passes without a
// page needing it.
func TestListCountsKeptWarm(t *testing.T) {
	dsn := legacytest.NewDatabase(t, itemsSchema)
	counts := &gatedCounter{}
	const ttl, warm = time.Hour, 6 * time.Hour
	s, err := Open(context.Background(), dsn, Options{CountTTL: ttl, CountWarm: warm, Observer: counts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	clock := time.Now()
	s.now = func() time.Time { return clock }
	fillItems(t, dsn, 30)
	query := func(offset, limit int) ListQuery {
		return ListQuery{Select: sqlstmt.Select{From: "`items`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`kind` = ?", "a"),
			Order: []sqlstmt.OrderKey{{Expr: "`id`"}}}, Offset: offset, Limit: limit, Partition: "1"}
	}
	// firstPage lists page 1 with every COUNT(*) held at a gate: a count
	// inside the request would never be let go (the gated counter marks
	// it stuck after a minute), so the page must do without one.
	firstPage := func(what string, want int) {
		t.Helper()
		gate := make(chan struct{})
		counts.gate.Store(&gate)
		p, err := s.List(context.Background(), query(0, 5))
		close(gate)
		counts.gate.Store(nil)
		s.background.Wait()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if counts.stuck.Swap(false) {
			t.Errorf("%s: page 1 waited for a COUNT(*)", what)
		}
		if p.Total != want {
			t.Errorf("%s: total %d, want %d", what, p.Total, want)
		}
	}
	// turn runs one turn of the loop and returns the COUNT(*) it ran.
	turn := func() int64 {
		s.warmCounts()
		s.background.Wait()
		return counts.n.Swap(0)
	}

	// At start: counted in the background before any page.
	if err := s.Warm(context.Background(), query(0, 0)); err != nil {
		t.Fatal(err)
	}
	if n := counts.n.Swap(0); n != 1 {
		t.Fatalf("Warm ran %d COUNT(*), want 1", n)
	}
	firstPage("page 1 after Warm", 15)
	if n := turn(); n != 0 {
		t.Errorf("a turn with a fresh count ran %d COUNT(*), want none", n)
	}

	// Hours without a page: the loop recounts once per count_ttl, and
	// page 1 finds the rows the app added meanwhile.
	legacytest.MustExec(t, dsn, "INSERT INTO items (id, kind) VALUES (101, 'a'), (102, 'a'), (103, 'a')")
	recounts := int64(0)
	for range 8 { // four hours in turns of half a count_ttl
		clock = clock.Add(ttl / 2)
		recounts += turn()
	}
	if recounts != 4 {
		t.Errorf("four hours ran %d COUNT(*), want 4 (one per count_ttl)", recounts)
	}
	firstPage("page 1 four hours on", 18)

	// A write of this process forgets the count; the loop's next turn
	// counts it again, not the next page.
	legacytest.MustExec(t, dsn, "INSERT INTO items (id, kind) VALUES (104, 'a')")
	s.ForgetCounts("1")
	if n := turn(); n != 1 {
		t.Errorf("the turn after a write ran %d COUNT(*), want 1", n)
	}
	firstPage("page 1 after a write", 19)

	// A list no page needed for CountWarm is let go: no more counts, and
	// its next page counts inside the request again.
	clock = clock.Add(warm + time.Minute)
	if n := turn(); n != 0 {
		t.Errorf("a turn after count_warm unread ran %d COUNT(*), want none", n)
	}
	if p, err := s.List(context.Background(), query(0, 5)); err != nil || p.Total != 19 || counts.n.Swap(0) != 1 {
		t.Errorf("page 1 of a list let go: total %d (%v), want 19 counted in the request", p.Total, err)
	}
}
