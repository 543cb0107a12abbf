package adapter

import (
	"maps"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// children remembers the children of a metric vector by their label
// values. Every label value retroscim uses comes from a bounded set (see
// observe), so the map stays small, and a request finds its counter with
// one map lookup instead of WithLabelValues hashing the labels into the
// vector (and allocating the list and the status text) for each of the
// three series it touches.
//
// The map is copied on write and read without a lock: a new label set
// is rare (a few dozen over a process's life), a lookup happens several
// times per request on every core, and a read lock's counter is a write
// to memory the other cores share.
type children[K comparable, M any] struct {
	m     atomic.Pointer[map[K]M]
	mu    sync.Mutex // serialises additions
	child func(K) M
}

func newChildren[K comparable, M any](child func(K) M) *children[K, M] {
	c := &children[K, M]{child: child}
	c.m.Store(&map[K]M{})
	return c
}

func (c *children[K, M]) get(k K) M {
	if v, ok := (*c.m.Load())[k]; ok {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := *c.m.Load()
	if v, ok := old[k]; ok {
		return v // added while this one waited
	}
	v := c.child(k)
	next := make(map[K]M, len(old)+1)
	maps.Copy(next, old)
	next[k] = v
	c.m.Store(&next)
	return v
}

// The label sets of the per-request series.
type (
	requestLabels struct {
		route, method string
		status        int
	}
	routeLabels struct{ route, method string }
	queryLabels struct{ op, outcome string }
	cacheLabels struct {
		cache string
		hit   bool
	}
)

// metricChildren are the per-request series' children, looked up by
// their labels.
type metricChildren struct {
	requests   *children[requestLabels, prometheus.Counter]
	duration   *children[routeLabels, prometheus.Observer]
	dbDuration *children[queryLabels, prometheus.Observer]
	cache      *children[cacheLabels, prometheus.Counter]
}

func (m *Metrics) newChildren() metricChildren {
	return metricChildren{
		requests: newChildren(func(k requestLabels) prometheus.Counter {
			return m.requests.WithLabelValues(k.route, k.method, strconv.Itoa(k.status))
		}),
		duration: newChildren(func(k routeLabels) prometheus.Observer {
			return m.duration.WithLabelValues(k.route, k.method)
		}),
		dbDuration: newChildren(func(k queryLabels) prometheus.Observer {
			return m.dbDuration.WithLabelValues(k.op, k.outcome)
		}),
		cache: newChildren(func(k cacheLabels) prometheus.Counter {
			result := "miss"
			if k.hit {
				result = "hit"
			}
			return m.cache.WithLabelValues(k.cache, result)
		}),
	}
}
