package adapter

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// Deactivation that is not one column value, and DELETE that is not
// deactivation (issue 13 items 3 and 4), through the real server and
// MariaDB, in the shapes Okta and Entra send.

const (
	oktaOff = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`
	oktaOn  = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":true}}]}`
	// Entra sends the boolean as a string, and capitalises the op.
	entraOff = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`
	entraOn  = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"True"}]}`
)

func newLifecycleEnv(t *testing.T, config, schema string) *env {
	t.Helper()
	cfg, err := mapping.Parse("lifecycle.yaml", []byte(config))
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, schema)
}

// sums are the checksums of tables, to show a request changed nothing.
func (e *env) sums(tables ...string) []string {
	e.t.Helper()
	out := make([]string, len(tables))
	for i, tb := range tables {
		out[i] = legacytest.Checksum(e.t, e.dsn, tb)
	}
	return out
}

// expect checks a response's status and, when want is not nil, the
// active attribute it shows.
func expect(t *testing.T, name string, r response, status int, active any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d: %s", name, r.Status, status, r.Body)
	}
	if active != nil {
		if got := r.json(t)["active"]; got != active {
			t.Errorf("%s: active %v, want %v", name, got, active)
		}
	}
}

// ids lists the ids of a list response.
func ids(t *testing.T, r response) []string {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	var out []string
	res, _ := r.json(t)["Resources"].([]any)
	for _, x := range res {
		out = append(out, x.(map[string]any)["id"].(string))
	}
	return out
}

// Mattermost 9.x: Users.DeleteAt is 0 for an active user and the time of
// deactivation in epoch milliseconds otherwise.
const mattermostUsersSchema = `
CREATE TABLE Users (
  Id varchar(26) NOT NULL PRIMARY KEY,
  CreateAt bigint(20) DEFAULT NULL,
  UpdateAt bigint(20) DEFAULT NULL,
  DeleteAt bigint(20) DEFAULT NULL,
  Username varchar(64) DEFAULT NULL,
  AuthService varchar(32) DEFAULT NULL,
  Email varchar(128) DEFAULT NULL,
  UNIQUE KEY Username (Username)
);
INSERT INTO Users VALUES
  ('u1aaaaaaaaaaaaaaaaaaaaaaaa', 1700000000000, 1700000000000, 0, 'alice', 'saml', 'alice@x.io'),
  ('u2bbbbbbbbbbbbbbbbbbbbbbbb', 1700000000000, 1700000000000, 1700000500000, 'bob', 'saml', 'bob@x.io'),
  ('u3cccccccccccccccccccccccc', 1700000000000, 1700000000000, 0, 'carol', '', 'carol@x.io');
`

const mattermostActiveConfig = `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "` + testToken + `" } ] }
users:
  table: Users
  id: Id
  scope: { AuthService: saml }
  delete: deactivate
  active:
    when: { DeleteAt: 0 }
    deactivate: [ { set: { DeleteAt: now_ms } } ]
    reactivate: [ { set: { DeleteAt: 0 } } ]
  meta:
    created: { column: CreateAt, epoch: milliseconds }
    last_modified: { column: UpdateAt, epoch: milliseconds }
  attributes:
    userName: { column: Username }
    'emails[type eq "work"].value': { column: Email }
`

func TestLifecycleMattermost(t *testing.T) {
	e := newLifecycleEnv(t, mattermostActiveConfig, mattermostUsersSchema)
	const alice, bob = "/Users/u1aaaaaaaaaaaaaaaaaaaaaaaa", "/Users/u2bbbbbbbbbbbbbbbbbbbbbbbb"
	deleteAt := func(id string) string {
		t.Helper()
		return e.query("SELECT DeleteAt FROM Users WHERE Id = ?", id[len("/Users/"):])[0]
	}
	expect(t, "read active", e.get(alice), 200, true)
	expect(t, "read inactive", e.get(bob), 200, false)
	if got := ids(t, e.get("/Users?filter="+q(`active eq false`))); !cmp.Equal(got, []string{"u2bbbbbbbbbbbbbbbbbbbbbbbb"}) {
		t.Errorf("active eq false = %v", got)
	}
	if got := ids(t, e.get("/Users?filter="+q(`active eq true`))); !cmp.Equal(got, []string{"u1aaaaaaaaaaaaaaaaaaaaaaaa"}) {
		t.Errorf("active eq true = %v (carol is outside the scope)", got)
	}

	// Okta deactivates: DeleteAt becomes now in milliseconds.
	before := e.query("SELECT ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000)")[0]
	expect(t, "okta deactivate", e.do(http.MethodPatch, alice, oktaOff), 200, false)
	if got := e.query("SELECT DeleteAt >= ? AND DeleteAt <= ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000), UpdateAt > 1700000000000 FROM Users WHERE Id = 'u1aaaaaaaaaaaaaaaaaaaaaaaa'", before); !cmp.Equal(got, []string{"1", "1"}) {
		t.Errorf("DeleteAt is now in ms, UpdateAt stamped: %v (DeleteAt %s)", got, deleteAt(alice))
	}
	// Again, in Entra's shape: already inactive, nothing is written.
	sums := e.sums("Users")
	expect(t, "entra deactivate an inactive user", e.do(http.MethodPatch, alice, entraOff), 200, false)
	if !cmp.Equal(sums, e.sums("Users")) {
		t.Error("deactivating an inactive user wrote")
	}
	// Okta reactivates.
	expect(t, "okta reactivate", e.do(http.MethodPatch, alice, oktaOn), 200, true)
	if got := deleteAt(alice); got != "0" {
		t.Errorf("reactivated DeleteAt = %s", got)
	}
	// PUT with active false (Okta's full update).
	expect(t, "put active false", e.do(http.MethodPut, alice, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice","emails":[{"type":"work","value":"alice@x.io","primary":true}],"active":false}`), 200, false)
	if deleteAt(alice) == "0" {
		t.Error("PUT active=false left DeleteAt 0")
	}
	expect(t, "entra reactivate", e.do(http.MethodPatch, alice, entraOn), 200, true)
	// Entra's DELETE under delete: deactivate.
	if r := e.do(http.MethodDelete, alice, ""); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	expect(t, "after delete: deactivated", e.get(alice), 200, false)
	// Refused: a bad active value, and a user outside the scope.
	sums = e.sums("Users")
	if r := e.do(http.MethodPatch, bob, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":"maybe"}]}`); r.Status != http.StatusBadRequest {
		t.Errorf("active maybe: %d %s", r.Status, r.Body)
	}
	if r := e.do(http.MethodPatch, "/Users/u3cccccccccccccccccccccccc", oktaOff); r.Status != http.StatusNotFound {
		t.Errorf("out of scope: %d %s", r.Status, r.Body)
	}
	if !cmp.Equal(sums, e.sums("Users")) {
		t.Error("a refused request wrote")
	}
}

// Nextcloud 30 (core/Migrations/Version13000Date20170718121200.php): a
// disabled user has the oc_preferences row core/enabled = 'false'; no
// row means enabled.
const nextcloudSchema = `
CREATE TABLE oc_users (
  uid varchar(64) NOT NULL DEFAULT '' PRIMARY KEY,
  displayname varchar(64) DEFAULT NULL,
  password varchar(255) NOT NULL DEFAULT '',
  uid_lower varchar(64) DEFAULT '',
  KEY user_uid_lower (uid_lower)
);
CREATE TABLE oc_preferences (
  userid varchar(64) NOT NULL DEFAULT '',
  appid varchar(32) NOT NULL DEFAULT '',
  configkey varchar(64) NOT NULL DEFAULT '',
  configvalue longtext DEFAULT NULL,
  PRIMARY KEY (userid, appid, configkey)
);
INSERT INTO oc_users (uid, displayname, uid_lower) VALUES ('alice', 'Alice A', 'alice'), ('bob', 'Bob B', 'bob');
INSERT INTO oc_preferences VALUES
  ('alice', 'settings', 'email', 'alice@x.io'),
  ('bob', 'core', 'enabled', 'false'),
  ('bob', 'settings', 'email', 'bob@x.io');
`

const nextcloudConfig = `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "` + testToken + `" } ] }
users:
  table: oc_users
  id: uid
  scope: all
  delete: delete
  active:
    when:
      no_row: { table: oc_preferences, key: userid, where: { appid: core, configkey: enabled, configvalue: "false" } }
    deactivate:
      - write_row: { table: oc_preferences, key: userid, where: { appid: core, configkey: enabled }, set: { configvalue: "false" } }
    reactivate:
      - delete_row: { table: oc_preferences, key: userid, where: { appid: core, configkey: enabled } }
  attributes:
    userName: { column: uid_lower, mutability: immutable }
    displayName: { column: displayname }
    'emails[type eq "work"].value':
      column: configvalue
      related: { table: oc_preferences, key: userid, where: { appid: settings, configkey: email } }
`

func TestLifecycleNextcloud(t *testing.T) {
	e := newLifecycleEnv(t, nextcloudConfig, nextcloudSchema)
	prefs := func(user string) string {
		t.Helper()
		return strings.Join(e.column("SELECT CONCAT(appid, '/', configkey, '=', COALESCE(configvalue, 'NULL')) FROM oc_preferences WHERE userid = ? ORDER BY appid, configkey", user), " ")
	}
	expect(t, "alice enabled", e.get("/Users/alice"), 200, true)
	expect(t, "bob disabled", e.get("/Users/bob"), 200, false)
	if got := ids(t, e.get("/Users?filter="+q(`active eq false`))); !cmp.Equal(got, []string{"bob"}) {
		t.Errorf("active eq false = %v", got)
	}

	// Entra disables Alice: the row is inserted.
	expect(t, "entra disable", e.do(http.MethodPatch, "/Users/alice", entraOff), 200, false)
	if got := prefs("alice"); got != "core/enabled=false settings/email=alice@x.io" {
		t.Errorf("disabled alice's preferences: %s", got)
	}
	sums := e.sums("oc_users", "oc_preferences")
	expect(t, "okta disable again", e.do(http.MethodPatch, "/Users/alice", oktaOff), 200, false)
	if !cmp.Equal(sums, e.sums("oc_users", "oc_preferences")) {
		t.Error("disabling a disabled user wrote")
	}
	// Okta enables her: the row goes, the e-mail row stays.
	expect(t, "okta enable", e.do(http.MethodPatch, "/Users/alice", oktaOn), 200, true)
	if got := prefs("alice"); got != "settings/email=alice@x.io" {
		t.Errorf("enabled alice's preferences: %s", got)
	}
	// Nextcloud itself writes 'true' when it enables a user: that reads
	// as enabled, and disabling updates the row rather than inserting.
	if _, err := e.store.DB().Exec("INSERT INTO oc_preferences VALUES ('alice', 'core', 'enabled', 'true')"); err != nil {
		t.Fatal(err)
	}
	expect(t, "enabled by the app", e.get("/Users/alice"), 200, true)
	expect(t, "put active false", e.do(http.MethodPut, "/Users/alice", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice","displayName":"Alice A","emails":[{"type":"work","value":"alice@x.io"}],"active":false}`), 200, false)
	if got := prefs("alice"); got != "core/enabled=false settings/email=alice@x.io" {
		t.Errorf("PUT disabled alice's preferences: %s", got)
	}
	// A refused request (an e-mail and a bad active value) changes nothing.
	sums = e.sums("oc_users", "oc_preferences")
	if r := e.do(http.MethodPatch, "/Users/alice", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"A"},{"op":"replace","path":"active","value":"nope"}]}`); r.Status != http.StatusBadRequest {
		t.Errorf("bad active: %d %s", r.Status, r.Body)
	}
	if !cmp.Equal(sums, e.sums("oc_users", "oc_preferences")) {
		t.Error("a refused request wrote")
	}
	// Entra's DELETE (delete: delete): the user and every preferences row
	// the mapping writes go, related rows first.
	if r := e.do(http.MethodDelete, "/Users/bob", ""); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if got := e.query("SELECT (SELECT COUNT(*) FROM oc_users WHERE uid = 'bob'), (SELECT COUNT(*) FROM oc_preferences WHERE userid = 'bob')"); !cmp.Equal(got, []string{"0", "0"}) {
		t.Errorf("bob's rows after DELETE: users, preferences = %v", got)
	}
	expect(t, "deleted", e.get("/Users/bob"), 404, nil)
}

// An app that keeps deleted users (deleted_at) and locks them Redmine's
// way: status 1 active, 2 registered (inactive too), 3 locked.
const keptSchema = `
CREATE TABLE users (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  login varchar(255) NOT NULL DEFAULT '',
  status int(11) NOT NULL DEFAULT 1,
  deleted_at datetime DEFAULT NULL,
  UNIQUE KEY ux_login (login)
);
INSERT INTO users (id, login, status) VALUES (1, 'alice', 1), (2, 'bob', 2), (3, 'carol', 3);
`

const keptConfig = `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "` + testToken + `" } ] }
users:
  table: users
  scope: { deleted_at: null }
  create: allow
  delete: { set: { deleted_at: now } }
  active:
    when: { status: 1 }
    deactivate: [ { set: { status: 3 } } ]
    reactivate: [ { set: { status: 1 } } ]
  attributes:
    userName: { column: login }
`

func TestDeleteMovesOutOfScope(t *testing.T) {
	e := newLifecycleEnv(t, keptConfig, keptSchema)
	status := func(id string) string { t.Helper(); return e.query("SELECT status FROM users WHERE id = ?", id)[0] }
	expect(t, "registered reads inactive", e.get("/Users/2"), 200, false)
	if got := ids(t, e.get("/Users?filter="+q(`active eq false`))); !cmp.Equal(got, []string{"2", "3"}) {
		t.Errorf("active eq false = %v", got)
	}
	expect(t, "reactivate registered", e.do(http.MethodPatch, "/Users/2", entraOn), 200, true)
	if got := status("2"); got != "1" {
		t.Errorf("status %s", got)
	}
	expect(t, "lock", e.do(http.MethodPatch, "/Users/2", oktaOff), 200, false)
	if got := status("2"); got != "3" {
		t.Errorf("status %s", got)
	}

	// Entra's DELETE: the row stays, outside the scope.
	if r := e.do(http.MethodDelete, "/Users/1", ""); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if got := e.query("SELECT login, status, deleted_at IS NOT NULL FROM users WHERE id = 1"); !cmp.Equal(got, []string{"alice", "1", "1"}) {
		t.Errorf("kept row = %v", got)
	}
	sums := e.sums("users")
	expect(t, "get after delete", e.get("/Users/1"), 404, nil)
	if got := ids(t, e.get("/Users?filter="+q(`userName eq "alice"`))); len(got) != 0 {
		t.Errorf("filter finds the deleted user: %v", got)
	}
	if got := ids(t, e.get("/Users")); !cmp.Equal(got, []string{"2", "3"}) {
		t.Errorf("list = %v", got)
	}
	expect(t, "patch after delete", e.do(http.MethodPatch, "/Users/1", oktaOn), 404, nil)
	expect(t, "delete again", e.do(http.MethodDelete, "/Users/1", ""), 404, nil)
	// A POST of the same userName: the app's row still holds the login
	// (its unique key), so 409, naming no id the client may not see.
	r := e.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice"}`)
	expect(t, "post the deleted userName", r, http.StatusConflict, nil)
	if body := string(r.Body); !strings.Contains(body, "uniqueness") || strings.Contains(body, `"1"`) {
		t.Errorf("409 body: %s", body)
	}
	if !cmp.Equal(sums, e.sums("users")) {
		t.Error("requests on a deleted user wrote")
	}
	// A new userName is created, active, inside the scope.
	expect(t, "post", e.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"dave"}`), http.StatusCreated, true)
	expect(t, "post inactive", e.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"erin","active":false}`), http.StatusCreated, false)
	if got := e.column("SELECT CONCAT(login, ':', status) FROM users WHERE id > 3 ORDER BY id"); !cmp.Equal(got, []string{"dave:1", "erin:3"}) {
		t.Errorf("created = %v", got)
	}
}
