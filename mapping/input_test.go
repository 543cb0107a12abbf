package mapping

import (
	"errors"
	"strings"
	"testing"
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
		if p, err := r.CompileFilter(f); err != nil || p.SQL != want {
			t.Errorf("CompileFilter(%q) = %q, %v; want %s", f, p.SQL, err, want)
		}
	}
	for _, s := range []string{"password", "phoneNumbers.value", "name.middleName"} {
		var re *RequestError
		if _, err := r.Order(s, false); !errors.As(err, &re) || re.SCIMType != ScimInvalidValue || !strings.Contains(re.Msg, "write-only") {
			t.Errorf("Order(%q) = %v, want invalidValue write-only", s, err)
		}
	}
	for _, s := range []string{"password", "userName,password", "name.middleName", "urn:ietf:params:scim:schemas:core:2.0:User:password"} {
		var re *RequestError
		if _, err := r.Projection(s, ""); !errors.As(err, &re) || re.SCIMType != ScimInvalidValue {
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
		if err := r.NewDraft(row).ApplyPatch(ops(t, body)); !errors.As(err, &re) || re.SCIMType != ScimInvalidFilter {
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
