package mapping

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// hiddenResource maps a password and a write-only work phone.
func hiddenResource(t *testing.T) *Resource {
	t.Helper()
	cfg, err := Parse("t.yaml", []byte(`database: { dsn: x }
users:
  table: users
  scope: all
  attributes:
    userName: { column: login }
    password: { column: password_hash, hash: none }
    'phoneNumbers[type eq "work"].value': { column: phone, mutability: writeOnly }
    'phoneNumbers[type eq "mobile"].value': { column: mobile }
    name.givenName: { column: first_name }
    name.middleName: { column: middle_name, mutability: writeOnly }
`))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Users
}

// TestHiddenAttributes: a write-only attribute cannot be named where its
// value would be compared or ordered, however the name is reached.
func TestHiddenAttributes(t *testing.T) {
	r := hiddenResource(t)
	for _, f := range []string{
		`password eq "x"`, `password pr`, `password gt "a"`, `not (password sw "a")`,
		`urn:ietf:params:scim:schemas:core:2.0:User:password eq "x"`,
		`userName eq "a" or password eq null`,
		`phoneNumbers[value eq "1"]`, `phoneNumbers[type eq "mobile" and value eq "1"]`,
		`phoneNumbers.value eq "1"`, `name.middleName eq "x"`, `name[middleName pr]`,
	} {
		_, err := r.CompileFilter(f)
		var fe *FilterError
		if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "is write-only") {
			t.Errorf("CompileFilter(%q) = %v, want a write-only FilterError", f, err)
		}
	}
	// A complex attribute as a whole tests only what a client can see.
	for f, want := range map[string]string{
		`name pr`:         "(`first_name` IS NOT NULL AND `first_name` <> '')",
		`phoneNumbers pr`: "(`mobile` IS NOT NULL AND `mobile` <> '')",
	} {
		if p, err := r.CompileFilter(f); err != nil || p.SQL() != want {
			t.Errorf("CompileFilter(%q) = %q, %v; want %s", f, p.SQL(), err, want)
		}
	}
	for _, s := range []string{"password", "phoneNumbers.value", "name.middleName"} {
		var re *RequestError
		if _, err := r.Order(s, false); !errors.As(err, &re) || re.SCIMType != SCIMInvalidValue || !strings.Contains(re.Msg, "write-only") {
			t.Errorf("Order(%q) = %v, want invalidValue write-only", s, err)
		}
	}
	for _, s := range []string{"password", "userName,password", "name.middleName", "urn:ietf:params:scim:schemas:core:2.0:User:password"} {
		var re *RequestError
		if _, err := r.Projection(s, ""); !errors.As(err, &re) || re.SCIMType != SCIMInvalidValue {
			t.Errorf("Projection(%q) = %v, want invalidValue", s, err)
		}
		if _, err := r.Projection("", s); err != nil {
			t.Errorf("Projection excluding %q = %v, want accepted", s, err)
		}
	}
	row := make(Row, len(r.SelectExprs()))
	for _, body := range []string{
		`{"Operations":[{"op":"replace","path":"phoneNumbers[value eq \"1\"].value","value":"2"}]}`,
		`{"Operations":[{"op":"remove","path":"phoneNumbers[type eq \"mobile\" or value pr]"}]}`,
	} {
		var re *RequestError
		if err := r.NewDraft(row).ApplyPatch(ops(t, body)); !errors.As(err, &re) || re.SCIMType != SCIMInvalidFilter {
			t.Errorf("ApplyPatch(%s) = %v, want invalidFilter", body, err)
		}
	}
}

// TestSharedLookup: a multi-tenant app whose lookup table is the same for
// every tenant says so with shared: true; the lookup then has no tenant.
func TestSharedLookup(t *testing.T) {
	cfg, err := Parse("t.yaml", []byte(`database: { dsn: x }
users:
  table: users
  scope: all
  tenant: org_id
  attributes:
    userName: { column: login }
    urn:ietf:params:scim:schemas:core:2.0:User:role:
      lookup: { table: roles, match: name, column: role_id, shared: true }
`))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Users.find(UserSchema, "role", "", "")
	if a == nil || a.Lookup == nil || a.Lookup.Tenant != "" {
		t.Fatalf("role = %+v, want a lookup without tenant", a)
	}
}

// TestCheckSchemas: a POST or PUT body lists its resource type's core
// schema and only schemas this resource type knows. Okta and Entra list
// the enterprise extension even when nothing of it is mapped, and Entra
// lists a Microsoft URN when it creates a group; both are accepted.
func TestCheckSchemas(t *testing.T) {
	users := writeResource(t) // maps enterprise and urn:acme:scim:ext:1.0:User attributes
	bare := hiddenResource(t) // maps no extension
	groups := groupsConfig(t, "    join: { table: user_roles, user: user_id, group: role_id }\n").Groups
	const core, ent = `"urn:ietf:params:scim:schemas:core:2.0:User"`, `"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
	for _, tt := range []struct {
		r       *Resource
		schemas string // the schemas member, or "" for none
		want    string // substring of the error, or "" for accepted
	}{
		{users, `[` + core + `]`, ""},
		{users, `[` + core + `,` + ent + `]`, ""},
		{users, `["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER","urn:acme:scim:ext:1.0:User"]`, ""},
		{bare, `[` + core + `,` + ent + `]`, ""},
		{groups, `["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"]`, ""},
		{users, ``, `the body has no schemas: send "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"] with a User`},
		{users, `[]`, `schemas must be a non-empty array`},
		{users, `"` + UserSchema + `"`, `schemas must be a non-empty array`},
		{users, `[1]`, `schemas must hold strings`},
		{users, `["urn:hostile:nope"]`, `schemas: "urn:hostile:nope" is not a schema of Users on this server; it knows urn:ietf:params:scim:schemas:core:2.0:User, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User, urn:acme:scim:ext:1.0:User`},
		{users, `[` + core + `,"urn:hostile:nope"]`, `"urn:hostile:nope" is not a schema of Users`},
		{bare, `[` + core + `,"urn:acme:scim:ext:1.0:User"]`, `it knows urn:ietf:params:scim:schemas:core:2.0:User, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`},
		{users, `[` + ent + `]`, `schemas must contain urn:ietf:params:scim:schemas:core:2.0:User`},
		{users, `["urn:ietf:params:scim:schemas:core:2.0:Group"]`, `is not a schema of Users`},
		{groups, `["urn:ietf:params:scim:schemas:core:2.0:Group",` + ent + `]`, `is not a schema of Groups`},
	} {
		src := `{"displayName":"x"}`
		if tt.schemas != "" {
			src = `{"schemas":` + tt.schemas + `,"displayName":"x"}`
		}
		body, err := DecodeJSON([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		err = tt.r.CheckSchemas(body)
		var re *RequestError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s CheckSchemas(%s) = %v, want accepted", tt.r.Type, tt.schemas, err)
		case tt.want != "" && (!errors.As(err, &re) || re.SCIMType != SCIMInvalidSyntax || !strings.Contains(re.Msg, tt.want)):
			t.Errorf("%s CheckSchemas(%s) = %v, want invalidSyntax %q", tt.r.Type, tt.schemas, err, tt.want)
		}
	}
}

// TestMultiLineValues: addresses' formatted and streetAddress may hold
// line breaks (RFC 7643 §4.1.2); no other string may hold a control
// character.
func TestMultiLineValues(t *testing.T) {
	cfg, err := Parse("t.yaml", []byte(`database: { dsn: x }
users:
  table: users
  scope: all
  attributes:
    userName: { column: login }
    'addresses[type eq "work"].formatted': { column: address }
    'addresses[type eq "work"].streetAddress': { column: street }
    'addresses[type eq "work"].locality': { column: city }
`))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Users
	for path, want := range map[string]string{
		`addresses[type eq \"work\"].formatted`:     "",
		`addresses[type eq \"work\"].streetAddress`: "",
		`addresses[type eq \"work\"].locality`:      `contains the control character U+000D (carriage return`,
	} {
		d := r.NewDraft(make(Row, len(r.SelectExprs())))
		err := d.ApplyPatch(ops(t, `{"Operations":[{"op":"add","path":"`+path+`","value":"1 Main St\r\nSuite 2\tBack"}]}`))
		if err == nil {
			_, err = d.Changes()
		}
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s with line breaks: %v, want %q", path, err, want)
		}
		d = r.NewDraft(make(Row, len(r.SelectExprs())))
		_ = d.ApplyPatch(ops(t, `{"Operations":[{"op":"add","path":"`+path+`","value":"1 Main St\u0000"}]}`))
		if _, err := d.Changes(); err == nil || !strings.Contains(err.Error(), "U+0000 (NUL)") {
			t.Errorf("%s with NUL: %v", path, err)
		}
	}
}

// TestUnmappedPaths: an explicit PATCH path is judged the same way
// whether it is short or qualified by its schema's URN, and whether or
// not the mapping maps anything of that schema: an RFC 7643 attribute the
// app does not store is ignored, and anything else is invalidPath: a name
// that is no attribute of the schema, or an attribute of a schema this
// server does not serve (nothing could store it; 200 would tell Entra it
// did).
func TestUnmappedPaths(t *testing.T) {
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
	for _, r := range []*Resource{writeResource(t), hiddenResource(t)} {
		for path, want := range map[string]SCIMType{
			"nickName2": SCIMInvalidPath,
			"urn:ietf:params:scim:schemas:core:2.0:User:x": SCIMInvalidPath,
			ent + "nonsense": SCIMInvalidPath,
			"locale":         "",
			"urn:ietf:params:scim:schemas:core:2.0:User:locale": "",
			"costCenter":                "",
			ent + "costCenter":          "",
			ent + "manager.value":       "",
			"urn:acme:other:1.0:User:x": SCIMInvalidPath,
			"x":                         SCIMInvalidPath,
		} {
			d := r.NewDraft(make(Row, len(r.SelectExprs())))
			err := d.ApplyPatch(ops(t, `{"Operations":[{"op":"replace","path":"`+path+`","value":"v"}]}`))
			var re *RequestError
			switch {
			case want == "" && err != nil:
				t.Errorf("PATCH %s = %v, want ignored", path, err)
			case want != "" && (!errors.As(err, &re) || re.SCIMType != want):
				t.Errorf("PATCH %s = %v, want %s", path, err, want)
			}
		}
	}
}

// TestDropUnchanged: writes the row already holds, in its stored form,
// are dropped with their audit entries; real changes stay.
func TestDropUnchanged(t *testing.T) {
	r := writeResource(t)
	row := writeRow(r)
	roleKey := r.colIndex["role_id"]
	row[roleKey] = int64(1)
	attr := func(path string) *Attribute {
		for _, a := range r.Attributes {
			if a.Path() == path {
				return a
			}
		}
		t.Fatalf("no attribute %s", path)
		return nil
	}
	hired, level, title, role := attr("urn:acme:scim:ext:1.0:User:hired"), attr("urn:acme:scim:ext:1.0:User:level"), attr("title"), attr("urn:ietf:params:scim:schemas:core:2.0:User:pantherRole")
	for _, tt := range []struct {
		a    Assignment
		same bool
	}{
		{Assignment{Column: "hired_at", Value: time.Date(2020, 5, 1, 9, 0, 0, 400e6, time.UTC), Attr: hired}, true}, // DATETIME rounds to seconds
		{Assignment{Column: "hired_at", Value: time.Date(2020, 5, 1, 9, 0, 0, 600e6, time.UTC), Attr: hired}, false},
		{Assignment{Column: "hired_at", Value: time.Date(2020, 5, 1, 11, 0, 0, 0, time.FixedZone("", 7200)), Attr: hired}, true},
		{Assignment{Column: "level", Value: int64(3), Attr: level}, true},
		{Assignment{Column: "level", Value: int64(4), Attr: level}, false},
		{Assignment{Column: "title", Value: "Boss", Attr: title}, true},
		{Assignment{Column: "title", Value: "boss", Attr: title}, false}, // a change of case is a change
		{Assignment{Column: "title", Value: "Boss ", Attr: title}, false},
		{Assignment{Column: "title", Value: nil, Attr: title}, false},
		{Assignment{Column: "home_email", Value: nil}, true},
		{Assignment{Column: "role_id", Value: int64(1), Attr: role}, true},
		{Assignment{Column: "role_id", Value: int64(2), Attr: role}, false},
		{Assignment{Column: "is_active", Value: int64(2)}, true},
		{Assignment{Column: "title", SQL: "DEFAULT", Attr: title}, false},
		{Assignment{Column: "not_selected", Value: "x"}, false},
	} {
		ch := &Change{Set: []Assignment{tt.a}, Changed: []string{"x"}, Diff: []AttrChange{{Attribute: "x"}}}
		if tt.a.Attr != nil {
			ch.Changed, ch.Diff = []string{tt.a.Attr.Path()}, []AttrChange{{Attribute: tt.a.Attr.Path()}}
		}
		r.DropUnchanged(ch, row)
		if got := ch.Empty() && len(ch.Diff) == 0 && len(ch.Changed) == 0; got != tt.same {
			t.Errorf("%s = %v over the stored %v: dropped %v, want %v", tt.a.Column, tt.a.Value, row[r.colIndex[tt.a.Column]], got, tt.same)
		}
	}
}
