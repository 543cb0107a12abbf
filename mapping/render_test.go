package mapping

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retroscim/retroscim/legacy/legacytest/golden"
)

// goldenJSON compares got, indented, with testdata/name; -update rewrites it.
func goldenJSON(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("invalid JSON %s: %v", got, err)
	}
	buf.WriteByte('\n')
	golden.Compare(t, filepath.Join("testdata", name), buf.Bytes())
}

// sampleRow is one user of the sample table, as the MySQL driver returns it.
func sampleRow(r *Resource) Row {
	values := map[string]any{
		"id":            int64(42),
		"is_active":     []byte("1"),
		"created_at":    time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC),
		"updated_at":    time.Date(2024, 5, 13, 4, 42, 34, 123456000, time.UTC),
		"login":         []byte("bjensen@example.com"),
		"first_name":    []byte("Barbara"),
		"last_name":     []byte("Jensen"),
		"display_name":  []byte("Babs \"BJ\" Jensen\u2028"),
		"email":         []byte("bjensen@example.com"),
		"home_email":    []byte(""),
		"okta_id":       []byte("00u1a2b3c4D5e6F7g8h9"),
		"title":         nil,
		"department":    []byte("Tour Operations"),
		"employee_no":   []byte("701984"),
		"role_name":     []byte("ReadOnlyAnalyst"),
		"badge_no":      int64(1234),
		"is_contractor": []byte("0"),
	}
	row := make(Row, len(r.SelectExprs()))
	for i, c := range r.SelectExprs() {
		row[i] = values[strings.Trim(c, "`")]
	}
	return row
}

func TestRender(t *testing.T) {
	r := boundUsers(t, nil)
	o := r.Render(sampleRow(r), "https://scim.example.com/scim/v2")
	got, err := o.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	goldenJSON(t, "render/user.json", got)

	// The version changes when any rendered value changes.
	row := sampleRow(r)
	v1 := r.Version(row)
	row[r.colIndex["first_name"]] = []byte("Barb")
	if v2 := r.Version(row); v1 == v2 {
		t.Errorf("Version did not change with first_name: %s", v1)
	}
}

func TestRenderVersionColumn(t *testing.T) {
	src := `database: { dsn: x }
users:
  table: users
  scope: all
  meta: { version: lock_version }
  attributes: { userName: { column: login } }
`
	cfg, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	row := Row{int64(1), int64(17), []byte("a")}
	if got := cfg.Users.Version(row); got != `W/"17"` {
		t.Errorf("Version = %s, want W/\"17\"", got)
	}
	o := cfg.Users.Render(row, "http://h")
	b, _ := o.MarshalJSON()
	want := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"1","userName":"a","meta":{"resourceType":"User","location":"http://h/Users/1","version":"W/\"17\""}}`
	if string(b) != want {
		t.Errorf("Render =\n%s\nwant\n%s", b, want)
	}
}

func TestObjectJSON(t *testing.T) {
	var o Object
	o.Set("s", "a\"b\\c\n\t\x01\xff é 😀 \u2028")
	o.Set("n", int64(-3))
	o.Set("f", 1.5)
	o.Set("b", true)
	o.Set("z", nil)
	o.Set("list", []any{"x", int64(1)})
	var inner Object
	inner.Set("k", "v")
	o.Set("o", []Object{inner})
	got, err := o.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("output is not JSON: %s: %v", got, err)
	}
	if back["s"] != "a\"b\\c\n\t\x01\ufffd é 😀 \u2028" {
		t.Errorf("string round trip = %q", back["s"])
	}
	want := `{"s":"a\"b\\c\n\t\u0001\ufffd é 😀 \u2028","n":-3,"f":1.5,"b":true,"z":null,"list":["x",1],"o":[{"k":"v"}]}`
	if string(got) != want {
		t.Errorf("MarshalJSON =\n%s\nwant\n%s", got, want)
	}
}
