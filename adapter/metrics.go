package adapter

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/retroscim/retroscim/legacy"
)

// Metrics is retroscim's Prometheus instrumentation. It is the store's
// legacy.Observer, and the server's request observer.
type Metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	dbDuration   *prometheus.HistogramVec
	cache        *prometheus.CounterVec
	breaker      *prometheus.GaugeVec
	breakerMoves *prometheus.CounterVec
	reloads      *prometheus.CounterVec
	// children finds the per-request series' children by their labels.
	children metricChildren
}

// NewMetrics creates the metrics in a registry of their own, with the Go
// runtime and process collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "retroscim_http_requests_total", Help: "SCIM requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "retroscim_http_request_duration_seconds", Help: "SCIM request latency by route and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		dbDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "retroscim_db_operation_duration_seconds", Help: "Database operations by kind and outcome (ok, not_found, constraint, timeout, unavailable, denied, breaker_open, error).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"op", "outcome"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "retroscim_cache_requests_total", Help: "Cache lookups by cache (cursor, count, lookup, token) and result (hit, miss).",
		}, []string{"cache", "result"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "retroscim_breaker_state", Help: "1 for the database circuit breaker's current state (closed, half-open, open), 0 for the others.",
		}, []string{"state"}),
		breakerMoves: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "retroscim_breaker_transitions_total", Help: "Database circuit breaker state changes by new state.",
		}, []string{"to"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "retroscim_config_reloads_total", Help: "Configuration reloads by result (ok, failed).",
		}, []string{"result"}),
	}
	m.children = m.newChildren()
	reg.MustRegister(m.requests, m.duration, m.dbDuration, m.cache, m.breaker, m.breakerMoves, m.reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Query implements legacy.Observer.
func (m *Metrics) Query(op string, took time.Duration, outcome string) {
	m.children.dbDuration.get(queryLabels{op, outcome}).Observe(took.Seconds())
}

// Cache implements legacy.Observer.
func (m *Metrics) Cache(cache string, hit bool) {
	m.children.cache.get(cacheLabels{cache, hit}).Inc()
}

// Breaker implements legacy.Observer.
func (m *Metrics) Breaker(state string) {
	for _, s := range []string{"closed", "half-open", "open"} {
		v := 0.0
		if s == state {
			v = 1
		}
		m.breaker.WithLabelValues(s).Set(v)
	}
	m.breakerMoves.WithLabelValues(state).Inc()
}

// Reloaded counts a configuration reload.
func (m *Metrics) Reloaded(ok bool) {
	if ok {
		m.reloads.WithLabelValues("ok").Inc()
	} else {
		m.reloads.WithLabelValues("failed").Inc()
	}
}

// WatchPool exports the connection pool's statistics.
func (m *Metrics) WatchPool(stats func() sql.DBStats) {
	gauge := func(name, help string, f func(sql.DBStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(stats()) })
	}
	counter := func(name, help string, f func(sql.DBStats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return f(stats()) })
	}
	m.reg.MustRegister(
		gauge("retroscim_db_pool_max_open", "Maximum open connections (database.max_open_conns).", func(s sql.DBStats) float64 { return float64(s.MaxOpenConnections) }),
		gauge("retroscim_db_pool_open", "Open connections.", func(s sql.DBStats) float64 { return float64(s.OpenConnections) }),
		gauge("retroscim_db_pool_in_use", "Connections in use.", func(s sql.DBStats) float64 { return float64(s.InUse) }),
		gauge("retroscim_db_pool_idle", "Idle connections.", func(s sql.DBStats) float64 { return float64(s.Idle) }),
		counter("retroscim_db_pool_wait_total", "Times a request waited for a free connection.", func(s sql.DBStats) float64 { return float64(s.WaitCount) }),
		counter("retroscim_db_pool_wait_seconds_total", "Time spent waiting for a free connection.", func(s sql.DBStats) float64 { return s.WaitDuration.Seconds() }),
	)
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// record times each request once and reports it twice: to the metrics
// (observe) and to the access log (logAccess). The handler's error is
// answered first, so both see the status the client got. One clock
// reading at each end serves both: time.Now is about 65 ns here, and the
// two used to read the clock twice each.
func (s *Server) record(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		end := time.Now()
		took := end.Sub(start)
		s.observe(c, took)
		s.logAccess(c, end, took)
		return nil
	}
}

// observe counts and times a request, when metrics are on. Every label
// value comes from a bounded set, whatever the client sends: the route is
// a registered template (/scim/v2/Users/:id, never the id) or
// "unmatched", the method one of HTTP's own or "other".
func (s *Server) observe(c echo.Context, took time.Duration) {
	if s.metrics == nil {
		return
	}
	route := c.Path()
	if !s.routeTemplates[route] {
		route = "unmatched"
	}
	method := methodLabel(c.Request().Method)
	s.metrics.children.requests.get(requestLabels{route, method, c.Response().Status}).Inc()
	s.metrics.children.duration.get(routeLabels{route, method}).Observe(took.Seconds())
}

// methodLabel is the method as a metric label: the methods HTTP defines
// (case-sensitive, as HTTP is), or "other" for anything a client invents.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// adminRoutes adds the operations endpoints: liveness, readiness and
// metrics. They sit outside the SCIM base path and need no token.
func (s *Server) adminRoutes(e *echo.Echo) {
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if s.metrics != nil {
		e.GET("/metrics", echo.WrapHandler(s.metrics.Handler()))
	}
}

// AdminHandler serves /healthz, /readyz and /metrics on their own, for a
// listener apart from the API (server.admin_listen), and Go's profiler
// under /debug/pprof/ when server.pprof is on (see pprof.go).
func (s *Server) AdminHandler() http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	s.adminRoutes(e)
	s.pprofRoutes(e)
	return e
}

// healthz says the process is up; it does not touch the database.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says whether requests can be served: the database answers and
// the circuit breaker is closed. While the breaker is open it answers 503
// at once; when half-open the breaker probes the database first. The
// answer names the problem without internal details.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	err := s.store.Ping(ctx)
	body := map[string]string{"status": "ready", "database": "ok", "breaker": s.store.BreakerState()}
	if err == nil && body["breaker"] == "closed" {
		return c.JSON(http.StatusOK, body)
	}
	body["status"] = "unavailable"
	switch {
	case err == nil:
		body["database"] = "ok"
	case errors.Is(err, legacy.ErrTimeout):
		body["database"] = "timeout"
	default:
		body["database"] = "unreachable"
	}
	var ue *legacy.UnavailableError
	if errors.As(err, &ue) {
		c.Response().Header().Set("Retry-After", strconv.Itoa(max(int(ue.RetryAfter.Seconds()), 1)))
	}
	return c.JSON(http.StatusServiceUnavailable, body)
}
