package legacy

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
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
// or removed, for at most one more CountTTL.
//
// The others, measured on the 1M-user bench database (980,005 rows in
// scope, a shared 2-core machine): counting once when an import starts and
// adjusting as rows are seen cannot tell an import from other clients'
// pages, nor see the application's own inserts (JIT logins), so it still
// needs the recount rules above and adds nothing to them. A count through
// an index that leads with the scope's columns is still O(rows in scope),
// but a range scan of the index, 0.10-0.20 s instead of 0.65-1.43 s:
// check proposes that index (mapping.checkCountIndex), and it is what
// makes the count the only page that waits affordable. That page is the
// first of an import whose count went cold (older than twice CountTTL, or
// forgotten by a write): serving an older count there would make page 1
// say fewer rows than there are for as long as the count is old, so it is
// counted; keeping it from going cold is warm.go's job (Options.CountWarm,
// off by default since it costs a COUNT(*) per list per CountTTL while
// no import runs). Concurrent needs of one count share it (count).

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

// count counts the list and remembers the total. A count of the same list
// in the same generation already running (a background recount, or
// another request's) is waited for instead of run again: on a cold server
// the first pages of two clients, or the page that reaches a due total
// while its recount runs, cost one COUNT(*) between them.
func (s *Store) count(ctx context.Context, q ListQuery, key string, gen uint64) (int, error) {
	for tries := 0; ; tries++ {
		c, leader := s.flight(key, gen)
		if leader {
			s.runCount(ctx, q, key, gen, c)
			return c.n, c.err
		}
		select {
		case <-c.done:
		case <-ctx.Done():
			return 0, fmt.Errorf("count %s: %w", q.Select.From, s.wrap(ctx, ctx.Err()))
		}
		// A count waited for that failed (perhaps by its own request's
		// cancellation) is tried once more, by this request if no other
		// count is running by then.
		if c.err == nil || tries > 0 {
			return c.n, c.err
		}
	}
}

// runCount runs the COUNT(*) of call c, remembers its total and lets those
// who wait for it go.
func (s *Store) runCount(ctx context.Context, q ListQuery, key string, gen uint64, c *countCall) {
	defer s.land(key, gen, c)
	var n int
	stmt, args := q.Select.Count().SQL()
	err := s.do(ctx, "count", true, func(ctx context.Context) error {
		return s.wrap(ctx, s.db.QueryRowxContext(ctx, stmt, args...).Scan(&n))
	})
	if err != nil {
		c.err = fmt.Errorf("count %s: %w", q.Select.From, err)
		return
	}
	c.n = n
	s.rememberCount(key, n, gen)
}

// recountAside counts the list again in the background, unless a count
// of it is already running: one COUNT(*) per list however many pages come
// while it runs. It runs under the step deadline and the breaker like any
// count, detached from the request's cancellation (the request is answered
// before it ends); a failure leaves the due count in place, so the next
// page tries again. The count is remembered with the generation read
// before the page, so a write meanwhile makes it stale as it should.
func (s *Store) recountAside(ctx context.Context, q ListQuery, key string, gen uint64) {
	c, leader := s.flight(key, gen)
	if !leader {
		return
	}
	ctx = context.WithoutCancel(ctx)
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		// A failure is reported to the observer (metrics) by do, and
		// the due count stays for the next page to try again.
		s.runCount(ctx, q, key, gen, c)
	}()
}

// ForgetCounts makes the cached totals of a partition (a tenant; "" when
// the data has none) stale: the next page that needs one counts again.
// Call it after every write to the partition, committed or not.
func (s *Store) ForgetCounts(partition string) { s.countGens.bump(partition) }

// generations numbers the writes seen per partition. Each bump takes a
// value never used before, and a cached count is used only while its
// partition's number is still the one it was counted under. The numbers
// live in a table of fixed size, each partition's slot found by hashing its
// name, so that reading one, which every page of every list does, takes no
// lock and writes nothing the other cores share (an LRU's Get takes its
// lock and moves an entry). Partitions sharing a slot share their writes:
// one tenant's write makes the other's counts stale too, which costs a
// recount and never serves a stale count.
type generations struct {
	last  atomic.Uint64
	seed  maphash.Seed
	slots [generationSlots]atomic.Uint64
}

// generationSlots is the size of the table (64 KiB): among 8,193 tenants
// a write makes one other tenant's counts stale, on average, besides its
// own.
const generationSlots = 1 << 13

func newGenerations() *generations { return &generations{seed: maphash.MakeSeed()} }

func (g *generations) slot(partition string) *atomic.Uint64 {
	return &g.slots[maphash.String(g.seed, partition)%generationSlots]
}

func (g *generations) of(partition string) uint64 { return g.slot(partition).Load() }

func (g *generations) bump(partition string) { g.slot(partition).Store(g.last.Add(1)) }

// recounts is the store's bookkeeping of the counts running.
type recounts struct {
	mu sync.Mutex
	// flights holds the counts running, by list and generation.
	flights map[flightKey]*countCall
	// background counts the recounts running; Close waits for them.
	background sync.WaitGroup
}

// flightKey is a count running: a count of an older generation answers
// none of the requests that read a newer one.
type flightKey struct {
	key string
	gen uint64
}

// countCall is one COUNT(*) running; done is closed when n and err are set.
type countCall struct {
	done    chan struct{}
	n       int
	err     error
	waiters int // requests waiting for it (tests read it)
}

// flight returns the count of key in generation gen that is running, or
// starts one: leader says the caller must run it (runCount).
func (r *recounts) flight(key string, gen uint64) (c *countCall, leader bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := flightKey{key, gen}
	if c := r.flights[k]; c != nil {
		c.waiters++
		return c, false
	}
	if r.flights == nil {
		r.flights = map[flightKey]*countCall{}
	}
	c = &countCall{done: make(chan struct{})}
	r.flights[k] = c
	return c, true
}

// land ends count c: later requests find its total in the count cache.
func (r *recounts) land(key string, gen uint64, c *countCall) {
	r.mu.Lock()
	delete(r.flights, flightKey{key, gen})
	r.mu.Unlock()
	close(c.done)
}

// counting reports whether a count of key runs, in any generation.
func (r *recounts) counting(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.flights {
		if k.key == key {
			return true
		}
	}
	return false
}

// waiting is how many requests wait for a count running of key (tests).
func (r *recounts) waiting(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for k, c := range r.flights {
		if k.key == key {
			n += c.waiters
		}
	}
	return n
}
