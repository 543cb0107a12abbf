package legacy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// TestListCountsOnce: a request that needs the total of a list whose
// COUNT(*) is already running waits for that count instead of running a
// second one: the first pages of two clients of a cold server, and the
// page that reaches a due total while its background recount runs.
func TestListCountsOnce(t *testing.T) {
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
	query := func(offset, limit int) ListQuery {
		return ListQuery{Select: sqlstmt.Select{From: "`items`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`kind` = ?", "a"),
			Order: []sqlstmt.OrderKey{{Expr: "`id`"}}}, Offset: offset, Limit: limit, Partition: "1"}
	}
	key := query(0, 0).countKey()
	type result struct {
		page Page
		err  error
	}
	start := func(offset, limit int) chan result {
		done := make(chan result, 1)
		go func() {
			p, err := s.List(context.Background(), query(offset, limit))
			done <- result{p, err}
		}()
		return done
	}
	// until waits for cond, failing the test after 10 s.
	until := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("after 10 s: %s (COUNT(*) run: %d)", what, counts.n.Load())
			}
		}
	}
	wantTotal := func(name string, done chan result, total int) {
		t.Helper()
		r := <-done
		if r.err != nil {
			t.Fatalf("%s: %v", name, r.err)
		}
		if r.page.Total != total {
			t.Errorf("%s: total %d, want %d", name, r.page.Total, total)
		}
	}
	gate := make(chan struct{})
	counts.gate.Store(&gate)

	// Cold: the first page counts; a second first page meanwhile waits
	// for that count.
	first := start(0, 5)
	until("the first page counts", func() bool { return counts.n.Load() == 1 })
	second := start(0, 5)
	until("the second page waits for the first page's count", func() bool { return s.waiting(key) == 1 || counts.n.Load() > 1 })
	close(gate)
	wantTotal("first page", first, 15)
	wantTotal("second first page", second, 15)
	if n := counts.n.Swap(0); n != 1 {
		t.Errorf("two first pages of a cold store ran %d COUNT(*), want 1", n)
	}

	// Due: a page starts the background recount; the page that reaches
	// the total (rows were added) waits for it rather than count again.
	legacytest.MustExec(t, dsn, "INSERT INTO items (id, kind) VALUES (101, 'a'), (102, 'a'), (103, 'a')")
	clock = clock.Add(ttl + time.Minute)
	gate = make(chan struct{})
	counts.gate.Store(&gate)
	wantTotal("page 1 with a due count", start(0, 5), 15)
	until("the background recount runs", func() bool { return counts.n.Load() == 1 })
	reach := start(10, 5)
	until("the page reaching the total waits for the recount", func() bool { return s.waiting(key) == 1 || counts.n.Load() > 1 })
	close(gate)
	wantTotal("page reaching the due total", reach, 18)
	s.background.Wait()
	counts.gate.Store(nil)
	if n := counts.n.Swap(0); n != 1 {
		t.Errorf("a due count and the page reaching it ran %d COUNT(*), want 1", n)
	}
	if counts.stuck.Load() {
		t.Error("a count was held past the test")
	}

	// A count of an older generation answers no request of a newer one:
	// after a write, the page counts on its own.
	gate = make(chan struct{})
	counts.gate.Store(&gate)
	clock = clock.Add(ttl + time.Minute)
	wantTotal("page 1 with a due count again", start(0, 5), 18)
	until("the background recount runs", func() bool { return counts.n.Load() == 1 })
	legacytest.MustExec(t, dsn, "INSERT INTO items (id, kind) VALUES (104, 'a')")
	s.ForgetCounts("1")
	after := start(0, 5)
	until("the page after the write counts on its own", func() bool { return counts.n.Load() == 2 })
	close(gate)
	wantTotal("page 1 after a write", after, 19)
	s.background.Wait()
	counts.gate.Store(nil)
}

// TestGenerations: a bump gives its partition a number it never had, and
// most other partitions keep theirs (those sharing its slot do not).
func TestGenerations(t *testing.T) {
	g := newGenerations()
	seen := map[uint64]bool{0: true}
	before := map[string]uint64{}
	for i := range 1000 {
		before[fmt.Sprint(i)] = g.of(fmt.Sprint(i))
	}
	for range 3 {
		g.bump("7")
		n := g.of("7")
		if seen[n] {
			t.Fatalf("partition 7 came back to generation %d", n)
		}
		seen[n] = true
	}
	changed := 0
	for p, n := range before {
		if p != "7" && g.of(p) != n {
			changed++
		}
	}
	if changed > 5 {
		t.Errorf("bumping one partition changed %d others of 999", changed)
	}
}
