// Package listcodec reads and edits a list of names kept in one column, the
// way apps store a user's roles: Mattermost's Users.Roles
// ('system_user system_admin'), WordPress's wp_capabilities meta value
// ('a:1:{s:13:"administrator";b:1;}') or a JSON array ('["admin","dev"]').
//
// A Codec is one list format. Its rule, for every format:
//   - Entries lists the names in the value, each once, in the order stored.
//   - Add appends the names that are missing; Remove takes out exactly the
//     names asked for. Everything else in the value — entries SCIM does not
//     manage, their order, spacing and (PHP) values — stays byte-for-byte in
//     place.
//   - Adding a name already there or removing one that is not returns the
//     input unchanged, so a no-op writes nothing.
//   - A value the codec cannot read is a *SyntaxError naming the byte offset;
//     it is never rewritten.
//
// The empty string reads as the empty list in every format (a missing or
// blank value); Empty is what a list left with no elements is written as.
//
// The package is pure: it does no I/O and builds no SQL. It provides the
// values the SQL side needs to test "the list contains a name"
// (Delimited.LikePattern, JSONArray.Needle, PHPArrayKeys.Needle).
package listcodec

import (
	"fmt"
	"slices"
)

// Codec reads and edits one list format. Implementations are Delimited,
// JSONArray and PHPArrayKeys; all are comparable values safe for
// concurrent use.
type Codec interface {
	// Format is the format's name in the mapping: "delimited",
	// "json_array" or "php_array_keys".
	Format() string
	// Entries returns the names in raw, each once, in first-stored order.
	Entries(raw string) ([]string, error)
	// Contains reports whether name is one of raw's entries.
	Contains(raw, name string) (bool, error)
	// Add returns raw with the names it does not contain appended, in the
	// order given; raw itself when it contains them all.
	Add(raw string, names []string) (string, error)
	// Remove returns raw without the entries named; raw itself when it
	// contains none of them; Empty() when nothing is left.
	Remove(raw string, names []string) (string, error)
	// Empty is the value of a list with no elements.
	Empty() string
	// CheckName reports why name cannot be stored in this format, or nil.
	// Add refuses such names; Contains and Remove compare names exactly
	// and need no check.
	CheckName(name string) error
}

// SyntaxError is a stored value a codec cannot read.
type SyntaxError struct {
	Format string // the codec's Format
	Offset int    // byte offset in the value where reading failed
	Msg    string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s value: at byte %d: %s", e.Format, e.Offset, e.Msg)
}

// element is one element of a parsed list: the bytes raw[start:end] and,
// when it is an entry, its name.
type element struct {
	start, end int
	name       string
	entry      bool // false: kept as it is, never reported or matched (a JSON number, a PHP integer key)
	ref        bool // a PHP pair that holds a reference (r:, R:)
}

// entryNames returns the names of the entries among elems, each once.
func entryNames(elems []element) []string {
	var names []string
	for _, e := range elems {
		if e.entry && !slices.Contains(names, e.name) {
			names = append(names, e.name)
		}
	}
	return names
}

// contains reports whether an entry of elems is named name.
func contains(elems []element, name string) bool {
	for _, e := range elems {
		if e.entry && e.name == name {
			return true
		}
	}
	return false
}

// missing returns the names of names that are not entries of elems, each
// once, in the order given; it checks each with check first.
func missing(elems []element, names []string, check func(string) error) ([]string, error) {
	var add []string
	for _, n := range names {
		if err := check(n); err != nil {
			return nil, err
		}
		if !contains(elems, n) && !slices.Contains(add, n) {
			add = append(add, n)
		}
	}
	return add, nil
}

// dropped marks the elements that are entries named in names; it reports
// whether any is.
func dropped(elems []element, names []string) ([]bool, bool) {
	drop := make([]bool, len(elems))
	found := false
	for i, e := range elems {
		if e.entry && slices.Contains(names, e.name) {
			drop[i], found = true, true
		}
	}
	return drop, found
}

// cutGaps returns raw without the dropped elements of a list whose
// elements are separated by gaps (spaces, commas): the text before the
// first element and after the last stays, and each kept element but the
// first kept keeps the gap that preceded it. ok is false when no element
// is kept.
func cutGaps(raw string, elems []element, drop []bool) (out string, ok bool) {
	b := []byte(raw[:elems[0].start])
	first := true
	for i, e := range elems {
		if drop[i] {
			continue
		}
		if !first {
			b = append(b, raw[elems[i-1].end:e.start]...)
		}
		b = append(b, raw[e.start:e.end]...)
		first = false
	}
	if first {
		return "", false
	}
	b = append(b, raw[elems[len(elems)-1].end:]...)
	return string(b), true
}
