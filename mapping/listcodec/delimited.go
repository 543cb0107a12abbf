package listcodec

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Delimited is a list of names joined by a separator, such as Mattermost's
// Users.Roles, 'system_user system_admin'.
//
// Sep " " splits on any run of spaces. Any other Sep (",", "|", ";") splits
// on each occurrence; spaces around an entry are trimmed and empty entries
// dropped, so 'a, b,,c' holds a, b and c. Only the space counts as
// surrounding space: it is all the SQL test (LikePattern) can ignore, and
// Go and SQL must agree on what the list contains.
//
// Sep is " " or one character other than a space; names are non-empty and
// contain neither a space nor Sep.
type Delimited struct {
	Sep string
}

// Format implements Codec.
func (Delimited) Format() string { return "delimited" }

// Empty implements Codec: the empty string.
func (Delimited) Empty() string { return "" }

// CheckSep reports why d.Sep cannot be used, or nil.
func (d Delimited) CheckSep() error {
	switch {
	case d.Sep == "":
		return errors.New("delimited: separator is empty")
	case d.Sep != " " && (utf8.RuneCountInString(d.Sep) != 1 || !utf8.ValidString(d.Sep)):
		return fmt.Errorf("delimited: separator %q is not one character", d.Sep)
	}
	return nil
}

// CheckName implements Codec.
func (d Delimited) CheckName(name string) error {
	if err := d.CheckSep(); err != nil {
		return err
	}
	switch {
	case name == "":
		return errors.New("delimited: name is empty")
	case strings.Contains(name, " "):
		return fmt.Errorf("delimited: name %q contains a space", name)
	case strings.Contains(name, d.Sep):
		return fmt.Errorf("delimited: name %q contains the separator %q", name, d.Sep)
	}
	return nil
}

// parse returns the entries of raw with their byte spans.
func (d Delimited) parse(raw string) ([]element, error) {
	if err := d.CheckSep(); err != nil {
		return nil, err
	}
	var elems []element
	if d.Sep == " " {
		for i := 0; i < len(raw); {
			if raw[i] == ' ' {
				i++
				continue
			}
			j := i
			for j < len(raw) && raw[j] != ' ' {
				j++
			}
			elems = append(elems, element{start: i, end: j, name: raw[i:j], entry: true})
			i = j
		}
		return elems, nil
	}
	for start := 0; start <= len(raw); {
		end := len(raw)
		if k := strings.Index(raw[start:], d.Sep); k >= 0 {
			end = start + k
		}
		s, e := start, end
		for s < e && raw[s] == ' ' {
			s++
		}
		for e > s && raw[e-1] == ' ' {
			e--
		}
		if s < e {
			elems = append(elems, element{start: s, end: e, name: raw[s:e], entry: true})
		}
		start = end + len(d.Sep)
	}
	return elems, nil
}

// Entries implements Codec.
func (d Delimited) Entries(raw string) ([]string, error) {
	elems, err := d.parse(raw)
	if err != nil {
		return nil, err
	}
	return entryNames(elems), nil
}

// Contains implements Codec.
func (d Delimited) Contains(raw, name string) (bool, error) {
	elems, err := d.parse(raw)
	if err != nil {
		return false, err
	}
	return contains(elems, name), nil
}

// Add implements Codec. Names are appended after the last entry, each
// preceded by Sep; what follows the last entry (a trailing separator)
// stays after them. A value with no entries becomes the names joined by
// Sep.
func (d Delimited) Add(raw string, names []string) (string, error) {
	elems, err := d.parse(raw)
	if err != nil {
		return "", err
	}
	add, err := missing(elems, names, d.CheckName)
	if err != nil || len(add) == 0 {
		return raw, err
	}
	if len(elems) == 0 {
		return strings.Join(add, d.Sep), nil
	}
	at := elems[len(elems)-1].end
	return raw[:at] + d.Sep + strings.Join(add, d.Sep) + raw[at:], nil
}

// Remove implements Codec. An entry stored more than once is removed
// everywhere; each remaining entry keeps the separator before it.
func (d Delimited) Remove(raw string, names []string) (string, error) {
	elems, err := d.parse(raw)
	if err != nil {
		return "", err
	}
	drop, found := dropped(elems, names)
	if !found {
		return raw, nil
	}
	if out, ok := cutGaps(raw, elems, drop); ok {
		return out, nil
	}
	return d.Empty(), nil
}

// LikeEscape is the escape character of the patterns LikePattern builds;
// the SQL must name it (LIKE ? ESCAPE '!'). A backslash would depend on the
// session's NO_BACKSLASH_ESCAPES.
const LikeEscape = '!'

// LikePattern returns the LIKE pattern that finds name in a column holding
// this list, with %, _ and ! escaped by LikeEscape: '% name %' for Sep " ",
// '%<Sep>name<Sep>%' for any other, to be matched as
//
//	CONCAT(' ', col, ' ') LIKE ? ESCAPE '!'                  -- Sep " "
//	CONCAT(Sep, REPLACE(col, ' ', ''), Sep) LIKE ? ESCAPE '!' -- other Sep
//
// Either way the match is a whole entry, as Contains finds it, for every
// name CheckName accepts; the one difference is an entry with spaces
// inside ('sys admin' with Sep ","), which Go keeps as it is and the
// REPLACE reads as 'sysadmin'. The comparison follows the column's
// collation; the caller makes it exact where Go's is.
func (d Delimited) LikePattern(name string) string {
	return "%" + escapeLike(d.Sep) + escapeLike(name) + escapeLike(d.Sep) + "%"
}

// escapeLike escapes LIKE's wildcards and LikeEscape itself, byte by byte
// (invalid UTF-8 passes through unchanged).
func escapeLike(s string) string {
	if !strings.ContainsAny(s, "%_!") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '%' || c == '_' || c == LikeEscape {
			b.WriteByte(LikeEscape)
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
