package adapter

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// The series a request touches are found by their label values in a
// readMostly map: one lookup instead of WithLabelValues hashing the labels
// into the vector (and allocating the list and the status text) for each
// of the three series it touches. Every label value retroscim uses comes
// from a bounded set (see observe), so the maps stay small.

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
	requests   *readMostly[requestLabels, prometheus.Counter]
	duration   *readMostly[routeLabels, prometheus.Observer]
	dbDuration *readMostly[queryLabels, prometheus.Observer]
	cache      *readMostly[cacheLabels, prometheus.Counter]
}

func (m *Metrics) newChildren() metricChildren {
	return metricChildren{
		requests: newReadMostly(func(k requestLabels) prometheus.Counter {
			return m.requests.WithLabelValues(k.route, k.method, strconv.Itoa(k.status))
		}),
		duration: newReadMostly(func(k routeLabels) prometheus.Observer {
			return m.duration.WithLabelValues(k.route, k.method)
		}),
		dbDuration: newReadMostly(func(k queryLabels) prometheus.Observer {
			return m.dbDuration.WithLabelValues(k.op, k.outcome)
		}),
		cache: newReadMostly(func(k cacheLabels) prometheus.Counter {
			result := "miss"
			if k.hit {
				result = "hit"
			}
			return m.cache.WithLabelValues(k.cache, result)
		}),
	}
}
