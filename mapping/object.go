package mapping

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Object is a JSON object that keeps its members in insertion order, so
// resources render the way RFC 7643's examples read: schemas, id, the
// attributes in schema order, meta.
//
// Values are string, bool, int64, float64, json.Number, Object, []Object,
// []any or nil.
type Object struct {
	fields []field
}

type field struct {
	name  string
	value any
}

// Set adds or replaces member name.
func (o *Object) Set(name string, v any) {
	for i := range o.fields {
		if o.fields[i].name == name {
			o.fields[i].value = v
			return
		}
	}
	o.fields = append(o.fields, field{name, v})
}

// Grow makes room for n more members, so that as many Sets do not
// allocate.
func (o *Object) Grow(n int) { o.fields = slices.Grow(o.fields, n) }

// Get returns member name, matched case-insensitively as SCIM names are.
func (o Object) Get(name string) (any, bool) {
	for _, f := range o.fields {
		if strings.EqualFold(f.name, name) {
			return f.value, true
		}
	}
	return nil, false
}

// Len reports the number of members.
func (o Object) Len() int { return len(o.fields) }

// Names lists the member names in order.
func (o Object) Names() []string {
	names := make([]string, len(o.fields))
	for i, f := range o.fields {
		names[i] = f.name
	}
	return names
}

// Stream is a member value written by a function as it is produced, for
// values too large to hold in memory: the members of a large group.
// WriteJSON calls it; AppendJSON cannot, and fails.
type Stream func(w io.Writer) error

// InsertBefore adds member name just before member before (at the end
// when before is absent).
func (o *Object) InsertBefore(before, name string, v any) {
	for i, f := range o.fields {
		if f.name == before {
			o.fields = append(o.fields[:i], append([]field{{name, v}}, o.fields[i:]...)...)
			return
		}
	}
	o.fields = append(o.fields, field{name, v})
}

// WriteJSON writes the object to w, calling Stream members (also inside
// nested objects and lists of objects) as it reaches them.
func (o Object) WriteJSON(w io.Writer) error {
	if !o.streams() {
		b, err := o.AppendJSON(nil)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	if _, err := io.WriteString(w, "{"); err != nil {
		return err
	}
	for i, f := range o.fields {
		b := make([]byte, 0, 64)
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, f.name)
		b = append(b, ':')
		if _, err := w.Write(b); err != nil {
			return err
		}
		if err := writeValue(w, f.value); err != nil {
			return fmt.Errorf("member %q: %w", f.name, err)
		}
	}
	_, err := io.WriteString(w, "}")
	return err
}

func writeValue(w io.Writer, v any) error {
	switch x := v.(type) {
	case Stream:
		return x(w)
	case Object:
		return x.WriteJSON(w)
	case []Object:
		if _, err := io.WriteString(w, "["); err != nil {
			return err
		}
		for i, o := range x {
			if i > 0 {
				if _, err := io.WriteString(w, ","); err != nil {
					return err
				}
			}
			if err := o.WriteJSON(w); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, "]")
		return err
	}
	b, err := appendValue(nil, v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Streams reports whether any member, at any depth, is a Stream.
func (o Object) Streams() bool { return o.streams() }

func (o Object) streams() bool {
	for _, f := range o.fields {
		switch x := f.value.(type) {
		case Stream:
			return true
		case Object:
			if x.streams() {
				return true
			}
		case []Object:
			for _, e := range x {
				if e.streams() {
					return true
				}
			}
		}
	}
	return false
}

// MarshalJSON encodes the object with its members in order.
func (o Object) MarshalJSON() ([]byte, error) {
	return o.AppendJSON(make([]byte, 0, 256))
}

// AppendJSON appends the object's JSON encoding to b.
func (o Object) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	for i, f := range o.fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, f.name)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, f.value); err != nil {
			return nil, fmt.Errorf("member %q: %w", f.name, err)
		}
	}
	return append(b, '}'), nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return AppendJSONString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("cannot encode %v as JSON", x)
		}
		return strconv.AppendFloat(b, x, 'g', -1, 64), nil
	case json.Number:
		return append(b, x...), nil
	case Stream:
		return nil, fmt.Errorf("a streamed value needs WriteJSON")
	case Object:
		return x.AppendJSON(b)
	case []Object:
		b = append(b, '[')
		for i, o := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = o.AppendJSON(b); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSONString(b, s)
		}
		return append(b, ']'), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		return append(b, raw...), nil
	}
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string (control characters, quote,
// backslash, U+2028 and U+2029 escaped, as slog's JSON handler does). Invalid UTF-8 (possible in a
// legacy latin1 or binary column) becomes U+FFFD, as encoding/json does.
//
// Most of what it writes (names, values, access-log fields) is printable
// ASCII copied as it is, so plainPrefix finds the next byte that needs care
// 8 bytes per test; only such a byte (an escape, or the first byte of a
// multi-byte character) takes the careful path, appendJSONStringRest.
func AppendJSONString(b []byte, s string) []byte {
	n := plainPrefix(s)
	b = append(b, '"')
	b = append(b, s[:n]...)
	if n == len(s) {
		return append(b, '"')
	}
	return appendJSONStringRest(b, s[n:])
}

// appendJSONStringRest appends s, whose first byte needs care, as the rest
// of a JSON string AppendJSONString began, and the closing quote.
func appendJSONStringRest(b []byte, s string) []byte {
	start, i := 0, 0
	for {
		c := s[i]
		if c < utf8.RuneSelf {
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
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				start = i + size
			case r == '\u2028' || r == '\u2029':
				b = append(b, s[start:i]...)
				b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
				start = i + size
			}
			i += size
		}
		// Escapes and multi-byte characters often come close together
		// (names in a script other than Latin, Latin with accents): the
		// word test only pays for a long rest.
		if len(s)-i >= 16 {
			i += plainPrefix(s[i:])
		} else {
			i += plainBytes(s[i:])
		}
		if i >= len(s) {
			break
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainPrefix returns how many bytes at the start of s a JSON string holds
// as they are (jsonPlain). It tests 8 bytes at a time while more than 8 are
// left, then the last 1 to 8 together (overlapping the word before, or
// repeating bytes of a short string), and only if one of them needs care
// goes byte by byte through the word where it is.
func plainPrefix(s string) int {
	n := 0
	for len(s) > 8 {
		if !plainWord(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56) {
			return n + plainBytes(s)
		}
		s = s[8:]
		n += 8
	}
	var x uint64
	switch m := len(s); {
	case m == 0:
		return n
	case m >= 4:
		// Bytes 0-3 and m-4 to m-1, which overlap when m < 8.
		x = uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[m-4])<<32 | uint64(s[m-3])<<40 | uint64(s[m-2])<<48 | uint64(s[m-1])<<56
	default:
		// Bytes 0, m/2 and m-1 are every byte of 1 to 3; the other five
		// are a plain 'a'.
		x = uint64(s[0]) | uint64(s[m>>1])<<8 | uint64(s[m-1])<<16 | 0x6161616161000000
	}
	if plainWord(x) {
		return n + len(s)
	}
	return n + plainBytes(s)
}

// plainWord reports whether the 8 bytes of x (in any order) are all bytes
// a JSON string holds as they are (jsonPlain).
//
// Per byte, with no borrow from below, the high bit is set in x-0x20 for a
// byte below 0x20 (or above 0x9f), in (x^'"')-1 for a quote (or a byte of
// 0x80 and above but 0xa2), in (x^'\\')-1 for a backslash (or a byte of
// 0x80 and above but 0xdc), and in x for any byte above 0x7f: so exactly for
// the bytes that need care. A borrow only comes from such a byte, and the
// lowest of them is marked with or without it: the word holds one iff the
// union is not 0.
func plainWord(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	return ((x-ones*0x20)|(x^(ones*'"')-ones)|(x^(ones*'\\')-ones)|x)&highs == 0
}

// plainBytes is plainPrefix one byte at a time.
func plainBytes(s string) int {
	i := 0
	for i < len(s) && jsonPlain[s[i]] {
		i++
	}
	return i
}

// jsonPlain tells the bytes a JSON string holds as they are: printable
// ASCII but the quote and the backslash (AppendJSONString).
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
