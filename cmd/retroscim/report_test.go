package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/legacytest/golden"
)

// reportEntries are the dry-run records of a day of Okta: two tenants,
// profile pushes that disagree, a deactivation undone, members added and
// removed again, a new group, refusals and a request that changes nothing.
func reportEntries() []legacy.DryRunEntry {
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	write := []legacy.DryRunStatement{{Tx: 1, Kind: "begin"}, {Tx: 1, Kind: "write", SQL: "UPDATE `users` SET ..."}, {Tx: 1, Kind: "commit"}}
	e := func(req, tenant, typ, id, kind string, status int, changes string) legacy.DryRunEntry {
		at = at.Add(time.Minute)
		return legacy.DryRunEntry{At: at, RequestID: req, Tenant: tenant, ResourceType: typ, ResourceID: id, Kind: kind, Status: status, Changes: changes, Statements: write}
	}
	refused := func(req, tenant, typ, id string, status int, scimType, detail string) legacy.DryRunEntry {
		r := e(req, tenant, typ, id, "refused", status, "[]")
		r.SCIMType, r.Detail, r.Statements = scimType, detail, nil
		return r
	}
	return []legacy.DryRunEntry{
		e("r01", "1", "User", "2", "update", 200, `[{"attribute":"name.givenName","before":"Alice","after":"Alicia","columns":["first_name"]},{"attribute":"title","before":"Engineer","after":"CTO","columns":["job_title"]}]`),
		e("r02", "1", "User", "2", "update", 200, `[{"attribute":"name.givenName","before":"Alice","after":"Ali","columns":["first_name"]}]`),
		e("r03", "1", "User", "4", "deactivate", 200, `[{"attribute":"active","before":true,"after":false,"columns":["is_active"]}]`),
		e("r04", "1", "User", "4", "reactivate", 200, `[{"attribute":"active","before":false,"after":true,"columns":["is_active"]}]`),
		e("r05", "1", "User", "7", "deactivate", 200, `[{"attribute":"active","before":true,"after":false,"columns":["is_active"]}]`),
		e("r06", "1", "User", "3", "unchanged", 200, "[]"),
		e("r07", "1", "Group", "", "create", 403, `[{"attribute":"displayName","before":null,"after":"Persona-Developer","columns":["name"]}]`),
		e("r08", "1", "Group", "3", "members", 204, `{"added":["5","6"],"removed":[]}`),
		e("r09", "1", "Group", "3", "members", 204, `{"added":[],"removed":["5"]}`),
		refused("r10", "1", "User", "1", 404, "", `User "1" not found`),
		refused("r11", "1", "User", "", 403, "", "users are created by the application when they first sign in through SSO"),
		refused("r12", "1", "User", "9", 404, "", `User "9" not found`),
		e("r13", "2", "User", "8", "update", 200, `[{"attribute":"emails[type eq \"work\"].value","before":"frank@globex.test","after":"f.fischer@globex.test","columns":["email"]}]`),
		refused("r14", "2", "User", "8", 400, "invalidValue", "title is longer than 100 characters"),
	}
}

// TestReportGolden renders the same records as text and as JSON.
func TestReportGolden(t *testing.T) {
	rep := buildReport(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), reportEntries())
	var text bytes.Buffer
	printReport(&text, rep)
	golden.Compare(t, filepath.Join("testdata", "report", "day.txt"), text.Bytes())
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Compare(t, filepath.Join("testdata", "report", "day.json"), []byte(string(b)+"\n"))

	var empty bytes.Buffer
	printReport(&empty, buildReport(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), nil))
	golden.Compare(t, filepath.Join("testdata", "report", "empty.txt"), empty.Bytes())
}
