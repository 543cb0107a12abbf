package adapter

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// randomSecret is 32 random bytes, base64url: text that cannot appear in
// a response or a log line by chance.
func randomSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// leaked returns the first run of n bytes of secret found in text, or "".
func leaked(secret, text string, n int) string {
	for i := 0; i+n <= len(secret); i++ {
		if strings.Contains(text, secret[i:i+n]) {
			return secret[i : i+n]
		}
	}
	return ""
}

// TestUnauthorizedQuotesNoCredential sends credentials in malformed
// Authorization headers: neither the 401 nor any log line may hold a
// piece of them (issue 11, item 7).
func TestUnauthorizedQuotesNoCredential(t *testing.T) {
	e := newEnv(t)
	secret := randomSecret(t)
	headers := []string{
		secret + " extra",                // a token where the scheme belongs
		secret + " " + secret,            // twice
		"Basic " + secret,                // another scheme
		"basic " + secret + ":" + secret, // lower case, user:password
		"Negotiate " + secret,
		"Token " + secret,
		"SSWS " + secret, // Okta's API token scheme
		"Bearer " + secret + " extra",
		"Bearer  " + secret,
		"Bearer " + secret,
		secret,
		secret + "\t" + secret,
		"X" + secret + " y",
		"rsk_0123abcd_" + secret[:43] + " extra",
		"Bearer rsk_0123abcd_" + secret[:43],
	}
	for _, h := range headers {
		before := len(e.logs.String())
		r := e.get("/Users?count=1", "Authorization", h)
		if r.Status != http.StatusUnauthorized {
			t.Errorf("Authorization %.12q…: %d, want 401", h, r.Status)
		}
		logs := e.logs.String()[before:]
		if s := leaked(secret, string(r.Body), 6); s != "" {
			t.Errorf("Authorization %.12q…: the 401 body quotes %q of the credential: %s", h, s, r.Body)
		}
		if s := leaked(secret, logs, 6); s != "" {
			t.Errorf("Authorization %.12q…: a log line quotes %q of the credential:\n%s", h, s, logs)
		}
		for k, vs := range r.Header {
			for _, v := range vs {
				if s := leaked(secret, v, 6); s != "" {
					t.Errorf("Authorization %.12q…: response header %s quotes %q of the credential", h, k, s)
				}
			}
		}
	}
	// Known schemes are still named, from retroscim's own list.
	r := e.get("/Users?count=1", "Authorization", "basic "+secret)
	if d := r.json(t)["detail"]; d != "the Basic authorization scheme is not supported: send Authorization: Bearer <token>" {
		t.Errorf("Basic detail = %q", d)
	}
}
