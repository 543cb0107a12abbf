package adapter

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/legacytest"
)

// withTTL serves the sample app with a short token cache TTL.
func withTTL(t *testing.T, ttl string) *env {
	t.Helper()
	cfg := strings.Replace(string(mustReadFile(t, "../config.yaml")), "auth:\n", "auth:\n  token_cache_ttl: "+ttl+"\n", 1)
	return newEnvYAML(t, cfg)
}

func (e *env) createToken(name, tenant string, life time.Duration) (string, legacy.Token) {
	e.t.Helper()
	tok, info, err := e.store.CreateToken(context.Background(), e.own, testActor, name, tenant, life)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok, info
}

// testActor makes the token changes of tests.
var testActor = legacy.Actor{Prefix: "test", Name: "adapter tests"}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

func TestStoredTokens(t *testing.T) {
	e := withTTL(t, "300ms")
	tok, info := e.createToken("okta-prod", "1", 0)
	if r := e.get("/Users?count=1", bearer(tok)...); r.Status != 200 {
		t.Fatalf("stored token = %d %s", r.Status, r.Body)
	}
	// The token acts for its tenant only.
	if r := e.get("/Users/8", bearer(tok)...); r.Status != http.StatusNotFound {
		t.Errorf("tenant 1's stored token reads tenant 2's user: %d", r.Status)
	}
	// A wrong secret with a real prefix, and an unknown prefix, are both invalid.
	for _, bad := range []string{info.Prefix + "_" + strings.Repeat("A", 43), "rsk_00000000_" + strings.Repeat("B", 43), "rsk_short"} {
		if r := e.get("/Users", bearer(bad)...); r.Status != 401 || r.json(t)["detail"] != "invalid bearer token" {
			t.Errorf("token %q = %d %s", bad, r.Status, r.Body)
		}
	}
	// Nothing stored is the token or its secret.
	rows := e.query("SELECT CONCAT_WS('|', prefix, HEX(secret_sha256), name, tenant) FROM retroscim_tokens WHERE prefix = ?", info.Prefix)
	secret := tok[len(info.Prefix)+1:]
	if strings.Contains(rows[0], secret) || strings.Contains(strings.ToLower(rows[0]), strings.ToLower(tok)) {
		t.Errorf("the token table holds the secret: %s", rows[0])
	}
	// last_used_at is recorded, off the request path.
	deadline := time.Now().Add(5 * time.Second)
	for e.query("SELECT last_used_at FROM retroscim_tokens WHERE prefix = ?", info.Prefix)[0] == "NULL" {
		if time.Now().After(deadline) {
			t.Fatal("last_used_at never recorded")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTokenExpiry(t *testing.T) {
	e := withTTL(t, "1m") // expiry is exact, whatever the cache TTL
	tok, _ := e.createToken("short", "1", 700*time.Millisecond)
	if r := e.get("/Users?count=1", bearer(tok)...); r.Status != 200 {
		t.Fatalf("fresh token = %d", r.Status)
	}
	time.Sleep(800 * time.Millisecond)
	r := e.get("/Users?count=1", bearer(tok)...)
	if r.Status != 401 || !strings.Contains(r.json(t)["detail"].(string), "has expired") {
		t.Errorf("expired token = %d %s", r.Status, r.Body)
	}
	if strings.Contains(string(r.Body), "short") || strings.Contains(string(r.Body), "tenant") {
		t.Errorf("the 401 leaks token details: %s", r.Body)
	}
}

// TestTokenRevocation: a revoked token is refused at the latest one cache
// TTL later (the documented bound), and at once for a new check.
func TestTokenRevocation(t *testing.T) {
	const ttl = 400 * time.Millisecond
	e := withTTL(t, ttl.String())
	tok, info := e.createToken("to-revoke", "1", 0)
	if r := e.get("/Users?count=1", bearer(tok)...); r.Status != 200 {
		t.Fatalf("before revocation = %d", r.Status)
	}
	if _, err := e.store.RevokeToken(context.Background(), e.own, testActor, info.Prefix); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	for {
		r := e.get("/Users?count=1", bearer(tok)...)
		if r.Status == 401 {
			if !strings.Contains(r.json(t)["detail"].(string), "revoked") {
				t.Errorf("revoked token detail = %s", r.Body)
			}
			if took := time.Since(revoked); took > ttl+200*time.Millisecond {
				t.Errorf("revocation took %s, the bound is %s", took, ttl)
			}
			break
		}
		if time.Since(revoked) > ttl+time.Second {
			t.Fatalf("still accepted %s after revocation (cache TTL %s)", time.Since(revoked), ttl)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestTokenRotation: during a rotation both tokens work; revoking the
// old one leaves the new.
func TestTokenRotation(t *testing.T) {
	e := withTTL(t, "100ms")
	oldTok, oldInfo := e.createToken("okta", "1", 0)
	newTok, _ := e.createToken("okta", "1", 0) // what `token rotate` does
	for _, tok := range []string{oldTok, newTok} {
		if r := e.get("/Users?count=1", bearer(tok)...); r.Status != 200 {
			t.Errorf("token during rotation = %d", r.Status)
		}
	}
	if _, err := e.store.RevokeToken(context.Background(), e.own, testActor, oldInfo.Prefix); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	if r := e.get("/Users?count=1", bearer(oldTok)...); r.Status != 401 {
		t.Errorf("old token after revoke = %d", r.Status)
	}
	if r := e.get("/Users?count=1", bearer(newTok)...); r.Status != 200 {
		t.Errorf("new token after revoking the old = %d", r.Status)
	}
}

// TestAuditTrail: each kind of write leaves one entry, in the write's own
// transaction; a refused write leaves one with its outcome and no
// changes; no password value is kept.
func TestAuditTrail(t *testing.T) {
	cfg := strings.Replace(string(mustReadFile(t, "../config.yaml")),
		"    userName:                     { column: login }",
		"    userName:                     { column: login }\n    password:                     { column: password_hash, hash: bcrypt }", 1)
	e := newEnvYAML(t, cfg)
	tok, info := e.createToken("okta-prod", "1", 0)
	writes := []struct{ method, path, body string }{
		{"PATCH", "/Users/2", `{"Operations":[{"op":"replace","value":{"name":{"givenName":"Alicia"},"active":false,"password":"hunter2hunter2"}}]}`},
		{"PATCH", "/Groups/2", `{"Operations":[{"op":"add","path":"members","value":[{"value":"5"}]},{"op":"remove","path":"members[value eq \"3\"]"}]}`},
		{"DELETE", "/Users/4", ""}, // delete: deactivate
		{"PATCH", "/Users/5", `{"Operations":[{"op":"replace","path":"title","value":"` + strings.Repeat("x", 101) + `"}]}`}, // refused
	}
	for _, w := range writes {
		e.do(w.method, w.path, w.body, bearer(tok)...)
	}
	type entry struct {
		Op, Resource, ID, Token, Name, Tenant, Changes, Status, SCIMType string
	}
	var got []entry
	for _, id := range e.column("SELECT id FROM retroscim_audit WHERE resource_type <> 'Token' ORDER BY id") {
		row := e.query("SELECT operation, resource_type, resource_id, token_prefix, token_name, tenant, changes, status, scim_type FROM retroscim_audit WHERE id = ?", id)
		got = append(got, entry{row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8]})
	}
	want := []entry{
		{"update", "User", "2", info.Prefix, "okta-prod", "1", `[{"attribute":"password","before":null,"after":"(set)"},{"attribute":"name.givenName","before":"Alice","after":"Alicia"},{"attribute":"active","before":true,"after":false}]`, "200", ""},
		{"members", "Group", "2", info.Prefix, "okta-prod", "1", `{"added":["5"],"removed":["3"]}`, "204", ""},
		{"update", "User", "4", info.Prefix, "okta-prod", "1", `[{"attribute":"active","before":true,"after":false}]`, "204", ""},
		{"update", "User", "5", info.Prefix, "okta-prod", "1", `[]`, "400", "invalidValue"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d audit entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("audit entry %d =\n %+v\nwant\n %+v", i+1, got[i], want[i])
		}
	}
	for _, s := range []string{"hunter2hunter2"} {
		if strings.Contains(e.query("SELECT GROUP_CONCAT(changes) FROM retroscim_audit")[0], s) || strings.Contains(e.logs.String(), s) {
			t.Errorf("the audit trail or log holds the password")
		}
	}
	// The log carries the same record.
	var line map[string]any
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, `"msg":"write"`) && strings.Contains(l, `"op":"members"`) {
			json.Unmarshal([]byte(l), &line)
		}
	}
	if line["token"] != info.Prefix || line["changes"] != `{"added":["5"],"removed":["3"]}` || line["outcome"] != "committed" {
		t.Errorf("membership log line = %v", line)
	}
}

func TestRateLimit(t *testing.T) {
	cfg := strings.Replace(string(mustReadFile(t, "../config.yaml")), "server:\n", "server:\n  rate_limit: { per_second: 0.5, burst: 2 }\n", 1)
	e := newEnvYAML(t, cfg)
	var last response
	for i := 0; i < 3; i++ {
		last = e.get("/Users?count=1")
	}
	if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") != "2" || last.json(t)["status"] != "429" {
		t.Errorf("third request in a second = %d (Retry-After %q) %s", last.Status, last.Header.Get("Retry-After"), last.Body)
	}
	// Another token has its own bucket.
	tok, _ := e.createToken("other", "1", 0)
	if r := e.get("/Users?count=1", bearer(tok)...); r.Status != 200 {
		t.Errorf("another token = %d", r.Status)
	}
}

// TestNoSecretsLogged sends tokens, passwords and bad credentials and
// checks none of them reaches a log line or a response body.
func TestNoSecretsLogged(t *testing.T) {
	cfg := strings.Replace(string(mustReadFile(t, "../config.yaml")),
		"    userName:                     { column: login }",
		"    userName:                     { column: login }\n    password:                     { column: password_hash, hash: bcrypt }", 1)
	e := newEnvYAML(t, cfg)
	tok, _ := e.createToken("okta", "1", 0)
	secrets := []string{testToken, tok, "wrong-token-guess-1234567890", "S3cret-Passw0rd!", "$2a$"}
	e.get("/Users", bearer(tok)...)
	e.get("/Users", bearer("wrong-token-guess-1234567890")...)
	e.get("/Users", "Authorization", "Basic "+testToken)
	e.do(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"password","value":"S3cret-Passw0rd!"}]}`)
	r := e.do(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"password","value":"`+strings.Repeat("S3cret-Passw0rd!", 6)+`"}]}`)
	logs := e.logs.String() + string(r.Body)
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("a log line or response contains the secret %q", s)
		}
	}
	if strings.Contains(logs, e.dsn) {
		t.Error("the DSN appears in the log")
	}
	legacytest.Checksum(t, e.dsn, "users")
}
