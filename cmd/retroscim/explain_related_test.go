package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/legacy/legacytest/golden"
)

// TestExplainRelated shows, on the Redmine example, that a read of a user
// whose e-mail is a related row is one statement, and that Okta's profile
// push with a new address is the user's UPDATE and the related row's, in
// one transaction.
func TestExplainRelated(t *testing.T) {
	schema, err := os.ReadFile("../../examples/redmine/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("RETROSCIM_DSN", legacytest.NewDatabase(t, string(schema)))
	t.Setenv("RETROSCIM_TOKEN", "explain-test-token-0123456789")
	tests := []struct {
		name, request, body string
		reads               int
		keys                []string
	}{
		{"related-get", `GET /Users/3`, "", 1, []string{"PRIMARY", "ix_email_addresses_user_id_is_default_address"}},
		{"related-patch", `PATCH /Users/3`, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"name":{"familyName":"Baker-Ortiz"},"emails":[{"primary":true,"type":"work","value":"bob.bo@example.net"}]}}]}`, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"explain", "--config", "../../examples/redmine/config.yaml"}
			if tt.body != "" {
				args = append(args, "--body", "-")
			}
			code, out, errOut := runCmd(t, tt.body, append(args, tt.request)...)
			if code != 0 {
				t.Fatalf("explain: exit %d: %s", code, errOut)
			}
			golden.Compare(t, filepath.Join("testdata", "explain", tt.name+".txt"), []byte(withoutPlans(out)))
			if n := strings.Count(out, ". read\n"); n != tt.reads {
				t.Errorf("%d reads, want %d:\n%s", n, tt.reads, out)
			}
			if tt.keys != nil {
				if got := planKeys(out); strings.Join(got, ",") != strings.Join(tt.keys, ",") {
					t.Errorf("the read uses indexes %v, want %v:\n%s", got, tt.keys, out)
				}
			}
		})
	}
}
