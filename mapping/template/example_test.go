package template_test

import (
	"fmt"

	"github.com/retroscim/retroscim/mapping/template"
)

// Grafana keeps a user's name in one column.
func Example() {
	t, err := template.Parse("{name.givenName} {name.familyName}")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", t.Render([]string{"Alice", "Smith"}))
	fmt.Printf("%q\n", t.Render([]string{"Cher", ""}))
	for _, v := range []string{"Alice Smith", "Cher", "Jan van der Berg"} {
		parts, ambiguous := t.Split(v)
		fmt.Printf("%q -> %q ambiguous=%v\n", v, parts, ambiguous)
	}
	// Output:
	// "Alice Smith"
	// "Cher"
	// "Alice Smith" -> ["Alice" "Smith"] ambiguous=false
	// "Cher" -> ["Cher" ""] ambiguous=false
	// "Jan van der Berg" -> ["Jan" "van der Berg"] ambiguous=true
}

func ExampleParse_error() {
	_, err := template.Parse("{name.givenName}{name.familyName}")
	fmt.Println(err)
	// Output:
	// at position 16: {name.familyName} follows {name.givenName} with nothing between: parts must be separated by a literal, which splitting the value needs
}
