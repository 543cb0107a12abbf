package adapter

import (
	"fmt"
	"math"
	"net"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/mapping"
	"golang.org/x/time/rate"
)

// failureLimiter bounds failed authentications per client address, so
// that made-up tokens cannot turn into database look-ups at the rate a
// client can send them. Each address has a token bucket (auth.failure_limit)
// from which every failed authentication takes one; the buckets live in
// a bounded LRU, so memory stays flat whatever the number of addresses.
type failureLimiter struct {
	limit   rate.Limit
	burst   int
	buckets *lru.Cache[string, *bucket]
}

// bucket is one address's allowance. A check under way holds the place of
// the failure it may become, so concurrent look-ups cannot overdraw it.
type bucket struct {
	mu       sync.Mutex
	lim      *rate.Limiter
	checking int
}

// failureBuckets bounds the client addresses with a bucket. An address
// pushed out starts again with a full bucket.
const failureBuckets = 10000

func newFailureLimiter(rl mapping.RateLimit) *failureLimiter {
	buckets, _ := lru.New[string, *bucket](failureBuckets)
	return &failureLimiter{limit: rate.Limit(rl.PerSecond), burst: rl.Burst, buckets: buckets}
}

// tooManyFailures is the error of a client whose failed authentications
// have used up its allowance.
type tooManyFailures struct{ wait time.Duration }

func (e *tooManyFailures) Error() string {
	return fmt.Sprintf("too many failed authentications: next one allowed in %s", e.wait)
}

// retryAfter is the wait in whole seconds, at least 1, for Retry-After.
func (e *tooManyFailures) retryAfter() int { return max(int(math.Ceil(e.wait.Seconds())), 1) }

// begin starts a check that may fail, for client. done ends it: a failed
// check takes one from the client's allowance, a successful one nothing.
// With the allowance spent (counting the checks under way) begin fails
// with *tooManyFailures and the check must not be made.
func (f *failureLimiter) begin(client string) (done func(failed bool), err error) {
	b := f.bucket(client)
	b.mu.Lock()
	defer b.mu.Unlock()
	if short := float64(b.checking+1) - b.lim.Tokens(); short > 0 {
		return nil, &tooManyFailures{wait: time.Duration(short / float64(f.limit) * float64(time.Second))}
	}
	b.checking++
	return func(failed bool) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.checking--
		if failed {
			b.lim.Allow()
		}
	}, nil
}

// fail counts a failure that needed no check (a wrong configuration
// token): like begin, then done(true).
func (f *failureLimiter) fail(client string) error {
	done, err := f.begin(client)
	if err != nil {
		return err
	}
	done(true)
	return nil
}

func (f *failureLimiter) bucket(client string) *bucket {
	if b, ok := f.buckets.Get(client); ok {
		return b
	}
	b := &bucket{lim: rate.NewLimiter(f.limit, f.burst)}
	if prev, found, _ := f.buckets.PeekOrAdd(client, b); found {
		return prev
	}
	return b
}

// clientIP returns the function that finds a request's client address:
// the connection's, or, when server.trusted_proxies lists proxies, the
// nearest address in X-Forwarded-For that is not one of them. Headers are
// never believed otherwise: anyone can send X-Forwarded-For, and a
// made-up address would be a fresh allowance of failures.
func clientIP(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	// echo trusts loopback, link-local and private addresses unless told
	// not to: only the configured ranges are proxies here.
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// clientKey is the address a request's failures are counted against: the
// client's IPv4 address, or its IPv6 /64 (one host commonly holds a whole
// /64, so single IPv6 addresses would be free for the taking).
func (s *Server) clientKey(c echo.Context) string {
	ip := net.ParseIP(s.clientAddr(c))
	switch {
	case ip == nil:
		return "unknown"
	case ip.To4() != nil:
		return ip.To4().String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// clientAddr is the request's client address as the configuration says to
// find it (see clientIP).
func (s *Server) clientAddr(c echo.Context) string {
	return s.st(c).clientIP(c.Request())
}
