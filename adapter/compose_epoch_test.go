package adapter

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// giteaSchema is Gitea's user table (models/user/user.go, as xorm creates
// it on MySQL) with the columns these tests use: full_name holds the whole
// name, created_unix and updated_unix are epoch seconds.
const giteaSchema = "CREATE TABLE `user` (" +
	"`id` BIGINT(20) NOT NULL AUTO_INCREMENT PRIMARY KEY, `name` VARCHAR(255) NOT NULL, `full_name` VARCHAR(255) NULL," +
	"`email` VARCHAR(255) NOT NULL, `passwd` VARCHAR(255) NOT NULL, `type` INT(11) NULL, `prohibit_login` TINYINT(1) NOT NULL DEFAULT 0, `is_admin` TINYINT(1) NOT NULL DEFAULT 0," +
	"`created_unix` BIGINT(20) NULL, `updated_unix` BIGINT(20) NULL, UNIQUE KEY `UQE_user_name` (`name`), KEY `IDX_user_updated_unix` (`updated_unix`)" +
	") DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;\n" +
	"INSERT INTO `user` VALUES" +
	" (1, 'gitea-admin', 'Site Admin', 'admin@acme.test', 'x', 0, 0, 1, 1700000000, 1700000000)," +
	" (2, 'alice', 'Alice Smith', 'alice@acme.test', '', 0, 0, 0, 1767323045, 1767409445)," +
	" (3, 'bob', 'Bob Jones', 'bob@acme.test', '', 0, 0, 0, 1767323045, 1767323045)," +
	" (4, 'acme', 'Acme Org', 'org@acme.test', '', 1, 0, 0, 1767323045, 1767323045);"

const giteaYAML = `
database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "` + testToken + `" } ] }
users:
  table: user
  scope: { type: 0, is_admin: 0 }
  create: allow
  defaults: { passwd: "" }
  active: { column: prohibit_login, true: 0, false: 1 }
  meta:
    created: { column: created_unix, epoch: seconds }
    last_modified: { column: updated_unix, epoch: seconds }
  attributes:
    userName: { column: name }
    'emails[type eq "work"].value': { column: email, unique: true }
    name: { column: full_name, compose: "{givenName} {familyName}" }
`

func newGiteaEnv(t *testing.T) *env {
	t.Helper()
	cfg, err := mapping.Parse("gitea.yaml", []byte(giteaYAML))
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, cfg, giteaSchema)
}

func jsonPatch(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// TestComposedNamePushes sends each shape in which Okta and Entra push a
// name change to a user whose full_name is "Alice Smith", and checks the
// column.
func TestComposedNamePushes(t *testing.T) {
	e := newGiteaEnv(t)
	user := func(given, family string) string {
		return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice","name":{"givenName":"` + given + `","familyName":"` + family + `"},"emails":[{"primary":true,"type":"work","value":"alice@acme.test"}],"active":true}`
	}
	tests := []struct {
		name, method, body, want string
	}{
		{"Okta PATCH, givenName alone", http.MethodPatch, jsonPatch(`{"op":"replace","value":{"name":{"givenName":"Alicia"}}}`), "Alicia Smith"},
		{"Okta PATCH, name as a whole", http.MethodPatch, jsonPatch(`{"op":"replace","value":{"name":{"givenName":"Ann","familyName":"Lee"}}}`), "Ann Lee"},
		{"Okta PUT", http.MethodPut, user("Alice", "Smith-Jones"), "Alice Smith-Jones"},
		{"Entra path name.givenName", http.MethodPatch, jsonPatch(`{"op":"Replace","path":"name.givenName","value":"Ally"}`), "Ally Smith"},
		{"Entra no path, dotted key", http.MethodPatch, jsonPatch(`{"op":"Replace","value":{"name.familyName":"Brown"}}`), "Alice Brown"},
		{"Entra add familyName and givenName", http.MethodPatch, jsonPatch(`{"op":"Add","path":"name.givenName","value":"Al"}`, `{"op":"Add","path":"name.familyName","value":"Green"}`), "Al Green"},
		{"remove familyName", http.MethodPatch, jsonPatch(`{"op":"remove","path":"name.familyName"}`), "Alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			legacytest.MustExec(t, e.dsn, "UPDATE `user` SET full_name = 'Alice Smith' WHERE id = 2")
			r := e.do(tt.method, "/Users/2", tt.body)
			if r.Status != http.StatusOK {
				t.Fatalf("%s = %d: %s", tt.method, r.Status, r.Body)
			}
			if got := e.query("SELECT full_name FROM `user` WHERE id = 2")[0]; got != tt.want {
				t.Errorf("full_name = %q, want %q", got, tt.want)
			}
			got := e.get("/Users/2").json(t)["name"].(map[string]any)
			given, _, _ := strings.Cut(tt.want, " ")
			if got["givenName"] != given {
				t.Errorf("GET name = %v, want givenName %q", got, given)
			}
		})
	}
}

// TestComposedFailedWrite checks that a request whose name is fine but
// whose other change is refused writes nothing: no name, no stamp.
func TestComposedFailedWrite(t *testing.T) {
	e := newGiteaEnv(t)
	before := legacytest.Checksum(t, e.dsn, "user")
	for _, body := range []string{
		// The e-mail belongs to Bob: 409 after the name was composed.
		jsonPatch(`{"op":"replace","value":{"name":{"givenName":"Alicia"},"emails":[{"type":"work","value":"bob@acme.test"}]}}`),
		// The composed value is longer than full_name holds.
		jsonPatch(`{"op":"replace","path":"name.familyName","value":"` + strings.Repeat("x", 250) + `"}`),
	} {
		if r := e.do(http.MethodPatch, "/Users/2", body); r.Status < 400 {
			t.Errorf("PATCH = %d, want a refusal: %s", r.Status, r.Body)
		}
	}
	r := e.get(`/Users?sortBy=name.familyName`)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"scimType":"invalidValue"`) || !strings.Contains(string(r.Body), "name.familyName is stored inside column") {
		t.Errorf("sortBy name.familyName = %d %s", r.Status, r.Body)
	}
	if after := legacytest.Checksum(t, e.dsn, "user"); after != before {
		t.Errorf("refused requests changed the table")
	}
}

// TestEpochMeta reads meta from epoch seconds, filters on it, and checks
// that every SCIM write stamps updated_unix (and a create created_unix)
// with the database's clock, while a no-op writes nothing.
func TestEpochMeta(t *testing.T) {
	e := newGiteaEnv(t)
	alice := e.get("/Users/2").json(t)
	meta := alice["meta"].(map[string]any)
	if meta["created"] != "2026-01-02T03:04:05Z" || meta["lastModified"] != "2026-01-03T03:04:05Z" {
		t.Errorf("meta = %v", meta)
	}
	ids := func(filter string) string {
		r := e.get("/Users?filter=" + strings.NewReplacer(" ", "%20", `"`, "%22", ":", "%3A", "+", "%2B").Replace(filter))
		if r.Status != http.StatusOK {
			t.Fatalf("filter %s = %d %s", filter, r.Status, r.Body)
		}
		var out []string
		for _, u := range r.json(t)["Resources"].([]any) {
			out = append(out, u.(map[string]any)["id"].(string))
		}
		return strings.Join(out, ",")
	}
	for _, tt := range []struct{ filter, want string }{
		{`meta.lastModified gt "2026-01-02T03:04:05Z"`, "2"},
		{`meta.lastModified ge "2026-01-02T03:04:05Z"`, "2,3"},
		{`meta.lastModified gt "2026-01-02T03:04:04.5Z"`, "2,3"},
		{`meta.lastModified ge "2026-01-02T03:04:05.5Z"`, "2"},
		{`meta.lastModified lt "2026-01-03T05:04:05+02:00"`, "3"},
		{`meta.created eq "2026-01-02T03:04:05Z"`, "2,3"},
		{`meta.created eq "2026-01-02T03:04:05.5Z"`, ""},
	} {
		if got := ids(tt.filter); got != tt.want {
			t.Errorf("filter %s = [%s], want [%s]", tt.filter, got, tt.want)
		}
	}

	now := func() int64 {
		n, _ := strconv.ParseInt(e.query("SELECT UNIX_TIMESTAMP()")[0], 10, 64)
		return n
	}
	etag := e.get("/Users/3").Header.Get("ETag")
	start := now()
	r := e.do(http.MethodPatch, "/Users/3", jsonPatch(`{"op":"replace","path":"name.givenName","value":"Robert"}`))
	if r.Status != http.StatusOK {
		t.Fatalf("PATCH = %d %s", r.Status, r.Body)
	}
	end := now()
	stamped, _ := strconv.ParseInt(e.query("SELECT updated_unix FROM `user` WHERE id = 3")[0], 10, 64)
	if stamped < start || stamped > end {
		t.Errorf("updated_unix = %d after the PATCH, want the write's time, in [%d, %d]", stamped, start, end)
	}
	if lm := r.json(t)["meta"].(map[string]any)["lastModified"]; lm != time.Unix(stamped, 0).UTC().Format(time.RFC3339) {
		t.Errorf("meta.lastModified = %v, updated_unix = %d", lm, stamped)
	}
	if r.Header.Get("ETag") == etag {
		t.Errorf("ETag %s did not change with the write", etag)
	}
	if got := e.query("SELECT created_unix FROM `user` WHERE id = 3")[0]; got != "1767323045" {
		t.Errorf("an update changed created_unix to %s", got)
	}

	// The same value again writes nothing, not even the stamp.
	legacytest.MustExec(t, e.dsn, "UPDATE `user` SET updated_unix = 1767323045 WHERE id = 3")
	sum := legacytest.Checksum(t, e.dsn, "user")
	if r := e.do(http.MethodPatch, "/Users/3", jsonPatch(`{"op":"replace","path":"name.givenName","value":"Robert"}`)); r.Status != http.StatusOK {
		t.Fatalf("no-op PATCH = %d %s", r.Status, r.Body)
	}
	if legacytest.Checksum(t, e.dsn, "user") != sum {
		t.Errorf("a no-op PATCH changed the table")
	}

	// Deactivation is a write too: it stamps.
	if r := e.do(http.MethodPatch, "/Users/3", jsonPatch(`{"op":"replace","value":{"active":false}}`)); r.Status != http.StatusOK {
		t.Fatalf("deactivate = %d %s", r.Status, r.Body)
	}
	if got := e.query("SELECT prohibit_login, updated_unix >= ? FROM `user` WHERE id = 3", start); strings.Join(got, "|") != "1|1" {
		t.Errorf("after deactivation prohibit_login|stamped = %v", got)
	}

	// A create stamps both columns.
	start = now()
	r = e.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"carol","name":{"givenName":"Carol","familyName":"King"},"emails":[{"type":"work","value":"carol@acme.test"}]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST = %d %s", r.Status, r.Body)
	}
	end = now()
	id := r.json(t)["id"].(string)
	row := e.query("SELECT full_name, created_unix, updated_unix, type FROM `user` WHERE id = ?", id)
	c, _ := strconv.ParseInt(row[1], 10, 64)
	if row[0] != "Carol King" || c < start || c > end || row[2] != row[1] || row[3] != "0" {
		t.Errorf("created row = %v, want Carol King stamped in [%d, %d], type 0", row, start, end)
	}
}

// mattermostSchema is the part of Mattermost's Users table these tests
// use: CreateAt and UpdateAt are epoch milliseconds.
const mattermostSchema = "CREATE TABLE `Users` (`Id` VARCHAR(26) NOT NULL PRIMARY KEY, `CreateAt` BIGINT(20) NULL, `UpdateAt` BIGINT(20) NULL," +
	"`DeleteAt` BIGINT(20) NULL, `Username` VARCHAR(64) NULL, `FirstName` VARCHAR(64) NULL, `LastName` VARCHAR(64) NULL, `Email` VARCHAR(128) NULL," +
	"UNIQUE KEY `Username` (`Username`)) DEFAULT CHARSET=utf8mb4;\n" +
	"INSERT INTO `Users` VALUES ('u1', 1767323045123, 1767409445999, 0, 'alice', 'Alice', 'Smith', 'alice@acme.test');"

const mattermostYAML = `
database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "` + testToken + `" } ] }
users:
  table: Users
  id: Id
  scope: { DeleteAt: 0 }
  meta:
    created: { column: CreateAt, epoch: milliseconds }
    version: { column: UpdateAt, epoch: milliseconds }
  attributes:
    userName: { column: Username }
    name.givenName: { column: FirstName }
    name.familyName: { column: LastName }
`

// TestEpochMilliseconds reads Mattermost's millisecond times, uses UpdateAt
// as the version, and stamps it with the database's clock in milliseconds.
func TestEpochMilliseconds(t *testing.T) {
	cfg, err := mapping.Parse("mattermost.yaml", []byte(mattermostYAML))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, cfg, mattermostSchema)
	r := e.get("/Users/u1")
	meta := r.json(t)["meta"].(map[string]any)
	if meta["created"] != "2026-01-02T03:04:05Z" || meta["lastModified"] != "2026-01-03T03:04:05Z" || meta["version"] != `W/"1767409445999"` || r.Header.Get("ETag") != `W/"1767409445999"` {
		t.Errorf("meta = %v, ETag %s", meta, r.Header.Get("ETag"))
	}
	if r := e.get(`/Users?filter=meta.lastModified%20gt%20%222026-01-03T03:04:05.998Z%22`); !strings.Contains(string(r.Body), `"totalResults":1`) {
		t.Errorf("filter gt .998 = %s", r.Body)
	}
	if r := e.get(`/Users?filter=meta.lastModified%20gt%20%222026-01-03T03:04:05.999Z%22`); !strings.Contains(string(r.Body), `"totalResults":0`) {
		t.Errorf("filter gt .999 = %s", r.Body)
	}
	ms := func() int64 {
		n, _ := strconv.ParseInt(e.query("SELECT ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000)")[0], 10, 64)
		return n
	}
	start := ms()
	r = e.do(http.MethodPatch, "/Users/u1", jsonPatch(`{"op":"replace","path":"name.givenName","value":"Alicia"}`), "If-Match", `W/"1767409445999"`)
	if r.Status != http.StatusOK {
		t.Fatalf("PATCH = %d %s", r.Status, r.Body)
	}
	end := ms()
	stamped, _ := strconv.ParseInt(e.query("SELECT UpdateAt FROM `Users` WHERE Id = 'u1'")[0], 10, 64)
	if stamped < start || stamped > end {
		t.Errorf("UpdateAt = %d, want the write's time in ms, in [%d, %d]", stamped, start, end)
	}
	if want := `W/"` + strconv.FormatInt(stamped, 10) + `"`; r.Header.Get("ETag") != want {
		t.Errorf("ETag = %s, want %s", r.Header.Get("ETag"), want)
	}
	// The old version no longer matches.
	if r := e.do(http.MethodPatch, "/Users/u1", jsonPatch(`{"op":"replace","path":"name.givenName","value":"Al"}`), "If-Match", `W/"1767409445999"`); r.Status != http.StatusPreconditionFailed {
		t.Errorf("stale If-Match = %d, want 412", r.Status)
	}
}

// TestComposedFilterAgreesWithRead stores names of every awkward shape
// and checks, for filters on name.givenName and name.familyName, that the
// SQL selects exactly the users whose parts, as GET reads them, match.
func TestComposedFilterAgreesWithRead(t *testing.T) {
	e := newGiteaEnv(t)
	names := []any{"Alice Smith", "Cher", "Mary Ann Smith", " Smith", "Alice  Smith", "Jan van der Berg", "Ünal Öz", "ünal öz",
		"Smith Smith", "A B C", "Trailing ", "Nbsp\u00a0Name Last", "", nil, "SMITH", "smith x", "O'Brien Sean", "100% Real", "a_b c"}
	for i, n := range names {
		v := "NULL"
		if s, ok := n.(string); ok {
			v = "'" + strings.ReplaceAll(s, "'", "''") + "'"
		}
		legacytest.MustExec(t, e.dsn, "INSERT INTO `user` (id, name, full_name, email, passwd, type, created_unix, updated_unix) VALUES ("+
			strconv.Itoa(100+i)+", 'u"+strconv.Itoa(i)+"', "+v+", 'u"+strconv.Itoa(i)+"@acme.test', '', 0, 1, 1)")
	}
	// The parts as GET reads them, by id.
	parts := map[string][2]string{}
	r := e.get("/Users?count=100")
	for _, u := range r.json(t)["Resources"].([]any) {
		m := u.(map[string]any)
		var p [2]string
		if nm, ok := m["name"].(map[string]any); ok {
			p[0], _ = nm["givenName"].(string)
			p[1], _ = nm["familyName"].(string)
		}
		parts[m["id"].(string)] = p
	}
	type check struct {
		filter string
		match  func(p [2]string) bool
	}
	var checks []check
	lower := strings.ToLower
	for _, v := range []string{"Alice", "Smith", "smith", "Ann Smith", "van der Berg", "Öz", "ünal", "Cher", " Smith", "Name Last", "B C", "100%", "a_b"} {
		v := v
		for i, attr := range []string{"name.givenName", "name.familyName"} {
			i := i
			checks = append(checks,
				check{attr + ` eq ` + strconv.Quote(v), func(p [2]string) bool { return p[i] != "" && lower(p[i]) == lower(v) }},
				check{attr + ` sw ` + strconv.Quote(v), func(p [2]string) bool { return p[i] != "" && strings.HasPrefix(lower(p[i]), lower(v)) }},
				check{attr + ` ew ` + strconv.Quote(v), func(p [2]string) bool { return p[i] != "" && strings.HasSuffix(lower(p[i]), lower(v)) }},
				check{attr + ` co ` + strconv.Quote(v), func(p [2]string) bool { return p[i] != "" && strings.Contains(lower(p[i]), lower(v)) }},
				check{attr + ` gt ` + strconv.Quote(v), func(p [2]string) bool { return p[i] != "" && lower(p[i]) > lower(v) }},
				check{`not (` + attr + ` eq ` + strconv.Quote(v) + `)`, func(p [2]string) bool { return !(p[i] != "" && lower(p[i]) == lower(v)) }},
			)
		}
	}
	checks = append(checks,
		check{`name.givenName pr`, func(p [2]string) bool { return p[0] != "" }},
		check{`name.familyName pr`, func(p [2]string) bool { return p[1] != "" }},
		check{`name.givenName eq "Mary" and name.familyName eq "Ann Smith"`, func(p [2]string) bool { return p == [2]string{"Mary", "Ann Smith"} }},
	)
	for _, c := range checks {
		var want []string
		for id, p := range parts {
			if c.match(p) {
				want = append(want, id)
			}
		}
		sort.Strings(want)
		r := e.get("/Users?count=100&filter=" + url.QueryEscape(c.filter))
		if r.Status != http.StatusOK {
			t.Errorf("filter %s = %d %s", c.filter, r.Status, r.Body)
			continue
		}
		var got []string
		for _, u := range r.json(t)["Resources"].([]any) {
			got = append(got, u.(map[string]any)["id"].(string))
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("filter %s = [%s], want [%s] (the users whose parts read so)", c.filter, strings.Join(got, ","), strings.Join(want, ","))
		}
	}
	t.Logf("%d filters over %d users agree with the parts GET reads", len(checks), len(parts))
}
