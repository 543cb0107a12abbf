package adapter

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
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

// lookupCounter is a legacy.Observer that counts token look-ups in the
// database: every CheckToken reports one "token" operation.
type lookupCounter struct{ n atomic.Int64 }

func (l *lookupCounter) Query(op string, _ time.Duration, _ string) {
	if op == "token" {
		l.n.Add(1)
	}
}
func (l *lookupCounter) Cache(string, bool) {}
func (l *lookupCounter) Breaker(string)     {}

// failureEnv serves the sample app with a failure allowance of burst and
// almost no refill, counting token look-ups.
func failureEnv(t *testing.T, burst int, extraServer string) (*env, *lookupCounter) {
	t.Helper()
	src := string(mustReadFile(t, "../config.yaml"))
	src = strings.Replace(src, "auth:\n", fmt.Sprintf("auth:\n  failure_limit: { per_second: 0.001, burst: %d }\n", burst), 1)
	src = strings.Replace(src, "server:\n", "server:\n"+extraServer, 1)
	cfg, err := mapping.Parse("inline.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	count := &lookupCounter{}
	return newEnvOptions(t, cfg, legacy.Options{Observer: count}, Options{}, sampleSchema(t)), count
}

// madeUpToken is a well-formed retroscim token that was never issued.
func madeUpToken(t *testing.T) string {
	return "rsk_" + randomHex(t, 4) + "_" + randomSecret(t)[:43]
}

// TestFailedAuthenticationsLimited sends 30 made-up well-formed tokens
// from one address: at most the allowance reaches the database, the rest
// get 429 with Retry-After, and a valid token stays cached and accepted
// throughout (issue 11, item 6; before the fix: 30 look-ups, no 429).
func TestFailedAuthenticationsLimited(t *testing.T) {
	const burst = 5
	e, lookups := failureEnv(t, burst, "")
	valid, _ := e.createToken("okta", "1", 0)
	if r := e.get("/Users?count=1", bearer(valid)...); r.Status != 200 {
		t.Fatalf("valid token = %d %s", r.Status, r.Body)
	}
	before := lookups.n.Load()
	var refused, limited int
	for i := 0; i < 30; i++ {
		r := e.get("/Users?count=1", bearer(madeUpToken(t))...)
		switch r.Status {
		case http.StatusUnauthorized:
			refused++
		case http.StatusTooManyRequests:
			limited++
			body := r.json(t)
			if body["status"] != "429" || body["schemas"].([]any)[0] != mapping.ErrorSchema || r.Header.Get("Retry-After") == "" {
				t.Errorf("429 = %v, Retry-After %q", body, r.Header.Get("Retry-After"))
			}
		default:
			t.Fatalf("made-up token = %d %s", r.Status, r.Body)
		}
		// The valid token is still served from its cache.
		if r := e.get("/Users?count=1", bearer(valid)...); r.Status != 200 {
			t.Fatalf("valid token after %d made-up ones = %d %s", i+1, r.Status, r.Body)
		}
	}
	if n := lookups.n.Load() - before; n > burst {
		t.Errorf("30 made-up tokens caused %d token look-ups, want at most %d (auth.failure_limit burst)", n, burst)
	}
	if refused != burst || limited != 30-burst {
		t.Errorf("%d answered 401 and %d 429, want %d and %d", refused, limited, burst, 30-burst)
	}
	// Made-up configuration tokens count too, and cost no look-up.
	if r := e.get("/Users?count=1", bearer("not-a-stored-token-0123456789")...); r.Status != http.StatusTooManyRequests {
		t.Errorf("a made-up configuration token after the allowance = %d, want 429", r.Status)
	}
	// X-Forwarded-For is not believed without server.trusted_proxies: a
	// made-up address is no fresh allowance.
	if r := e.get("/Users?count=1", append(bearer(madeUpToken(t)), "X-Forwarded-For", "203.0.113.9")...); r.Status != http.StatusTooManyRequests {
		t.Errorf("made-up token with a made-up X-Forwarded-For = %d, want 429", r.Status)
	}
	// The configuration's token is never refused.
	if r := e.get("/Users?count=1"); r.Status != 200 {
		t.Errorf("configuration token after the flood = %d", r.Status)
	}
	if n := lookups.n.Load() - before; n > burst {
		t.Errorf("%d token look-ups in all, want at most %d", n, burst)
	}
}

// TestFailedAuthenticationsPerClient: behind a trusted proxy, each client
// address in X-Forwarded-For has its own allowance.
func TestFailedAuthenticationsPerClient(t *testing.T) {
	e, _ := failureEnv(t, 2, "  trusted_proxies: [127.0.0.1]\n")
	from := func(addr string) []string {
		return append(bearer(madeUpToken(t)), "X-Forwarded-For", addr)
	}
	for i, want := range []int{401, 401, 429, 429} {
		if r := e.get("/Users?count=1", from("203.0.113.7")...); r.Status != want {
			t.Errorf("failure %d from 203.0.113.7 = %d, want %d", i+1, r.Status, want)
		}
	}
	if r := e.get("/Users?count=1", from("198.51.100.4")...); r.Status != http.StatusUnauthorized {
		t.Errorf("first failure from another client = %d, want 401", r.Status)
	}
	// One IPv6 /64 is one client.
	for i, addr := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"} {
		want := []int{401, 401, 429}[i]
		if r := e.get("/Users?count=1", from(addr)...); r.Status != want {
			t.Errorf("failure from %s = %d, want %d", addr, r.Status, want)
		}
	}
	if !strings.Contains(e.logs.String(), `"client":"203.0.113.7"`) {
		t.Errorf("the access log does not name the client address")
	}
}

// TestFailedAuthenticationsConcurrent: made-up tokens sent at once cannot
// overdraw the allowance, since a check under way holds its place.
func TestFailedAuthenticationsConcurrent(t *testing.T) {
	const burst = 5
	e, lookups := failureEnv(t, burst, "")
	var wg sync.WaitGroup
	statuses := make([]int, 30)
	tokens := make([]string, 30)
	for i := range tokens {
		tokens[i] = madeUpToken(t)
	}
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, e.url+"/Users?count=1", nil)
			req.Header.Set("Authorization", "Bearer "+tokens[i])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	if n := lookups.n.Load(); n > burst {
		t.Errorf("30 concurrent made-up tokens caused %d token look-ups, want at most %d", n, burst)
	}
	for _, s := range statuses {
		if s != http.StatusUnauthorized && s != http.StatusTooManyRequests {
			t.Errorf("statuses = %v", statuses)
			break
		}
	}
}
