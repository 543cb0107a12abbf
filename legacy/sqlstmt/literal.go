package sqlstmt

import (
	"strconv"
)

// Literal renders a constant of the mapping (never a client's value) as
// SQL: an integer as its digits, a string as a quoted literal when it is a
// plain word. It is for the fixed values of a related row's selector
// (is_default = 1, meta_key = 'first_name') inside a subquery of the select
// list or of ORDER BY, which take no placeholders. ok is false for anything
// else: a string with a quote, a backslash or a character outside printable
// ASCII, which the mapping refuses at load.
func Literal(v any) (sql string, ok bool) {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case string:
		if !PlainWord(x) {
			return "", false
		}
		return "'" + x + "'", true
	}
	return "", false
}

// PlainWord reports whether s can be written as a quoted literal without
// escaping: printable ASCII without quotes or backslashes, at most 255
// characters. Such a literal means the same under every sql_mode
// (NO_BACKSLASH_ESCAPES or not, ANSI_QUOTES or not).
func PlainWord(s string) bool {
	if len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '\'' || c == '"' || c == '\\' || c == '`' {
			return false
		}
	}
	return true
}
