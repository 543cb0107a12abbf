package listcodec

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// PHPArrayKeys is a list kept as the keys of a PHP-serialized array, such
// as WordPress's wp_capabilities meta value
// 'a:2:{s:6:"editor";b:1;s:12:"edit_reports";b:1;}' (role slugs and
// per-user capabilities, each mapped to true).
//
// Its entries are the array's string keys, whatever their values. Integer
// keys (i:0;) are kept but are no entries: PHP turns a numeric string key
// into an integer, so no declared name can be one. Each value, whatever
// its type (booleans, numbers, strings, nested arrays, objects), is kept
// as the exact bytes stored. Only the top-level array is edited: Add
// appends s:<bytes>:"<name>";b:1; pairs and Remove cuts whole pairs, and
// both rewrite the element count (as PHP writes it: a:01: becomes a:2:).
// s:N: counts bytes, as PHP does: 'Zoë' is s:4:"Zoë";.
//
// The value must be exactly one serialized array, read as PHP's
// unserialize() reads it: a wrong element count or string length, a
// reference to no value, or text after the array is a *SyntaxError (PHP
// 8.2 itself ignores trailing text; a value that is not what WordPress
// wrote is not edited). The empty string, which unserialize() refuses,
// is the empty list. Keys in PHP's old escaped form (S:) are read; the SQL
// needle does not match them, and serialize() in released PHP versions
// never writes them.
//
// A PHP reference (r:, R:) numbers the values before it, so Remove refuses
// to cut a pair that a kept reference comes after; appended pairs come
// after every reference, so Add is always safe.
type PHPArrayKeys struct{}

// Format implements Codec.
func (PHPArrayKeys) Format() string { return "php_array_keys" }

// Empty implements Codec: "a:0:{}".
func (PHPArrayKeys) Empty() string { return "a:0:{}" }

// CheckName implements Codec.
func (PHPArrayKeys) CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("php_array_keys: name is empty")
	case isPHPIntKey(name):
		return fmt.Errorf("php_array_keys: name %q is a number, which PHP stores as an integer key", name)
	}
	return nil
}

// isPHPIntKey reports whether PHP turns the array key s into an integer:
// a decimal integer in canonical form (no '+', no leading zeros, not "-0")
// that fits in 64 bits.
func isPHPIntKey(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && strconv.FormatInt(n, 10) == s
}

// Needle returns the exact bytes name takes as a key, s:<bytes>:"<name>";,
// for LOCATE(?, col) > 0 (or LOCATE(CONCAT('s:', LENGTH(?), ':"', ?, '";'),
// col) built in SQL: LENGTH counts bytes too). The needle also matches a
// string value or a key of a nested array equal to it; wp_capabilities
// holds booleans, so for it the match is exact.
func (PHPArrayKeys) Needle(name string) string {
	return "s:" + strconv.Itoa(len(name)) + `:"` + name + `";`
}

// phpArray is a parsed top-level array: its key/value pairs as elements
// and where its count and braces are (count < 0: the value is empty).
type phpArray struct {
	countStart, countEnd int // the digits of a:N:
	close                int // offset of the closing '}'
	pairs                []element
}

// maxPHPDepth bounds the nesting of values, as PHP's unserialize_max_depth
// does (default 4096).
const maxPHPDepth = 4096

// Entries implements Codec.
func (c PHPArrayKeys) Entries(raw string) ([]string, error) {
	a, err := parsePHPArray(raw)
	if err != nil {
		return nil, err
	}
	return entryNames(a.pairs), nil
}

// Contains implements Codec.
func (c PHPArrayKeys) Contains(raw, name string) (bool, error) {
	a, err := parsePHPArray(raw)
	if err != nil {
		return false, err
	}
	return contains(a.pairs, name), nil
}

// Add implements Codec. An empty value becomes a new array.
func (c PHPArrayKeys) Add(raw string, names []string) (string, error) {
	a, err := parsePHPArray(raw)
	if err != nil {
		return "", err
	}
	add, err := missing(a.pairs, names, c.CheckName)
	if err != nil || len(add) == 0 {
		return raw, err
	}
	var pairs strings.Builder
	for _, n := range add {
		pairs.WriteString(c.Needle(n))
		pairs.WriteString("b:1;")
	}
	if a.countStart < 0 {
		return "a:" + strconv.Itoa(len(add)) + ":{" + pairs.String() + "}", nil
	}
	return raw[:a.countStart] + strconv.Itoa(len(a.pairs)+len(add)) + raw[a.countEnd:a.close] + pairs.String() + raw[a.close:], nil
}

// Remove implements Codec. A key stored more than once is removed
// everywhere, with its value.
func (c PHPArrayKeys) Remove(raw string, names []string) (string, error) {
	a, err := parsePHPArray(raw)
	if err != nil {
		return "", err
	}
	drop, found := dropped(a.pairs, names)
	if !found {
		return raw, nil
	}
	if err := refsAfterCut(a.pairs, drop); err != nil {
		return "", err
	}
	var b strings.Builder
	kept := 0
	for i, p := range a.pairs {
		if !drop[i] {
			kept++
			b.WriteString(raw[p.start:p.end])
		}
	}
	head := raw[:a.countStart] + strconv.Itoa(kept) + raw[a.countEnd:a.pairs[0].start]
	return head + b.String() + raw[a.close:], nil
}

// refsAfterCut refuses a cut that a kept pair holding a reference follows:
// references point back at values by number, and the cut would renumber
// those after it.
func refsAfterCut(pairs []element, drop []bool) error {
	first := slices.Index(drop, true)
	for i := first + 1; i < len(pairs); i++ {
		if !drop[i] && pairs[i].ref {
			return fmt.Errorf("php_array_keys: element %d holds a PHP reference (r: or R:), which removing element %d would re-point; the value is left as it is", i, first)
		}
	}
	return nil
}

// parsePHPArray reads raw as one serialized PHP array.
func parsePHPArray(raw string) (phpArray, error) {
	if raw == "" {
		return phpArray{countStart: -1}, nil
	}
	p := &phpParser{s: raw}
	if !strings.HasPrefix(raw, "a:") {
		return phpArray{}, p.fail(0, "not a serialized PHP array (a:N:{...})")
	}
	p.pos = 2
	p.slots = append(p.slots, 'a')
	a := phpArray{countStart: p.pos}
	n, err := p.count(':')
	if err != nil {
		return phpArray{}, err
	}
	a.countEnd = p.pos - 1
	if err := p.expect('{'); err != nil {
		return phpArray{}, err
	}
	for i := 0; i < n; i++ {
		if err := p.notClosed(i, n); err != nil {
			return phpArray{}, err
		}
		e := element{start: p.pos}
		if err := p.key(&e, 1); err != nil {
			return phpArray{}, err
		}
		p.refs = false
		if err := p.value(1); err != nil {
			return phpArray{}, err
		}
		e.end, e.ref = p.pos, p.refs
		a.pairs = append(a.pairs, e)
	}
	if p.pos < len(raw) && raw[p.pos] != '}' {
		return phpArray{}, p.fail(p.pos, fmt.Sprintf("the array holds more elements than its count, %d", n))
	}
	a.close = p.pos
	if err := p.expect('}'); err != nil {
		return phpArray{}, err
	}
	if p.pos != len(raw) {
		return phpArray{}, p.fail(p.pos, "text after the serialized array")
	}
	return a, nil
}

// phpParser reads PHP's serialize() format, keeping no values: it finds
// where each value ends.
type phpParser struct {
	s     string
	pos   int
	refs  bool   // a reference was read since refs was last cleared
	slots []byte // the type tag of each value read, numbered from 1 as references number them
}

func (p *phpParser) fail(off int, msg string) error {
	return &SyntaxError{Format: "php_array_keys", Offset: off, Msg: msg}
}

// expect consumes the byte c.
func (p *phpParser) expect(c byte) error {
	if p.pos >= len(p.s) {
		return p.fail(p.pos, fmt.Sprintf("value ends where %q was expected", c))
	}
	if p.s[p.pos] != c {
		return p.fail(p.pos, fmt.Sprintf("found %q where %q was expected", p.s[p.pos], c))
	}
	p.pos++
	return nil
}

// count consumes an unsigned decimal number and then the byte end. The
// number is at most the length of the value, which bounds every count and
// length that can be right.
func (p *phpParser) count(end byte) (int, error) {
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == start {
		return 0, p.fail(start, "a count or length must be a decimal number")
	}
	n, err := strconv.Atoi(p.s[start:p.pos])
	if err != nil || n > len(p.s) {
		return 0, p.fail(start, fmt.Sprintf("count or length %s is larger than the whole value", p.s[start:p.pos]))
	}
	return n, p.expect(end)
}

// integer consumes [+-]?[0-9]+ and then ';'.
func (p *phpParser) integer() error {
	if p.pos < len(p.s) && (p.s[p.pos] == '+' || p.s[p.pos] == '-') {
		p.pos++
	}
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == start {
		return p.fail(start, "an integer must have digits")
	}
	return p.expect(';')
}

// float consumes a PHP float as unserialize accepts it (digits with an
// optional point and exponent, NAN, INF, -INF) and then ';'.
func (p *phpParser) float() error {
	for _, w := range []string{"NAN;", "INF;", "-INF;"} {
		if strings.HasPrefix(p.s[p.pos:], w) {
			p.pos += len(w)
			return nil
		}
	}
	start := p.pos
	if p.pos < len(p.s) && (p.s[p.pos] == '+' || p.s[p.pos] == '-') {
		p.pos++
	}
	digits := p.digits()
	if p.pos < len(p.s) && p.s[p.pos] == '.' {
		p.pos++
		digits += p.digits()
	}
	if digits == 0 {
		return p.fail(start, "a float must have digits")
	}
	if p.pos < len(p.s) && (p.s[p.pos] == 'e' || p.s[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.s) && (p.s[p.pos] == '+' || p.s[p.pos] == '-') {
			p.pos++
		}
		if p.digits() == 0 {
			return p.fail(p.pos, "a float's exponent must have digits")
		}
	}
	return p.expect(';')
}

// digits consumes decimal digits and returns how many.
func (p *phpParser) digits() int {
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	return p.pos - start
}

// str consumes the rest of a string after its s: or S: tag — N:"<N bytes>"
// followed by term — and returns its bytes (decoded, for S:).
func (p *phpParser) str(escaped bool, term string) (string, error) {
	n, err := p.count(':')
	if err != nil {
		return "", err
	}
	if err := p.expect('"'); err != nil {
		return "", err
	}
	start := p.pos
	var v string
	if escaped {
		if v, err = p.escapedBytes(n); err != nil {
			return "", err
		}
	} else {
		if n > len(p.s)-p.pos {
			return "", p.fail(start, fmt.Sprintf("string of %d bytes runs past the end of the value", n))
		}
		v = p.s[p.pos : p.pos+n]
		p.pos += n
	}
	if !strings.HasPrefix(p.s[p.pos:], term) {
		return "", p.fail(p.pos, fmt.Sprintf("the %d-byte string at byte %d is not followed by '%s': its length is wrong", n, start, term))
	}
	p.pos += len(term)
	return v, nil
}

// escapedBytes consumes the n bytes of an S: string, where \hh is one byte.
func (p *phpParser) escapedBytes(n int) (string, error) {
	var b []byte
	for len(b) < n {
		if p.pos >= len(p.s) {
			return "", p.fail(p.pos, "escaped string runs past the end of the value")
		}
		c := p.s[p.pos]
		if c != '\\' {
			b = append(b, c)
			p.pos++
			continue
		}
		if p.pos+3 > len(p.s) {
			return "", p.fail(p.pos, "escape \\hh runs past the end of the value")
		}
		v, err := strconv.ParseUint(p.s[p.pos+1:p.pos+3], 16, 8)
		if err != nil {
			return "", p.fail(p.pos, "escape must be \\ and two hex digits")
		}
		b = append(b, byte(v))
		p.pos += 3
	}
	return string(b), nil
}

// key consumes an array key (i:, s: or S:) into e.
func (p *phpParser) key(e *element, depth int) error {
	if p.pos+2 > len(p.s) || p.s[p.pos+1] != ':' {
		return p.fail(p.pos, "an array key must be an integer (i:) or a string (s:)")
	}
	tag := p.s[p.pos]
	p.pos += 2
	switch tag {
	case 'i':
		return p.integer()
	case 's', 'S':
		name, err := p.str(tag == 'S', `";`)
		if err != nil {
			return err
		}
		if depth == 1 {
			e.name, e.entry = name, true
		}
		return nil
	}
	return p.fail(p.pos-2, "an array key must be an integer (i:) or a string (s:)")
}

// value consumes one serialized value of any type.
func (p *phpParser) value(depth int) error {
	if depth > maxPHPDepth {
		return p.fail(p.pos, fmt.Sprintf("values nested deeper than %d", maxPHPDepth))
	}
	start := p.pos
	if strings.HasPrefix(p.s[p.pos:], "N;") {
		p.slots = append(p.slots, 'N')
		p.pos += 2
		return nil
	}
	if p.pos+2 > len(p.s) || p.s[p.pos+1] != ':' {
		return p.fail(start, "not a serialized PHP value")
	}
	tag := p.s[p.pos]
	p.pos += 2
	if tag != 'R' { // as PHP numbers them: every value but R: takes a slot
		p.slots = append(p.slots, tag)
	}
	switch tag {
	case 'b':
		if p.pos < len(p.s) && (p.s[p.pos] == '0' || p.s[p.pos] == '1') {
			p.pos++
			return p.expect(';')
		}
		return p.fail(p.pos, "a boolean must be b:0; or b:1;")
	case 'i':
		return p.integer()
	case 'd':
		return p.float()
	case 's', 'S':
		_, err := p.str(tag == 'S', `";`)
		return err
	case 'r', 'R':
		p.refs = true
		return p.reference(tag, start)
	case 'a':
		return p.members(depth)
	case 'O':
		if _, err := p.str(false, `":`); err != nil { // the class name
			return err
		}
		return p.members(depth)
	case 'C':
		if _, err := p.str(false, `":`); err != nil { // the class name
			return err
		}
		n, err := p.count(':')
		if err != nil {
			return err
		}
		if err := p.expect('{'); err != nil {
			return err
		}
		if n > len(p.s)-p.pos {
			return p.fail(p.pos, fmt.Sprintf("object data of %d bytes runs past the end of the value", n))
		}
		p.pos += n
		return p.expect('}')
	case 'E':
		_, err := p.str(false, `";`)
		return err
	}
	return p.fail(start, fmt.Sprintf("unknown PHP value type %q", tag))
}

// notClosed fails when the array closes after i of its n elements.
func (p *phpParser) notClosed(i, n int) error {
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		return p.fail(p.pos, fmt.Sprintf("the array closes after %d of the %d elements its count says", i, n))
	}
	return nil
}

// reference consumes the number of an r: or R: value, which starts at
// start, and checks it as PHP does: R:n (a PHP reference) names any value
// read before it, r:n (an object handle) an object read before it.
func (p *phpParser) reference(tag byte, start int) error {
	numAt := p.pos
	n, err := p.count(';')
	if err != nil {
		return err
	}
	before := len(p.slots) // the values read before this one
	if tag == 'r' {
		before-- // r: took a slot of its own
	}
	switch {
	case n < 1 || n > before:
		return p.fail(numAt, fmt.Sprintf("reference %c:%d names no value read before it (there are %d)", tag, n, before))
	case tag == 'r' && p.slots[n-1] != 'O' && p.slots[n-1] != 'C':
		return p.fail(start, fmt.Sprintf("r:%d names a value that is not an object", n))
	}
	return nil
}

// members consumes N:{ followed by N key/value pairs and '}', the body of an
// array or an object.
func (p *phpParser) members(depth int) error {
	n, err := p.count(':')
	if err != nil {
		return err
	}
	if err := p.expect('{'); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := p.notClosed(i, n); err != nil {
			return err
		}
		var e element
		if err := p.key(&e, depth+1); err != nil {
			return err
		}
		if err := p.value(depth + 1); err != nil {
			return err
		}
	}
	if p.pos < len(p.s) && p.s[p.pos] != '}' {
		return p.fail(p.pos, fmt.Sprintf("the array holds more elements than its count, %d", n))
	}
	return p.expect('}')
}
