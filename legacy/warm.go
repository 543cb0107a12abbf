package legacy

import (
	"context"
	"sync"
	"time"
)

// Totals kept warm (Options.CountWarm).
//
// A cached count lives twice CountTTL; after that, and after a write of
// this process, the next page that needs the total counts inside the
// request: the first page of every import that comes more than a minute
// after the last one, on the 1M-user bench database 0.65-1.43 s (0.10-0.20
// s through the counting index check proposes). That cannot be made
// cheaper without giving up the exact total: serving an older count would
// let page 1 say less than the rows there are for as long as the count is
// old, not for one count_ttl. So instead the count is kept from going
// cold: for CountWarm after a list last needed its total, a background
// loop counts it again whenever it is due (once per CountTTL) or missing
// (a write forgot it), and at start each tenant with a token has its
// lists counted (Warm). A page then finds a count at most CountTTL old
// and never waits, except in the first moments after start (it waits for
// the start's count, not a second one) and between a write and the loop's
// next turn (at most CountTTL/2). The price is one COUNT(*) per kept list
// per CountTTL while it is kept, which the counting index makes a range
// scan; CountWarm 0 (the default) keeps nothing.

// maxWarmLists bounds the lists kept warm; past it, the one read least
// recently is dropped.
const maxWarmLists = 64

// warmList is a list whose total is kept counted, and when a page last
// needed it.
type warmList struct {
	q    ListQuery
	used time.Time
}

// warmth is the store's bookkeeping of the lists kept warm.
type warmth struct {
	mu    sync.Mutex
	lists map[string]*warmList
	stop  chan struct{}
	done  chan struct{}
}

// keepWarm notes that a page of q needed its total now.
func (s *Store) keepWarm(key string, q ListQuery) {
	if s.opts.CountWarm <= 0 {
		return
	}
	now := s.now()
	s.warm.mu.Lock()
	defer s.warm.mu.Unlock()
	if w := s.warm.lists[key]; w != nil {
		w.used = now
		return
	}
	if s.warm.lists == nil {
		s.warm.lists = map[string]*warmList{}
	}
	if len(s.warm.lists) >= maxWarmLists {
		oldest := ""
		for k, w := range s.warm.lists {
			if oldest == "" || w.used.Before(s.warm.lists[oldest].used) {
				oldest = k
			}
		}
		delete(s.warm.lists, oldest)
	}
	q.Offset, q.Limit = 0, 0
	s.warm.lists[key] = &warmList{q: q, used: now}
}

// Warm counts the list of q now, unless a count of it is cached (or
// waits for the one running), and keeps it warm as if a page had just
// needed its total: serve calls it at start for each tenant's lists, one
// after the other, so that the first import finds its total counted.
// Without Options.CountWarm it does nothing.
func (s *Store) Warm(ctx context.Context, q ListQuery) error {
	if s.opts.CountWarm <= 0 {
		return nil
	}
	key := q.countKey()
	s.keepWarm(key, q)
	gen := s.countGens.of(q.Partition)
	if _, ok, due := s.cachedCount(key, gen); ok && !due {
		return nil
	}
	_, err := s.count(ctx, q, key, gen)
	return err
}

// warmCounts is one turn of the loop: it drops the lists no page needed
// for CountWarm and counts again, in the background, each other one whose
// count is due or missing and not being counted.
func (s *Store) warmCounts() {
	now := s.now()
	var due []*warmList
	s.warm.mu.Lock()
	for k, w := range s.warm.lists {
		if now.Sub(w.used) > s.opts.CountWarm {
			delete(s.warm.lists, k)
			continue
		}
		due = append(due, w)
	}
	s.warm.mu.Unlock()
	for _, w := range due {
		key := w.q.countKey()
		gen := s.countGens.of(w.q.Partition)
		if _, ok, isDue := s.cachedCount(key, gen); ok && !isDue {
			continue
		}
		// One count of a list at a time: after a burst of writes the
		// loop does not start a count per write.
		if s.counting(key) {
			continue
		}
		s.recountAside(context.Background(), w.q, key, gen)
	}
}

// warmLoop turns warmCounts every CountTTL/2 until Close.
func (s *Store) warmLoop() {
	defer close(s.warm.done)
	every := max(s.opts.CountTTL/2, time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.warm.stop:
			return
		case <-t.C:
			s.warmCounts()
		}
	}
}

// startWarming starts the loop when the store keeps counts warm.
func (s *Store) startWarming() {
	if s.opts.CountWarm <= 0 {
		return
	}
	s.warm.stop, s.warm.done = make(chan struct{}), make(chan struct{})
	go s.warmLoop()
}

// stopWarming ends the loop (Close); the counts it started end by their
// deadline, and Close waits for them.
func (s *Store) stopWarming() {
	if s.warm.stop == nil {
		return
	}
	close(s.warm.stop)
	<-s.warm.done
}
