package listcodec

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Mattermost's Users.Roles as Mattermost writes it (space-joined role
// names) and as a DBA might leave it after a hand edit.
var space = Delimited{Sep: " "}

func TestDelimitedEntries(t *testing.T) {
	comma := Delimited{Sep: ","}
	for _, tc := range []struct {
		d    Delimited
		raw  string
		want []string
	}{
		{space, "", nil},
		{space, "system_user", []string{"system_user"}},
		{space, "system_user system_admin", []string{"system_user", "system_admin"}},
		{space, "  system_user   system_admin ", []string{"system_user", "system_admin"}},
		{space, "system_user system_user_manager system_user", []string{"system_user", "system_user_manager"}},
		{space, "system_guest", []string{"system_guest"}},
		{space, "   ", nil},
		{space, "system_user\tsystem_admin", []string{"system_user\tsystem_admin"}}, // only spaces separate
		{comma, "admin, dev ,,ops,", []string{"admin", "dev", "ops"}},
		{comma, " , ,", nil},
		{comma, "sys admin,dev", []string{"sys admin", "dev"}},
		{Delimited{Sep: "|"}, "|a||b|", []string{"a", "b"}},
		{Delimited{Sep: "·"}, "a·b", []string{"a", "b"}},
	} {
		got, err := tc.d.Entries(tc.raw)
		if err != nil {
			t.Errorf("%+v.Entries(%q): %v", tc.d, tc.raw, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%+v.Entries(%q) mismatch (-want +got):\n%s", tc.d, tc.raw, diff)
		}
	}
}

func TestDelimitedAdd(t *testing.T) {
	comma := Delimited{Sep: ","}
	for _, tc := range []struct {
		d     Delimited
		raw   string
		names []string
		want  string
	}{
		{space, "system_user", []string{"system_admin"}, "system_user system_admin"},
		{space, "", []string{"system_admin"}, "system_admin"},
		{space, "   ", []string{"system_admin"}, "system_admin"},
		{space, "system_user ", []string{"system_admin"}, "system_user system_admin "},
		{space, "  system_user  x ", []string{"a", "b"}, "  system_user  x a b "},
		{space, "system_user system_admin", []string{"system_admin"}, "system_user system_admin"},
		{space, "system_user", []string{"a", "a", "system_user"}, "system_user a"},
		{space, "system_user", nil, "system_user"},
		{comma, "admin, dev,", []string{"ops"}, "admin, dev,ops,"},
		{comma, ",,", []string{"ops", "qa"}, "ops,qa"},
	} {
		got, err := tc.d.Add(tc.raw, tc.names)
		if err != nil || got != tc.want {
			t.Errorf("%+v.Add(%q, %q) = %q, %v; want %q", tc.d, tc.raw, tc.names, got, err, tc.want)
		}
	}
}

func TestDelimitedRemove(t *testing.T) {
	comma := Delimited{Sep: ","}
	for _, tc := range []struct {
		d     Delimited
		raw   string
		names []string
		want  string
	}{
		{space, "system_user system_admin", []string{"system_admin"}, "system_user"},
		{space, "system_admin system_user", []string{"system_admin"}, "system_user"},
		{space, "system_user  system_admin   system_post_all", []string{"system_admin"}, "system_user   system_post_all"},
		{space, " system_admin system_user ", []string{"system_admin"}, " system_user "},
		{space, "system_admin system_user system_admin", []string{"system_admin"}, "system_user"},
		{space, "system_admin", []string{"system_admin"}, ""},
		{space, "  system_admin  ", []string{"system_admin"}, ""},
		{space, "system_user", []string{"system_admin"}, "system_user"},
		{space, "system_user  ", []string{"system_admin"}, "system_user  "},
		{space, "system_user_manager", []string{"system_user"}, "system_user_manager"},
		{space, "", []string{"system_admin"}, ""},
		{comma, "admin, dev ,ops", []string{"dev"}, "admin ,ops"},
		{comma, "admin, dev ,ops", []string{"admin"}, "dev ,ops"},
		{comma, "admin, dev ,ops,", []string{"ops"}, "admin, dev,"},
	} {
		got, err := tc.d.Remove(tc.raw, tc.names)
		if err != nil || got != tc.want {
			t.Errorf("%+v.Remove(%q, %q) = %q, %v; want %q", tc.d, tc.raw, tc.names, got, err, tc.want)
		}
	}
}

func TestDelimitedContains(t *testing.T) {
	for _, tc := range []struct {
		raw, name string
		want      bool
	}{
		{"system_user system_admin", "system_admin", true},
		{"system_user system_admin", "system_user", true},
		{"system_user_manager", "system_user", false},
		{"system_user", "system", false},
		{"", "system_user", false},
		{"a b", "a b", false},
	} {
		got, err := space.Contains(tc.raw, tc.name)
		if err != nil || got != tc.want {
			t.Errorf("Contains(%q, %q) = %v, %v; want %v", tc.raw, tc.name, got, err, tc.want)
		}
	}
}

func TestDelimitedRefuses(t *testing.T) {
	for _, tc := range []struct {
		d    Delimited
		name string
	}{
		{space, ""},
		{space, "system admin"},
		{Delimited{Sep: ","}, "a,b"},
		{Delimited{Sep: ","}, "a b"},
		{Delimited{}, "a"},
		{Delimited{Sep: ", "}, "a"},
		{Delimited{Sep: "  "}, "a"},
		{Delimited{Sep: "||"}, "a"},
		{Delimited{Sep: "\xff"}, "a"},
	} {
		if err := tc.d.CheckName(tc.name); err == nil {
			t.Errorf("%+v.CheckName(%q) = nil, want an error", tc.d, tc.name)
		}
		if got, err := tc.d.Add("x", []string{tc.name}); err == nil {
			t.Errorf("%+v.Add(x, %q) = %q, want an error", tc.d, tc.name, got)
		}
	}
	var se *SyntaxError
	if _, err := (Delimited{}).Entries("a"); err == nil || errors.As(err, &se) {
		t.Errorf("Entries with no separator = %v, want a configuration error", err)
	}
}

func TestDelimitedLikePattern(t *testing.T) {
	for _, tc := range []struct {
		d          Delimited
		name, want string
	}{
		{space, "system_admin", "% system!_admin %"},
		{space, "100%", "% 100!% %"},
		{space, "a!b", "% a!!b %"},
		{Delimited{Sep: ","}, "ops", "%,ops,%"},
		{Delimited{Sep: "_"}, "ops", "%!_ops!_%"},
		{space, "\xffa_", "% \xffa!_ %"},
	} {
		if got := tc.d.LikePattern(tc.name); got != tc.want {
			t.Errorf("%+v.LikePattern(%q) = %q, want %q", tc.d, tc.name, got, tc.want)
		}
	}
}
