package legacy

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// countCounter is an Observer counting the COUNT(*) statements run.
type countCounter struct {
	nopObserver
	n atomic.Int64
}

func (c *countCounter) Query(op string, _ time.Duration, _ string) {
	if op == "count" {
		c.n.Add(1)
	}
}

// TestListTotalsFollowWrites: a total is never lower than what the client
// can page to, and counting is not more frequent than that needs.
func TestListTotalsFollowWrites(t *testing.T) {
	dsn := legacytest.NewDatabase(t, itemsSchema)
	counts := &countCounter{}
	s, err := Open(context.Background(), dsn, Options{CountTTL: time.Hour, Observer: counts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	fillItems(t, dsn, 30)
	ctx := context.Background()
	list := func(partition string, offset, limit int) Page {
		t.Helper()
		p, err := s.List(ctx, ListQuery{Select: sqlstmt.Select{From: "`items`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`kind` = ?", "a"),
			Order: []sqlstmt.OrderKey{{Expr: "`id`"}}}, Offset: offset, Limit: limit, Partition: partition})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	counted := func() int64 { return counts.n.Swap(0) }

	// A page that ends the list, even a full one, needs no COUNT.
	if p := list("1", 10, 5); p.Total != 15 || len(p.Rows) != 5 {
		t.Fatalf("last page = %d rows, total %d; want 5 of 15", len(p.Rows), p.Total)
	}
	counted()
	if p := list("1", 0, 15); p.Total != 15 || counted() != 0 {
		t.Errorf("one full page of the whole list: total %d, want 15 without a COUNT", p.Total)
	}
	// A first page with rows after it counts once; the count is reused.
	s.ForgetCounts("1")
	list("1", 0, 5)
	list("1", 5, 5)
	if n := counted(); n != 1 {
		t.Errorf("two pages counted %d times, want once", n)
	}

	// Another connection adds rows. Pages before the cached total may
	// keep it; the page that reaches it, with rows after, counts again.
	legacytest.MustExec(t, dsn, "INSERT INTO items (id, kind) VALUES (101, 'a'), (102, 'a'), (103, 'a')")
	if p := list("1", 0, 5); p.Total != 15 {
		t.Errorf("first page after outside inserts: total %d, want the cached 15", p.Total)
	}
	if p := list("1", 10, 5); p.Total != 18 {
		t.Errorf("page reaching the cached total: total %d, want 18", p.Total)
	}
	// A page starting at or past the cached total counts again.
	legacytest.MustExec(t, dsn, "INSERT INTO items (id, kind) VALUES (104, 'a')")
	if p := list("1", 18, 5); p.Total != 19 || len(p.Rows) != 1 {
		t.Errorf("page at the cached total: %d rows, total %d; want 1 of 19", len(p.Rows), p.Total)
	}
	counted()

	// This process's own write forgets the partition's counts, and only
	// that partition's.
	list("2", 0, 5)
	counted()
	legacytest.MustExec(t, dsn, "INSERT INTO items (id, kind) VALUES (105, 'a')")
	s.ForgetCounts("1")
	if p := list("1", 0, 5); p.Total != 20 || counted() != 1 {
		t.Errorf("after ForgetCounts(1): total %d, want 20, counted again", p.Total)
	}
	if p := list("2", 0, 5); p.Total != 19 || counted() != 0 {
		t.Errorf("partition 2 after ForgetCounts(1): total %d, want its cached 19 without a COUNT", p.Total)
	}
	// A count under way when a write lands is stored with the generation
	// it started in, and not used afterwards.
	q := ListQuery{Select: sqlstmt.Select{From: "`items`", Where: sqlstmt.Cond("`kind` = ?", "a")}, Partition: "2"}
	started := s.countGens.of("2")
	s.ForgetCounts("2")
	s.counts.Add(q.countKey(), countEntry{n: 19, gen: started, at: s.now()})
	if _, ok, _ := s.cachedCount(q.countKey(), s.countGens.of("2")); ok {
		t.Error("a count from before the write is still used")
	}
}

// gatedCounter counts COUNT(*) statements and, while gate is set, holds
// each one (after it ran, before its result is remembered) until the gate
// is closed. A count held on the request's own goroutine (a synchronous
// recount, the behaviour under test gone) would never be released: after
// a minute it is let go and marked stuck, so the test fails, not hangs.
type gatedCounter struct {
	countCounter
	gate  atomic.Pointer[chan struct{}]
	stuck atomic.Bool
}

func (c *gatedCounter) Query(op string, d time.Duration, outcome string) {
	c.countCounter.Query(op, d, outcome)
	if g := c.gate.Load(); g != nil && op == "count" {
		select {
		case <-*g:
		case <-time.After(time.Minute):
			c.stuck.Store(true)
		}
	}
}

// TestListRecountsInBackground: a count older than CountTTL is served
// while one background COUNT(*) replaces it, however many pages come
// meanwhile; the rules that keep totals from being too low still count at
// once; a count older than twice CountTTL is counted inside the request.
func TestListRecountsInBackground(t *testing.T) {
	dsn := legacytest.NewDatabase(t, itemsSchema)
	counts := &gatedCounter{}
	const ttl = time.Hour
	s, err := Open(context.Background(), dsn, Options{CountTTL: ttl, Observer: counts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	clock := time.Now()
	s.now = func() time.Time { return clock }
	fillItems(t, dsn, 30)
	ctx := context.Background()
	list := func(offset, limit int) Page {
		t.Helper()
		p, err := s.List(ctx, ListQuery{Select: sqlstmt.Select{From: "`items`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`kind` = ?", "a"),
			Order: []sqlstmt.OrderKey{{Expr: "`id`"}}}, Offset: offset, Limit: limit, Partition: "1"})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	counted := func() int64 { return counts.n.Swap(0) }

	if p := list(0, 5); p.Total != 15 || counted() != 1 {
		t.Fatalf("first page: total %d, want 15 after one COUNT", p.Total)
	}
	legacytest.MustExec(t, dsn, "INSERT INTO items (id, kind) VALUES (101, 'a'), (102, 'a'), (103, 'a')")

	// Due: the pages are answered with the old count, and one recount
	// runs in the background for all of them.
	clock = clock.Add(ttl + time.Minute)
	gate := make(chan struct{})
	counts.gate.Store(&gate)
	for _, offset := range []int{0, 5, 0} {
		if p := list(offset, 5); p.Total != 15 {
			t.Errorf("page at %d while the count is due: total %d, want the cached 15", offset, p.Total)
		}
	}
	close(gate)
	s.background.Wait()
	counts.gate.Store(nil)
	if counts.stuck.Load() {
		t.Fatal("a page waited for the recount of a due count")
	}
	if n := counted(); n != 1 {
		t.Errorf("three pages with a due count ran %d COUNT(*), want 1 (in the background)", n)
	}
	if p := list(5, 5); p.Total != 18 || counted() != 0 {
		t.Errorf("after the background recount: total %d, want 18 without another COUNT", p.Total)
	}

	// A due count that is too low for the page is counted at once, not
	// served: the total is never lower than what the client can page to.
	legacytest.MustExec(t, dsn, "INSERT INTO items (id, kind) VALUES (104, 'a'), (105, 'a')")
	clock = clock.Add(ttl + time.Minute)
	if p := list(18, 5); p.Total != 20 || len(p.Rows) != 2 {
		t.Errorf("page at the due total: %d rows, total %d; want 2 of 20", len(p.Rows), p.Total)
	}
	s.background.Wait()
	if n := counted(); n != 1 {
		t.Errorf("page at the due total ran %d COUNT(*), want 1 (inside the request, none after)", n)
	}

	// Older than twice CountTTL: counted inside the request.
	legacytest.MustExec(t, dsn, "INSERT INTO items (id, kind) VALUES (106, 'a')")
	clock = clock.Add(2 * ttl)
	if p := list(0, 5); p.Total != 21 || counted() != 1 {
		t.Errorf("count older than twice count_ttl: total %d, want 21 counted in the request", p.Total)
	}
	s.background.Wait()
	if n := counted(); n != 0 {
		t.Errorf("%d background COUNT(*) after a synchronous one, want none", n)
	}
}

// TestListIndexHint: a page read through a named index returns what the
// optimizer's own plan returns, and one whose index went away since the
// schema was bound (dropped, renamed) is read without the hint instead of
// failing every unfiltered list.
func TestListIndexHint(t *testing.T) {
	dsn := legacytest.NewDatabase(t, itemsSchema)
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	fillItems(t, dsn, 30)
	ids := func(index string, offset int) []any {
		t.Helper()
		p, err := s.List(context.Background(), ListQuery{Select: sqlstmt.Select{From: "`items`", Index: index, Columns: []string{"`id`"}, Where: sqlstmt.Cond("`kind` = ?", "a"),
			Order: []sqlstmt.OrderKey{{Expr: "`id`"}}}, Offset: offset, Limit: 4})
		if err != nil {
			t.Fatalf("List with index %q at %d: %v", index, offset, err)
		}
		var out []any
		for _, r := range p.Rows {
			out = append(out, fmt.Sprint(r[0]))
		}
		return out
	}
	for _, offset := range []int{0, 4, 8} {
		want := ids("", offset)
		for _, index := range []string{"PRIMARY", "ix_gone"} {
			if got := ids(index, offset); !reflect.DeepEqual(got, want) {
				t.Errorf("index %q, offset %d: ids %v, want %v", index, offset, got, want)
			}
		}
	}
}
