package listcodec

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestJSONArrayEntries(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want []string
	}{
		{"", nil},
		{"  ", nil},
		{"null", nil},
		{"[]", nil},
		{`["admin", "dev"]`, []string{"admin", "dev"}},
		{`["admin","dev","admin"]`, []string{"admin", "dev"}},
		{` [ "a\u00e9" , 12, null, {"x": ["y"]}, ["z"], "b\"q" ] `, []string{"aé", `b"q`}},
		{`["Zoë"]`, []string{"Zoë"}},
	} {
		got, err := JSONArray{}.Entries(tc.raw)
		if err != nil {
			t.Errorf("Entries(%q): %v", tc.raw, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Entries(%q) mismatch (-want +got):\n%s", tc.raw, diff)
		}
	}
}

func TestJSONArrayAdd(t *testing.T) {
	for _, tc := range []struct {
		raw   string
		names []string
		want  string
	}{
		{`["admin", "dev"]`, []string{"ops"}, `["admin", "dev", "ops"]`},
		{`["admin","dev"]`, []string{"ops", "qa"}, `["admin","dev","ops","qa"]`},
		{"[\n  \"admin\",\n  \"dev\"\n]", []string{"ops"}, "[\n  \"admin\",\n  \"dev\",\n  \"ops\"\n]"},
		{`["admin"]`, []string{"ops"}, `["admin", "ops"]`},
		{`[ 7 ]`, []string{"ops"}, `[ 7, "ops" ]`},
		{`[]`, []string{"ops"}, `["ops"]`},
		{`[ ]`, []string{"a", "b"}, `["a", "b" ]`},
		{``, []string{"ops"}, `["ops"]`},
		{`null`, []string{"ops"}, `["ops"]`},
		{`["admin"]`, []string{"admin"}, `["admin"]`},
		{`["a\u0064min"]`, []string{"admin"}, `["a\u0064min"]`},
		{`["a"]`, []string{`<b>&"c"`}, `["a", "<b>&\"c\""]`},
	} {
		got, err := JSONArray{}.Add(tc.raw, tc.names)
		if err != nil || got != tc.want {
			t.Errorf("Add(%q, %q) = %q, %v; want %q", tc.raw, tc.names, got, err, tc.want)
		}
	}
}

func TestJSONArrayRemove(t *testing.T) {
	for _, tc := range []struct {
		raw   string
		names []string
		want  string
	}{
		{`["admin", "dev", "ops"]`, []string{"dev"}, `["admin", "ops"]`},
		{`["admin", "dev", "ops"]`, []string{"admin"}, `["dev", "ops"]`},
		{`["admin", "dev", "ops"]`, []string{"ops"}, `["admin", "dev"]`},
		{`["admin",  {"k":1} ,"admin"]`, []string{"admin"}, `[{"k":1}]`},
		{`["admin"]`, []string{"admin"}, `[]`},
		{` [ "admin" ] `, []string{"admin"}, `[]`},
		{`["admin"]`, []string{"dev"}, `["admin"]`},
		{`null`, []string{"dev"}, `null`},
		{``, []string{"dev"}, ``},
	} {
		got, err := JSONArray{}.Remove(tc.raw, tc.names)
		if err != nil || got != tc.want {
			t.Errorf("Remove(%q, %q) = %q, %v; want %q", tc.raw, tc.names, got, err, tc.want)
		}
	}
}

func TestJSONArrayMalformed(t *testing.T) {
	for _, tc := range []struct {
		raw    string
		offset int
	}{
		{`["a",]`, 5},
		{`["a" "b"]`, 5},
		{`[`, 1},
		{`["a"`, 4},
		{`"admin"`, 0},
		{`  {"a":1}`, 2},
		{`["a"] x`, 6},
		{`null x`, 5},
		{`[tru]`, 4},
	} {
		_, err := JSONArray{}.Entries(tc.raw)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Entries(%q) = %v, want a *SyntaxError", tc.raw, err)
			continue
		}
		if se.Offset != tc.offset {
			t.Errorf("Entries(%q): %v, want offset %d", tc.raw, err, tc.offset)
		}
		for _, f := range []func() (string, error){
			func() (string, error) { return JSONArray{}.Add(tc.raw, []string{"x"}) },
			func() (string, error) { return JSONArray{}.Remove(tc.raw, []string{"x"}) },
		} {
			if got, err := f(); err == nil {
				t.Errorf("editing %q = %q, want an error", tc.raw, got)
			}
		}
	}
}

func TestJSONArrayNeedle(t *testing.T) {
	for name, want := range map[string]string{
		"admin": `"admin"`, `a"b\c`: `"a\"b\\c"`, "<&>": `"<&>"`, "Zoë": `"Zoë"`, "\n": `"\n"`,
	} {
		if got := (JSONArray{}).Needle(name); got != want {
			t.Errorf("Needle(%q) = %s, want %s", name, got, want)
		}
	}
	for _, bad := range []string{"", "\xff"} {
		if err := (JSONArray{}).CheckName(bad); err == nil {
			t.Errorf("CheckName(%q) = nil, want an error", bad)
		}
	}
}
