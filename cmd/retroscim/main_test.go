package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/retroscim/retroscim/examples/sample"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/legacy/tempdb"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestTokenHash(t *testing.T) {
	code, out, _ := runCmd(t, "a-token-of-enough-length\n", "token", "hash")
	sum := sha256.Sum256([]byte("a-token-of-enough-length"))
	if code != 0 || strings.TrimSpace(out) != hex.EncodeToString(sum[:]) {
		t.Errorf("token hash = %d %q", code, out)
	}
	if code, _, errOut := runCmd(t, "short", "token", "hash"); code != 1 || !strings.Contains(errOut, "at least 16") {
		t.Errorf("short token: %d %q", code, errOut)
	}
}

func TestUsage(t *testing.T) {
	if code, _, errOut := runCmd(t, "", "frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "", "serve", "--nope"); code != 2 || !strings.Contains(errOut, "unknown flag: --nope") {
		t.Errorf("bad flag: %d %q", code, errOut)
	}
	if code, out, _ := runCmd(t, "", "help"); code != 0 || !strings.Contains(out, "retroscim serve") {
		t.Errorf("help: %d %q", code, out)
	}
}

// TestServeConfigErrors shows what a DBA sees for a broken mapping: every
// problem with file and line, exit code 1, no stack trace.
func TestServeConfigErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte(`database: { dsn: "root@tcp(127.0.0.1:3306)/x" }
users:
  table: users
  scope: all
  attributes:
    userName: { colum: login }
    usrName: { column: login }
`), 0o600)
	code, _, errOut := runCmd(t, "", "serve", "--config", path)
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	for _, want := range []string{
		"the configuration has 2 problem(s)",
		path + `:6: users.attributes.userName.colum: unknown key "colum", did you mean "column"?`,
		path + `:7: users.attributes.usrName: unknown attribute "usrName" in the User schema, did you mean "userName"?`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "goroutine") {
		t.Errorf("stack trace in output:\n%s", errOut)
	}
}

// waitFor polls buf until re matches, returning the first group.
func waitFor(t *testing.T, buf *legacytest.Buffer, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(buf.String()); m != nil {
			return m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no match for %s in:\n%s", re, buf.String())
	return ""
}

func get(t *testing.T, url, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

// TestServe runs `retroscim serve` on the shipped config over a sample
// database, makes a request, and stops it as SIGTERM would.
func TestServe(t *testing.T) {
	dsn := legacytest.NewDatabase(t, sample.Schema)
	t.Setenv("RETROSCIM_DSN", dsn)
	t.Setenv("RETROSCIM_TOKEN", "serve-test-token-0123456789")
	t.Setenv("RETROSCIM_ADMIN_LISTEN", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr legacytest.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--config", "../../config.yaml", "--listen", "127.0.0.1:0"}, nil, io.Discard, &stderr)
	}()
	addr := waitFor(t, &stderr, regexp.MustCompile(`"msg":"serving SCIM","address":"([^"]+)"`))
	// The shipped configuration serves health and metrics on their own
	// listener: they answer without a token.
	admin := waitFor(t, &stderr, regexp.MustCompile(`"msg":"serving health and metrics","address":"([^"]+)"`))
	if status, body := get(t, "http://"+admin+"/readyz", ""); status != 200 || body["status"] != "ready" {
		t.Errorf("admin /readyz = %d %v", status, body)
	}
	if status, _ := get(t, "http://"+addr+"/readyz", ""); status != 404 {
		t.Errorf("/readyz on the API's address = %d, want 404", status)
	}
	status, body := get(t, "http://"+addr+"/scim/v2/Users?filter=userName%20eq%20%22ALICE@acme.test%22", "serve-test-token-0123456789")
	if status != 200 || body["totalResults"] != float64(1) {
		t.Errorf("lookup = %d %v", status, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if strings.Contains(stderr.String(), "serve-test-token") || strings.Contains(stderr.String(), dsn) {
		t.Errorf("the log contains the token or the DSN:\n%s", stderr.String())
	}
}

// TestDemo runs `retroscim demo` as a newcomer would, follows the banner's
// curl commands, stops it, and checks the throwaway database is gone.
func TestDemo(t *testing.T) {
	if _, err := tempdb.Find(); err != nil {
		t.Fatalf("the demo needs MariaDB's binaries: %v (%s)", err, tempdb.InstallHint)
	}
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "retroscim-mariadb-*"))
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr legacytest.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"demo", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}, nil, &stdout, &stderr)
	}()
	base := waitFor(t, &stdout, regexp.MustCompile(`SCIM base URL: (\S+)`))
	token := waitFor(t, &stdout, regexp.MustCompile(`bearer token:  (\S+)`))
	// Health and metrics answer on their own listener, not on the API's.
	ready := waitFor(t, &stdout, regexp.MustCompile(`health: +(\S+/readyz)`))
	if status, body := get(t, ready, ""); status != 200 || body["status"] != "ready" {
		t.Errorf("GET %s = %d %v", ready, status, body)
	}
	if status, _ := get(t, strings.TrimSuffix(ready, "/readyz")+"/metrics", ""); status != 200 {
		t.Errorf("demo /metrics = %d", status)
	}
	if status, _ := get(t, strings.TrimSuffix(base, "/scim/v2")+"/metrics", ""); status != 404 {
		t.Errorf("demo /metrics on the SCIM address = %d, want 404", status)
	}
	curls := regexp.MustCompile(`curl -s -H 'Authorization: Bearer \S+' '([^']+)'`).FindAllStringSubmatch(stdout.String(), -1)
	if len(curls) != 3 {
		t.Fatalf("banner has %d curl commands, want 3:\n%s", len(curls), stdout.String())
	}
	for _, c := range curls {
		if !strings.HasPrefix(c[1], base) {
			t.Errorf("curl URL %s is not under %s", c[1], base)
		}
		if status, body := get(t, c[1], token); status != 200 {
			t.Errorf("GET %s = %d %v", c[1], status, body)
		}
	}
	if _, body := get(t, curls[0][1], token); body["totalResults"] != float64(1) {
		t.Errorf("the banner's filter finds %v users, want 1", body["totalResults"])
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("demo exited %d:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not stop")
	}
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), "retroscim-mariadb-*"))
	if len(after) > len(before) {
		t.Errorf("throwaway database left behind: %v", after)
	}
	if !strings.Contains(stderr.String(), "deleted") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

// TestAdminCommands walks an operator through migrate, token create, a
// write through serve, audit, token list, rotate and revoke.
func TestAdminCommands(t *testing.T) {
	dsn := legacytest.NewDatabase(t, sample.Schema)
	t.Setenv("RETROSCIM_DSN", dsn)
	t.Setenv("RETROSCIM_TOKEN", "")
	cfg := "../../config.yaml"

	if code, _, errOut := runCmd(t, "", "token", "list", "--config", cfg); code != 1 || !strings.Contains(errOut, "run retroscim migrate first") {
		t.Errorf("token list before migrate: %d %q", code, errOut)
	}
	if code, out, errOut := runCmd(t, "", "migrate", "--config", cfg); code != 0 || out != "created `retroscim_tokens`\ncreated `retroscim_audit`\ncreated `retroscim_dry_run`\n" {
		t.Fatalf("migrate: %d %q %q", code, out, errOut)
	}
	if code, out, _ := runCmd(t, "", "migrate", "--config", cfg); code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("second migrate: %d %q", code, out)
	}
	if code, _, errOut := runCmd(t, "", "token", "create", "--name", "okta", "--config", cfg); code != 2 || !strings.Contains(errOut, "--tenant is required") {
		t.Errorf("create without tenant: %d %q", code, errOut)
	}
	code, out, errOut := runCmd(t, "", "token", "create", "--tenant", "1", "--name", "okta-prod", "--expires", "365d", "--config", cfg)
	tok := regexp.MustCompile(`rsk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}`).FindString(out)
	if code != 0 || tok == "" || !strings.Contains(out, "shown only now") {
		t.Fatalf("token create: %d %q %q", code, out, errOut)
	}
	prefix := tok[:12]

	// serve accepts the stored token (the configuration has none).
	t.Setenv("RETROSCIM_ADMIN_LISTEN", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	var serveErr legacytest.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--config", cfg, "--listen", "127.0.0.1:0"}, nil, io.Discard, &serveErr)
	}()
	addr := waitFor(t, &serveErr, regexp.MustCompile(`"msg":"serving SCIM","address":"([^"]+)"`))
	req, _ := http.NewRequest(http.MethodPatch, "http://"+addr+"/scim/v2/Users/2", strings.NewReader(`{"Operations":[{"op":"replace","path":"title","value":"Principal Engineer"}]}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PATCH with the stored token: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	<-done

	code, out, _ = runCmd(t, "", "audit", "--since", "1h", "--config", cfg)
	if code != 0 || !strings.Contains(out, "okta-prod ("+prefix+")  tenant 1  User 2  update  title: \"Staff Engineer\" -> \"Principal Engineer\"") {
		t.Errorf("audit: %d %q", code, out)
	}
	code, out, _ = runCmd(t, "", "audit", "--since", "1h", "--json", "--type", "User", "--config", cfg)
	if code != 0 || !strings.Contains(out, `"changes":[{"attribute":"title","before":"Staff Engineer","after":"Principal Engineer"}]`) {
		t.Errorf("audit --json: %d %q", code, out)
	}
	code, out, _ = runCmd(t, "", "token", "list", "--config", cfg)
	if code != 0 || !regexp.MustCompile(prefix+`\s+okta-prod\s+1\s+active`).MatchString(out) || strings.Contains(out, tok) {
		t.Errorf("token list: %d %q", code, out)
	}
	// Flags after the token's name count as much as those before it.
	if code, _, errOut := runCmd(t, "", "token", "revoke", "--config", cfg, "okta-prod", "--bogus"); code != 2 || !strings.Contains(errOut, "-bogus") {
		t.Errorf("revoke with an unknown flag after the name: %d %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "", "token", "revoke", "--config", cfg, "okta-prod", "other"); code != 2 || !strings.Contains(errOut, `one token at a time: unexpected argument "other"`) {
		t.Errorf("revoke of two names: %d %q", code, errOut)
	}
	code, out, _ = runCmd(t, "", "token", "rotate", "--config", cfg, "okta-prod", "--grace", "1h")
	newTok := regexp.MustCompile(`rsk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}`).FindString(out)
	if code != 0 || newTok == "" || newTok == tok || !strings.Contains(out, "stays valid until") {
		t.Errorf("token rotate: %d %q", code, out)
	}
	code, out, _ = runCmd(t, "", "token", "revoke", prefix, "--config", cfg)
	if code != 0 || !strings.Contains(out, "revoked 1 token(s): "+prefix) {
		t.Errorf("token revoke: %d %q", code, out)
	}
	code, out, _ = runCmd(t, "", "token", "list", "--config", cfg)
	if code != 0 || !regexp.MustCompile(prefix+`\s+okta-prod\s+1\s+revoked`).MatchString(out) || !regexp.MustCompile(newTok[:12]+`\s+okta-prod\s+1\s+active`).MatchString(out) {
		t.Errorf("token list after rotate and revoke: %q", out)
	}
	if code, _, errOut := runCmd(t, "", "token", "revoke", "nope", "--config", cfg); code != 1 || !strings.Contains(errOut, `no token "nope"`) {
		t.Errorf("revoke unknown: %d %q", code, errOut)
	}
	// The token commands are in the audit trail, with who ran them.
	code, out, _ = runCmd(t, "", "audit", "--since", "1h", "--type", "Token", "--config", cfg)
	ops := regexp.MustCompile(`(?m)^\S+  \S+ \(cli\)  tenant 1  Token (rsk_[0-9a-f]{8})  (\w+)  `).FindAllStringSubmatch(out, -1)
	var got []string
	for _, m := range ops {
		got = append(got, m[2]+" "+m[1])
	}
	want := []string{"create " + prefix, "rotate " + newTok[:12], "expire " + prefix, "revoke " + prefix}
	if code != 0 || strings.Join(got, ", ") != strings.Join(want, ", ") || strings.Contains(out, tok[13:]) || strings.Contains(out, newTok[13:]) {
		t.Errorf("audit of token commands = %q, want %q:\n%s", got, want, out)
	}
}

// TestAuditCommandOutcomes: retroscim audit shows refused writes with
// their outcome, and both request ids; --outcome selects them.
func TestAuditCommandOutcomes(t *testing.T) {
	dsn := legacytest.NewDatabase(t, sample.Schema)
	t.Setenv("RETROSCIM_DSN", dsn)
	t.Setenv("RETROSCIM_TOKEN", "audit-test-token-0123456789")
	cfg := "../../config.yaml"
	if code, _, errOut := runCmd(t, "", "migrate", "--config", cfg); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	addr, _, stop := startServe(t, "--config", cfg)
	send := func(body, clientID string) {
		req, _ := http.NewRequest(http.MethodPatch, "http://"+addr+"/scim/v2/Users/2", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer audit-test-token-0123456789")
		req.Header.Set("X-Request-Id", clientID)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	send(`{"Operations":[{"op":"replace","path":"title","value":"CTO"}]}`, "okta-1")
	send(`{"Operations":[{"op":"replace","path":"title","value":"`+strings.Repeat("x", 101)+`"}]}`, "okta-2")
	stop()

	code, out, _ := runCmd(t, "", "audit", "--since", "1h", "--config", cfg)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("audit: %d %q", code, out)
	}
	if !regexp.MustCompile(`User 2  update  title: "Staff Engineer" -> "CTO"  \(request [0-9a-f]{16}, client's okta-1\)$`).MatchString(lines[0]) {
		t.Errorf("committed line = %q", lines[0])
	}
	if !regexp.MustCompile(`User 2  update  refused 400 invalidValue: title .+  \(request [0-9a-f]{16}, client's okta-2\)$`).MatchString(lines[1]) {
		t.Errorf("refused line = %q", lines[1])
	}
	code, out, _ = runCmd(t, "", "audit", "--since", "1h", "--outcome", "refused", "--json", "--config", cfg)
	var e map[string]any
	if code != 0 || strings.Count(out, "\n") != 1 || json.Unmarshal([]byte(out), &e) != nil {
		t.Fatalf("audit --outcome refused --json: %d %q", code, out)
	}
	if e["outcome"] != "refused" || e["status"] != float64(400) || e["scim_type"] != "invalidValue" || e["client_request_id"] != "okta-2" || e["detail"] == "" {
		t.Errorf("refused entry = %v", e)
	}
	if code, _, errOut := runCmd(t, "", "audit", "--outcome", "lost", "--config", cfg); code != 2 || !strings.Contains(errOut, "use committed, refused or failed") {
		t.Errorf("--outcome lost: %d %q", code, errOut)
	}
}

// TestServeNeedsUpgradedTables: serve refuses to start on an audit table
// from an earlier version, saying to run migrate, which upgrades it.
func TestServeNeedsUpgradedTables(t *testing.T) {
	dsn := legacytest.NewDatabase(t, sample.Schema, `CREATE TABLE retroscim_tokens (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  prefix VARCHAR(32) NOT NULL, secret_sha256 BINARY(32) NOT NULL, name VARCHAR(100) NOT NULL, tenant VARCHAR(64) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL, last_used_at DATETIME(6) NULL, expires_at DATETIME(6) NULL, revoked_at DATETIME(6) NULL, UNIQUE KEY uq_prefix (prefix));
CREATE TABLE retroscim_audit (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, at DATETIME(6) NOT NULL, request_id VARCHAR(64) NOT NULL,
  token_prefix VARCHAR(32) NOT NULL, token_name VARCHAR(100) NOT NULL, tenant VARCHAR(64) NOT NULL DEFAULT '', resource_type VARCHAR(16) NOT NULL,
  resource_id VARCHAR(255) NOT NULL, operation VARCHAR(32) NOT NULL, changes MEDIUMTEXT NOT NULL);`)
	t.Setenv("RETROSCIM_DSN", dsn)
	t.Setenv("RETROSCIM_TOKEN", "upgrade-test-token-0123456789")
	t.Setenv("RETROSCIM_ADMIN_LISTEN", "127.0.0.1:0")
	cfg := "../../config.yaml"
	code, _, errOut := runCmd(t, "", "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "lacks the columns client_request_id, status, scim_type, detail: run retroscim migrate") {
		t.Errorf("serve on old tables: %d %q", code, errOut)
	}
	code, out, errOut := runCmd(t, "", "migrate", "--config", cfg)
	if code != 0 || out != "created `retroscim_dry_run`\nupgraded `retroscim_audit` (added client_request_id, status, scim_type, detail)\n" {
		t.Errorf("migrate: %d %q %q", code, out, errOut)
	}
	addr, _, stop := startServe(t, "--config", cfg)
	if status, _ := get(t, "http://"+addr+"/scim/v2/Users?count=1", "upgrade-test-token-0123456789"); status != 200 {
		t.Errorf("serve after migrate: %d", status)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited %d", code)
	}
}

// startServe runs `retroscim serve` in the background and returns its
// address, its log and a function that stops it and returns its exit code.
func startServe(t *testing.T, args ...string) (string, *legacytest.Buffer, func() int) {
	t.Helper()
	t.Setenv("RETROSCIM_ADMIN_LISTEN", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	var log legacytest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...), nil, io.Discard, &log)
	}()
	addr := waitFor(t, &log, regexp.MustCompile(`"msg":"serving SCIM","address":"([^"]+)"`))
	return addr, &log, func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
			return -1
		}
	}
}

// TestReloadOnSIGHUP: a broken mapping sent with SIGHUP is refused and the
// old one keeps serving; a good one takes over without a restart.
func TestReloadOnSIGHUP(t *testing.T) {
	dsn := legacytest.NewDatabase(t, sample.Schema)
	t.Setenv("RETROSCIM_DSN", dsn)
	t.Setenv("RETROSCIM_TOKEN", "reload-test-token-0123456789")
	good := string(sample.Config)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, log, stop := startServe(t, "--config", path)
	defer stop()
	title := func() any {
		_, body := get(t, "http://"+addr+"/scim/v2/Users/2", "reload-test-token-0123456789")
		return body["title"]
	}
	if title() != "Staff Engineer" {
		t.Fatalf("before reload: title = %v", title())
	}
	hup := func(content, wantLog string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		before := strings.Count(log.String(), wantLog)
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(log.String(), wantLog) == before {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the log:\n%s", wantLog, log.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// A YAML typo: refused, the old mapping serves.
	hup(strings.Replace(good, "{ column: job_title }", "{ colum: job_title }", 1), "configuration reload failed")
	if title() != "Staff Engineer" {
		t.Errorf("after a broken reload: title = %v, want the old mapping still serving", title())
	}
	if !strings.Contains(log.String(), `unknown key \"colum\", did you mean \"column\"?`) {
		t.Errorf("the log does not say what is wrong:\n%s", log.String())
	}
	// A column the table lacks: refused too (checked against the live schema).
	hup(strings.Replace(good, "{ column: job_title }", "{ column: job_titel }", 1), "configuration reload failed")
	if title() != "Staff Engineer" {
		t.Errorf("after a reload naming a missing column: title = %v", title())
	}
	// A good change: title now comes from another column.
	hup(strings.Replace(good, "{ column: job_title }", "{ column: department }", 1), "configuration reloaded")
	if title() != "Engineering" {
		t.Errorf("after a good reload: title = %v, want Engineering", title())
	}
}

// TestGracefulShutdown: a request in flight when SIGTERM arrives finishes.
func TestGracefulShutdown(t *testing.T) {
	dsn := legacytest.NewDatabase(t, sample.Schema)
	proxy, proxied := legacytest.NewProxy(t, dsn)
	t.Setenv("RETROSCIM_DSN", proxied)
	t.Setenv("RETROSCIM_TOKEN", "shutdown-test-token-0123456789")
	addr, _, stop := startServe(t, "--config", "../../config.yaml")
	proxy.SetLatency(300 * time.Millisecond) // slow, but within query_timeout
	result := make(chan int, 1)
	go func() {
		status, _ := get(t, "http://"+addr+"/scim/v2/Users/2", "shutdown-test-token-0123456789")
		result <- status
	}()
	time.Sleep(100 * time.Millisecond) // let the request reach the server
	if code := stop(); code != 0 {
		t.Errorf("serve exited with %d", code)
	}
	if status := <-result; status != 200 {
		t.Errorf("the in-flight request got %d, want 200", status)
	}
}
