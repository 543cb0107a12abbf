package cluster

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// testTokenRevoked: each replica caches token checks for
// auth.token_cache_ttl (5 s in the sample). A token revoked with
// `retroscim token revoke` stops working on every replica within that
// time, whichever replica checked it last.
func testTokenRevoked(t *testing.T, c *cluster) {
	const tenant, ttl = 15, 5 * time.Second
	c.deploy(t, deployment{replicas: 3, db: "writer"})
	c.newTenant(t, tenant, "Revoke Corp")
	token := c.token(t, tenant)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, r := range c.replicas {
		c.do(ctx, http.MethodGet, r.base()+"/scim/v2/Users?count=1", token, "").must(t, http.StatusOK)
	}
	if out, err := c.cli(ctx, "token", "revoke", fmt.Sprintf("okta-tenant-%d", tenant)); err != nil {
		t.Fatalf("retroscim token revoke: %v\n%s", err, out)
	}
	revoked := time.Now()
	var took []string
	for _, r := range c.replicas {
		for {
			rep := c.do(ctx, http.MethodGet, r.base()+"/scim/v2/Users?count=1", token, "")
			if rep.status == http.StatusUnauthorized {
				took = append(took, fmt.Sprintf("%s %s", r.name, round(time.Since(revoked))))
				break
			}
			if time.Since(revoked) > ttl+time.Second {
				t.Fatalf("%s still accepts the token %s after it was revoked (auth.token_cache_ttl %s): %s", r.name, round(time.Since(revoked)), ttl, rep)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("a revoked token got 401 from every replica within auth.token_cache_ttl (%s): %s", ttl, strings.Join(took, ", "))
}
