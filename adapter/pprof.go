package adapter

import (
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/labstack/echo/v4"
)

// pprofRoutes serves Go's profiler under /debug/pprof/ on the admin
// listener: the index, the named profiles (heap, goroutine, allocs, ...),
// a CPU profile (/debug/pprof/profile?seconds=30) and an execution trace.
// It answers 404 unless the configuration in force sets server.pprof, so a
// reload (SIGHUP) switches it on or off; the API's listener never routes
// it (AdminHandler is the only caller). Importing net/http/pprof also
// registers the handlers on http.DefaultServeMux, which retroscim never
// serves.
func (s *Server) pprofRoutes(e *echo.Echo) {
	handler := func(c echo.Context) error {
		if !s.Config().Server.Pprof {
			return echo.ErrNotFound
		}
		switch name := strings.TrimPrefix(c.Request().URL.Path, "/debug/pprof/"); name {
		case "cmdline":
			pprof.Cmdline(c.Response(), c.Request())
		case "profile":
			pprof.Profile(c.Response(), c.Request())
		case "symbol":
			pprof.Symbol(c.Response(), c.Request())
		case "trace":
			pprof.Trace(c.Response(), c.Request())
		default:
			pprof.Index(c.Response(), c.Request()) // the index, or a named profile
		}
		return nil
	}
	e.GET("/debug/pprof/*", handler)
	e.POST("/debug/pprof/symbol", handler)
	e.GET("/debug/pprof", func(c echo.Context) error {
		if !s.Config().Server.Pprof {
			return echo.ErrNotFound
		}
		return c.Redirect(http.StatusMovedPermanently, "/debug/pprof/")
	})
}
