package mapping

import (
	"bytes"
	"testing"
	"time"
)

// checkAppendResource fails unless AppendResource writes exactly what
// Render's Object encodes to, and returns that JSON.
func checkAppendResource(t *testing.T, r *Resource, row Row, baseURL string) []byte {
	t.Helper()
	want, err := r.Render(row, baseURL).AppendJSON(nil)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	prefix := []byte("prefix:")
	got := r.AppendResource(bytes.Clone(prefix), row, baseURL, r.Version(row))
	if !bytes.HasPrefix(got, prefix) {
		t.Fatalf("AppendResource lost what b held: %s", got)
	}
	if got = got[len(prefix):]; !bytes.Equal(got, want) {
		t.Errorf("AppendResource =\n%s\nRender =\n%s", got, want)
	}
	return want
}

// typedYAML maps one custom attribute of each SCIM type, an extension,
// a complex attribute and two typed entries of a multi-valued one.
const typedYAML = `database: { dsn: x }
users:
  table: users
  scope: all
  meta: { created: created_at }
  attributes:
    userName: { column: login }
    externalId: { column: ext }
    name.givenName: { column: first }
    name.familyName: { column: last }
    'emails[type eq "work"].value': { column: email }
    'emails[type eq "home"].value': { column: home_email }
    'urn:acme:1.0:User:flag': { column: flag, type: boolean }
    'urn:acme:1.0:User:level': { column: level, type: integer }
    'urn:acme:1.0:User:score': { column: score, type: decimal }
    'urn:acme:1.0:User:photo': { column: photo, type: binary }
    'urn:acme:1.0:User:seen': { column: seen, type: dateTime }
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department': { column: dept }
`

func TestAppendResourceMatchesRender(t *testing.T) {
	typed, err := Parse("typed.yaml", []byte(typedYAML))
	if err != nil {
		t.Fatal(err)
	}
	tr := typed.Users
	typedRow := func(vals map[string]any) Row { return rowOf(tr, vals) }
	seen := time.Date(2025, 2, 3, 4, 5, 6, 7, time.FixedZone("x", 3600))
	sample := boundUsers(t, nil)
	blank := make(Row, len(sample.SelectExprs()))
	blank[0] = int64(7)
	odd := sampleRow(sample)
	odd[sample.colIndex["login"]] = []byte("a\"b\\c\n\x01\xff\u2028 é <&>")
	odd[sample.colIndex["first_name"]] = ""
	odd[sample.colIndex["email"]] = nil
	tests := []struct {
		name string
		r    *Resource
		row  Row
		base string
	}{
		{"sample", sample, sampleRow(sample), "https://scim.example.com/scim/v2"},
		{"sample, all unassigned", sample, blank, "http://h"},
		{"sample, escapes and empties", sample, odd, "http://h/t/a b\"c"},
		{"typed, all set", tr, typedRow(map[string]any{"`id`": []byte("u-1/x y"), "`login`": []byte("bob"), "`ext`": "e1", "`first`": []byte("Bob"),
			"`email`": []byte("b@x"), "`home_email`": []byte("h@x"), "`flag`": []byte("1"), "`level`": int64(3), "`score`": []byte("2.50"),
			"`photo`": []byte{0, 1, 2}, "`seen`": seen, "`dept`": []byte("Ops"), "`created_at`": []byte("2024-01-02 03:04:05")}), "http://h"},
		{"typed, odd values", tr, typedRow(map[string]any{"`id`": uint64(9), "`login`": int64(12), "`home_email`": []byte("h@x"), "`flag`": []byte("maybe"),
			"`level`": []byte("x"), "`score`": []byte("1e"), "`photo`": "", "`seen`": []byte("0000-00-00 00:00:00"), "`dept`": []byte(""), "`created_at`": time.Time{}}), "http://h"},
		{"typed, false flag only", tr, typedRow(map[string]any{"`id`": int64(1), "`flag`": int64(0), "`seen`": []byte("2024-05-06")}), "http://h"},
		{"manager", managerResource(t), Row{int64(2), "bob", int64(1)}, "https://h/scim/v2"},
		{"manager unset", managerResource(t), Row{int64(2), "bob", nil}, "https://h/scim/v2"},
		{"composed name", grafanaResource(t), grafanaRow(grafanaResource(t), []byte("Jan van der Berg")), "https://h/scim/v2"},
		{"composed, empty", grafanaResource(t), grafanaRow(grafanaResource(t), []byte("")), "https://h/scim/v2"},
		{"epoch seconds", epochResource(t, giteaYAML), rowOf(epochResource(t, giteaYAML), map[string]any{"`id`": int64(3), "`lower_name`": []byte("bob"), "`created_unix`": int64(1767323045), "`updated_unix`": []byte("1767409445")}), "https://h"},
		{"epoch milliseconds", epochResource(t, mattermostYAML), rowOf(epochResource(t, mattermostYAML), map[string]any{"`Id`": []byte("u1"), "`Username`": []byte("bob"), "`CreateAt`": int64(1767323045123), "`UpdateAt`": int64(1767409445999)}), "https://h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkAppendResource(t, tt.r, tt.row, tt.base) })
	}
}

// FuzzAppendResource renders the sample user with fuzzed column values:
// whatever the bytes, AppendResource and Render agree.
func FuzzAppendResource(f *testing.F) {
	f.Add([]byte("bjensen@example.com"), []byte("Barbara"), []byte(""), []byte("1"), "https://h/scim/v2")
	f.Add([]byte("a\"\\\x00\xff\u2028"), []byte("\xe2\x80"), []byte("x\ty"), []byte("0"), "http://h/t/ä")
	f.Fuzz(func(t *testing.T, login, first, email, active []byte, base string) {
		r := boundUsers(t, nil)
		row := sampleRow(r)
		row[r.colIndex["login"]] = login
		row[r.colIndex["first_name"]] = first
		row[r.colIndex["email"]] = email
		row[r.colIndex["is_active"]] = active
		checkAppendResource(t, r, row, base)
	})
}
