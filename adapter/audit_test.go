package adapter

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
)

// column returns the first column of every row a SELECT returns.
func (e *env) column(stmt string, args ...any) []string {
	e.t.Helper()
	rows, err := e.store.DB().Query(stmt, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// logLines returns the JSON log lines with the given msg.
func (e *env) logLines(msg string) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(e.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// TestAuditRequestIDs: the client's X-Request-Id is kept beside the
// server's own request id, never in its place (issue 11, item 9).
func TestAuditRequestIDs(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"title","value":"CTO"}]}`, "X-Request-Id", "okta-req-7f3a")
	if r.Status != http.StatusOK {
		t.Fatalf("PATCH = %d %s", r.Status, r.Body)
	}
	id := r.Header.Get("X-Request-Id")
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(id) {
		t.Errorf("X-Request-Id = %q, want the server's own id", id)
	}
	row := e.query("SELECT request_id, client_request_id, status FROM retroscim_audit")
	if row[0] != id || row[1] != "okta-req-7f3a" || row[2] != "200" {
		t.Errorf("audit request_id, client_request_id, status = %q, want %q, %q, 200", row, id, "okta-req-7f3a")
	}
	for _, msg := range []string{"write", "request"} {
		lines := e.logLines(msg)
		if len(lines) == 0 || lines[len(lines)-1]["request_id"] != id || lines[len(lines)-1]["client_request_id"] != "okta-req-7f3a" {
			t.Errorf("%q log line = %v", msg, lines)
		}
	}
	// A client id that is not one (too long, spaces) is not kept.
	e.do(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"title","value":"CEO"}]}`, "X-Request-Id", "a b; Set-Cookie: x")
	if got := e.column("SELECT client_request_id FROM retroscim_audit ORDER BY id"); len(got) != 2 || got[1] != "" {
		t.Errorf("client ids = %q", got)
	}
}

// TestAuditRefusedWrites: a write that is refused or fails is recorded
// with its outcome (status, scimType, detail) and no changes, in the
// audit table and as a "write not applied" log line; no "write" line
// claims it (issue 11, item 9).
func TestAuditRefusedWrites(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, method, path, body string
		headers                  []string
		status                   string
		scimType, detail, op, id string
	}{
		{"too long", "PATCH", "/Users/5", `{"Operations":[{"op":"replace","path":"title","value":"` + strings.Repeat("x", 101) + `"}]}`, nil,
			"400", "invalidValue", "title", "update", "5"},
		{"not found", "PUT", "/Users/999", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x@acme.test"}`, nil,
			"404", "", "not found", "update", "999"},
		{"precondition", "DELETE", "/Users/2", "", []string{"If-Match", `W/"nope"`},
			"412", "", "has changed", "delete", "2"},
		{"create deny", "POST", "/Users", `{"userName":"new@acme.test"}`, nil,
			"403", "", "users.create: deny", "create", ""},
		{"uniqueness", "PATCH", "/Groups/2", `{"Operations":[{"op":"replace","path":"displayName","value":"developer"}]}`, nil,
			"409", "uniqueness", "already taken", "update", "2"},
		{"malformed", "PATCH", "/Users/2", `{"Operations":`, nil,
			"400", "invalidSyntax", "", "update", "2"},
	}
	sum := legacytest.Checksum(t, e.dsn, "users") + legacytest.Checksum(t, e.dsn, "roles")
	for i, tt := range tests {
		r := e.do(tt.method, tt.path, tt.body, tt.headers...)
		if itoa(r.Status) != tt.status {
			t.Fatalf("%s: %d %s, want %s", tt.name, r.Status, r.Body, tt.status)
		}
		row := e.query("SELECT status, scim_type, detail, operation, resource_id, changes, request_id FROM retroscim_audit ORDER BY id DESC LIMIT 1")
		if n := e.query("SELECT COUNT(*) FROM retroscim_audit")[0]; n != itoa(i+1) {
			t.Fatalf("%s: %s audit entries, want %d", tt.name, n, i+1)
		}
		if row[0] != tt.status || row[1] != tt.scimType || !strings.Contains(row[2], tt.detail) || row[3] != tt.op || row[4] != tt.id || row[5] != "[]" {
			t.Errorf("%s: entry (status, scimType, detail, op, id, changes) = %q", tt.name, row[:6])
		}
		if row[2] != r.json(t)["detail"] || row[6] != r.Header.Get("X-Request-Id") {
			t.Errorf("%s: entry detail %q / request %q, the client was told %q / %q", tt.name, row[2], row[6], r.json(t)["detail"], r.Header.Get("X-Request-Id"))
		}
	}
	if legacytest.Checksum(t, e.dsn, "users")+legacytest.Checksum(t, e.dsn, "roles") != sum {
		t.Error("a refused write changed a table")
	}
	if lines := e.logLines("write"); len(lines) != 0 {
		t.Errorf("refused writes logged as writes: %v", lines)
	}
	lines := e.logLines("write not applied")
	if len(lines) != len(tests) || lines[0]["outcome"] != "refused" || lines[0]["status"] != float64(400) || lines[0]["scim_type"] != "invalidValue" {
		t.Errorf("write not applied lines = %v", lines)
	}
	// Reads and requests without a valid token are not writes.
	e.get("/Users/2")
	e.do(http.MethodPatch, "/Users/2", `{}`, "Authorization", "Bearer wrong-token-0123456789")
	if n := e.query("SELECT COUNT(*) FROM retroscim_audit")[0]; n != itoa(len(tests)) {
		t.Errorf("%s audit entries after a read and an unauthenticated PATCH, want %d", n, len(tests))
	}
}

// TestNoWriteLineForRollback: a write whose transaction records an entry
// and then fails leaves no "write" log line and no committed entry: the
// line is written after COMMIT (issue 11, item 9; before, the line came
// with the entry, inside the transaction).
func TestNoWriteLineForRollback(t *testing.T) {
	e := newEnv(t)
	// The rename is recorded, then the unknown member rolls it all back.
	r := e.do(http.MethodPatch, "/Groups/2", `{"Operations":[{"op":"replace","value":{"displayName":"Renamed"}},{"op":"add","path":"members","value":[{"value":"999"}]}]}`)
	if r.Status != http.StatusBadRequest {
		t.Fatalf("PATCH = %d %s", r.Status, r.Body)
	}
	if lines := e.logLines("write"); len(lines) != 0 {
		t.Errorf("a rolled-back write was logged as a write: %v", lines)
	}
	if got := e.column("SELECT CONCAT(operation, ' ', status) FROM retroscim_audit"); strings.Join(got, ",") != "update 400" {
		t.Errorf("audit entries = %q, want the refusal only", got)
	}
	// The same rename alone commits and is logged once, with its outcome.
	if r := e.do(http.MethodPatch, "/Groups/2", `{"Operations":[{"op":"replace","value":{"displayName":"Renamed"}}]}`); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH = %d %s", r.Status, r.Body)
	}
	lines := e.logLines("write")
	if len(lines) != 1 || lines[0]["outcome"] != "committed" || lines[0]["status"] != float64(204) {
		t.Errorf("write lines = %v", lines)
	}
}

// TestRefusalAuditBestEffort: when the refusal's audit entry cannot be
// written, the client still gets the refusal, and the log says so.
func TestRefusalAuditBestEffort(t *testing.T) {
	e := newEnv(t)
	legacytest.MustExec(t, e.dsn, "RENAME TABLE retroscim_audit TO retroscim_audit_away")
	r := e.do(http.MethodPatch, "/Users/5", `{"Operations":[{"op":"replace","path":"title","value":"`+strings.Repeat("x", 101)+`"}]}`)
	if r.Status != http.StatusBadRequest || r.json(t)["scimType"] != "invalidValue" {
		t.Errorf("refused write without an audit table = %d %s, want its 400", r.Status, r.Body)
	}
	if !strings.Contains(e.logs.String(), "could not record a write that was not applied in the audit table") {
		t.Errorf("the failed audit insert is not logged:\n%s", e.logs.String())
	}
	// A committed write keeps its entry in its transaction: without the
	// table, nothing is written.
	sum := legacytest.Checksum(t, e.dsn, "users")
	if r := e.do(http.MethodPatch, "/Users/2", `{"Operations":[{"op":"replace","path":"title","value":"CTO"}]}`); r.Status < 500 {
		t.Errorf("write without an audit table = %d, want a 5xx", r.Status)
	}
	if legacytest.Checksum(t, e.dsn, "users") != sum {
		t.Error("a write whose audit entry failed was applied")
	}
}
