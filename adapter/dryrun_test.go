package adapter

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// tableState is every table of a database but the dry-run record: its
// CHECKSUM TABLE and its next AUTO_INCREMENT value, which an INSERT moves
// even when it is rolled back.
func tableState(t *testing.T, dsn string) map[string]string {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT TABLE_NAME, COALESCE(AUTO_INCREMENT, 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> 'retroscim_dry_run' ORDER BY TABLE_NAME")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, next string
		if err := rows.Scan(&name, &next); err != nil {
			t.Fatal(err)
		}
		out[name] = next
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for name, next := range out {
		out[name] = "checksum " + legacytest.Checksum(t, dsn, name) + ", auto_increment " + next
	}
	return out
}

// assertUnchanged fails for each table whose state differs from before.
func assertUnchanged(t *testing.T, before, after map[string]string) {
	t.Helper()
	if len(before) < 3 {
		t.Fatalf("only %d tables checked: %v", len(before), before)
	}
	for name, was := range before {
		if now := after[name]; now != was {
			t.Errorf("table %s changed in a dry run: %s, was %s", name, now, was)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("table %s appeared in a dry run", name)
		}
	}
}

// dryRunStep is one request of an identity provider's flow and what the
// dry run must answer and record.
type dryRunStep struct {
	name         string
	method, path string
	body         string
	status       int
	// kind is the dry-run record's kind; "" for reads, which leave none.
	kind string
	// check looks at the answer.
	check func(t *testing.T, r response)
}

// runDryRunFlow serves steps as tok, checks each answer carries the dry
// run's Warning, and returns the dry-run records in order.
func runDryRunFlow(t *testing.T, e *env, tok string, steps []dryRunStep) []legacy.DryRunEntry {
	t.Helper()
	for _, st := range steps {
		r := e.do(st.method, st.path, st.body, bearer(tok)...)
		if r.Status != st.status {
			t.Fatalf("%s: %s %s = %d %s, want %d", st.name, st.method, st.path, r.Status, r.Body, st.status)
		}
		if got := r.Header.Get("Warning"); got != DryRunWarning {
			t.Errorf("%s: Warning = %q, want %q", st.name, got, DryRunWarning)
		}
		if st.check != nil {
			st.check(t, r)
		}
	}
	entries, err := e.store.DryRunEntries(context.Background(), e.own, legacy.DryRunQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, st := range steps {
		if st.kind != "" {
			want = append(want, st.name+": "+st.kind)
		}
	}
	var got []string
	for i, en := range entries {
		name := "?"
		if i < len(want) {
			name, _, _ = strings.Cut(want[i], ":")
		}
		got = append(got, name+": "+en.Kind)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("dry-run records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	return entries
}

func field(t *testing.T, r response, key string) any {
	t.Helper()
	return r.json(t)[key]
}

// TestDryRunOktaFlow serves Okta's and Entra's provisioning flows in
// dry-run mode over the sample app with a stored token: lookups, profile
// push, PUT, deactivate, reactivate, group push (create, add and remove
// members), refusals. Every answer carries the Warning; no table of the
// app or of retroscim changes (checksums and AUTO_INCREMENT), not even
// the token's use time; the dry-run table holds one record per would-be
// change, with its statements.
func TestDryRunOktaFlow(t *testing.T) {
	cfg, err := mapping.LoadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.DryRun = true
	e := newEnvWith(t, cfg, sampleSchema(t))
	tok, _ := e.createToken("okta-prod", "1", 0)
	before := tableState(t, e.dsn)

	active := func(want bool) func(*testing.T, response) {
		return func(t *testing.T, r response) {
			if got := field(t, r, "active"); got != want {
				t.Errorf("active = %v, want %v: %s", got, want, r.Body)
			}
		}
	}
	steps := []dryRunStep{
		{name: "okta lookup", method: http.MethodGet, path: `/Users?filter=userName%20eq%20%22alice@acme.test%22`, status: 200,
			check: func(t *testing.T, r response) {
				if n := field(t, r, "totalResults"); n != 1.0 {
					t.Errorf("totalResults = %v", n)
				}
			}},
		{name: "okta profile push", method: http.MethodPatch, path: "/Users/2", body: request(t, "okta_profile_pathless"), status: 200, kind: "update",
			check: func(t *testing.T, r response) {
				// The answer shows the row as the write would have left it.
				if name := field(t, r, "name").(map[string]any)["givenName"]; name != "Alicia" {
					t.Errorf("givenName = %v, want Alicia (as written): %s", name, r.Body)
				}
			}},
		{name: "okta put", method: http.MethodPut, path: "/Users/2", body: request(t, "okta_put"), status: 200, kind: "update"},
		{name: "okta deactivate", method: http.MethodPatch, path: "/Users/4", body: request(t, "okta_deactivate"), status: 200, kind: "deactivate", check: active(false)},
		{name: "okta reads it back", method: http.MethodGet, path: "/Users/4", status: 200, check: active(true)},
		{name: "okta reactivate", method: http.MethodPatch, path: "/Users/3", body: request(t, "okta_reactivate"), status: 200, kind: "reactivate", check: active(true)},
		{name: "okta group lookup", method: http.MethodGet, path: `/Groups?filter=displayName%20eq%20%22Persona-Developer%22`, status: 200},
		{name: "okta group create", method: http.MethodPost, path: "/Groups", body: request(t, "group_okta_create"), status: 403, kind: "create",
			check: func(t *testing.T, r response) {
				if d, _ := field(t, r, "detail").(string); !strings.Contains(d, "dry run") {
					t.Errorf("detail = %q", d)
				}
			}},
		{name: "okta add members", method: http.MethodPatch, path: "/Groups/3", body: request(t, "group_okta_add_members"), status: 204, kind: "members"},
		{name: "okta remove member", method: http.MethodPatch, path: "/Groups/2", body: request(t, "group_okta_remove_member"), status: 204, kind: "members"},
		{name: "entra replace", method: http.MethodPatch, path: "/Users/2", body: request(t, "entra_replace"), status: 200, kind: "update"},
		{name: "entra disable", method: http.MethodPatch, path: "/Users/7", body: request(t, "entra_disable_string_boolean"), status: 200, kind: "deactivate", check: active(false)},
		{name: "entra add member", method: http.MethodPatch, path: "/Groups/1", body: request(t, "group_entra_add_members"), status: 204, kind: "members"},
		{name: "out of scope", method: http.MethodPatch, path: "/Users/1", body: request(t, "okta_deactivate"), status: 404, kind: "refused"},
		{name: "create denied", method: http.MethodPost, path: "/Users", body: request(t, "okta_create"), status: 403, kind: "refused"},
		{name: "already active", method: http.MethodPatch, path: "/Users/2", body: request(t, "okta_reactivate"), status: 200, kind: "unchanged"},
		{name: "okta delete", method: http.MethodDelete, path: "/Users/4", status: 204, kind: "deactivate"},
	}
	entries := runDryRunFlow(t, e, tok, steps)
	e.srv.Close(context.Background()) // writes pending token use times, if any were kept
	assertUnchanged(t, before, tableState(t, e.dsn))

	writes := 0
	for _, en := range entries {
		if en.Tenant != "1" || en.TokenName != "okta-prod" || en.RequestID == "" {
			t.Errorf("%s %s: tenant %q, token %q, request id %q", en.Kind, en.ResourceID, en.Tenant, en.TokenName, en.RequestID)
		}
		n := 0
		for _, st := range en.Statements {
			if st.Kind == "write" {
				n++
			}
		}
		switch en.Kind {
		case "refused", "unchanged":
			if n != 0 {
				t.Errorf("%s %s recorded %d writes: %+v", en.Kind, en.ResourceID, n, en.Statements)
			}
		default:
			if n == 0 {
				t.Errorf("%s %s recorded no write statement", en.Kind, en.ResourceID)
			}
		}
		writes += n
	}
	t.Logf("%d dry-run records, %d write statements recorded", len(entries), writes)
	byID := func(kind, id string) legacy.DryRunEntry {
		for _, en := range entries {
			if en.Kind == kind && en.ResourceID == id {
				return en
			}
		}
		t.Fatalf("no %s record for %s", kind, id)
		return legacy.DryRunEntry{}
	}
	deact := byID("deactivate", "7")
	if !strings.Contains(deact.Changes, `"attribute":"active","before":true,"after":false,"columns":["is_active"]`) {
		t.Errorf("deactivation changes = %s", deact.Changes)
	}
	if w := deact.Statements[1]; w.Kind != "write" || !strings.HasPrefix(w.SQL, "UPDATE `users` SET `is_active` = ?") || w.Args[0] != "0" {
		t.Errorf("deactivation statement = %+v", w)
	}
	if m := byID("members", "3"); m.Changes != `{"added":["5"],"removed":[]}` {
		t.Errorf("members of 3 = %s", m.Changes)
	}
	if r := byID("refused", "1"); r.Status != 404 || r.Detail == "" {
		t.Errorf("refusal = %d %q", r.Status, r.Detail)
	}
	if n := e.query("SELECT COUNT(*) FROM retroscim_audit WHERE resource_type <> 'Token'")[0]; n != "0" {
		t.Errorf("%s audit entries written in a dry run", n)
	}
	if lines := e.logLines("write"); len(lines) != 0 {
		t.Errorf("a dry run logged %d writes as made: %v", len(lines), lines)
	}
}

// TestDryRunRedactsPasswords records a password change without its value
// or its hash.
func TestDryRunRedactsPasswords(t *testing.T) {
	src := strings.Replace(string(mustReadFile(t, "../config.yaml")), "    externalId:                   { column: okta_id }\n",
		"    externalId:                   { column: okta_id }\n    password: { column: password_hash, hash: bcrypt }\n", 1)
	cfg, err := mapping.Parse("password.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.DryRun = true
	e := newEnvWith(t, cfg, sampleSchema(t))
	before := tableState(t, e.dsn)
	if r := e.do(http.MethodPut, "/Users/2", request(t, "okta_put")); r.Status != 200 {
		t.Fatalf("PUT = %d %s", r.Status, r.Body)
	}
	assertUnchanged(t, before, tableState(t, e.dsn))
	stmts := e.query("SELECT statements FROM retroscim_dry_run")[0]
	if strings.Contains(stmts, "1mz050nq") || strings.Contains(stmts, "$2a$") || !strings.Contains(stmts, legacy.Redacted) {
		t.Errorf("statements show the password or its hash: %s", stmts)
	}
	var recorded []legacy.DryRunStatement
	if err := json.Unmarshal([]byte(stmts), &recorded); err != nil || len(recorded) < 2 {
		t.Fatalf("statements = %s (%v)", stmts, err)
	}
}

// TestDryRunGitea runs the same flows over a real open-source app's
// tables: Gitea's `user`, `team` and `team_user` (examples/gitea).
func TestDryRunGitea(t *testing.T) {
	cfg, err := mapping.LoadFile("../examples/gitea/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.DryRun = true
	e := newEnvWith(t, cfg, string(mustReadFile(t, "../examples/gitea/schema.sql")))
	tok, _ := e.createToken("okta-gitea", "", 0)
	before := tableState(t, e.dsn)

	patch := func(ops string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
	}
	active := func(want bool) func(*testing.T, response) {
		return func(t *testing.T, r response) {
			if got := field(t, r, "active"); got != want {
				t.Errorf("active = %v, want %v: %s", got, want, r.Body)
			}
		}
	}
	steps := []dryRunStep{
		{name: "okta lookup", method: http.MethodGet, path: `/Users?filter=userName%20eq%20%22ALICE%22`, status: 200,
			check: func(t *testing.T, r response) {
				if n := field(t, r, "totalResults"); n != 1.0 {
					t.Errorf("totalResults = %v: %s", n, r.Body)
				}
			}},
		{name: "okta profile push", method: http.MethodPatch, path: "/Users/3", status: 200, kind: "update",
			body: patch(`{"op":"replace","value":{"displayName":"Alice A. Anders","emails":[{"primary":true,"value":"alice@acme.test","type":"work"}]}}`),
			check: func(t *testing.T, r response) {
				if got := field(t, r, "displayName"); got != "Alice A. Anders" {
					t.Errorf("displayName = %v", got)
				}
			}},
		{name: "okta put", method: http.MethodPut, path: "/Users/3", status: 200, kind: "update",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice","displayName":"Alice Anderson","externalId":"00u1alice00000000001","emails":[{"primary":true,"value":"alice@acme.test","type":"work"}],"active":true}`},
		{name: "okta deactivate", method: http.MethodPatch, path: "/Users/5", body: request(t, "okta_deactivate"), status: 200, kind: "deactivate", check: active(false)},
		{name: "okta reactivate", method: http.MethodPatch, path: "/Users/4", body: request(t, "okta_reactivate"), status: 200, kind: "reactivate", check: active(true)},
		{name: "okta team lookup", method: http.MethodGet, path: `/Groups?filter=displayName%20eq%20%22Developers%22`, status: 200,
			check: func(t *testing.T, r response) {
				if n := field(t, r, "totalResults"); n != 1.0 {
					t.Errorf("totalResults = %v: %s", n, r.Body)
				}
			}},
		{name: "okta add members", method: http.MethodPatch, path: "/Groups/2", body: request(t, "group_okta_add_members"), status: 204, kind: "members"},
		{name: "okta remove member", method: http.MethodPatch, path: "/Groups/3", body: patch(`{"op":"remove","path":"members[value eq \"4\"]"}`), status: 204, kind: "members"},
		{name: "entra replace", method: http.MethodPatch, path: "/Users/3", body: patch(`{"op":"Replace","path":"displayName","value":"Alice (Entra)"}`), status: 200, kind: "update"},
		{name: "entra disable", method: http.MethodPatch, path: "/Users/5", body: request(t, "entra_disable_string_boolean"), status: 200, kind: "deactivate", check: active(false)},
		{name: "entra add member", method: http.MethodPatch, path: "/Groups/2", body: request(t, "group_entra_add_members"), status: 204, kind: "members"},
		{name: "site admin", method: http.MethodPatch, path: "/Users/1", body: request(t, "okta_deactivate"), status: 404, kind: "refused"},
		{name: "organization", method: http.MethodGet, path: "/Users/2", status: 404},
		{name: "e-mail change", method: http.MethodPatch, path: "/Users/3", body: patch(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"a@acme.test"}`), status: 400, kind: "refused"},
		{name: "team create", method: http.MethodPost, path: "/Groups", body: request(t, "group_okta_create"), status: 403, kind: "refused"},
		{name: "okta delete", method: http.MethodDelete, path: "/Users/3", status: 204, kind: "deactivate"},
	}
	entries := runDryRunFlow(t, e, tok, steps)
	e.srv.Close(context.Background())
	assertUnchanged(t, before, tableState(t, e.dsn))
	writes := 0
	for _, en := range entries {
		for _, st := range en.Statements {
			if st.Kind == "write" {
				writes++
			}
		}
	}
	t.Logf("%d dry-run records, %d write statements recorded", len(entries), writes)
	for _, en := range entries {
		if en.Kind == "deactivate" && en.ResourceID == "5" && !strings.Contains(en.Changes, `"columns":["prohibit_login"]`) {
			t.Errorf("Gitea deactivation = %s", en.Changes)
		}
		if en.Kind == "members" && en.ResourceID == "2" && en.Statements[len(en.Statements)-2].SQL == "" {
			t.Errorf("members statements = %+v", en.Statements)
		}
	}
}
