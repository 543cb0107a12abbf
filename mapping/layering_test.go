package mapping_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering keeps the package V (README, Layout): cmd -> adapter ->
// {mapping, legacy}; mapping imports of legacy only the leaf legacy/sqlstmt;
// sqlstmt imports nothing of retroscim's; nothing below adapter imports
// echo.
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}`, "github.com/retroscim/retroscim/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v: %s", err, out)
	}
	const mod = "github.com/retroscim/retroscim/"
	rules := []struct {
		pkg    string // a package path prefix below the module
		denied func(imp string) bool
		why    string
	}{
		{"mapping", func(imp string) bool {
			return strings.HasPrefix(imp, mod+"legacy") && imp != mod+"legacy/sqlstmt" || strings.HasPrefix(imp, mod+"adapter")
		}, "mapping is pure: of legacy it may import only legacy/sqlstmt"},
		{"legacy", func(imp string) bool {
			return strings.HasPrefix(imp, mod+"mapping") || strings.HasPrefix(imp, mod+"adapter")
		}, "legacy knows SQL, not SCIM"},
		{"legacy/sqlstmt", func(imp string) bool { return strings.HasPrefix(imp, mod) }, "sqlstmt is a leaf"},
		{"mapping", func(imp string) bool { return strings.Contains(imp, "labstack/echo") }, "no echo below adapter"},
		{"legacy", func(imp string) bool { return strings.Contains(imp, "labstack/echo") }, "no echo below adapter"},
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		rel := strings.TrimPrefix(pkg, mod)
		for _, r := range rules {
			if rel != r.pkg && !strings.HasPrefix(rel, r.pkg+"/") {
				continue
			}
			seen++
			for _, imp := range strings.Fields(imports) {
				if r.denied(imp) {
					t.Errorf("%s imports %s: %s", rel, imp, r.why)
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("go list listed none of the packages the rules are about")
	}
}
