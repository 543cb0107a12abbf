package mapping

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestAppendStringWords: a byte that needs escaping is escaped wherever it
// sits in the string, in or across the 8-byte words plainPrefix tests:
// every output is JSON that reads back as the input.
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

// referenceAppendJSONString is AppendJSONString as it was before
// plainPrefix, one byte per step: the fuzz test holds the fast one to it
// byte for byte.
func referenceAppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// TestPlainPrefixEveryByte: every byte value at every place of a word (and
// of the bytes after the last whole word) stops plainPrefix exactly there
// when it needs care, and lets it go on when it does not.
func TestPlainPrefixEveryByte(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 24} {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				buf := bytes.Repeat([]byte{'a'}, n)
				buf[pos] = byte(c)
				want := n
				if !jsonPlain[c] {
					want = pos
				}
				if got := plainPrefix(string(buf)); got != want {
					t.Fatalf("plainPrefix(%q) = %d, want %d", buf, got, want)
				}
			}
		}
	}
}

// FuzzAppendJSONString: the 8-bytes-at-a-time AppendJSONString writes
// exactly what the byte-per-step reference does, and it is valid JSON.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{
		"", "a", "plain ascii, long enough for words", "quote\" inside", `back\slash`,
		"\x00\x01\x1f\x7f", "tab\tnew\nline\r", "é日本\u2028\u2029", "\xff\xfe latin1 \xe9",
		"\xe2\x80", "12345678\"12345678", "1234567\xc3\xa9", "Übermensch Ærøskøbing",
	} {
		f.Add([]byte("prefix "), s)
	}
	f.Fuzz(func(t *testing.T, prefix []byte, s string) {
		want := referenceAppendJSONString(append([]byte(nil), prefix...), s)
		got := AppendJSONString(append([]byte(nil), prefix...), s)
		if !bytes.Equal(got, want) {
			t.Fatalf("AppendJSONString(%q) = %q, reference %q", s, got, want)
		}
		if !json.Valid(got[len(prefix):]) {
			t.Fatalf("AppendJSONString(%q) = %q: not JSON", s, got)
		}
	})
}

// BenchmarkAppendJSONString writes the strings of one GET /Users/{id}: the
// member names and values of a rendered user and the fields of its access
// log line, and, as a second case, text with escapes and non-ASCII; each
// by AppendJSONString and by the byte-per-step reference, to compare.
func BenchmarkAppendJSONString(b *testing.B) {
	cases := []struct {
		name    string
		strings []string
	}{
		{"user", []string{
			"schemas", "urn:ietf:params:scim:schemas:core:2.0:User", "id", "123456", "userName",
			"jane.doe@example.com", "name", "givenName", "Jane", "familyName", "Doe", "emails",
			"value", "jane.doe@example.com", "type", "work", "primary", "active", "meta",
			"resourceType", "User", "created", "2024-01-02T03:04:05Z", "lastModified",
			"2024-05-06T07:08:09Z", "version", `W/"2024-05-06T07:08:09Z"`, "location",
			"https://scim.example.com/scim/v2/Users/123456",
			"0f3c2a9e-5b1d-4e7a-9c3b-2d1e0f9a8b7c", "", "GET", "/scim/v2/Users/123456", "okta", "127.0.0.1",
		}},
		{"escapes", []string{
			"Zoë Ångström", "日本語の名前", "line one\nline two", `say "hi"`, "C:\\path\\to", "\x01ctl",
		}},
	}
	for _, c := range cases {
		n := 0
		for _, s := range c.strings {
			n += len(s)
		}
		for _, f := range []struct {
			name   string
			append func([]byte, string) []byte
		}{{"fast", AppendJSONString}, {"reference", referenceAppendJSONString}} {
			b.Run(c.name+"/"+f.name, func(b *testing.B) {
				b.SetBytes(int64(n))
				buf := make([]byte, 0, 4096)
				for b.Loop() {
					buf = buf[:0]
					for _, s := range c.strings {
						buf = f.append(buf, s)
					}
				}
			})
		}
	}
}
