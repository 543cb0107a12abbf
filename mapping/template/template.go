// Package template parses and applies the templates of composed columns
// (the mapping's compose:): one column that holds several SCIM attributes,
// such as Grafana's user.name, "{name.givenName} {name.familyName}".
//
// A template is placeholders — SCIM attribute paths in braces — separated
// by non-empty literals; it may start and end with a literal. The rule:
//
//   - Render: a part whose value is empty is left out together with the
//     literal before it (the one after it, for the first part); when no
//     part is left the value is empty.
//   - Split: left to right, each part ends at the first occurrence of the
//     next literal; the last part takes the rest, minus a trailing literal.
//     "Jan van der Berg" is "Jan" and "van der Berg"; "Cher" is "Cher" and
//     no family name.
//   - A split is ambiguous when the value has more separators than the
//     template ("Mary Ann Smith": another cut renders the same value) or
//     does not render back from its parts; a value must not be rebuilt from
//     an ambiguous split, so a request that changes only some parts of it
//     is refused.
//
// The package is pure and builds no SQL: Template exposes the parts and
// literals the SQL side turns into SUBSTRING_INDEX/LOCATE expressions.
package template

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Template is a parsed composed-column template: Lead, then each part
// preceded by its Sep, then Trail.
type Template struct {
	Lead  string // literal before the first placeholder; "" for none
	Parts []Part // one or more
	Trail string // literal after the last placeholder; "" for none
}

// Part is one placeholder of a template.
type Part struct {
	Attr string // the SCIM attribute path written between the braces
	Sep  string // the literal between the previous part and this one; "" for the first part
	Pos  int    // byte offset of the placeholder's '{' in the template
}

// SyntaxError is a template Parse refuses.
type SyntaxError struct {
	Pos int // byte offset in the template
	Msg string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("at position %d: %s", e.Pos, e.Msg)
}

// Parse parses a template such as "{name.givenName} {name.familyName}".
// Literals may hold any text but braces; placeholders hold an attribute
// path (letters, digits and . : _ -, starting with a letter), each named
// once (names compare case-insensitively, as SCIM's do).
func Parse(src string) (*Template, error) {
	if !utf8.ValidString(src) {
		return nil, &SyntaxError{Pos: invalidUTF8(src), Msg: "the template is not valid UTF-8"}
	}
	t := &Template{}
	lit := "" // the literal being read
	for i := 0; i < len(src); {
		switch src[i] {
		case '}':
			return nil, &SyntaxError{Pos: i, Msg: "'}' without '{': literals cannot hold braces"}
		case '{':
			end := strings.IndexAny(src[i+1:], "{}")
			if end < 0 || src[i+1+end] == '{' {
				return nil, &SyntaxError{Pos: i, Msg: "'{' is not closed by '}'"}
			}
			attr := src[i+1 : i+1+end]
			if err := checkAttr(attr, i+1); err != nil {
				return nil, err
			}
			if len(t.Parts) > 0 && lit == "" {
				return nil, &SyntaxError{Pos: i, Msg: fmt.Sprintf("{%s} follows {%s} with nothing between: parts must be separated by a literal, which splitting the value needs", attr, t.Parts[len(t.Parts)-1].Attr)}
			}
			if j := t.Index(attr); j >= 0 {
				return nil, &SyntaxError{Pos: i, Msg: fmt.Sprintf("{%s} names the attribute of {%s} again", attr, t.Parts[j].Attr)}
			}
			if len(t.Parts) == 0 {
				t.Lead, lit = lit, ""
			}
			t.Parts = append(t.Parts, Part{Attr: attr, Sep: lit, Pos: i})
			lit = ""
			i += end + 2
		default:
			j := strings.IndexAny(src[i:], "{}")
			if j < 0 {
				j = len(src) - i
			}
			lit += src[i : i+j]
			i += j
		}
	}
	if len(t.Parts) == 0 {
		return nil, &SyntaxError{Pos: 0, Msg: "the template names no attribute: write each part as {attribute}, e.g. {name.givenName} {name.familyName}"}
	}
	t.Trail = lit
	return t, nil
}

// checkAttr checks a placeholder's attribute path, which starts at pos.
func checkAttr(attr string, pos int) error {
	if attr == "" {
		return &SyntaxError{Pos: pos, Msg: "empty placeholder {}: write an attribute, e.g. {name.givenName}"}
	}
	for k, c := range attr {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if k == 0 && !letter {
			return &SyntaxError{Pos: pos, Msg: fmt.Sprintf("placeholder {%s} must start with a letter: it names a SCIM attribute", attr)}
		}
		if !letter && !(c >= '0' && c <= '9') && !strings.ContainsRune("._:-", c) {
			return &SyntaxError{Pos: pos + k, Msg: fmt.Sprintf("placeholder {%s} holds %q: it names a SCIM attribute (ASCII letters, digits, . : _ -)", attr, c)}
		}
	}
	return nil
}

// invalidUTF8 returns the offset of the first byte of s that is not
// valid UTF-8.
func invalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return i
			}
		}
	}
	return len(s)
}

// Index returns the index of the part that names attr (compared
// case-insensitively), or -1.
func (t *Template) Index(attr string) int {
	for i, p := range t.Parts {
		if strings.EqualFold(p.Attr, attr) {
			return i
		}
	}
	return -1
}

// String returns the template's source; Parse(t.String()) equals t.
func (t *Template) String() string {
	var b strings.Builder
	b.WriteString(t.Lead)
	for _, p := range t.Parts {
		b.WriteString(p.Sep)
		b.WriteString("{" + p.Attr + "}")
	}
	b.WriteString(t.Trail)
	return b.String()
}
