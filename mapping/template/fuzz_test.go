package template

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// templateSeeds are the templates of the design's examples and some that
// stress the parser.
var templateSeeds = []string{
	"{name.givenName} {name.familyName}", "{name.familyName}, {name.givenName}", "{displayName}",
	"Dr. {name.givenName} {name.familyName} (SSO)", "{a} {b}, {c}", "{a}-{b} {c}", "{a}--{b}", "{a}·{b} – {c}",
	"", "{", "}", "{}", "{a}{b}", "{a} {A}", "{a b}", "x{a}y{b}z", "{a}\xff",
}

func FuzzParse(f *testing.F) {
	for _, s := range templateSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tp, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) returned %T, want *SyntaxError", src, err)
			}
			if se.Pos < 0 || se.Pos > len(src) {
				t.Fatalf("Parse(%q): position %d outside the template", src, se.Pos)
			}
			return
		}
		if tp.String() != src {
			t.Fatalf("Parse(%q).String() = %q", src, tp.String())
		}
		for i, p := range tp.Parts {
			if i > 0 && p.Sep == "" {
				t.Fatalf("Parse(%q): part %d has no separator", src, i)
			}
			if !strings.HasPrefix(src[p.Pos:], "{"+p.Attr+"}") {
				t.Fatalf("Parse(%q): part %d at %d is not {%s}", src, i, p.Pos, p.Attr)
			}
		}
	})
}

// bruteCuts counts, without memo, the cuts of body into non-empty pieces
// separated by seps in order: the reference for Template.cuts.
func bruteCuts(body string, seps []string) int {
	if len(seps) == 0 {
		if body == "" {
			return 0
		}
		return 1
	}
	n := 0
	for e := 1; e < len(body); e++ {
		if strings.HasPrefix(body[e:], seps[0]) {
			n += bruteCuts(body[e+len(seps[0]):], seps[1:])
		}
	}
	return n
}

func FuzzSplit(f *testing.F) {
	for _, s := range templateSeeds {
		for _, v := range []string{"Alice Smith", "Jan van der Berg", "Cher", "", " ", "Smith, Jr., Alice", "x---y", "Dr. A B (SSO)"} {
			f.Add(s, v)
		}
	}
	f.Fuzz(func(t *testing.T, src, v string) {
		tp, err := Parse(src)
		if err != nil {
			return
		}
		vals, amb := tp.Split(v)
		if len(vals) != len(tp.Parts) {
			t.Fatalf("Parse(%q).Split(%q) has %d values for %d parts", src, v, len(vals), len(tp.Parts))
		}
		r := tp.Render(vals)
		if !amb && r != v {
			t.Fatalf("Parse(%q).Split(%q) = %q, unambiguous, but renders %q", src, v, vals, r)
		}
		// The first part is what SQL's SUBSTRING_INDEX reads after the Lead.
		if body, ok := strings.CutPrefix(v, tp.Lead); ok && strings.HasSuffix(body, tp.Trail) && len(tp.Parts) > 1 {
			body = body[:len(body)-len(tp.Trail)]
			if want, _, _ := strings.Cut(body, tp.Parts[1].Sep); vals[0] != want {
				t.Fatalf("Parse(%q).Split(%q)[0] = %q, SUBSTRING_INDEX reads %q", src, v, vals[0], want)
			}
		}
		// The cut count agrees with brute force where that is cheap.
		if r == v && len(v) <= 40 {
			body := strings.TrimSuffix(strings.TrimPrefix(v, tp.Lead), tp.Trail)
			var seps []string
			first := true
			for i, x := range vals {
				if x != "" {
					if !first {
						seps = append(seps, tp.Parts[i].Sep)
					}
					first = false
				}
			}
			want := 1
			if !first {
				want = min(2, bruteCuts(body, seps))
			}
			if got := tp.cuts(body, vals); got != want {
				t.Fatalf("Parse(%q): cuts(%q, %q) = %d, brute force %d", src, body, seps, got, want)
			}
		}
	})
}

func FuzzRenderSplit(f *testing.F) {
	for i := range templateSeeds {
		f.Add(uint8(i), "Alice", "Smith", "Jr")
		f.Add(uint8(i), "Mary Ann", "van der Berg", "-")
	}
	f.Fuzz(func(t *testing.T, which uint8, a, b, c string) {
		src := templateSeeds[int(which)%len(templateSeeds)]
		tp, err := Parse(src)
		if err != nil {
			return
		}
		vals := []string{a, b, c}[:min(3, len(tp.Parts))]
		for len(vals) < len(tp.Parts) {
			vals = append(vals, "x")
		}
		if slices.Contains(vals, "") {
			return
		}
		r := tp.Render(vals)
		got, amb := tp.Split(r)
		if !amb && !slices.Equal(got, vals) {
			t.Fatalf("Parse(%q): Split(Render(%q)) = %q, unambiguous", src, vals, got)
		}
		literals := tp.Lead + tp.Trail
		for _, p := range tp.Parts {
			literals += p.Sep
		}
		for _, x := range vals {
			if strings.ContainsAny(x, literals) {
				return
			}
		}
		if diff := cmp.Diff(vals, got); diff != "" || amb {
			t.Fatalf("Parse(%q): Split(Render(%q)) = %q, ambiguous %v; want the values back", src, vals, got, amb)
		}
	})
}
