// Package adapter is retroscim's HTTP side: the echo routes of the SCIM API,
// bearer-token authentication, SCIM JSON shapes, error rendering and the
// discovery documents. It orchestrates: package mapping turns a request
// into SQL predicates, package legacy runs them, mapping renders the rows.
// No SQL is written here.
package adapter

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping"
)

// Database is what the adapter needs from the database layer (a
// *legacy.Store).
type Database interface {
	Get(ctx context.Context, q sqlstmt.Select) ([]any, error)
	List(ctx context.Context, q legacy.ListQuery) (legacy.Page, error)
	Columns(ctx context.Context, table string) ([]legacy.Column, error)
	Indexes(ctx context.Context, table string) ([]legacy.Index, error)
	InTx(ctx context.Context, fn func(*legacy.Tx) error) error
	Lookup(ctx context.Context, q sqlstmt.Select) (any, error)
	Values(ctx context.Context, q sqlstmt.Select) ([]string, error)
	Each(ctx context.Context, q sqlstmt.Select, fn func([]any) error) error
	Ping(ctx context.Context) error
	BreakerState() string
	ForgetCounts(partition string)
	Audit(ctx context.Context, own legacy.OwnTables, e legacy.AuditEntry) error
	RecordDryRun(ctx context.Context, own legacy.OwnTables, entries []legacy.DryRunEntry) error
	tokenStore
}

// Options are what a Server needs besides its configuration and store.
type Options struct {
	// Log receives request and audit lines; nil discards them.
	Log *slog.Logger
	// Own locates retroscim's own tables (tokens, audit) once retroscim
	// migrate has created them; nil serves configuration tokens only and
	// keeps the audit trail in the log alone.
	Own *legacy.OwnTables
	// Metrics, when set, instruments requests and serves /metrics.
	Metrics *Metrics
	// AccessLog, when set, takes the access log lines, batched; Log should
	// write to the same LogWriter so that the log keeps its order. Nil
	// sends them to Log.
	AccessLog *LogWriter
	// SeparateAdmin leaves /healthz, /readyz and /metrics off the API's
	// listener; serve them from AdminHandler instead.
	SeparateAdmin bool
}

// Server serves the SCIM API for one configuration at a time.
type Server struct {
	store   Database
	log     *slog.Logger
	own     *legacy.OwnTables
	metrics *Metrics
	echo    *echo.Echo
	// current is the configuration in force. Each request pins the one it
	// started with, so a reload never changes a request midway.
	current atomic.Pointer[state]
	// base is the base path the routes were registered under.
	base string
	// routeTemplates are the registered route paths, the only values of
	// the metrics' route label besides "unmatched".
	routeTemplates map[string]bool
	// access, when set, takes the access log lines (Options.AccessLog).
	access *LogWriter
	// slots bounds each tenant's concurrent database work. Like the
	// database settings, its bound keeps its start-up value.
	slots *tenantSlots
	// lastBase is the base URL of the last request without public_url
	// and tenant segment (baseURL).
	lastBase atomic.Pointer[hostBase]
}

// state is everything a configuration determines.
type state struct {
	cfg     *mapping.Config
	auth    *authenticator
	limiter *rateLimiter
	// clientIP finds a request's client address (server.trusted_proxies).
	clientIP echo.IPExtractor
	// publicBase is server.public_url and the base path, or "" without
	// public_url (baseURL).
	publicBase string
}

// New builds the server. The configuration must already be bound to the
// live schema (see BindSchema).
func New(cfg *mapping.Config, store Database, opts Options) *Server {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: store, log: log, own: opts.Own, metrics: opts.Metrics, access: opts.AccessLog, base: cfg.Server.BasePath, slots: newTenantSlots(cfg)}
	s.current.Store(s.newState(cfg))
	s.echo = s.routes(!opts.SeparateAdmin)
	return s
}

func (s *Server) newState(cfg *mapping.Config) *state {
	var obs cacheObserver = nopCache{}
	if s.metrics != nil {
		obs = s.metrics
	}
	auth := newAuthenticator(cfg.Auth, s.store, s.own, s.log, obs)
	auth.dryRun = cfg.Server.DryRun
	st := &state{cfg: cfg, auth: auth, limiter: newRateLimiter(cfg.Server.RateLimit, cfg.Auth.BearerTokens),
		clientIP: clientIP(cfg.Server.TrustedNets)}
	if u := cfg.Server.PublicURL; u != "" {
		st.publicBase = u + s.base
	}
	return st
}

// Reload makes cfg the configuration for new requests; requests already
// running finish with the one they started with. cfg must be validated
// and bound to the live schema first. Settings that need a restart
// (listen address, base path, database, store) keep their running values,
// and each one that differs is returned for the log.
func (s *Server) Reload(cfg *mapping.Config) (kept []string) {
	old := s.current.Load().cfg
	if cfg.Server.Listen != old.Server.Listen {
		kept = append(kept, "server.listen")
		cfg.Server.Listen = old.Server.Listen
	}
	if cfg.Server.BasePath != old.Server.BasePath {
		kept = append(kept, "server.base_path")
		cfg.Server.BasePath = old.Server.BasePath
	}
	if cfg.Database != old.Database {
		kept = append(kept, "database")
		cfg.Database = old.Database
	}
	if cfg.Store != old.Store {
		kept = append(kept, "store")
		cfg.Store = old.Store
	}
	s.current.Store(s.newState(cfg))
	return kept
}

// Config returns the configuration new requests are served with.
func (s *Server) Config() *mapping.Config { return s.current.Load().cfg }

// Close writes what the server keeps in memory for its own tables (token
// use times). Call it after the HTTP server has shut down.
func (s *Server) Close(ctx context.Context) { s.current.Load().auth.flush(ctx) }

// pinState records the configuration a request is served with.
func (s *Server) pinState(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		return next(&reqContext{Context: c, st: s.current.Load(), req: c.Request(), res: c.Response()})
	}
}

// st is the request's state; conf its configuration.
func (s *Server) st(c echo.Context) *state {
	if rc := reqOf(c); rc != nil && rc.st != nil {
		return rc.st
	}
	return s.current.Load()
}

func (s *Server) conf(c echo.Context) *mapping.Config { return s.st(c).cfg }

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	normalizePath(r)
	s.echo.ServeHTTP(w, r)
}

// routes declares the whole HTTP surface in one place.
func (s *Server) routes(admin bool) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	// echo applies middleware per request, a closure for each: the
	// server's own chain is composed here, once, around the handler the
	// router found (c.Handler(), the next that echo would pass), and the
	// path is normalised in ServeHTTP before echo routes it.
	chain := applyMiddleware(func(c echo.Context) error { return c.Handler()(c) },
		s.pinState, s.assignRequestID, s.record, s.recoverPanics, securityHeaders)
	e.Use(func(echo.HandlerFunc) echo.HandlerFunc { return chain })

	// Operations endpoints: outside the base path and without a token.
	if admin {
		s.adminRoutes(e)
	}

	// The API answers at the base path and, for multi-tenant apps that hand
	// each customer a tenant URL, at {base}/t/{tenant}. The groups'
	// middleware wraps each handler once, as it is added, not per request
	// as echo's group middleware would; routeNotFound adds the catch-all
	// routes a group with middleware has, so that any path under the base
	// needs a token before it is a 404.
	api := &group{Group: e.Group(s.base), middleware: []echo.MiddlewareFunc{s.warnDryRun, s.authenticate, s.limitRate}}
	tenantAPI := &group{Group: e.Group(s.base + "/t/:tenant"), middleware: []echo.MiddlewareFunc{s.warnDryRun, s.authenticate, s.matchTenant, s.limitRate}}
	api.routeNotFound()
	tenantAPI.routeNotFound()
	routes := []struct {
		method, path string
		handler      echo.HandlerFunc
	}{
		{http.MethodGet, "/Users", s.listUsers},
		{http.MethodPost, "/Users", s.createUser},
		{http.MethodGet, "/Users/:id", s.getUser},
		{http.MethodPut, "/Users/:id", s.putUser},
		{http.MethodPatch, "/Users/:id", s.patchUser},
		{http.MethodDelete, "/Users/:id", s.deleteUser},
		{http.MethodGet, "/Groups", s.listGroups},
		{http.MethodPost, "/Groups", s.createGroup},
		{http.MethodGet, "/Groups/:id", s.getGroup},
		{http.MethodPut, "/Groups/:id", s.putGroup},
		{http.MethodPatch, "/Groups/:id", s.patchGroup},
		{http.MethodDelete, "/Groups/:id", s.deleteGroup},
		{http.MethodGet, "/ServiceProviderConfig", s.serviceProviderConfig},
		{http.MethodGet, "/ResourceTypes", s.resourceTypes},
		{http.MethodGet, "/ResourceTypes/:name", s.resourceType},
		{http.MethodGet, "/Schemas", s.schemas},
		{http.MethodGet, "/Schemas/:id", s.schema},
	}
	allowed := map[string][]string{}
	var paths []string
	for _, r := range routes {
		if r.method != http.MethodGet {
			r.handler = s.dryRunWrites(resourceTypeOf(r.path), s.auditRefusals(resourceTypeOf(r.path), r.handler))
		}
		// Outside the refusal audit: a 429 for a tenant's share is not a write.
		if strings.HasPrefix(r.path, "/Users") || strings.HasPrefix(r.path, "/Groups") {
			r.handler = s.limitTenant(r.handler)
		}
		if strings.HasPrefix(r.path, "/Groups") {
			r.handler = s.needGroups(r.handler)
		}
		api.Add(r.method, r.path, r.handler)
		tenantAPI.Add(r.method, r.path, r.handler)
		if allowed[r.path] == nil {
			paths = append(paths, r.path)
		}
		allowed[r.path] = append(allowed[r.path], r.method)
	}
	// Other methods on a known path are 405 with Allow, not echo's 404.
	for _, p := range paths {
		methods := allowed[p]
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if !slices.Contains(methods, m) {
				api.Add(m, p, methodNotAllowed(methods))
				tenantAPI.Add(m, p, methodNotAllowed(methods))
			}
		}
	}
	s.routeTemplates = map[string]bool{}
	for _, r := range e.Routes() {
		// Not the catch-all echo adds for a group's middleware: it is
		// the not-found handler, so anything can match it.
		if !strings.HasSuffix(r.Path, "*") {
			s.routeTemplates[r.Path] = true
		}
	}
	return e
}

// group is an echo group whose middleware wraps each handler as it is
// added (echo's own group middleware is applied to the handler on every
// request).
type group struct {
	*echo.Group
	middleware []echo.MiddlewareFunc
}

// Add adds a route whose handler runs inside the group's middleware.
func (g *group) Add(method, path string, h echo.HandlerFunc) {
	g.Group.Add(method, path, applyMiddleware(h, g.middleware...))
}

// routeNotFound adds the routes echo's Group.Use adds for a group with
// middleware: the group's prefix and everything under it are its 404s.
func (g *group) routeNotFound() {
	g.Group.RouteNotFound("", applyMiddleware(echo.NotFoundHandler, g.middleware...))
	g.Group.RouteNotFound("/*", applyMiddleware(echo.NotFoundHandler, g.middleware...))
}

// applyMiddleware wraps h in middleware, the first outermost, as echo does.
func applyMiddleware(h echo.HandlerFunc, middleware ...echo.MiddlewareFunc) echo.HandlerFunc {
	for i := len(middleware) - 1; i >= 0; i-- {
		h = middleware[i](h)
	}
	return h
}

// resourceTypeOf is the resource type a write route changes.
func resourceTypeOf(path string) string {
	if strings.HasPrefix(path, "/Groups") {
		return "Group"
	}
	return "User"
}

func methodNotAllowed(allowed []string) echo.HandlerFunc {
	allow := strings.Join(allowed, ", ")
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderAllow, allow)
		return errorf(http.StatusMethodNotAllowed, "", "%s is not supported on %s; allowed: %s", truncate(c.Request().Method, 16), c.Path(), allow)
	}
}

// pathParam returns a path parameter, percent-decoded.
func pathParam(c echo.Context, name string) string {
	v := c.Param(name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// normalizePath collapses repeated slashes and drops a trailing slash, so
// that a base URL entered as https://host/scim/v2/ still routes.
func normalizePath(r *http.Request) {
	p := r.URL.Path
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	if p != r.URL.Path {
		r.URL.Path = p
		r.URL.RawPath = ""
	}
}

// firstHeader is h.Get(key) for a key already in canonical form (as the
// echo.Header* constants are): net/http canonicalises request header
// keys as it reads them, so the map entry is looked up as it is.
func firstHeader(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error("panic serving request", "request_id", requestID(c), "panic", r)
				err = &Error{Status: http.StatusInternalServerError, Detail: "internal error; the server log has the details"}
			}
		}()
		return next(c)
	}
}

// The security headers of every response, keys in canonical form: set as
// map entries, they cost no canonicalisation per request. Every response
// shares one value slice per header, capped at its length (full slice
// expression): Header.Set replaces a slice and Header.Add appends to a
// capped one by copying, so a handler changing a header never writes into
// the shared one, and a response costs no allocation for them.
var securityHeaderValues = [...]struct {
	key   string
	value []string
}{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Cache-Control", []string{"no-store"}},
	{"Content-Security-Policy", []string{"default-src 'none'; frame-ancestors 'none'"}},
	{"Referrer-Policy", []string{"no-referrer"}},
}

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		for _, kv := range securityHeaderValues {
			h[kv.key] = kv.value[:1:1]
		}
		return next(c)
	}
}
