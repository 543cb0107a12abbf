package mapping

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAppendStringWords: a byte that needs escaping is escaped wherever it
// sits in the string: every output is JSON that reads back as the input.
// (It guarded an 8-bytes-at-a-time fast path, measured and dropped: the
// strings a resource holds are too short for it to pay.)
func TestAppendStringWords(t *testing.T) {
	specials := []string{"\"", "\\", "\x00", "\x1f", "\n", "\x7f", "é", "\u2028", "日本"}
	for _, sp := range specials {
		for n := 0; n <= 24; n++ {
			for pos := 0; pos <= n; pos++ {
				s := strings.Repeat("a", pos) + sp + strings.Repeat("b", n-pos)
				out := AppendJSONString(nil, s)
				var back string
				if err := json.Unmarshal(out, &back); err != nil || back != s {
					t.Fatalf("appendString(%q) = %s: reads back as %q (%v)", s, out, back, err)
				}
			}
		}
	}
	// Every ASCII byte in the middle of a string.
	for c := 0; c < 0x80; c++ {
		s := "0123456" + string(rune(c)) + "89abcdef"
		out := AppendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil || back != s {
			t.Fatalf("appendString(%q) = %s: reads back as %q (%v)", s, out, back, err)
		}
	}
	if got := string(AppendJSONString(nil, "plain ascii, long enough for words")); got != `"plain ascii, long enough for words"` {
		t.Errorf("plain string = %s", got)
	}
}
