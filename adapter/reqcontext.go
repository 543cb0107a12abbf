package adapter

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// reqContext is the echo.Context every middleware after pinState and every
// handler is given: the request's state, ids and principal as fields. They
// were entries of echo's context store, read about 15 times per request,
// each read a lock, a map lookup and a type assertion, and the principal
// boxed on every write. The error handler is given the reqContext too
// (Error), so nothing needs to find it in echo's store: the store, a map
// made per request, is not used at all.
type reqContext struct {
	echo.Context
	st                         *state
	req                        *http.Request
	res                        *echo.Response
	requestID, clientRequestID string
	principal                  Principal
}

// Error hands err to the error handler with the reqContext, not echo's
// own context (echo's Error passes itself), so that the handler sees the
// request's ids.
func (rc *reqContext) Error(err error) { rc.Echo().HTTPErrorHandler(err, rc) }

// Request and Response are read some twenty times per request: from the
// reqContext's own fields, rather than through the embedded echo.Context
// (a second interface call each). SetRequest keeps the field in step.
func (rc *reqContext) Request() *http.Request { return rc.req }

// Response is the request's echo.Response (see Request).
func (rc *reqContext) Response() *echo.Response { return rc.res }

// SetRequest replaces the request, in echo's context and here.
func (rc *reqContext) SetRequest(r *http.Request) {
	rc.Context.SetRequest(r)
	rc.req = r
}

// SetResponse replaces the response, in echo's context and here.
func (rc *reqContext) SetResponse(r *echo.Response) {
	rc.Context.SetResponse(r)
	rc.res = r
}

// reqOf is the request's reqContext, or nil outside pinState (a handler
// run without the server's middleware).
func reqOf(c echo.Context) *reqContext {
	rc, _ := c.(*reqContext)
	return rc
}
