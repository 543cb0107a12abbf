package listcodec

import (
	"errors"
	"slices"
	"strconv"
	"testing"
)

// item is one element of a parsed value as the properties see it: its
// exact text and, for an entry, its name.
type item struct {
	text, name string
	entry, ref bool
}

// items parses raw with c's own parser and returns its elements' texts.
func items(t *testing.T, c Codec, raw string) []item {
	t.Helper()
	var elems []element
	var err error
	switch c := c.(type) {
	case Delimited:
		elems, err = c.parse(raw)
	case JSONArray:
		var l jsonList
		l, err = c.parse(raw)
		elems = l.elems
	case PHPArrayKeys:
		var a phpArray
		a, err = parsePHPArray(raw)
		elems = a.pairs
	default:
		t.Fatalf("no parser for %T", c)
	}
	if err != nil {
		t.Fatalf("%s: parsing %q: %v", c.Format(), raw, err)
	}
	out := make([]item, len(elems))
	for i, e := range elems {
		out[i] = item{text: raw[e.start:e.end], name: e.name, entry: e.entry, ref: e.ref}
	}
	return out
}

// addedItem is the element Add writes for name.
func addedItem(c Codec, name string) item {
	switch c := c.(type) {
	case JSONArray:
		return item{text: c.Needle(name), name: name, entry: true}
	case PHPArrayKeys:
		return item{text: c.Needle(name) + "b:1;", name: name, entry: true}
	}
	return item{text: name, name: name, entry: true}
}

// checkCodec checks every property of the package rule on one value and
// two names: what a malformed value does, that Add appends exactly the
// missing names and keeps every other element byte-for-byte and in order,
// that Remove takes out exactly the named entries, that no-ops return the
// input, and that Remove undoes Add.
func checkCodec(t *testing.T, c Codec, raw string, names []string) {
	entries, err := c.Entries(raw)
	if err != nil {
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("%s.Entries(%q) = %T %v, want a *SyntaxError", c.Format(), raw, err, err)
		}
		if se.Offset < 0 || se.Offset > len(raw) {
			t.Fatalf("%s.Entries(%q): offset %d outside the value", c.Format(), raw, se.Offset)
		}
		if _, err := c.Contains(raw, names[0]); err == nil {
			t.Fatalf("%s.Contains(%q) succeeded where Entries failed", c.Format(), raw)
		}
		if out, err := c.Add(raw, names); err == nil {
			t.Fatalf("%s.Add(%q) = %q where Entries failed", c.Format(), raw, out)
		}
		if out, err := c.Remove(raw, names); err == nil {
			t.Fatalf("%s.Remove(%q) = %q where Entries failed", c.Format(), raw, out)
		}
		return
	}
	before := items(t, c, raw)
	for _, n := range names {
		got, _ := c.Contains(raw, n)
		if got != slices.Contains(entries, n) {
			t.Fatalf("%s.Contains(%q, %q) = %v, Entries = %q", c.Format(), raw, n, got, entries)
		}
	}

	// Remove: exactly the named entries go; everything else stays. PHP
	// refuses a cut that a kept reference follows.
	var want []item
	refuse, cut := false, false
	for _, it := range before {
		if it.entry && slices.Contains(names, it.name) {
			cut = true
			continue
		}
		want = append(want, it)
		refuse = refuse || (cut && it.ref)
	}
	removed, err := c.Remove(raw, names)
	switch {
	case refuse:
		if err == nil {
			t.Fatalf("%s.Remove(%q, %q) = %q, want a refusal: a kept reference follows the cut", c.Format(), raw, names, removed)
		}
	case err != nil:
		t.Fatalf("%s.Remove(%q, %q): %v", c.Format(), raw, names, err)
	default:
		switch {
		case !cut:
			if removed != raw {
				t.Fatalf("%s.Remove(%q, %q) = %q, a no-op must return the input", c.Format(), raw, names, removed)
			}
		case len(want) == 0 && removed != c.Empty():
			t.Fatalf("%s.Remove(%q, %q) = %q, want Empty() %q", c.Format(), raw, names, removed, c.Empty())
		}
		if got := items(t, c, removed); !slices.Equal(got, want) {
			t.Fatalf("%s.Remove(%q, %q) = %q: elements %+v, want %+v", c.Format(), raw, names, removed, got, want)
		}
	}

	// Add: the missing names are appended, in order, once.
	for _, n := range names {
		if c.CheckName(n) != nil {
			if out, err := c.Add(raw, names); err == nil {
				t.Fatalf("%s.Add(%q, %q) = %q, but CheckName refuses %q", c.Format(), raw, names, out, n)
			}
			return
		}
	}
	added, err := c.Add(raw, names)
	if err != nil {
		t.Fatalf("%s.Add(%q, %q): %v", c.Format(), raw, names, err)
	}
	want = slices.Clone(before)
	var missing []string
	for _, n := range names {
		if !slices.Contains(entries, n) && !slices.Contains(missing, n) {
			missing = append(missing, n)
			want = append(want, addedItem(c, n))
		}
	}
	if len(missing) == 0 && added != raw {
		t.Fatalf("%s.Add(%q, %q) = %q, a no-op must return the input", c.Format(), raw, names, added)
	}
	if got := items(t, c, added); !slices.Equal(got, want) {
		t.Fatalf("%s.Add(%q, %q) = %q: elements %+v, want %+v", c.Format(), raw, names, added, got, want)
	}
	if got, _ := c.Entries(added); !slices.Equal(got, append(slices.Clone(entries), missing...)) {
		t.Fatalf("%s.Entries(Add(%q, %q)) = %q, want %q + %q", c.Format(), raw, names, got, entries, missing)
	}

	// Remove undoes Add of absent names.
	if len(missing) == 0 {
		return
	}
	back, err := c.Remove(added, missing)
	if err != nil {
		t.Fatalf("%s.Remove(Add(%q)): %v", c.Format(), raw, err)
	}
	if want := canonicalCount(c, raw); (len(before) > 0 || raw == c.Empty()) && back != want {
		t.Fatalf("%s.Remove(Add(%q, %q), %q) = %q, want %q", c.Format(), raw, names, missing, back, want)
	}
	if got, _ := c.Entries(back); !slices.Equal(got, entries) {
		t.Fatalf("%s.Entries(Remove(Add(%q))) = %q, want %q", c.Format(), raw, got, entries)
	}
}

// canonicalCount returns raw with a PHP array's element count written as
// PHP writes it (a:01: is a:1:), as every edit that changes the count does.
func canonicalCount(c Codec, raw string) string {
	if _, ok := c.(PHPArrayKeys); !ok {
		return raw
	}
	a, err := parsePHPArray(raw)
	if err != nil || a.countStart < 0 {
		return raw
	}
	return raw[:a.countStart] + strconv.Itoa(len(a.pairs)) + raw[a.countEnd:]
}

func FuzzDelimited(f *testing.F) {
	for _, s := range []string{
		"", "system_user", "system_user system_admin", "  system_user   system_admin ",
		"system_user system_user_manager system_user", "system_guest", "a,b,,c", " , a ,", "a|b|", "x·y",
	} {
		f.Add(s, "system_admin", "system_user", uint8(0))
		f.Add(s, "b", "", uint8(1))
	}
	seps := []string{" ", ",", "|", "·", "_"}
	f.Fuzz(func(t *testing.T, raw, n1, n2 string, sep uint8) {
		checkCodec(t, Delimited{Sep: seps[int(sep)%len(seps)]}, raw, []string{n1, n2})
	})
}

func FuzzJSONArray(f *testing.F) {
	for _, s := range []string{
		"", "null", "[]", "[ ]", `["admin", "dev"]`, `["admin","dev","admin"]`,
		` [ "a\u00e9" , 12, null, {"x": ["y"]}, ["z"], "b\"q" ] `, "[\n  \"a\",\n  \"b\"\n]", `["a",]`, `[`, `"a"`,
	} {
		f.Add(s, "admin", "ops")
		f.Add(s, "dev", "dev")
	}
	f.Fuzz(func(t *testing.T, raw, n1, n2 string) {
		checkCodec(t, JSONArray{}, raw, []string{n1, n2})
	})
}

func FuzzPHPArrayKeys(f *testing.F) {
	for _, s := range []string{
		"", "a:0:{}", wpAdministrator, wpSubscriber, wpEditorReports, wpUserRoles, phpEveryValue,
		`a:1:{s:4:"Zoë";b:1;}`, `a:2:{s:6:"editor";b:1;s:6:"editor";b:0;}`, `a:2:{i:0;s:6:"editor";i:1;b:1;}`,
		`a:1:{S:6:"\65ditor";b:1;}`, `a:2:{s:1:"r";R:1;s:1:"x";b:1;}`, `a:2:{s:1:"x";O:8:"stdClass":0:{}s:1:"o";a:1:{i:0;r:2;}}`,
	} {
		f.Add(s, "editor", "Zoë")
		f.Add(s, "administrator", "edit_reports")
	}
	for _, m := range phpMalformed {
		f.Add(m.raw, "x", "y")
	}
	f.Fuzz(func(t *testing.T, raw, n1, n2 string) {
		checkCodec(t, PHPArrayKeys{}, raw, []string{n1, n2})
	})
}

// TestProperties runs the fuzz properties on the table values, so a plain
// go test checks them too.
func TestProperties(t *testing.T) {
	names := [][]string{{"editor", "Zoë"}, {"administrator", "x"}, {"system_admin", "system_user"}, {"a", "a"}, {"", "b"}}
	for _, raw := range []string{"", "a:0:{}", wpAdministrator, wpEditorReports, wpUserRoles, phpEveryValue, `a:2:{s:1:"r";R:1;s:1:"x";b:1;}`, `a:2:{s:1:"x";O:8:"stdClass":0:{}s:1:"o";a:1:{i:0;r:2;}}`} {
		for _, n := range names {
			checkCodec(t, PHPArrayKeys{}, raw, n)
		}
	}
	for _, raw := range []string{"", "null", "[ ]", `["editor", 1, "x"]`, `["a"]`} {
		for _, n := range names {
			checkCodec(t, JSONArray{}, raw, n)
		}
	}
	for _, raw := range []string{"", "  ", "system_user system_admin", " a  b ", "a,b,,a"} {
		for _, n := range names {
			checkCodec(t, space, raw, n)
			checkCodec(t, Delimited{Sep: ","}, raw, n)
		}
	}
}
