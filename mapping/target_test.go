package mapping

import (
	"testing"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// TestTargetTemplate: the WHERE of a read by id bound from the template
// built once is the statement that building it per request gives.
func TestTargetTemplate(t *testing.T) {
	typed, err := Parse("typed.yaml", []byte(typedYAML))
	if err != nil {
		t.Fatal(err)
	}
	resources := map[string]*Resource{
		"sample (integer key, tenant)": boundUsers(t, nil),
		"gitea (epoch columns)":        epochResource(t, giteaYAML),
		"mattermost (text key)":        epochResource(t, mattermostYAML),
		"unbound (no column facts)":    typed.Users,
		"manager":                      managerResource(t),
	}
	for name, r := range resources {
		for _, id := range []string{"42", "007", "-1", "18446744073709551615", "18446744073709551616", "abc", "", "a b"} {
			for _, tenant := range []string{"1", "", "x'y"} {
				got, ok := r.Target(id, tenant)
				idp, wantOK := r.IDPredicate(id)
				if ok != wantOK {
					t.Errorf("%s: Target(%q) ok = %v, IDPredicate ok = %v", name, id, ok, wantOK)
					continue
				}
				if !ok {
					continue
				}
				if want := sqlstmt.And(r.ScopePredicate(tenant), idp); !got.where.Same(want) {
					t.Errorf("%s: Target(%q, %q) where\n%s %v\nwant\n%s %v", name, id, tenant, got.where.SQL(), got.where.Args(), want.SQL(), want.Args())
				}
				if want := sqlstmt.And(r.scopeColumnsPredicate(tenant), idp); !got.locked().Same(want) {
					t.Errorf("%s: Target(%q, %q).locked() differs", name, id, tenant)
				}
			}
		}
	}
}
