package adapter

import (
	"context"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/mapping"
)

// scimRequest is what serving one SCIM request needs beyond its HTTP form, read
// from the echo context once: the configuration it is served with, who
// asks and for which tenant, its ids and the base URL of its answers. The
// helpers below the handlers take it, so that they need no echo.Context.
type scimRequest struct {
	ctx     context.Context
	conf    *mapping.Config
	who     Principal
	tenant  string
	baseURL string
	// ifMatch is the If-Match header: a write to an older version is refused.
	ifMatch string
	// success is the status the request answers when its write commits.
	success int
	// record collects the audit entries of the request's transaction.
	record *writeRecord
	// id and clientID are the request's id and the client's X-Request-Id.
	id, clientID string
}

// request reads the per-request value of c.
func (s *Server) request(c echo.Context) *scimRequest {
	who := principal(c)
	return &scimRequest{
		ctx:      c.Request().Context(),
		conf:     s.conf(c),
		who:      who,
		tenant:   who.Tenant,
		baseURL:  s.baseURL(c),
		ifMatch:  c.Request().Header.Get("If-Match"),
		success:  successStatus(c),
		record:   recordOf(c),
		id:       requestID(c),
		clientID: clientRequestID(c),
	}
}

// isGroups says r is the groups resource, whose writes have a membership
// step.
func (rq *scimRequest) isGroups(r *mapping.Resource) bool {
	return r == rq.conf.Groups && rq.conf.Members != nil
}
