package legacy

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Totals of lists (COUNT(*) per predicate), cached per partition.
//
// How a total stays exact without a synchronous full COUNT(*) in the
// middle of an import: a count is fresh for Options.CountTTL; after that,
// until twice CountTTL, it is due: the page is still served with it, and
// one background recount per list replaces it (recountAside). Only a
// count older than twice CountTTL, one a write of this process made stale
// (ForgetCounts), or none at all is counted inside the request.
//
// Of the ways to keep a total exact this one was chosen because it needs
// nothing of the schema and changes none of List's rules: serving a due
// count never makes a total lower than what the client can page to (a page
// that reaches or passes it while rows follow still counts at once, as
// does a page that starts at or past it), and a write of this process
// still forgets the partition's counts. What a due count can miss is what
// a fresh one misses too: rows another replica or the application added
// or removed, for at most one more CountTTL. Counting once when an import
// starts and adjusting as rows are seen cannot tell an import from other
// clients' pages, and a count through an index is still O(rows in scope);
// on the 1M-user bench database a full count is ~1.1 s, which the import
// now never waits for after its first page.

// countKey identifies the list's total in the count cache.
func (q ListQuery) countKey() string {
	return cacheKey(q.Partition+"\x00"+q.Select.From, q.Select.Where, nil)
}

// countEntry is a cached total, the generation of its partition it was
// counted in, and when it was counted.
type countEntry struct {
	n   int
	gen uint64
	at  time.Time
}

// countEntryTTL is how long the count cache keeps an entry: a count stays
// usable (due) until twice CountTTL.
func countEntryTTL(countTTL time.Duration) time.Duration { return 2 * countTTL }

// cachedCount returns the cached total for key if no write to its
// partition has been seen since it was counted and it is less than twice
// CountTTL old; due says it is older than CountTTL and should be counted
// again (in the background).
func (s *Store) cachedCount(key string, gen uint64) (n int, ok, due bool) {
	e, ok := s.counts.Get(key)
	if !ok || e.gen != gen {
		return 0, false, false
	}
	age := s.now().Sub(e.at)
	if age >= countEntryTTL(s.opts.CountTTL) {
		return 0, false, false
	}
	return e.n, true, age >= s.opts.CountTTL
}

// rememberCount caches a total counted (or seen) in generation gen.
func (s *Store) rememberCount(key string, n int, gen uint64) {
	s.counts.Add(key, countEntry{n: n, gen: gen, at: s.now()})
}

func (s *Store) count(ctx context.Context, q ListQuery, key string, gen uint64) (int, error) {
	var n int
	stmt, args := q.Select.Count().SQL()
	err := s.do(ctx, "count", true, func(ctx context.Context) error {
		return s.wrap(ctx, s.db.QueryRowxContext(ctx, stmt, args...).Scan(&n))
	})
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", q.Select.From, err)
	}
	s.rememberCount(key, n, gen)
	return n, nil
}

// recountAside counts the list again in the background, unless a recount
// of it is already running: one COUNT(*) per list however many pages come
// while it runs. It runs under the step deadline and the breaker like any
// count, detached from the request's cancellation (the request is answered
// before it ends); a failure leaves the due count in place, so the next
// page tries again. The count is remembered with the generation read
// before the page, so a write meanwhile makes it stale as it should.
func (s *Store) recountAside(ctx context.Context, q ListQuery, key string, gen uint64) {
	if _, running := s.recounting.LoadOrStore(key, struct{}{}); running {
		return
	}
	ctx = context.WithoutCancel(ctx)
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		defer s.recounting.Delete(key)
		// A failure is reported to the observer (metrics) by do, and
		// the due count stays for the next page to try again.
		_, _ = s.count(ctx, q, key, gen)
	}()
}

// ForgetCounts makes the cached totals of a partition (a tenant; "" when
// the data has none) stale: the next page that needs one counts again.
// Call it after every write to the partition, committed or not.
func (s *Store) ForgetCounts(partition string) { s.countGens.bump(partition) }

// generations numbers the writes seen per partition. Each bump takes a
// value never used before, so a partition pushed out of the LRU and
// bumped again cannot come back to a value a cached count holds; and a
// partition pushed out reads as 0, which makes its counts stale too,
// unless they were counted before its first write: so pushing one out
// forgets every count.
type generations struct {
	last atomic.Uint64
	gens *lru.Cache[string, uint64]
}

// maxPartitions bounds the partitions whose writes are numbered.
const maxPartitions = 1 << 16

func newGenerations(onEvict func()) *generations {
	g := &generations{}
	g.gens, _ = lru.NewWithEvict[string, uint64](maxPartitions, func(string, uint64) { onEvict() })
	return g
}

func (g *generations) of(partition string) uint64 {
	n, _ := g.gens.Get(partition)
	return n
}

func (g *generations) bump(partition string) { g.gens.Add(partition, g.last.Add(1)) }

// recounts is the store's bookkeeping of background recounts.
type recounts struct {
	// recounting holds the count keys being counted in the background.
	recounting sync.Map
	// background counts the recounts running; Close waits for them.
	background sync.WaitGroup
}
