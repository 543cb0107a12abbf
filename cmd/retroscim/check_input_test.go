package main

import (
	"strings"
	"testing"

	"github.com/retroscim/retroscim/mapping"
)

// TestCheckExplainsEquality: check says what the collation of each
// attribute accounts are linked by does to equality, what retroscim
// compares instead, and where the app's own unique key disagrees.
func TestCheckExplainsEquality(t *testing.T) {
	tests := []struct {
		name   string
		schema [2]string
		want   []string // substrings of the userName findings, in order
	}{
		{"general_ci with a unique key", [2]string{},
			[]string{
				`login uses utf8mb4_general_ci, which ignores case, accents ("josé" = "jose") and trailing spaces ("bob " = "bob"): userName eq compares under it first (so an index on login serves the lookup), then compares the bytes with only case folded, so values differing in accents or trailing spaces are different values`,
				`the app's unique key uq_accounts_login compares login under utf8mb4_general_ci: where retroscim sees two different values (differing in accents or trailing spaces), the database refuses the second, and that write is answered 409 uniqueness`,
			}},
		{"unicode_nopad_ci without a unique key",
			[2]string{"login      VARCHAR(100) NOT NULL", "login      VARCHAR(100) COLLATE utf8mb4_unicode_nopad_ci NOT NULL"},
			[]string{`login uses utf8mb4_unicode_nopad_ci, which ignores case and accents ("josé" = "jose"): userName eq compares under it first`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schema := checkSchema
			if tt.schema[0] != "" {
				schema = strings.Replace(schema, tt.schema[0], tt.schema[1], 1)
				schema = strings.Replace(schema, "UNIQUE KEY uq_accounts_login (org_id, login)", "KEY ix_accounts_login (org_id, login)", 1)
			}
			_, rep, _ := runCheck(t, schema, checkConfig)
			var got []string
			for _, f := range rep.Findings {
				if f.Key == "users.attributes.userName" && f.Check == "collation" {
					if f.Severity != mapping.SevNote {
						t.Errorf("%s finding: %s", f.Severity, f.Message)
					}
					got = append(got, f.Message)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("userName collation findings:\n%s\nwant %d", strings.Join(got, "\n"), len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("finding %d = %q\nwant it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

// TestCheckFlagsNoDeactivation: a users mapping without active: is
// served, but check warns that Okta's and Entra's deactivations will be
// refused.
func TestCheckFlagsNoDeactivation(t *testing.T) {
	config := strings.Replace(checkConfig, "  delete: deactivate\n  active: { column: enabled, true: Y, false: N }\n", "  delete: deny\n", 1)
	if config == checkConfig {
		t.Fatal("checkConfig has no active line")
	}
	code, rep, _ := runCheck(t, checkSchema, config)
	var found []mapping.Finding
	for _, f := range rep.Findings {
		if f.Check == "deactivate" {
			found = append(found, f)
		}
	}
	if len(found) != 1 || found[0].Severity != mapping.SevWarning || found[0].Key != "users.active" || found[0].Line != lineIn(config, "table: accounts") ||
		!strings.Contains(found[0].Message, "answered 400 mutability: this mapping has no way to deactivate a user") || !strings.Contains(found[0].Message, "active: { deactivate: delete }") {
		t.Errorf("deactivate findings = %s", describeFindings(found))
	}
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
}
