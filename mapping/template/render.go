package template

import (
	"fmt"
	"strings"
)

// Render composes the column's value from the parts' values, one per part
// in order: each empty part is left out with the literal before it (the
// one after it, for the first part), and Lead and Trail surround what is
// left. When every part is empty the result is "", the cleared value.
// Render panics if len(values) != len(t.Parts).
func (t *Template) Render(values []string) string {
	if len(values) != len(t.Parts) {
		panic(fmt.Sprintf("template: Render of %q with %d values, want %d", t.String(), len(values), len(t.Parts)))
	}
	var b strings.Builder
	for i, v := range values {
		if v == "" {
			continue
		}
		if b.Len() == 0 {
			b.WriteString(t.Lead)
		} else {
			b.WriteString(t.Parts[i].Sep)
		}
		b.WriteString(v)
	}
	if b.Len() == 0 {
		return ""
	}
	b.WriteString(t.Trail)
	return b.String()
}
