// Package adapter is retroscim's HTTP side: the echo routes of the SCIM API,
// bearer-token authentication, SCIM JSON shapes, error rendering and the
// discovery documents. It orchestrates: package mapping turns a request
// into SQL predicates, package legacy runs them, mapping renders the rows.
// No SQL is written here.
package adapter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// Store is what the adapter needs from the database layer.
type Store interface {
	Get(ctx context.Context, q legacy.Select) ([]any, error)
	List(ctx context.Context, q legacy.ListQuery) (legacy.Page, error)
	Columns(ctx context.Context, table string) ([]legacy.Column, error)
	InTx(ctx context.Context, fn func(*legacy.Tx) error) error
	Lookup(ctx context.Context, l legacy.Lookup) (any, error)
	Values(ctx context.Context, table, column, tenantCol string, tenant any, limit int) ([]string, error)
	Each(ctx context.Context, stmt string, args []any, width int, fn func([]any) error) error
}

// Server serves the SCIM API for one configuration.
type Server struct {
	cfg   *mapping.Config
	store Store
	log   *slog.Logger
	echo  *echo.Echo
	auth  *authenticator
}

// New builds the server. The configuration must already be bound to the
// live schema (see BindSchema).
func New(cfg *mapping.Config, store Store, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, store: store, log: log, auth: newAuthenticator(cfg.Auth)}
	s.echo = s.routes()
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// routes declares the whole HTTP surface in one place.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Pre(normalizePath)
	e.Use(s.assignRequestID, s.accessLog, s.recoverPanics, securityHeaders)

	api := e.Group(s.cfg.Server.BasePath, s.authenticate)
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
		if strings.HasPrefix(r.path, "/Groups") && s.cfg.Groups == nil {
			r.handler = groupsDisabled
		}
		api.Add(r.method, r.path, r.handler)
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
			}
		}
	}
	return e
}

func methodNotAllowed(allowed []string) echo.HandlerFunc {
	allow := strings.Join(allowed, ", ")
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderAllow, allow)
		return errorf(http.StatusMethodNotAllowed, "", "%s is not supported on %s; allowed: %s", c.Request().Method, c.Path(), allow)
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
func normalizePath(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
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
		return next(c)
	}
}

const requestIDKey = "request_id"

func (s *Server) assignRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Set(requestIDKey, id)
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
}

func requestID(c echo.Context) string {
	id, _ := c.Get(requestIDKey).(string)
	return id
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

// accessLog writes one line per request. The query string is left out:
// filters carry user names and e-mail addresses.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		s.log.Info("request",
			"request_id", requestID(c),
			"method", c.Request().Method,
			"path", c.Request().URL.Path,
			"status", c.Response().Status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000,
			"token", tokenName(c),
		)
		return nil
	}
}

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		return next(c)
	}
}

// ContentType is the media type of every SCIM response.
const ContentType = "application/scim+json"

// writeJSON sends a SCIM JSON response.
func writeJSON(c echo.Context, status int, body mapping.Object) error {
	b, err := body.AppendJSON(make([]byte, 0, 1024))
	if err != nil {
		return err
	}
	return c.Blob(status, ContentType, b)
}

// baseURL is the absolute URL of the SCIM base path, for meta.location.
func (s *Server) baseURL(c echo.Context) string {
	if s.cfg.Server.PublicURL != "" {
		return s.cfg.Server.PublicURL + s.cfg.Server.BasePath
	}
	return c.Scheme() + "://" + c.Request().Host + s.cfg.Server.BasePath
}
