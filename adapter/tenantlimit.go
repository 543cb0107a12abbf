package adapter

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/mapping"
)

// tenantSlots bounds how many requests of one tenant use the database at
// once (database.max_conns_per_tenant), so that one tenant's load (an
// import with many workers, heavy filters, large groups streamed to slow
// readers) cannot hold every connection of the pool while other tenants
// wait. A request holds its slot until its response is written; one that
// finds none free waits for one, holding no connection, for up to a
// second (slotWait): enough to smooth a burst, short enough that a tenant
// over its share hears so.
type tenantSlots struct {
	limit int
	wait  time.Duration
	// slots are the tenants' semaphores. Tenants come from authenticated
	// tokens, so there are few.
	slots *readMostly[string, chan struct{}]
}

// slotWait bounds how long a request waits for its tenant's slot (less
// when the query timeout is shorter).
const slotWait = time.Second

// newTenantSlots returns the bound the database settings of cfg set.
func newTenantSlots(cfg *mapping.Config) *tenantSlots {
	limit := max(cfg.Database.MaxConnsPerTenant, 1)
	return &tenantSlots{limit: limit, wait: min(cfg.Database.QueryTimeout, slotWait),
		slots: newReadMostly(func(string) chan struct{} { return make(chan struct{}, limit) })}
}

// hasTenants tells whether a mapping scopes rows by tenant; without
// tenants there is no one else to share the pool with.
func hasTenants(cfg *mapping.Config) bool {
	return cfg.Users.HasTenant() || (cfg.Groups != nil && cfg.Groups.TenantColumn != "")
}

// of is the tenant's semaphore.
func (t *tenantSlots) of(tenant string) chan struct{} { return t.slots.get(tenant) }

// acquire takes a slot of tenant, waiting up to t.wait, and reports
// whether it got one.
func (t *tenantSlots) acquire(ctx context.Context, tenant string) (bool, error) {
	sem := t.of(tenant)
	select {
	case sem <- struct{}{}:
		return true, nil
	default:
	}
	timer := time.NewTimer(t.wait)
	defer timer.Stop()
	select {
	case sem <- struct{}{}:
		return true, nil
	case <-timer.C:
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (t *tenantSlots) release(tenant string) { <-t.of(tenant) }

// inUse is how many slots of tenant are taken.
func (t *tenantSlots) inUse(tenant string) int { return len(t.of(tenant)) }

// limitTenant bounds each tenant's requests to the SCIM resources. A
// request that gets no slot in time is answered 429 with Retry-After. 429 rather than 503: the database is fine and other
// tenants are served; this client is asking for more than its share, and
// Okta and Entra both back off on 429 and honour Retry-After.
func (s *Server) limitTenant(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !hasTenants(s.conf(c)) {
			return next(c)
		}
		tenant := principal(c).Tenant
		ok, err := s.slots.acquire(c.Request().Context(), tenant)
		if err != nil {
			return err
		}
		if !ok {
			return &Error{Status: http.StatusTooManyRequests, RetryAfter: 1,
				Detail: "this tenant's requests already use " + strconv.Itoa(s.slots.limit) + " connections to the application database (database.max_conns_per_tenant), and none came free in time; retry shortly"}
		}
		defer s.slots.release(tenant)
		return next(c)
	}
}
