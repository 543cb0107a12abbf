package filter

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// SyntaxError reports a malformed filter or path. Pos is a byte offset into
// the source; Msg is written for the person who typed the filter.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("at position %d: %s", e.Pos, e.Msg)
}

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokLParen
	tokRParen
	tokLBrack
	tokRBrack
	tokString
	tokWord
)

func (k tokenKind) String() string {
	switch k {
	case tokEOF:
		return "end of filter"
	case tokLParen:
		return `"("`
	case tokRParen:
		return `")"`
	case tokLBrack:
		return `"["`
	case tokRBrack:
		return `"]"`
	case tokString:
		return "string"
	default:
		return "word"
	}
}

type token struct {
	kind tokenKind
	pos  int
	text string // raw text for words; decoded value for strings
}

func (t token) describe() string {
	switch t.kind {
	case tokWord:
		return fmt.Sprintf("%q", t.text)
	case tokString:
		return fmt.Sprintf("string %q", t.text)
	default:
		return t.kind.String()
	}
}

// lex splits src into tokens. Whitespace separates tokens and is otherwise
// ignored (RFC 7644 asks for single spaces; clients send more).
func lex(src string) ([]token, error) {
	if !utf8.ValidString(src) {
		return nil, &SyntaxError{Pos: invalidUTF8At(src), Msg: "filter is not valid UTF-8"}
	}
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{kind: tokLParen, pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tokRParen, pos: i})
			i++
		case c == '[':
			toks = append(toks, token{kind: tokLBrack, pos: i})
			i++
		case c == ']':
			toks = append(toks, token{kind: tokRBrack, pos: i})
			i++
		case c == '"':
			end, err := scanString(src, i)
			if err != nil {
				return nil, err
			}
			s, ok := plainString(src[i+1 : end-1])
			if !ok {
				if err := json.Unmarshal([]byte(src[i:end]), &s); err != nil {
					return nil, &SyntaxError{Pos: i, Msg: "invalid escape sequence in string " + src[i:end]}
				}
			}
			toks = append(toks, token{kind: tokString, pos: i, text: s})
			i = end
		default:
			start := i
			for i < len(src) && !isDelimiter(src[i]) {
				i++
			}
			toks = append(toks, token{kind: tokWord, pos: start, text: src[start:i]})
		}
	}
	toks = append(toks, token{kind: tokEOF, pos: len(src)})
	return toks, nil
}

func isDelimiter(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '(', ')', '[', ']', '"':
		return true
	}
	return false
}

// scanString returns the offset just past the closing quote of the JSON
// string that starts at src[start].
func scanString(src string, start int) (int, error) {
	for i := start + 1; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case '"':
			return i + 1, nil
		default:
			if src[i] < 0x20 {
				return 0, &SyntaxError{Pos: i, Msg: "control character in string; escape it as JSON does"}
			}
		}
	}
	return 0, &SyntaxError{Pos: start, Msg: "string is not terminated: missing closing quote"}
}

func invalidUTF8At(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return 0
}

// plainString returns the content of a string literal that JSON decodes
// to itself: valid UTF-8 with no escape and no control character (a
// userName or e-mail address, nearly always). Anything else goes through
// encoding/json. Decoding every literal with json.Unmarshal was about
// 1% of a userName lookup's CPU.
func plainString(raw string) (string, bool) {
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c < 0x20 || c == '\\' || c == '"' {
			return "", false
		}
	}
	return raw, utf8.ValidString(raw)
}
