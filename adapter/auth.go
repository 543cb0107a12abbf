package adapter

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/mapping"
)

// Principal is the caller a bearer token identifies.
type Principal struct {
	// TokenName names the token in logs (never the token itself).
	TokenName string
	// Tenant scopes every statement of the request when tenants are mapped.
	Tenant string
}

const principalKey = "principal"

// authenticator checks bearer tokens against their SHA-256 digests.
type authenticator struct {
	tokens []mapping.BearerToken
}

func newAuthenticator(a mapping.Auth) *authenticator {
	return &authenticator{tokens: a.BearerTokens}
}

// lookup finds the token whose digest matches. Every configured digest is
// compared, in constant time, whether or not an earlier one matched, so
// the time taken says nothing about which tokens exist.
func (a *authenticator) lookup(token string) (Principal, bool) {
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i := range a.tokens {
		if subtle.ConstantTimeCompare(sum[:], a.tokens[i].SHA256[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, false
	}
	return Principal{TokenName: a.tokens[found].Name, Tenant: a.tokens[found].Tenant}, true
}

// authenticate requires a valid bearer token on every SCIM endpoint.
// Okta sends "Authorization: Bearer <token>"; a bare token (how some
// HTTP-header integrations are configured) is accepted too.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := strings.TrimSpace(c.Request().Header.Get(echo.HeaderAuthorization))
		if h == "" {
			return errorf(http.StatusUnauthorized, "", "authentication required: send Authorization: Bearer <token>")
		}
		token := h
		if scheme, rest, ok := strings.Cut(h, " "); ok {
			if !strings.EqualFold(scheme, "Bearer") {
				return errorf(http.StatusUnauthorized, "", "unsupported authorization scheme %q: send Authorization: Bearer <token>", truncate(scheme, 20))
			}
			token = strings.TrimSpace(rest)
		}
		p, ok := s.auth.lookup(token)
		if !ok {
			return errorf(http.StatusUnauthorized, "", "invalid bearer token")
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

func principal(c echo.Context) Principal {
	p, _ := c.Get(principalKey).(Principal)
	return p
}

func tokenName(c echo.Context) string {
	return principal(c).TokenName
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
