package adapter

import "github.com/labstack/echo/v4"

// reqContext is the echo.Context every middleware after pinState and every
// handler is given: the request's state, ids and principal as fields. They
// were entries of echo's context store, read about 15 times per request,
// each read a lock, a map lookup and a type assertion, and the principal
// boxed on every write. Code that is given echo's own context (its error
// handler) finds the reqContext in the store under reqKey.
type reqContext struct {
	echo.Context
	st                         *state
	requestID, clientRequestID string
	principal                  Principal
}

const reqKey = "retroscim_request"

// reqOf is the request's reqContext, or nil outside pinState (a handler
// run without the server's middleware).
func reqOf(c echo.Context) *reqContext {
	if rc, ok := c.(*reqContext); ok {
		return rc
	}
	rc, _ := c.Get(reqKey).(*reqContext)
	return rc
}
