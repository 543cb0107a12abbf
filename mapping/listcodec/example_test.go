package listcodec_test

import (
	"fmt"

	"github.com/retroscim/retroscim/mapping/listcodec"
)

// WordPress keeps a user's roles and per-user capabilities as the keys of
// one serialized array; Okta adds the user to the author group and takes
// them out of editor; the capability edit_reports, which SCIM does not
// manage, stays where it was.
func ExamplePHPArrayKeys() {
	c := listcodec.PHPArrayKeys{}
	raw := `a:2:{s:6:"editor";b:1;s:12:"edit_reports";b:1;}`
	raw, _ = c.Add(raw, []string{"author"})
	fmt.Println(raw)
	raw, _ = c.Remove(raw, []string{"editor"})
	fmt.Println(raw)
	entries, _ := c.Entries(raw)
	fmt.Println(entries, c.Needle("author"))
	// Output:
	// a:3:{s:6:"editor";b:1;s:12:"edit_reports";b:1;s:6:"author";b:1;}
	// a:2:{s:12:"edit_reports";b:1;s:6:"author";b:1;}
	// [edit_reports author] s:6:"author";
}

// Mattermost keeps system roles space-separated in Users.Roles.
func ExampleDelimited() {
	c := listcodec.Delimited{Sep: " "}
	raw, _ := c.Add("system_user", []string{"system_admin"})
	fmt.Printf("%q\n", raw)
	same, _ := c.Add(raw, []string{"system_admin"}) // already there: nothing to write
	fmt.Println(same == raw)
	raw, _ = c.Remove(raw, []string{"system_admin"})
	fmt.Printf("%q %s\n", raw, c.LikePattern("system_admin"))
	// Output:
	// "system_user system_admin"
	// true
	// "system_user" % system!_admin %
}

func ExampleSyntaxError() {
	_, err := listcodec.PHPArrayKeys{}.Add(`a:1:{s:3:"Zoë";b:1;}`, []string{"editor"})
	fmt.Println(err)
	// Output:
	// php_array_keys value: at byte 13: the 3-byte string at byte 10 is not followed by '";': its length is wrong
}
