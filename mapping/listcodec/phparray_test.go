package listcodec

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Values of wp_capabilities and wp_user_roles as WordPress 6.x writes them
// (examples/wordpress seed data; lengths are exact).
const (
	wpAdministrator = `a:1:{s:13:"administrator";b:1;}`
	wpSubscriber    = `a:1:{s:10:"subscriber";b:1;}`
	wpEditorReports = `a:2:{s:6:"editor";b:1;s:12:"edit_reports";b:1;}`
	wpUserRoles     = `a:5:{s:13:"administrator";a:2:{s:4:"name";s:13:"Administrator";s:12:"capabilities";a:5:{s:13:"switch_themes";b:1;s:10:"edit_users";b:1;s:14:"manage_options";b:1;s:4:"read";b:1;s:8:"level_10";b:1;}}s:6:"editor";a:2:{s:4:"name";s:6:"Editor";s:12:"capabilities";a:4:{s:17:"edit_others_posts";b:1;s:13:"publish_posts";b:1;s:4:"read";b:1;s:7:"level_7";b:1;}}s:6:"author";a:2:{s:4:"name";s:6:"Author";s:12:"capabilities";a:4:{s:12:"upload_files";b:1;s:13:"publish_posts";b:1;s:4:"read";b:1;s:7:"level_2";b:1;}}s:11:"contributor";a:2:{s:4:"name";s:11:"Contributor";s:12:"capabilities";a:3:{s:10:"edit_posts";b:1;s:4:"read";b:1;s:7:"level_1";b:1;}}s:10:"subscriber";a:2:{s:4:"name";s:10:"Subscriber";s:12:"capabilities";a:2:{s:4:"read";b:1;s:7:"level_0";b:1;}}}`
	// every kind of PHP value, kept as opaque spans
	phpEveryValue = `a:12:{s:1:"n";N;s:1:"f";b:0;s:1:"i";i:-42;s:1:"d";d:0.1;s:3:"inf";d:-INF;s:1:"e";d:1.5E+25;s:1:"s";s:5:"a";b}";s:1:"a";a:1:{i:0;s:6:"editor";}s:1:"o";O:8:"stdClass":1:{s:1:"x";i:1;}s:1:"c";C:11:"ArrayObject":21:{x:i:0;a:0:{};m:a:0:{}}s:2:"en";E:11:"Suit:Hearts";i:7;b:1;}`
)

func TestPHPArrayKeysEntries(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want []string
	}{
		{"", nil},
		{"a:0:{}", nil},
		{wpAdministrator, []string{"administrator"}},
		{wpEditorReports, []string{"editor", "edit_reports"}},
		{wpUserRoles, []string{"administrator", "editor", "author", "contributor", "subscriber"}},
		{`a:1:{s:4:"Zoë";b:1;}`, []string{"Zoë"}},
		{`a:2:{s:6:"editor";b:0;s:6:"author";b:1;}`, []string{"editor", "author"}}, // WordPress counts a false-valued role too
		{`a:2:{s:6:"editor";b:1;s:6:"editor";b:0;}`, []string{"editor"}},
		{`a:2:{i:0;s:6:"editor";i:1;b:1;}`, nil}, // integer keys are no entries; the string value is no key
		{`a:3:{s:1:"o";O:8:"stdClass":0:{}s:1:"h";r:2;s:1:"p";R:2;}`, []string{"o", "h", "p"}},
		{`a:1:{S:6:"\65ditor";b:1;}`, []string{"editor"}},
		{phpEveryValue, []string{"n", "f", "i", "d", "inf", "e", "s", "a", "o", "c", "en"}},
		{`a:1:{s:3:"a;b";s:7:"x";s:1:";}`, []string{"a;b"}},
	} {
		got, err := PHPArrayKeys{}.Entries(tc.raw)
		if err != nil {
			t.Errorf("Entries(%q): %v", tc.raw, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Entries(%q) mismatch (-want +got):\n%s", tc.raw, diff)
		}
	}
}

func TestPHPArrayKeysAdd(t *testing.T) {
	for _, tc := range []struct {
		raw   string
		names []string
		want  string
	}{
		{wpSubscriber, []string{"editor"}, `a:2:{s:10:"subscriber";b:1;s:6:"editor";b:1;}`},
		{wpAdministrator, []string{"Zoë"}, `a:2:{s:13:"administrator";b:1;s:4:"Zoë";b:1;}`},
		{wpEditorReports, []string{"author", "contributor"}, `a:4:{s:6:"editor";b:1;s:12:"edit_reports";b:1;s:6:"author";b:1;s:11:"contributor";b:1;}`},
		{"a:0:{}", []string{"editor"}, `a:1:{s:6:"editor";b:1;}`},
		{"", []string{"editor"}, `a:1:{s:6:"editor";b:1;}`},
		{wpEditorReports, []string{"editor"}, wpEditorReports},
		{`a:1:{s:6:"editor";b:0;}`, []string{"editor"}, `a:1:{s:6:"editor";b:0;}`}, // present is present
		{wpSubscriber, []string{"x", "x"}, `a:2:{s:10:"subscriber";b:1;s:1:"x";b:1;}`},
		{`a:9:{i:0;b:1;i:1;b:1;i:2;b:1;i:3;b:1;i:4;b:1;i:5;b:1;i:6;b:1;i:7;b:1;i:8;b:1;}`, []string{"x"},
			`a:10:{i:0;b:1;i:1;b:1;i:2;b:1;i:3;b:1;i:4;b:1;i:5;b:1;i:6;b:1;i:7;b:1;i:8;b:1;s:1:"x";b:1;}`},
		{`a:1:{s:1:"r";R:1;}`, []string{"x"}, `a:2:{s:1:"r";R:1;s:1:"x";b:1;}`},
		{`a:1:{s:1:"q";s:3:"a"b";}`, []string{`"; x`}, `a:2:{s:1:"q";s:3:"a"b";s:4:""; x";b:1;}`},
	} {
		got, err := PHPArrayKeys{}.Add(tc.raw, tc.names)
		if err != nil || got != tc.want {
			t.Errorf("Add(%q, %q) = %q, %v; want %q", tc.raw, tc.names, got, err, tc.want)
		}
	}
}

func TestPHPArrayKeysRemove(t *testing.T) {
	for _, tc := range []struct {
		raw   string
		names []string
		want  string
	}{
		{wpEditorReports, []string{"editor"}, `a:1:{s:12:"edit_reports";b:1;}`},
		{wpEditorReports, []string{"edit_reports"}, `a:1:{s:6:"editor";b:1;}`},
		{wpEditorReports, []string{"editor", "author"}, `a:1:{s:12:"edit_reports";b:1;}`},
		{wpAdministrator, []string{"administrator"}, "a:0:{}"},
		{wpAdministrator, []string{"editor"}, wpAdministrator},
		{"", []string{"editor"}, ""},
		{`a:2:{s:6:"editor";b:1;s:6:"editor";b:0;}`, []string{"editor"}, "a:0:{}"},
		{`a:3:{i:0;s:6:"editor";s:6:"editor";a:1:{s:1:"k";d:2.5;}s:1:"z";O:8:"stdClass":0:{}}`, []string{"editor"},
			`a:2:{i:0;s:6:"editor";s:1:"z";O:8:"stdClass":0:{}}`},
		{`a:10:{i:0;b:1;i:1;b:1;i:2;b:1;i:3;b:1;i:4;b:1;i:5;b:1;i:6;b:1;i:7;b:1;i:8;b:1;s:1:"x";b:1;}`, []string{"x"},
			`a:9:{i:0;b:1;i:1;b:1;i:2;b:1;i:3;b:1;i:4;b:1;i:5;b:1;i:6;b:1;i:7;b:1;i:8;b:1;}`},
		{`a:2:{s:1:"r";R:1;s:1:"x";b:1;}`, []string{"y"}, `a:2:{s:1:"r";R:1;s:1:"x";b:1;}`}, // a no-op is fine with references
		{wpUserRoles, []string{"author"}, strings.Replace(strings.Replace(wpUserRoles, "a:5:{", "a:4:{", 1),
			`s:6:"author";a:2:{s:4:"name";s:6:"Author";s:12:"capabilities";a:4:{s:12:"upload_files";b:1;s:13:"publish_posts";b:1;s:4:"read";b:1;s:7:"level_2";b:1;}}`, "", 1)},
	} {
		got, err := PHPArrayKeys{}.Remove(tc.raw, tc.names)
		if err != nil || got != tc.want {
			t.Errorf("Remove(%q, %q) = %q, %v; want %q", tc.raw, tc.names, got, err, tc.want)
		}
	}
}

func TestPHPArrayKeysReferences(t *testing.T) {
	for _, raw := range []string{
		`a:2:{s:1:"x";O:8:"stdClass":0:{}s:1:"o";a:1:{i:0;r:2;}}`,
		`a:3:{s:1:"x";b:1;s:1:"y";b:1;s:1:"r";R:3;}`,
	} {
		if got, err := (PHPArrayKeys{}).Remove(raw, []string{"x"}); err == nil {
			t.Errorf("Remove(%q, x) = %q, want a refusal: a reference follows x", raw, got)
		}
	}
	for _, tc := range []struct{ raw, name, want string }{
		{`a:2:{s:1:"r";R:1;s:1:"x";b:1;}`, "x", `a:1:{s:1:"r";R:1;}`},
		{`a:2:{s:1:"x";b:1;s:1:"r";R:2;}`, "r", `a:1:{s:1:"x";b:1;}`},
	} {
		if got, err := (PHPArrayKeys{}).Remove(tc.raw, []string{tc.name}); err != nil || got != tc.want {
			t.Errorf("Remove(%q, %q) = %q, %v; want %q", tc.raw, tc.name, got, err, tc.want)
		}
	}
}

// phpMalformed are values the codec refuses, with the offset it names.
var phpMalformed = []struct {
	raw    string
	offset int
}{
	{`a:1:{s:13:"administrator";b:1;`, 30},      // not closed
	{`a:2:{s:13:"administrator";b:1;}`, 30},     // count too high
	{`a:1:{s:6:"editor";b:1;s:1:"x";b:1;}`, 22}, // count too low
	{`a:1:{s:5:"editor";b:1;}`, 15},             // length one short
	{`a:1:{s:3:"Zoë";b:1;}`, 13},                // s:N: counts bytes: Zoë is 4
	{`a:1:{s:99:"editor";b:1;}`, 7},             // length past the whole value
	{`a:1:{s:1:"x";s:9:"ab";}`, 18},             // string past the end
	{`a:1:{s:6:"editor";b:2;}`, 20},             // booleans are 0 or 1
	{`a:1:{s:6:"editor";b:1;}x`, 23},            // text after the array
	{`a:1:{s:6:"editor";b:1;};`, 23},
	{`b:1;`, 0}, // not an array
	{`s:6:"editor";`, 0},
	{` a:0:{}`, 0},
	{`a:-1:{}`, 2},
	{`a:1:{d:1.5;b:1;}`, 5}, // keys are integers or strings
	{`a:1:{N;b:1;}`, 5},
	{`a:1:{s:1:"x";Q:1;}`, 13}, // unknown type
	{`a:1:{s:1:"x";d:.;}`, 15},
	{`a:1:{s:1:"x";d:1e;}`, 17},
	{`a:1:{s:1:"x";i:;}`, 15},
	{`a:1:{s:1:"x";O:8:"stdClass":1:{}}`, 31},
	{`a:1:{s:1:"x";C:3:"Foo":5:{ab}}`, 26},
	{`a:1:{S:2:"\6";b:1;}`, 10},
	{`a:1:{S:1:"\zz";b:1;}`, 10},
	{`a:99999999999999999999999:{}`, 2},
	{`a:1:{s:1:"a";R:2;}`, 15}, // references name values read before them
	{`a:1:{s:1:"a";R:0;}`, 15},
	{`a:1:{s:1:"a";R:+1;}`, 15},
	{`a:2:{s:1:"a";R:1;s:1:"b";R:2;}`, 27}, // R: takes no number of its own
	{`a:1:{s:1:"a";r:1;}`, 13},             // r: names an object
	{`a:2:{s:1:"a";i:1;s:1:"b";r:3;}`, 27},
	{`a`, 0},
	{`a:`, 2},
	{`a:1`, 3},
}

func TestPHPArrayKeysMalformed(t *testing.T) {
	for _, tc := range phpMalformed {
		_, err := PHPArrayKeys{}.Entries(tc.raw)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Entries(%q) = %v, want a *SyntaxError", tc.raw, err)
			continue
		}
		if se.Offset != tc.offset {
			t.Errorf("Entries(%q): %v; want offset %d", tc.raw, err, tc.offset)
		}
		if got, err := (PHPArrayKeys{}).Add(tc.raw, []string{"x"}); err == nil {
			t.Errorf("Add(%q, x) = %q, want an error", tc.raw, got)
		}
		if got, err := (PHPArrayKeys{}).Remove(tc.raw, []string{"x"}); err == nil {
			t.Errorf("Remove(%q, x) = %q, want an error", tc.raw, got)
		}
	}
}

func TestPHPArrayKeysDepth(t *testing.T) {
	deep := `a:1:{s:1:"x";` + strings.Repeat("a:1:{i:0;", maxPHPDepth+1) + "N;" + strings.Repeat("}", maxPHPDepth+1) + "}"
	if _, err := (PHPArrayKeys{}).Entries(deep); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("Entries(nested %d deep) = %v, want a depth error", maxPHPDepth+1, err)
	}
	ok := `a:1:{s:1:"x";` + strings.Repeat("a:1:{i:0;", maxPHPDepth-1) + "N;" + strings.Repeat("}", maxPHPDepth-1) + "}"
	if _, err := (PHPArrayKeys{}).Entries(ok); err != nil {
		t.Errorf("Entries(nested %d deep): %v", maxPHPDepth-1, err)
	}
}

func TestPHPArrayKeysNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"editor", true}, {"Zoë", true}, {"-0", true}, {"007", true}, {"+1", true}, {"1.5", true},
		{"99999999999999999999", true}, // past 64 bits PHP keeps the string
		{"", false}, {"0", false}, {"42", false}, {"-7", false}, {"9223372036854775807", false},
	} {
		if err := (PHPArrayKeys{}).CheckName(tc.name); (err == nil) != tc.ok {
			t.Errorf("CheckName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestPHPArrayKeysNeedle(t *testing.T) {
	for name, want := range map[string]string{
		"editor":        `s:6:"editor";`,
		"administrator": `s:13:"administrator";`,
		"Zoë":           `s:4:"Zoë";`,
	} {
		if got := (PHPArrayKeys{}).Needle(name); got != want {
			t.Errorf("Needle(%q) = %s, want %s", name, got, want)
		}
		added, err := PHPArrayKeys{}.Add(wpSubscriber, []string{name})
		if err != nil || !strings.Contains(added, want) {
			t.Errorf("Add(%q) = %q, %v; want it to hold the needle %s", name, added, err, want)
		}
	}
}
