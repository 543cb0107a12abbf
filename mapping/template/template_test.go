package template

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want Template
	}{
		{"{name.givenName} {name.familyName}", Template{Parts: []Part{
			{Attr: "name.givenName", Pos: 0}, {Attr: "name.familyName", Sep: " ", Pos: 17}}}},
		{"{displayName}", Template{Parts: []Part{{Attr: "displayName"}}}},
		{"{name.familyName}, {name.givenName}", Template{Parts: []Part{
			{Attr: "name.familyName"}, {Attr: "name.givenName", Sep: ", ", Pos: 19}}}},
		{"Dr. {name.givenName} {name.familyName} (SSO)", Template{Lead: "Dr. ", Trail: " (SSO)", Parts: []Part{
			{Attr: "name.givenName", Pos: 4}, {Attr: "name.familyName", Sep: " ", Pos: 21}}}},
		{"{a}·{b} – {c}", Template{Parts: []Part{{Attr: "a"}, {Attr: "b", Sep: "·", Pos: 5}, {Attr: "c", Sep: " – ", Pos: 13}}}},
		{"{urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber}-{userName}", Template{Parts: []Part{
			{Attr: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"}, {Attr: "userName", Sep: "-", Pos: 76}}}},
	} {
		got, err := Parse(tc.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.src, err)
			continue
		}
		if diff := cmp.Diff(&tc.want, got); diff != "" {
			t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tc.src, diff)
		}
		if s := got.String(); s != tc.src {
			t.Errorf("Parse(%q).String() = %q", tc.src, s)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		src string
		pos int
	}{
		{"", 0},
		{"just text", 0},
		{"{name.givenName}{name.familyName}", 16},
		{"{a} {b}{c}", 7},
		{"{a} {A}", 4},
		{"{name.givenName} {name.givenname}", 17},
		{"{}", 1},
		{"{a", 0},
		{"{a {b}", 0},
		{"{a} }", 4},
		{"a}{b}", 1},
		{"{ a}", 1},
		{"{a b}", 2},
		{"{1a}", 1},
		{"{a$}", 2},
		{"{aé}", 2},
		{"{a}\xff", 3},
	} {
		_, err := Parse(tc.src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", tc.src, err)
			continue
		}
		if se.Pos != tc.pos {
			t.Errorf("Parse(%q): %v; want position %d", tc.src, err, tc.pos)
		}
	}
}

func TestIndex(t *testing.T) {
	tp, err := Parse("{name.givenName} {name.familyName}")
	if err != nil {
		t.Fatal(err)
	}
	for attr, want := range map[string]int{"name.givenName": 0, "NAME.GIVENNAME": 0, "name.familyName": 1, "displayName": -1} {
		if got := tp.Index(attr); got != want {
			t.Errorf("Index(%q) = %d, want %d", attr, got, want)
		}
	}
}

func TestRender(t *testing.T) {
	for _, tc := range []struct {
		src    string
		values []string
		want   string
	}{
		{"{g} {f}", []string{"Alice", "Smith"}, "Alice Smith"},
		{"{g} {f}", []string{"Jan", "van der Berg"}, "Jan van der Berg"},
		{"{g} {f}", []string{"Cher", ""}, "Cher"},
		{"{g} {f}", []string{"", "Smith"}, "Smith"},
		{"{g} {f}", []string{"", ""}, ""},
		{"{f}, {g}", []string{"Smith", "Alice"}, "Smith, Alice"},
		{"{f}, {g}", []string{"", "Alice"}, "Alice"},
		{"{a} {b}, {c}", []string{"A", "", "C"}, "A, C"},
		{"{a} {b}, {c}", []string{"", "B", "C"}, "B, C"},
		{"{a} {b}, {c}", []string{"", "", "C"}, "C"},
		{"{a} {b}, {c}", []string{"A", "B", ""}, "A B"},
		{"Dr. {g} {f} (SSO)", []string{"Alice", ""}, "Dr. Alice (SSO)"},
		{"Dr. {g} {f} (SSO)", []string{"", ""}, ""},
		{"{displayName}", []string{"Ops"}, "Ops"},
	} {
		tp, err := Parse(tc.src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.src, err)
		}
		if got := tp.Render(tc.values); got != tc.want {
			t.Errorf("Parse(%q).Render(%q) = %q, want %q", tc.src, tc.values, got, tc.want)
		}
	}
}

func TestRenderPanicsOnWrongCount(t *testing.T) {
	tp, err := Parse("{g} {f}")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Render with one value for two parts did not panic")
		}
	}()
	tp.Render([]string{"Alice"})
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		src       string
		value     string
		want      []string
		ambiguous bool
	}{
		{"{g} {f}", "Alice Smith", []string{"Alice", "Smith"}, false},
		{"{g} {f}", "Jan van der Berg", []string{"Jan", "van der Berg"}, true},
		{"{g} {f}", "Mary Ann Smith", []string{"Mary", "Ann Smith"}, true},
		{"{g} {f}", "Cher", []string{"Cher", ""}, false},
		{"{g} {f}", "", []string{"", ""}, false},
		{"{g} {f}", " Smith", []string{"", "Smith"}, true}, // renders "Smith"
		{"{g} {f}", "Alice ", []string{"Alice", ""}, true}, // renders "Alice"
		{"{g} {f}", "Alice  Smith", []string{"Alice", " Smith"}, true},
		{"{g} {f}", " ", []string{"", ""}, true},
		{"{g} {f}", "Zoë Ölund", []string{"Zoë", "Ölund"}, false},
		{"{f}, {g}", "Smith, Alice", []string{"Smith", "Alice"}, false},
		{"{f}, {g}", "Smith, Alice Mary", []string{"Smith", "Alice Mary"}, false}, // a space is no separator here
		{"{f}, {g}", "Smith, Jr., Alice", []string{"Smith", "Jr., Alice"}, true},
		{"{f}, {g}", "Smith", []string{"Smith", ""}, false},
		{"{a} {b}, {c}", "A B, C", []string{"A", "B", "C"}, false},
		{"{a} {b}, {c}", "A B", []string{"A", "B", ""}, false},
		{"{a} {b}, {c}", "A B C, D", []string{"A", "B C", "D"}, true},
		{"{a} {b}, {c}", "A, C", []string{"A,", "C", ""}, false}, // parts fill from the left
		{"{a}-{b} {c}", "x y-z w", []string{"x y", "z", "w"}, false},
		{"Dr. {g} {f} (SSO)", "Dr. Alice Smith (SSO)", []string{"Alice", "Smith"}, false},
		{"Dr. {g} {f} (SSO)", "Dr. Alice (SSO)", []string{"Alice", ""}, false},
		{"Dr. {g} {f} (SSO)", "Alice Smith (SSO)", []string{"Alice", "Smith"}, true}, // no Lead
		{"Dr. {g} {f} (SSO)", "Dr. Alice Smith", []string{"Alice", "Smith"}, true},   // no Trail
		{"Dr. {g} {f} (SSO)", "Dr.  (SSO)", []string{"", ""}, true},
		{"{a}--{b}", "x---y", []string{"x", "-y"}, true},
		{"{a}--{b}", "x--y", []string{"x", "y"}, false},
		{"{displayName}", "Ops team", []string{"Ops team"}, false},
		{"{displayName}", "", []string{""}, false},
	} {
		tp, err := Parse(tc.src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.src, err)
		}
		got, amb := tp.Split(tc.value)
		if diff := cmp.Diff(tc.want, got); diff != "" || amb != tc.ambiguous {
			t.Errorf("Parse(%q).Split(%q) = %q, %v; want %q, %v", tc.src, tc.value, got, amb, tc.want, tc.ambiguous)
		}
	}
}
