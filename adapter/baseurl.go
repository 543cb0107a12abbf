package adapter

import (
	"github.com/labstack/echo/v4"
)

// baseURL is the absolute URL of the SCIM base path, for meta.location;
// it keeps the /t/{tenant} segment when the request used one.
//
// Without a tenant segment it is the same string for every request to a
// host: public_url's is made with the state, the last host's is kept
// (lastBase), so a request does not build it.
func (s *Server) baseURL(c echo.Context) string {
	st := s.st(c)
	t := c.Param("tenant")
	if t == "" && st.publicBase != "" {
		return st.publicBase
	}
	base := s.base
	if t != "" {
		base += "/t/" + t
	}
	if u := st.cfg.Server.PublicURL; u != "" {
		return u + base
	}
	sch, host := scheme(c), c.Request().Host
	if t != "" {
		return sch + "://" + host + base
	}
	if l := s.lastBase.Load(); l != nil && l.scheme == sch && l.host == host {
		return l.url
	}
	l := &hostBase{scheme: sch, host: host, url: sch + "://" + host + base}
	s.lastBase.Store(l)
	return l.url
}

// hostBase is the base URL of requests with a scheme and Host.
type hostBase struct{ scheme, host, url string }

// scheme is c.Scheme() (echo's default: https over TLS, else what the
// forwarding headers of a trusted peer say, else http), without echo's
// cost when none of those headers came: the answer is then http whoever
// the peer is, so the peer's address is not parsed, and the headers are
// looked up as map entries (net/http canonicalises request header keys,
// and the echo.Header* constants are canonical).
func scheme(c echo.Context) string {
	r := c.Request()
	if r.TLS != nil {
		return "https"
	}
	h := r.Header
	if len(h[echo.HeaderXForwardedProto]) == 0 && len(h[echo.HeaderXForwardedProtocol]) == 0 &&
		len(h[echo.HeaderXForwardedSsl]) == 0 && len(h[echo.HeaderXUrlScheme]) == 0 {
		return "http"
	}
	return c.Scheme()
}
