package listcodec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// JSONArray is a list kept as a JSON array of strings, '["admin", "dev"]',
// in a JSON or text column. Its entries are the array's strings; any other
// element (a number, null, an object) is kept as it is and is no entry.
// The empty string, blank text and the JSON null read as the empty list.
//
// Add writes each name as a JSON string after the last element, preceded
// by the separator found before the last element (", " when the array has
// fewer than two). Names must be non-empty valid UTF-8.
type JSONArray struct{}

// Format implements Codec.
func (JSONArray) Format() string { return "json_array" }

// Empty implements Codec: "[]".
func (JSONArray) Empty() string { return "[]" }

// CheckName implements Codec.
func (JSONArray) CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("json_array: name is empty")
	case !utf8.ValidString(name):
		return fmt.Errorf("json_array: name %q is not valid UTF-8", name)
	}
	return nil
}

// jsonList is a parsed JSON array: its elements and the offset just after
// its '[' (open < 0: the value is empty, null or blank).
type jsonList struct {
	elems []element
	open  int
}

// parse reads raw as one JSON array.
func (c JSONArray) parse(raw string) (jsonList, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	tok, err := dec.Token()
	if err == io.EOF {
		return jsonList{open: -1}, nil
	}
	if err != nil {
		return jsonList{}, c.syntaxError(raw, err)
	}
	switch tok {
	case nil:
		if err := c.atEnd(raw, dec); err != nil {
			return jsonList{}, err
		}
		return jsonList{open: -1}, nil
	case json.Delim('['):
	default:
		return jsonList{}, &SyntaxError{Format: c.Format(), Offset: c.valueStart(raw), Msg: "not a JSON array"}
	}
	l := jsonList{open: int(dec.InputOffset())}
	for dec.More() {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return jsonList{}, c.syntaxError(raw, err)
		}
		end := int(dec.InputOffset())
		e := element{start: end - len(v), end: end}
		if v[0] == '"' {
			if err := json.Unmarshal(v, &e.name); err != nil {
				return jsonList{}, &SyntaxError{Format: c.Format(), Offset: e.start, Msg: err.Error()}
			}
			e.entry = true
		}
		l.elems = append(l.elems, e)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return jsonList{}, c.syntaxError(raw, err)
	}
	return l, c.atEnd(raw, dec)
}

// atEnd checks that only white space follows the value dec has read.
func (c JSONArray) atEnd(raw string, dec *json.Decoder) error {
	off := int(dec.InputOffset())
	if strings.TrimLeft(raw[off:], " \t\r\n") != "" {
		return &SyntaxError{Format: c.Format(), Offset: off + len(raw[off:]) - len(strings.TrimLeft(raw[off:], " \t\r\n")), Msg: "text after the JSON array"}
	}
	return nil
}

// valueStart is the offset of raw's first byte that is not JSON white space.
func (JSONArray) valueStart(raw string) int {
	return len(raw) - len(strings.TrimLeft(raw, " \t\r\n"))
}

// syntaxError turns a decoding error into a *SyntaxError. The decoder's
// offsets are relative to the element it was reading, so the offset comes
// from checking the whole value: json.Unmarshal's is absolute, one past the
// offending byte.
func (c JSONArray) syntaxError(raw string, err error) error {
	var x any
	uerr := json.Unmarshal([]byte(raw), &x)
	var se *json.SyntaxError
	if errors.As(uerr, &se) {
		off := int(se.Offset) - 1
		if se.Error() == "unexpected end of JSON input" || off < 0 {
			return &SyntaxError{Format: c.Format(), Offset: len(raw), Msg: "the JSON array is not closed"}
		}
		return &SyntaxError{Format: c.Format(), Offset: off, Msg: se.Error()}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &SyntaxError{Format: c.Format(), Offset: len(raw), Msg: "the JSON array is not closed"}
	}
	return &SyntaxError{Format: c.Format(), Offset: 0, Msg: err.Error()}
}

// Entries implements Codec.
func (c JSONArray) Entries(raw string) ([]string, error) {
	l, err := c.parse(raw)
	if err != nil {
		return nil, err
	}
	return entryNames(l.elems), nil
}

// Contains implements Codec.
func (c JSONArray) Contains(raw, name string) (bool, error) {
	l, err := c.parse(raw)
	if err != nil {
		return false, err
	}
	return contains(l.elems, name), nil
}

// Add implements Codec. An empty, blank or null value becomes a new array.
func (c JSONArray) Add(raw string, names []string) (string, error) {
	l, err := c.parse(raw)
	if err != nil {
		return "", err
	}
	add, err := missing(l.elems, names, c.CheckName)
	if err != nil || len(add) == 0 {
		return raw, err
	}
	quoted := make([]string, len(add))
	for i, n := range add {
		quoted[i] = c.Needle(n)
	}
	if l.open < 0 {
		return "[" + strings.Join(quoted, ", ") + "]", nil
	}
	if len(l.elems) == 0 {
		return raw[:l.open] + strings.Join(quoted, ", ") + raw[l.open:], nil
	}
	sep := ", "
	if n := len(l.elems); n >= 2 {
		sep = raw[l.elems[n-2].end:l.elems[n-1].start]
	}
	at := l.elems[len(l.elems)-1].end
	return raw[:at] + sep + strings.Join(quoted, sep) + raw[at:], nil
}

// Remove implements Codec. A string stored more than once is removed
// everywhere; each remaining element keeps the separator before it.
func (c JSONArray) Remove(raw string, names []string) (string, error) {
	l, err := c.parse(raw)
	if err != nil {
		return "", err
	}
	drop, found := dropped(l.elems, names)
	if !found {
		return raw, nil
	}
	if out, ok := cutGaps(raw, l.elems, drop); ok {
		return out, nil
	}
	return c.Empty(), nil
}

// Needle returns name as a JSON string, the text Add writes for it and the
// value to pass to JSON_CONTAINS(col, ?): the same JSON value that
// JSON_QUOTE(name) builds in SQL, so the SQL may use either.
func (JSONArray) Needle(name string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(name) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
