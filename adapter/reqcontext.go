package adapter

import "github.com/labstack/echo/v4"

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
	requestID, clientRequestID string
	principal                  Principal
}

// Error hands err to the error handler with the reqContext, not echo's
// own context (echo's Error passes itself), so that the handler sees the
// request's ids.
func (rc *reqContext) Error(err error) { rc.Echo().HTTPErrorHandler(err, rc) }

// reqOf is the request's reqContext, or nil outside pinState (a handler
// run without the server's middleware).
func reqOf(c echo.Context) *reqContext {
	rc, _ := c.(*reqContext)
	return rc
}
