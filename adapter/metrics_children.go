package adapter

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// children remembers the children of a metric vector by their label
// values. Every label value retroscim uses comes from a bounded set (see
// observe), so the map stays small, and a request finds its counter with
// one map lookup instead of WithLabelValues hashing the labels into the
// vector (and allocating the list and the status text) for each of the
// three series it touches.
type children[K comparable, M any] struct {
	mu    sync.RWMutex
	m     map[K]M
	child func(K) M
}

func newChildren[K comparable, M any](child func(K) M) *children[K, M] {
	return &children[K, M]{m: map[K]M{}, child: child}
}

func (c *children[K, M]) get(k K) M {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = c.child(k)
	c.mu.Lock()
	c.m[k] = v
	c.mu.Unlock()
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
