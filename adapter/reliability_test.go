package adapter

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// twoTenantYAML is the sample configuration with a token per tenant and
// creates allowed (as twoTenants serves it).
func twoTenantYAML(t *testing.T) string {
	t.Helper()
	cfg := strings.Replace(string(mustReadFile(t, "../config.yaml")), `      tenant: "1"                # the organization this token provisions`,
		`      tenant: "1"                # the organization this token provisions
    - { name: globex, token: "`+globexToken+`", tenant: "2" }`, 1)
	return strings.Replace(cfg, "  create: deny                   # users are created by the app's SSO login", "  create: allow\n  defaults: { auth_source: saml }", 1)
}

// proxiedEnv serves cfgYAML over a fresh sample database through a proxy
// the test controls: max_open_conns 8 (so 4 per tenant), a query timeout
// of queryTimeout, and a breaker that opens after 3 failures for 1 s.
// params are added to the DSN.
func proxiedEnv(t *testing.T, cfgYAML string, queryTimeout time.Duration, params map[string]string, extraSQL ...string) (*env, *legacytest.Proxy) {
	t.Helper()
	dsn := legacytest.NewDatabase(t, append([]string{sampleSchema(t)}, extraSQL...)...)
	proxy, proxied := legacytest.NewProxy(t, dsn)
	if len(params) > 0 {
		pc, err := mysql.ParseDSN(proxied)
		if err != nil {
			t.Fatal(err)
		}
		pc.Params = params
		pc.RejectReadOnly = params["tx_read_only"] != ""
		proxied = pc.FormatDSN()
	}
	cfg, err := mapping.Parse("reliability.yaml", []byte(strings.Replace(cfgYAML, "max_open_conns: 20", "max_open_conns: 8", 1)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.PublicURL = "https://scim.example.test"
	cfg.Database.QueryTimeout = queryTimeout
	store, err := legacy.Open(context.Background(), proxied, legacy.Options{
		MaxOpenConns: cfg.Database.MaxOpenConns, QueryTimeout: queryTimeout,
		BreakerFailures: 3, BreakerOpenFor: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := BindSchema(context.Background(), cfg, store); err != nil {
		t.Fatal(err)
	}
	own := legacy.OwnTables{Prefix: cfg.Store.Prefix}
	if params["tx_read_only"] == "" {
		if _, err := store.Migrate(context.Background(), own); err != nil {
			t.Fatal(err)
		}
	}
	logs := &legacytest.Buffer{}
	srv := New(cfg, store, Options{Log: slog.New(slog.NewJSONHandler(logs, nil)), Own: &own})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	// First of all (cleanups run last first): cut the database, so that no
	// handler a failed test left hanging keeps hs.Close waiting.
	t.Cleanup(proxy.Down)
	return &env{t: t, url: hs.URL + cfg.Server.BasePath, dsn: dsn, store: store, cfg: cfg, own: own, logs: logs, srv: srv}, proxy
}

// within sends a request like do, failing the test if no answer comes
// within 10 s: far beyond every deadline, so it catches a hang.
func (e *env) within(method, path, body string, headers ...string) response {
	e.t.Helper()
	r, err := e.send(&http.Client{Timeout: 10 * time.Second}, method, path, body, headers...)
	if err != nil {
		e.t.Fatalf("%s %s hung: %v", method, path, err)
	}
	return r
}

func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWriteDeadlines holds the database in each step of a PATCH: the
// answer is a 503 or 504 SCIM error within the step deadline (never a 2xx
// for a write whose COMMIT was not acknowledged; a 503 that says it may
// have been applied when COMMIT was sent), hung writes open the breaker,
// and once the database is back the breaker closes by itself.
func TestWriteDeadlines(t *testing.T) {
	tests := []struct {
		name    string
		hold    func(*legacytest.Proxy)
		unknown bool
	}{
		{"handshake", func(p *legacytest.Proxy) { p.HoldGreetings() }, false},
		{"start transaction", func(p *legacytest.Proxy) { p.HoldStatements("START TRANSACTION") }, false},
		{"commit", func(p *legacytest.Proxy) { p.HoldStatements("COMMIT") }, true},
		{"commit reply", func(p *legacytest.Proxy) { p.HoldReplies("COMMIT") }, true},
		{"blackhole", func(p *legacytest.Proxy) { p.Blackhole() }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, proxy := proxiedEnv(t, string(mustReadFile(t, "../config.yaml")), 300*time.Millisecond, nil)
			e.store.DB().SetMaxIdleConns(0) // every request opens a connection
			tt.hold(proxy)
			for user := 2; user <= 4; user++ { // three rows: a held COMMIT keeps its row locked
				r := e.within(http.MethodPatch, fmt.Sprintf("/Users/%d", user), `{"Operations":[{"op":"replace","path":"title","value":"Held"}]}`)
				t.Logf("%s: %d %s", tt.name, r.Status, r.Body)
				switch {
				case r.Status < 500:
					t.Fatalf("a write the database did not confirm answered %d", r.Status)
				case r.Status != 503 && r.Status != 504:
					t.Errorf("status %d, want 503 or 504", r.Status)
				case tt.unknown && (r.Status != 503 || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), "may have been applied")):
					t.Errorf("an unacknowledged COMMIT = %d (Retry-After %q) %s", r.Status, r.Header.Get("Retry-After"), r.Body)
				}
			}
			if st := e.store.BreakerState(); st != "open" {
				t.Errorf("after 3 hung writes the breaker is %s", st)
			}
			if r := e.within(http.MethodGet, "/Users/2", ""); r.Status != 503 || r.Header.Get("Retry-After") == "" {
				t.Errorf("with the breaker open: %d %s", r.Status, r.Body)
			}
			proxy.Release()
			e.waitFor("the breaker to close by itself", func() bool { return e.store.BreakerState() == "closed" })
			if r := e.within(http.MethodGet, "/Users/2", ""); r.Status != 200 {
				t.Errorf("after recovery: %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestOneTenantCannotOpenTheBreaker: tenant 1's own slow requests (writes
// waiting for a row the app holds locked, which the server stops at
// query_timeout) and its clients that hang up in the middle of a large
// group are not database failures: tenant 2 is served throughout.
func TestOneTenantCannotOpenTheBreaker(t *testing.T) {
	// Group 1 (Admin) gets 20,000 members: a response of megabytes.
	members := `INSERT INTO users (org_id, login, auth_source)
SELECT 1, CONCAT('member', a.n * 10000 + b.n * 1000 + c.n * 100 + d.n * 10 + f.n, '@acme.test'), 'saml'
FROM (SELECT 0 n UNION ALL SELECT 1) a,
     (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b,
     (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c,
     (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) d,
     (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) f;
INSERT INTO user_roles (user_id, role_id) SELECT id, 1 FROM users WHERE login LIKE 'member%'`
	t.Run("lock waits", func(t *testing.T) {
		e, _ := proxiedEnv(t, twoTenantYAML(t), 300*time.Millisecond, nil)
		locker, err := sql.Open("mysql", e.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer locker.Close()
		lock, err := locker.Begin()
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Rollback()
		if _, err := lock.Exec("SELECT id FROM users WHERE id = 2 FOR UPDATE"); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 6; i++ {
			r := e.within(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"title","value":"Locked"}]}`)
			if r.Status != http.StatusGatewayTimeout {
				t.Errorf("PATCH of a row the app holds locked = %d %s, want 504", r.Status, r.Body)
			}
		}
		if st := e.store.BreakerState(); st != "closed" {
			t.Errorf("after tenant 1's lock waits the breaker is %s", st)
		}
		if r := e.within(http.MethodGet, "/Users/8", "", asGlobex()...); r.Status != 200 {
			t.Errorf("tenant 2 after tenant 1's lock waits: %d %s", r.Status, r.Body)
		}
	})

	t.Run("slow clients hanging up mid-stream", func(t *testing.T) {
		e, _ := proxiedEnv(t, twoTenantYAML(t), 300*time.Millisecond, nil, members)
		// Small socket buffers on both sides, so that the server blocks in
		// writing the group to a client that does not read, as it does
		// with a slow client over a real network.
		hs := httptest.NewUnstartedServer(e.srv)
		hs.Listener = smallBuffers{hs.Listener}
		hs.Start()
		defer hs.Close()
		host := strings.TrimPrefix(hs.URL, "http://")
		dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		}}
		// Four readers at once (tenant 1's import), each of which stops
		// reading, then hangs up.
		var conns []net.Conn
		for i := 0; i < 4; i++ {
			conn, err := dialer.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "GET %s/Groups/1 HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", e.cfg.Server.BasePath, host, testToken)
			status, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil || !strings.Contains(status, "200") {
				t.Fatalf("GET /Groups/1: %q %v", status, err)
			}
			conns = append(conns, conn)
		}
		time.Sleep(700 * time.Millisecond) // past the streams' 400 ms deadline, reading nothing
		for _, conn := range conns {
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close() // with megabytes still to send
		}
		e.waitFor("the streams to end", func() bool { return e.store.Stats().InUse == 0 })
		if st := e.store.BreakerState(); st != "closed" {
			t.Errorf("after slow clients hung up mid-stream the breaker is %s", st)
		}
		if r := e.within(http.MethodGet, "/Users/8", "", asGlobex()...); r.Status != 200 {
			t.Errorf("tenant 2 after tenant 1's clients hung up: %d %s", r.Status, r.Body)
		}
	})
}

// smallBuffers gives the connections it accepts a small send buffer.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(8 << 10)
	}
	return c, err
}

// TestTenantConcurrencyBound: a tenant with max_conns_per_tenant requests
// already using the database gets 429 with Retry-After once no slot came
// free within a second, while another tenant is served at once.
func TestTenantConcurrencyBound(t *testing.T) {
	e, _ := proxiedEnv(t, twoTenantYAML(t), 2*time.Second, nil)
	if got := e.cfg.Database.MaxConnsPerTenant; got != 4 {
		t.Fatalf("default max_conns_per_tenant with max_open_conns 8 = %d, want 4", got)
	}
	locker, err := sql.Open("mysql", e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	lock, err := locker.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec("SELECT id FROM users WHERE id = 2 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	// Four writes of tenant 1 wait for the lock, each on a connection.
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.within(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"title","value":"Waiting"}]}`)
		}()
	}
	e.waitFor("four requests of tenant 1 in flight", func() bool { return e.srv.slots.inUse("1") == 4 })
	r := e.within(http.MethodGet, "/Users/3", "")
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "1" || !strings.Contains(string(r.Body), "max_conns_per_tenant") {
		t.Errorf("tenant 1's fifth request = %d (Retry-After %q) %s, want 429", r.Status, r.Header.Get("Retry-After"), r.Body)
	}
	if got := e.store.Stats().InUse; got > 4 {
		t.Errorf("%d connections in use, want tenant 1's 4", got)
	}
	if r := e.within(http.MethodGet, "/Users/8", "", asGlobex()...); r.Status != 200 {
		t.Errorf("tenant 2 while tenant 1 is at its bound: %d %s", r.Status, r.Body)
	}
	if r := e.within(http.MethodGet, "/ServiceProviderConfig", ""); r.Status != 200 {
		t.Errorf("discovery is not bounded: %d", r.Status)
	}
	lock.Rollback()
	wg.Wait()
	if r := e.within(http.MethodGet, "/Users/3", ""); r.Status != 200 {
		t.Errorf("tenant 1 once its requests ended: %d %s", r.Status, r.Body)
	}
}

// TestBadConnectionIs503: driver.ErrBadConn inside a write's transaction
// (here: a server that turned read-only under a DSN with
// rejectReadOnly=true, as after a fail-over) is the database being
// unavailable: 503 with Retry-After, not 500.
func TestBadConnectionIs503(t *testing.T) {
	e, _ := proxiedEnv(t, string(mustReadFile(t, "../config.yaml")), 300*time.Millisecond, map[string]string{"tx_read_only": "1"})
	r := e.within(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"title","value":"Read-only"}]}`)
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Errorf("write over a bad connection = %d (Retry-After %q) %s", r.Status, r.Header.Get("Retry-After"), r.Body)
	}
	if !strings.Contains(e.logs.String(), "bad connection") {
		t.Errorf("the log does not name the cause: %s", e.logs.String())
	}
}

// withoutMeta is a resource's JSON without meta, which says when it was
// last written.
func withoutMeta(t *testing.T, r response) string {
	t.Helper()
	m := r.json(t)
	delete(m, "meta")
	return fmt.Sprint(m)
}

// TestRetriesAreSafe: a client that got a 503 for a write that did commit
// (COMMIT's answer lost) retries it. The same PATCH or PUT again gives
// the same resource (member adds and removes and multi-valued adds
// included), and a retried POST answers 409 uniqueness naming the id of
// what the first attempt created, but only when that row is one the
// caller may see.
func TestRetriesAreSafe(t *testing.T) {
	t.Run("replayed PATCH and PUT", func(t *testing.T) {
		e, _ := proxiedEnv(t, twoTenantYAML(t), time.Second, nil)
		replays := []struct {
			name, method, path, body string
		}{
			{"PATCH user", http.MethodPatch, "/Users/2", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"replace","path":"title","value":"Principal Engineer"},
				{"op":"add","path":"emails","value":[{"value":"alice.new@acme.test","type":"work","primary":true}]},
				{"op":"add","path":"phoneNumbers","value":[{"value":"+1 555 0199","type":"work"}]},
				{"op":"replace","value":{"name.familyName":"Anders-Berg","active":false}}]}`},
			{"PUT user", http.MethodPut, "/Users/4", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Carol.Chen@Acme.test","name":{"givenName":"Carol","familyName":"Chen-Li"},"title":"Director","active":true,"emails":[{"value":"carol@acme.test","type":"work"}]}`},
			{"PATCH members", http.MethodPatch, "/Groups/2", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"add","path":"members","value":[{"value":"4"},{"value":"5"}]},
				{"op":"remove","path":"members[value eq \"3\"]"}]}`},
			{"PUT group", http.MethodPut, "/Groups/3", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Developers","members":[{"value":"2"},{"value":"7"}]}`},
		}
		for _, tt := range replays {
			first := e.within(tt.method, tt.path, tt.body)
			if first.Status >= 300 {
				t.Fatalf("%s: %d %s", tt.name, first.Status, first.Body)
			}
			once := withoutMeta(t, e.within(http.MethodGet, tt.path, ""))
			again := e.within(tt.method, tt.path, tt.body)
			if again.Status != first.Status {
				t.Errorf("%s replayed: %d %s, first %d", tt.name, again.Status, again.Body, first.Status)
			}
			if twice := withoutMeta(t, e.within(http.MethodGet, tt.path, "")); twice != once {
				t.Errorf("%s replayed changed the resource:\nonce:  %s\ntwice: %s", tt.name, once, twice)
			}
		}
		if got := e.joinMembers(2); got != "4,5,7" {
			t.Errorf("group 2's members after the replayed PATCH = %s, want 4,5,7", got)
		}
	})

	t.Run("retried POST", func(t *testing.T) {
		e, _ := proxiedEnv(t, twoTenantYAML(t), time.Second, nil)
		user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"grace@acme.test","name":{"givenName":"Grace"}}`
		r := e.within(http.MethodPost, "/Users", user)
		if r.Status != http.StatusCreated {
			t.Fatalf("POST /Users: %d %s", r.Status, r.Body)
		}
		id := r.json(t)["id"].(string)
		r = e.within(http.MethodPost, "/Users", user)
		if r.Status != http.StatusConflict || r.json(t)["scimType"] != "uniqueness" || r.json(t)["detail"] != `userName "grace@acme.test" is already taken by User "`+id+`"` {
			t.Errorf("retried POST = %d %s, want 409 uniqueness naming User %s", r.Status, r.Body, id)
		}
		r = e.within(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Auditors"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("POST /Groups: %d %s", r.Status, r.Body)
		}
		gid := r.json(t)["id"].(string)
		r = e.within(http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Auditors"}`)
		if r.Status != http.StatusConflict || r.json(t)["detail"] != `displayName "Auditors" is already taken by Group "`+gid+`"` {
			t.Errorf("retried POST /Groups = %d %s, want 409 naming Group %s", r.Status, r.Body, gid)
		}
		// A row the caller may not see is never named: a local account
		// (outside the scope) holds admin@acme.test.
		r = e.within(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"admin@acme.test"}`)
		if r.Status != http.StatusConflict || r.json(t)["detail"] != `userName "admin@acme.test" is already taken` {
			t.Errorf("POST of a local account's userName = %d %s, want a plain 409", r.Status, r.Body)
		}
		// Tenant 2's user of the same name is no conflict for tenant 1;
		// tenant 2 creating its own again gets its own id.
		if r := e.within(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"frank@globex.test"}`); r.Status != http.StatusCreated {
			t.Errorf("tenant 1 creating tenant 2's userName = %d %s", r.Status, r.Body)
		}
		r = e.within(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"frank@globex.test"}`, asGlobex()...)
		if r.Status != http.StatusConflict || r.json(t)["detail"] != `userName "frank@globex.test" is already taken by User "8"` {
			t.Errorf("tenant 2 creating its own frank again = %d %s, want 409 naming User 8", r.Status, r.Body)
		}
	})

	t.Run("lost COMMIT reply", func(t *testing.T) {
		// The POST commits, its answer is lost (503, may have been
		// applied); the retry finds what it created.
		e, proxy := proxiedEnv(t, twoTenantYAML(t), time.Second, nil)
		user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"heidi@acme.test"}`
		proxy.HoldReplies("COMMIT")
		r := e.within(http.MethodPost, "/Users", user)
		if r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), "may have been applied") {
			t.Fatalf("POST with COMMIT's answer lost = %d %s", r.Status, r.Body)
		}
		proxy.Release()
		id := e.query("SELECT id FROM users WHERE login = 'heidi@acme.test'")
		if id == nil {
			t.Fatal("the POST did not commit after all: nothing to find")
		}
		r = e.within(http.MethodPost, "/Users", user)
		if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), `by User \"`+id[0]+`\"`) {
			t.Errorf("retried POST = %d %s, want 409 uniqueness naming User %s", r.Status, r.Body, id[0])
		}
		if r := e.within(http.MethodGet, "/Users/"+id[0], ""); r.Status != 200 || r.json(t)["userName"] != "heidi@acme.test" {
			t.Errorf("GET the id the 409 named: %d %s", r.Status, r.Body)
		}
	})
}
