package adapter

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// relatedSchema keeps an account's e-mails in a one-to-many table (the
// default one is the work e-mail; Dave has two rows marked default, an
// app bug the read must survive) and its title in a one-to-one profile.
const relatedSchema = `
CREATE TABLE accounts (
  id INT AUTO_INCREMENT PRIMARY KEY,
  login VARCHAR(60) NOT NULL UNIQUE,
  kind VARCHAR(10) NOT NULL DEFAULT 'local',
  updated_on DATETIME NULL
);
CREATE TABLE account_emails (
  id INT AUTO_INCREMENT PRIMARY KEY,
  account_id INT NOT NULL,
  address VARCHAR(100) NOT NULL,
  is_default TINYINT(1) NOT NULL DEFAULT 0,
  created_on DATETIME NOT NULL,
  updated_on DATETIME NOT NULL,
  UNIQUE KEY uq_address (address),
  KEY ix_account (account_id, is_default, address)
);
CREATE TABLE profiles (
  account_id INT PRIMARY KEY,
  title VARCHAR(40) NULL
);
INSERT INTO accounts (id, login, kind) VALUES (1, 'alice', 'sso'), (2, 'bob', 'sso'), (3, 'carol', 'local'), (4, 'dave', 'sso');
INSERT INTO account_emails (id, account_id, address, is_default, created_on, updated_on) VALUES
  (10, 1, 'alice-old@x.io', 0, '2020-01-01', '2020-01-01'),
  (11, 1, 'alice@x.io', 1, '2020-01-01', '2020-01-01'),
  (12, 2, 'bob@x.io', 1, '2020-01-01', '2020-01-01'),
  (13, 3, 'carol@x.io', 1, '2020-01-01', '2020-01-01'),
  (15, 4, 'dave2@x.io', 1, '2020-01-01', '2020-01-01'),
  (14, 4, 'dave1@x.io', 1, '2020-01-01', '2020-01-01');
INSERT INTO profiles (account_id, title) VALUES (1, 'Engineer'), (3, 'Admin');
`

const relatedConfig = `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "` + testToken + `" } ] }
users:
  table: accounts
  scope: { kind: sso }
  create: allow
  delete: delete
  meta: { last_modified: updated_on }
  attributes:
    userName: { column: login }
    'emails[type eq "work"].value':
      column: address
      related: { table: account_emails, key: account_id, where: { is_default: 1 }, created: created_on, last_modified: updated_on }
    title:
      column: title
      related: { table: profiles, key: account_id }
`

func newRelatedEnv(t *testing.T) *env {
	t.Helper()
	cfg, err := mapping.Parse("related.yaml", []byte(relatedConfig))
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, relatedSchema)
}

// emailsOf lists an account's e-mail rows as address:is_default, by id.
func (e *env) emailsOf(account int) string {
	e.t.Helper()
	return strings.Join(e.column("SELECT CONCAT(address, ':', is_default) FROM account_emails WHERE account_id = ? ORDER BY id", account), " ")
}

func TestRelatedRead(t *testing.T) {
	e := newRelatedEnv(t)
	for _, tc := range []struct {
		name, path string
		want       []string // userName email title of each resource
	}{
		{"get", "/Users/1", []string{"alice alice@x.io Engineer"}},
		{"no profile row", "/Users/2", []string{"bob bob@x.io -"}},
		{"two default rows: the lowest id", "/Users/4", []string{"dave dave1@x.io -"}},
		{"list", "/Users", []string{"alice alice@x.io Engineer", "bob bob@x.io -", "dave dave1@x.io -"}},
		{"filter eq, other case", "/Users?filter=" + q(`emails.value eq "BOB@x.io"`), []string{"bob bob@x.io -"}},
		{"filter on the non-default row finds nothing", "/Users?filter=" + q(`emails[type eq "work"].value eq "alice-old@x.io"`), nil},
		{"filter sw", "/Users?filter=" + q(`emails.value sw "dave"`), []string{"dave dave1@x.io -"}},
		{"filter co on a profile", "/Users?filter=" + q(`title co "gine"`), []string{"alice alice@x.io Engineer"}},
		{"filter pr", "/Users?filter=" + q(`title pr`), []string{"alice alice@x.io Engineer"}},
		{"filter not pr", "/Users?filter=" + q(`not (title pr)`), []string{"bob bob@x.io -", "dave dave1@x.io -"}},
		{"out of scope stays out", "/Users?filter=" + q(`emails.value eq "carol@x.io"`), nil},
		{"sort descending", "/Users?sortBy=emails.value&sortOrder=descending", []string{"dave dave1@x.io -", "bob bob@x.io -", "alice alice@x.io Engineer"}},
		{"sort by a sometimes missing value: missing last", "/Users?sortBy=title", []string{"alice alice@x.io Engineer", "bob bob@x.io -", "dave dave1@x.io -"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(tc.path)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			m := r.json(t)
			var res []any
			if rs, ok := m["Resources"]; ok {
				res = rs.([]any)
			} else if _, list := m["totalResults"]; !list {
				res = []any{m}
			}
			var got []string
			for _, x := range res {
				got = append(got, summary(x.(map[string]any)))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// summary is a user's userName, work e-mail and title ("-" when absent).
func summary(u map[string]any) string {
	mail, title := "-", "-"
	if es, ok := u["emails"].([]any); ok && len(es) > 0 {
		mail = es[0].(map[string]any)["value"].(string)
	}
	if s, ok := u["title"].(string); ok {
		title = s
	}
	return u["userName"].(string) + " " + mail + " " + title
}

func TestRelatedWrites(t *testing.T) {
	e := newRelatedEnv(t)
	patch := func(id, ops string) response {
		t.Helper()
		return e.do(http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`+ops+`}`)
	}
	step := func(name string, r response, status int, account int, emails, title string) {
		t.Helper()
		if r.Status != status {
			t.Fatalf("%s: status %d, want %d: %s", name, r.Status, status, r.Body)
		}
		if got := e.emailsOf(account); got != emails {
			t.Errorf("%s: e-mail rows %q, want %q", name, got, emails)
		}
		if got := strings.Join(e.column("SELECT COALESCE(title, 'NULL') FROM profiles WHERE account_id = ?", account), " "); got != title {
			t.Errorf("%s: profile %q, want %q", name, got, title)
		}
	}

	// Replace: only the default row changes, and its updated_on is stamped.
	r := patch("1", `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"alice@new.io"}]`)
	step("replace", r, 200, 1, "alice-old@x.io:0 alice@new.io:1", "Engineer")
	if got := summary(r.json(t)); got != "alice alice@new.io Engineer" {
		t.Errorf("replace answered %s", got)
	}
	if got := e.query("SELECT updated_on > '2020-01-01', created_on = '2020-01-01' FROM account_emails WHERE id = 11"); !cmp.Equal(got, []string{"1", "1"}) {
		t.Errorf("replace: updated_on stamped, created_on kept = %v", got)
	}
	// Add where the profile row is missing: inserted.
	step("add", patch("2", `[{"op":"add","path":"title","value":"Chef"}]`), 200, 2, "bob@x.io:1", "Chef")
	// Remove: the row is deleted.
	step("remove", patch("1", `[{"op":"remove","path":"title"}]`), 200, 1, "alice-old@x.io:0 alice@new.io:1", "")
	// Remove the e-mail: its default row goes, the other stays.
	step("remove e-mail", patch("1", `[{"op":"remove","path":"emails[type eq \"work\"].value"}]`), 200, 1, "alice-old@x.io:0", "")
	// Add it back: a new default row with both timestamps.
	step("add e-mail", patch("1", `[{"op":"add","path":"emails","value":[{"type":"work","value":"alice@x.io"}]}]`), 200, 1, "alice-old@x.io:0 alice@x.io:1", "")
	if got := e.query("SELECT created_on > '2020-01-01', updated_on > '2020-01-01' FROM account_emails WHERE address = 'alice@x.io'"); !cmp.Equal(got, []string{"1", "1"}) {
		t.Errorf("insert stamps = %v", got)
	}
	// Dave's duplicate defaults: the one shown is the one written.
	step("replace with two defaults", patch("4", `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"dave@x.io"}]`), 200, 4, "dave@x.io:1 dave2@x.io:1", "")
	if got := summary(e.get("/Users/4").json(t)); got != "dave dave@x.io -" {
		t.Errorf("dave reads %s", got)
	}

	// No-op: the value held, a removal of what has no row. Nothing is
	// written, not even the account's updated_on.
	sums := func() []string {
		return []string{legacytest.Checksum(t, e.dsn, "accounts"), legacytest.Checksum(t, e.dsn, "account_emails"), legacytest.Checksum(t, e.dsn, "profiles")}
	}
	before := sums()
	for _, ops := range []string{
		`[{"op":"replace","path":"emails[type eq \"work\"].value","value":"bob@x.io"}]`,
		`[{"op":"replace","path":"title","value":"Chef"}]`,
		`[{"op":"remove","path":"title"},{"op":"add","path":"title","value":"Chef"}]`,
	} {
		if r := patch("2", ops); r.Status != 200 {
			t.Fatalf("no-op %s: %d %s", ops, r.Status, r.Body)
		}
	}
	if r := patch("4", `[{"op":"remove","path":"title"}]`); r.Status != 200 {
		t.Fatalf("no-op remove: %d %s", r.Status, r.Body)
	}
	if after := sums(); !cmp.Equal(before, after) {
		t.Errorf("no-op requests changed tables: %v -> %v", before, after)
	}

	// A failed write changes nothing: the login changes first, then the
	// e-mail hits the unique key (another account's address).
	before = sums()
	r = patch("2", `[{"op":"replace","path":"userName","value":"robert"},{"op":"replace","path":"emails[type eq \"work\"].value","value":"carol@x.io"}]`)
	if r.Status != http.StatusConflict {
		t.Errorf("duplicate address: %d %s", r.Status, r.Body)
	}
	if after := sums(); !cmp.Equal(before, after) {
		t.Errorf("a failed write changed tables: %v -> %v", before, after)
	}
	// Out of scope: carol's rows are not SCIM's.
	if r := patch("3", `[{"op":"replace","path":"title","value":"x"}]`); r.Status != http.StatusNotFound {
		t.Errorf("out of scope: %d", r.Status)
	}
	if after := sums(); !cmp.Equal(before, after) {
		t.Errorf("an out-of-scope write changed tables: %v -> %v", before, after)
	}
}

func TestRelatedCreate(t *testing.T) {
	e := newRelatedEnv(t)
	r := e.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"erin","title":"CTO","emails":[{"type":"work","value":"erin@x.io","primary":true}]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	m := r.json(t)
	if got := summary(m); got != "erin erin@x.io CTO" {
		t.Errorf("create answered %s", got)
	}
	id := m["id"].(string)
	if got := e.query("SELECT a.kind, e.address, e.is_default, p.title FROM accounts a JOIN account_emails e ON e.account_id = a.id JOIN profiles p ON p.account_id = a.id WHERE a.id = ?", id); !cmp.Equal(got, []string{"sso", "erin@x.io", "1", "CTO"}) {
		t.Errorf("created rows = %v", got)
	}
	// Without the attributes, no related rows.
	r = e.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"finn"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id = r.json(t)["id"].(string)
	if got := e.query("SELECT (SELECT COUNT(*) FROM account_emails WHERE account_id = ?), (SELECT COUNT(*) FROM profiles WHERE account_id = ?)", id, id); !cmp.Equal(got, []string{"0", "0"}) {
		t.Errorf("related rows of a create without them = %v", got)
	}
	// A create whose related row fails leaves no account behind.
	before := []string{legacytest.Checksum(t, e.dsn, "accounts"), legacytest.Checksum(t, e.dsn, "account_emails"), legacytest.Checksum(t, e.dsn, "profiles")}
	r = e.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"gus","title":"x","emails":[{"type":"work","value":"bob@x.io"}]}`)
	if r.Status != http.StatusConflict {
		t.Errorf("create with a taken address: %d %s", r.Status, r.Body)
	}
	if after := []string{legacytest.Checksum(t, e.dsn, "accounts"), legacytest.Checksum(t, e.dsn, "account_emails"), legacytest.Checksum(t, e.dsn, "profiles")}; !cmp.Equal(before, after) {
		t.Errorf("a failed create changed tables: %v -> %v", before, after)
	}
}

// TestRelatedDelete: DELETE removes the related rows the mapping owns with
// the account, and no others.
func TestRelatedDelete(t *testing.T) {
	e := newRelatedEnv(t)
	if r := e.do(http.MethodDelete, "/Users/1", ""); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	got := e.query("SELECT (SELECT COUNT(*) FROM accounts WHERE id = 1), (SELECT GROUP_CONCAT(address) FROM account_emails WHERE account_id = 1), (SELECT COUNT(*) FROM profiles WHERE account_id = 1), (SELECT COUNT(*) FROM profiles)")
	if want := []string{"0", "alice-old@x.io", "0", "1"}; !cmp.Equal(got, want) {
		t.Errorf("after delete: %v, want %v (the non-default e-mail is not the mapping's)", got, want)
	}
}

// profilesSQL adds a one-to-one profile table to the sample app, with a
// nickname for Alice (tenant 1) and Frank (tenant 2).
const profilesSQL = `CREATE TABLE user_profiles (user_id BIGINT UNSIGNED NOT NULL PRIMARY KEY, nickname VARCHAR(60) NULL);
INSERT INTO user_profiles VALUES (2, 'ali'), (8, 'frankie');`

// withNickname is the shipped config.yaml with nickName read from
// user_profiles.
func withNickname(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile("../config.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	src := string(b)
	const at = "    userName:                     { column: login }\n"
	if !strings.Contains(src, at) {
		tb.Fatal("config.yaml has no userName line to add nickName after")
	}
	return strings.Replace(src, at, at+"    nickName: { column: nickname, related: { table: user_profiles, key: user_id } }\n", 1)
}

// TestRelatedTenant: the related row belongs to a tenant's user through its
// id; another tenant's rows are neither read, matched nor written.
func TestRelatedTenant(t *testing.T) {
	e := newEnvYAML(t, withNickname(t), profilesSQL)
	if got := e.get("/Users/2").json(t)["nickName"]; got != "ali" {
		t.Errorf("Alice's nickName = %v", got)
	}
	if n := e.get("/Users?filter=" + q(`nickName eq "frankie"`)).json(t)["totalResults"]; n != float64(0) {
		t.Errorf("another tenant's nickname matched %v users", n)
	}
	before := legacytest.Checksum(t, e.dsn, "user_profiles")
	if r := e.do(http.MethodPatch, "/Users/8", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"nickName","value":"x"}]}`); r.Status != http.StatusNotFound {
		t.Errorf("PATCH of another tenant's user: %d", r.Status)
	}
	if after := legacytest.Checksum(t, e.dsn, "user_profiles"); after != before {
		t.Error("a PATCH of another tenant's user changed user_profiles")
	}
	if r := e.do(http.MethodPatch, "/Users/4", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"nickName","value":"cc"}]}`); r.Status != http.StatusOK {
		t.Fatalf("PATCH: %d %s", r.Status, r.Body)
	}
	if got := e.query("SELECT nickname FROM user_profiles WHERE user_id = 4"); !cmp.Equal(got, []string{"cc"}) {
		t.Errorf("Carol's profile = %v", got)
	}
}

// TestRelatedDryRun: in dry-run mode the related row's write is recorded,
// not run, and a password kept in a related row is redacted like one in
// a column.
func TestRelatedDryRun(t *testing.T) {
	src := strings.Replace(relatedConfig, "    userName: { column: login }\n", "    userName: { column: login }\n    password: { column: hash, hash: bcrypt, related: { table: credentials, key: account_id } }\n", 1)
	cfg, err := mapping.Parse("related.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.DryRun = true
	e := newEnvWith(t, cfg, relatedSchema, "CREATE TABLE credentials (account_id INT PRIMARY KEY, hash VARCHAR(60) NULL);")
	before := tableState(t, e.dsn)
	r := e.do(http.MethodPatch, "/Users/1", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"password":"pw-Okta-9z8y7x","emails":[{"type":"work","value":"alice@dry.io"}]}}]}`)
	if r.Status != http.StatusOK {
		t.Fatalf("PATCH = %d %s", r.Status, r.Body)
	}
	assertUnchanged(t, before, tableState(t, e.dsn))
	stmts := e.query("SELECT statements FROM retroscim_dry_run")[0]
	if strings.Contains(stmts, "pw-Okta") || strings.Contains(stmts, "$2a$") || !strings.Contains(stmts, legacy.Redacted) {
		t.Errorf("statements show the password or its hash: %s", stmts)
	}
	for _, want := range []string{"UPDATE `account_emails` SET `address` = ?", "alice@dry.io", "INSERT INTO `credentials`"} {
		if !strings.Contains(stmts, want) {
			t.Errorf("the recorded statements have no %q: %s", want, stmts)
		}
	}
}

// TestRelatedConcurrentInserts: concurrent pushes of an e-mail to a user
// who has no default row insert one row, not one per request: each write
// locks the user's row, and the next one reads the row the previous one
// inserted.
func TestRelatedConcurrentInserts(t *testing.T) {
	e := newRelatedEnv(t)
	legacytest.MustExec(t, e.dsn, "DELETE FROM account_emails WHERE account_id = 2")
	const n = 16
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.send(http.DefaultClient, http.MethodPatch, "/Users/2", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails","value":[{"type":"work","value":"bob%d@x.io"}]}]}`, i))
			if err == nil {
				statuses[i] = r.Status
			}
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("request %d: status %d", i, s)
		}
	}
	if got := e.query("SELECT COUNT(*) FROM account_emails WHERE account_id = 2 AND is_default = 1"); !cmp.Equal(got, []string{"1"}) {
		t.Errorf("default rows after %d concurrent pushes: %v, want 1", n, got)
	}
}
