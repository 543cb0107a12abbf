package adapter

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
	"golang.org/x/time/rate"
)

// Principal is the caller a bearer token identifies.
type Principal struct {
	// TokenName and TokenPrefix name the token in logs and the audit trail
	// (never the token itself). Configuration tokens have the prefix
	// "config:<name>".
	TokenName   string
	TokenPrefix string
	// Tenant scopes every statement of the request when tenants are mapped.
	Tenant string
}

const principalKey = "principal"

// tokenStore is what authentication needs from retroscim's token table.
type tokenStore interface {
	CheckToken(ctx context.Context, own legacy.OwnTables, token string) (legacy.Token, error)
	TouchTokens(ctx context.Context, own legacy.OwnTables, used map[string]time.Time) error
}

// authenticator checks bearer tokens: those of the configuration, known by
// their SHA-256, and those in retroscim's own table.
type authenticator struct {
	tokens []mapping.BearerToken
	// configPrincipals are the principals of tokens, index for index,
	// made once: a request with a configuration token costs no string.
	configPrincipals []Principal
	store            tokenStore
	own              *legacy.OwnTables // nil: configuration tokens only
	log              *slog.Logger
	// valid holds recent checks of stored tokens that were valid, keyed by
	// the token's SHA-256; its TTL bounds how late a revocation is seen.
	valid *expirable.LRU[[32]byte, tokenCheck]
	// refused holds recent checks that found a token unknown, expired or
	// revoked. It is a cache of its own, so that unknown tokens, which
	// anyone can make up, never push valid ones out of valid.
	refused *expirable.LRU[[32]byte, error]
	// failures bounds failed authentications per client address.
	failures *failureLimiter
	obs      cacheObserver
	// dryRun leaves the tokens' use times alone (server.dry_run).
	dryRun bool

	mu        sync.Mutex
	used      map[string]time.Time
	flushing  bool
	lastFlush time.Time
}

// configPrefix names a configuration token in logs, the audit trail and
// the rate limit.
func configPrefix(t mapping.BearerToken) string { return "config:" + t.Name }

type tokenCheck struct {
	p       Principal
	expires *time.Time
}

// usageFlushEvery bounds how often last_used_at is written: at most once
// per token per interval, in one batch, off the request path.
const usageFlushEvery = 30 * time.Second

// cacheObserver receives token cache hits and misses (metrics).
type cacheObserver interface{ Cache(cache string, hit bool) }

type nopCache struct{}

func (nopCache) Cache(string, bool) {}

func newAuthenticator(a mapping.Auth, store tokenStore, own *legacy.OwnTables, log *slog.Logger, obs cacheObserver) *authenticator {
	principals := make([]Principal, len(a.BearerTokens))
	for i, t := range a.BearerTokens {
		principals[i] = Principal{TokenName: t.Name, TokenPrefix: configPrefix(t), Tenant: t.Tenant}
	}
	return &authenticator{
		tokens: a.BearerTokens, configPrincipals: principals, store: store, own: own, log: log, obs: obs,
		valid:    expirable.NewLRU[[32]byte, tokenCheck](10000, nil, a.TokenCacheTTL),
		refused:  expirable.NewLRU[[32]byte, error](1000, nil, a.TokenCacheTTL),
		failures: newFailureLimiter(a.FailureLimit),
		used:     map[string]time.Time{},
	}
}

// errTokenInvalid is a token that is neither configured nor stored.
var errTokenInvalid = errors.New("invalid bearer token")

// check returns the principal a token identifies. Configuration digests
// are all compared, in constant time, whatever matched before, so timing
// says nothing about which tokens exist; a stored token is found by its
// public prefix and its SHA-256 compared in constant time.
//
// A token that is neither configured nor cached, and turns out invalid,
// costs one failure from the client address's allowance; with the
// allowance spent the answer is *tooManyFailures and the database is not
// asked. A token seen invalid again within the cache
// TTL is answered from the cache and costs nothing more. client gives that
// address; it is only called then (a configuration or cached token needs
// none).
func (a *authenticator) check(ctx context.Context, client func() string, token string) (Principal, error) {
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i := range a.tokens {
		if subtle.ConstantTimeCompare(sum[:], a.tokens[i].SHA256[:]) == 1 {
			found = i
		}
	}
	if found >= 0 {
		return a.configPrincipals[found], nil
	}
	if _, ok := legacy.ParseToken(token); !ok || a.own == nil {
		// A guess at a configuration token: nothing to look up, but it
		// counts against the address all the same.
		if err := a.failures.fail(client()); err != nil {
			return Principal{}, err
		}
		return Principal{}, errTokenInvalid
	}
	c, ok := a.valid.Get(sum)
	if !ok {
		if err, refused := a.refused.Get(sum); refused {
			a.obs.Cache("token", true)
			return Principal{}, err // the same token again: nothing new is learnt, nothing is asked
		}
	}
	a.obs.Cache("token", ok)
	if !ok {
		done, err := a.failures.begin(client())
		if err != nil {
			return Principal{}, err
		}
		t, err := a.store.CheckToken(ctx, *a.own, token)
		switch {
		case err == nil:
			done(false)
			c = tokenCheck{p: Principal{TokenName: t.Name, TokenPrefix: t.Prefix, Tenant: t.Tenant}, expires: t.ExpiresAt}
			a.valid.Add(sum, c)
		case errors.Is(err, legacy.ErrTokenUnknown), errors.Is(err, legacy.ErrTokenExpired), errors.Is(err, legacy.ErrTokenRevoked):
			done(true)
			a.refused.Add(sum, err)
			return Principal{}, err
		default:
			done(false)
			return Principal{}, err // the database: not cached, 503
		}
	}
	if c.expires != nil && !time.Now().Before(*c.expires) {
		return Principal{}, legacy.ErrTokenExpired // expiry is exact, not delayed by the cache
	}
	a.recordUse(c.p.TokenPrefix)
	return c.p, nil
}

// recordUse notes that a stored token was used; the times are written in
// the background at most every usageFlushEvery.
func (a *authenticator) recordUse(prefix string) {
	if a.dryRun {
		return // a dry run writes nothing of retroscim's either
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	a.used[prefix] = now
	if a.flushing || now.Sub(a.lastFlush) < usageFlushEvery {
		return
	}
	a.flushing, a.lastFlush = true, now
	used := a.used
	a.used = map[string]time.Time{}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.store.TouchTokens(ctx, *a.own, used); err != nil {
			a.log.Warn("could not record token use", "error", err.Error())
		}
		a.mu.Lock()
		a.flushing = false
		a.mu.Unlock()
	}()
}

// flush writes pending token use times, at shutdown.
func (a *authenticator) flush(ctx context.Context) {
	if a.own == nil {
		return
	}
	a.mu.Lock()
	used := a.used
	a.used = map[string]time.Time{}
	a.mu.Unlock()
	if len(used) > 0 {
		if err := a.store.TouchTokens(ctx, *a.own, used); err != nil {
			a.log.Warn("could not record token use", "error", err.Error())
		}
	}
}

// authenticate requires a valid bearer token on every SCIM endpoint.
// Okta sends "Authorization: Bearer <token>"; a bare token (how some
// HTTP-header integrations are configured) is accepted too.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := strings.TrimSpace(firstHeader(c.Request().Header, echo.HeaderAuthorization))
		if h == "" {
			return errorf(http.StatusUnauthorized, "", "authentication required: send Authorization: Bearer <token>")
		}
		token := h
		if scheme, rest, ok := strings.Cut(h, " "); ok {
			if !strings.EqualFold(scheme, "Bearer") {
				return errUnsupportedScheme(scheme)
			}
			token = strings.TrimSpace(rest)
		}
		p, err := s.st(c).auth.check(c.Request().Context(), func() string { return s.clientKey(c) }, token)
		if err != nil {
			return authError(err)
		}
		if rc := reqOf(c); rc != nil {
			rc.principal = p
		} else {
			c.Set(principalKey, p)
		}
		return next(c)
	}
}

// authError is the answer to a failed check. (A function of its own: the
// target of errors.As escapes, and so is only made when there is an error.)
func authError(err error) error {
	var tooMany *tooManyFailures
	switch {
	case errors.As(err, &tooMany):
		return &Error{Status: http.StatusTooManyRequests, RetryAfter: tooMany.retryAfter(),
			Detail: "too many failed authentications from this address; retry later with a valid bearer token"}
	case errors.Is(err, legacy.ErrTokenExpired):
		return errorf(http.StatusUnauthorized, "", "the bearer token has expired; ask the administrator for a new one (retroscim token rotate)")
	case errors.Is(err, legacy.ErrTokenRevoked):
		return errorf(http.StatusUnauthorized, "", "the bearer token has been revoked")
	case errors.Is(err, errTokenInvalid), errors.Is(err, legacy.ErrTokenUnknown):
		return errorf(http.StatusUnauthorized, "", "invalid bearer token")
	}
	return err
}

// otherSchemes are the authentication schemes a 401 may name. The name
// comes from this list, never from the request: what precedes the first
// space may be the credential itself ("Authorization: <token> extra").
var otherSchemes = []string{"Basic", "Digest", "Negotiate", "NTLM", "SSWS", "Token", "HOBA", "Mutual", "AWS4-HMAC-SHA256"}

// errUnsupportedScheme is the 401 for an Authorization header that is
// not a bearer token. It quotes no part of the header.
func errUnsupportedScheme(scheme string) *Error {
	for _, known := range otherSchemes {
		if strings.EqualFold(scheme, known) {
			return errorf(http.StatusUnauthorized, "", "the %s authorization scheme is not supported: send Authorization: Bearer <token>", known)
		}
	}
	return errorf(http.StatusUnauthorized, "", "the Authorization header is not a bearer token: send Authorization: Bearer <token>")
}

// matchTenant guards the tenant URL form /scim/v2/t/{tenant}/...: the
// segment must name the token's own tenant.
func (s *Server) matchTenant(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.conf(c).Users.HasTenant() {
			return errorf(http.StatusNotFound, "", "this server has no tenants: use %s without /t/{tenant}", s.conf(c).Server.BasePath)
		}
		if pathParam(c, "tenant") != principal(c).Tenant {
			return errorf(http.StatusForbidden, "", "this bearer token is not valid for the tenant in the URL")
		}
		return next(c)
	}
}

// rateLimiter keeps a token bucket per bearer token.
type rateLimiter struct {
	limit rate.Limit
	burst int
	// fixed holds the buckets of the configuration's tokens, made with the
	// configuration and only read after: finding one takes no lock.
	fixed map[string]*rate.Limiter
	// limiters holds the buckets of stored tokens, as they are used.
	limiters *lru.Cache[string, *rate.Limiter]
}

func newRateLimiter(rl mapping.RateLimit, tokens []mapping.BearerToken) *rateLimiter {
	if rl.PerSecond <= 0 {
		return nil
	}
	cache, _ := lru.New[string, *rate.Limiter](10000)
	r := &rateLimiter{limit: rate.Limit(rl.PerSecond), burst: rl.Burst, fixed: map[string]*rate.Limiter{}, limiters: cache}
	for _, t := range tokens {
		r.fixed[configPrefix(t)] = rate.NewLimiter(r.limit, r.burst)
	}
	return r
}

// of is the bucket of the token with prefix key.
func (r *rateLimiter) of(key string) *rate.Limiter {
	if lim := r.fixed[key]; lim != nil {
		return lim
	}
	lim, ok := r.limiters.Get(key)
	if !ok {
		lim = rate.NewLimiter(r.limit, r.burst)
		r.limiters.Add(key, lim)
	}
	return lim
}

// limitRate answers 429 with Retry-After when a token exceeds its rate.
func (s *Server) limitRate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		rl := s.st(c).limiter
		if rl == nil {
			return next(c)
		}
		if !rl.of(principal(c).TokenPrefix).Allow() {
			wait := int(math.Ceil(1 / float64(rl.limit)))
			return &Error{Status: http.StatusTooManyRequests, Detail: "too many requests for this token: at most " +
				strconv.FormatFloat(float64(rl.limit), 'f', -1, 64) + " a second; retry later", RetryAfter: max(wait, 1)}
		}
		return next(c)
	}
}

func principal(c echo.Context) Principal {
	if rc := reqOf(c); rc != nil {
		return rc.principal
	}
	p, _ := c.Get(principalKey).(Principal)
	return p
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
