package filter

import (
	"encoding/json"
	"testing"
)

// TestLexStringLiteral: a string literal reads as encoding/json decodes
// it, whether it takes the plain path (no escape, valid UTF-8) or not.
// (A filter that is not UTF-8 is refused before, whatever its literals.)
func TestLexStringLiteral(t *testing.T) {
	for _, lit := range []string{
		`"alice@example.com"`,
		`""`,
		`"Zoë Ångström 日本"`,
		`"a\"b"`,
		`"back\\slash"`,
		`"\u00e9\n"`,
		"\"ctl\x01\"",
		`"\q"`,
	} {
		var want string
		wantErr := json.Unmarshal([]byte(lit), &want) != nil
		toks, err := lex(`userName eq ` + lit)
		if (err != nil) != wantErr {
			t.Errorf("lex(%s): error %v, want error %v", lit, err, wantErr)
			continue
		}
		if err == nil && (len(toks) < 3 || toks[2].kind != tokString || toks[2].text != want) {
			t.Errorf("lex(%s) = %+v, want the string %q", lit, toks, want)
		}
	}
}
