package listcodec

import "testing"

// TestSingle: Grafana's org_user.role as a codec: add replaces, removal
// of the stored name writes the fallback, anything else is unchanged.
func TestSingle(t *testing.T) {
	c := Single{Fallback: "Viewer"}
	for _, tt := range []struct {
		name, raw, arg, want string
		add                  bool
	}{
		{"add replaces", "Viewer", "Editor", "Editor", true},
		{"add same", "Admin", "Admin", "Admin", true},
		{"remove held", "Editor", "Editor", "Viewer", false},
		{"remove other", "Admin", "Editor", "Admin", false},
		{"remove fallback", "Viewer", "Viewer", "Viewer", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			var err error
			if tt.add {
				got, err = c.Add(tt.raw, []string{tt.arg})
			} else {
				got, err = c.Remove(tt.raw, []string{tt.arg})
			}
			if err != nil || got != tt.want {
				t.Errorf("= %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if ok, _ := c.Contains("Editor", "editor"); ok {
		t.Error("Contains folds case; it must compare exactly")
	}
	if _, err := c.Add("Viewer", []string{"Admin", "Editor"}); err == nil {
		t.Error("Add of two names succeeded")
	}
	if c.Empty() != "Viewer" {
		t.Errorf("Empty = %q", c.Empty())
	}
}
