package adapter

import (
	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/legacy"
)

// writeTx runs the transaction of a write request. Whatever its outcome,
// the cached totals of the caller's tenant are forgotten afterwards: the
// write may have changed them (and a COMMIT whose answer was lost may
// have happened), so the next list counts again rather than answer a
// total lower than what the client can page to.
func (s *Server) writeTx(c echo.Context, fn func(*legacy.Tx) error) error {
	defer s.store.ForgetCounts(principal(c).Tenant)
	return s.store.InTx(c.Request().Context(), fn)
}
