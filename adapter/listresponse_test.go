package adapter

import (
	"fmt"
	"testing"

	"github.com/retroscim/retroscim/mapping"
)

// TestAppendListHead: a plain page appended from its head, its resources
// and "]}" is byte for byte the ListResponse object encoded, empty pages
// and large numbers included.
func TestAppendListHead(t *testing.T) {
	resource := func(id int) mapping.Object {
		var o mapping.Object
		o.Set("schemas", []string{"urn:ietf:params:scim:schemas:core:2.0:User"})
		o.Set("id", fmt.Sprint(id))
		o.Set("userName", fmt.Sprintf("user%d@example.com", id))
		return o
	}
	tests := []struct{ total, startIndex, n int }{
		{0, 1, 0},
		{1, 1, 1},
		{980005, 900001, 3},
		{1 << 40, 1 << 40, 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt), func(t *testing.T) {
			var objects []mapping.Object
			b := appendListHead(nil, tt.total, tt.startIndex, tt.n)
			for i := range tt.n {
				objects = append(objects, resource(i+1))
				if i > 0 {
					b = append(b, ',')
				}
				var err error
				if b, err = resource(i + 1).AppendJSON(b); err != nil {
					t.Fatal(err)
				}
			}
			b = append(b, "]}"...)
			want, err := listResponse(tt.total, tt.startIndex, tt.n, objects).AppendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != string(want) {
				t.Errorf("appended:\n%s\nencoded:\n%s", b, want)
			}
		})
	}
}
