package mapping

import (
	"strings"
	"testing"
)

// groups.delete: { set } keeps the group's row and moves it out of the
// scope, as Mattermost archives a team (Teams.DeleteAt = now in ms).
func TestGroupsDeleteSet(t *testing.T) {
	tests := []struct {
		name, delete string
		want         string // "" when the mapping binds
	}{
		{"archive in epoch ms", "{ set: { DeleteAt: now_ms } }", ""},
		{"a write that stays in the scope", "{ set: { DeleteAt: 0 } }", "DeleteAt = 0 leaves the row inside the scope (on DeleteAt), so a deleted group would still be found"},
		{"no set", "{ }", "groups.delete.set: missing"},
		{"deactivate", "deactivate", "groups cannot be deactivated"},
	}
	for _, tt := range tests {
		src := strings.Replace(idYAML, "  id: ID\n", "  id: { column: Id, generate: mattermost }\n  delete: "+tt.delete+"\n", 1)
		cfg, err := Parse("g.yaml", []byte(src))
		if err == nil {
			err = cfg.Bind(idColumns())
		}
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want it to contain %q", tt.name, err, tt.want)
		case tt.want == "":
			if g := cfg.Groups; g.Delete != DeleteOutOfScope || len(g.DeleteSet) != 1 || g.DeleteSet[0].Column != "DeleteAt" {
				t.Errorf("%s: Delete %q, set %v", tt.name, g.Delete, g.DeleteSet)
			}
		}
	}
}
