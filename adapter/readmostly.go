package adapter

import (
	"maps"
	"sync"
	"sync/atomic"
)

// readMostly is a map whose values are made on first use and read on every
// request from every core: the metrics' series by their labels, the
// tenants' connection slots. It is copied on write and read without a
// lock: a new key is rare (a few dozen over a process's life), and even a
// read lock's counter is a write to memory that the other cores share,
// which then each of them has to fetch back. Keys must come from a bounded
// set.
type readMostly[K comparable, V any] struct {
	m        atomic.Pointer[map[K]V]
	mu       sync.Mutex // serialises additions
	newValue func(K) V
}

func newReadMostly[K comparable, V any](newValue func(K) V) *readMostly[K, V] {
	r := &readMostly[K, V]{newValue: newValue}
	r.m.Store(&map[K]V{})
	return r
}

// get is the value of k, made by r.newValue the first time.
func (r *readMostly[K, V]) get(k K) V {
	if v, ok := (*r.m.Load())[k]; ok {
		return v
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.m.Load()
	if v, ok := old[k]; ok {
		return v // added while this one waited
	}
	v := r.newValue(k)
	next := make(map[K]V, len(old)+1)
	maps.Copy(next, old)
	next[k] = v
	r.m.Store(&next)
	return v
}
