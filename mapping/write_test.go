package mapping

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"
)

func writeColumns() map[string][]Column {
	def := func(s string) *string { return &s }
	return map[string][]Column{
		"users": {
			{Name: "id", DataType: "bigint", ColumnType: "bigint(20) unsigned", AutoIncrement: true},
			{Name: "org_id", DataType: "int", ColumnType: "int(11)"},
			{Name: "auth_source", DataType: "varchar", ColumnType: "varchar(10)", MaxChars: 10, Charset: "utf8mb4", Collation: "utf8mb4_general_ci", Default: def("'local'")},
			{Name: "source_app", DataType: "varchar", ColumnType: "varchar(10)", MaxChars: 10, Charset: "utf8mb4", Collation: "utf8mb4_general_ci"},
			{Name: "is_active", DataType: "tinyint", ColumnType: "tinyint(4)", Default: def("1")},
			{Name: "created_at", DataType: "datetime", ColumnType: "datetime", Default: def("current_timestamp()")},
			{Name: "updated_at", DataType: "datetime", ColumnType: "datetime(6)", Nullable: true},
			{Name: "lock_version", DataType: "int", ColumnType: "int(11)", Default: def("0")},
			ci("login", 50, false),
			ci("first_name", 20, true),
			{Name: "last_name", DataType: "varchar", ColumnType: "varchar(20)", MaxChars: 20, Charset: "latin1", Collation: "latin1_swedish_ci"},
			ci("email", 50, true),
			ci("home_email", 50, true),
			ci("title", 30, true),
			{Name: "legacy_name", DataType: "enum", ColumnType: "enum('Al','Bo')", Charset: "utf8mb4", Collation: "utf8mb4_general_ci", Nullable: true},
			ci("display_name", 50, true),
			ci("ext_id", 50, true),
			ci("dept", 30, true),
			{Name: "role_id", DataType: "int", ColumnType: "int(10) unsigned", Nullable: true},
			{Name: "level", DataType: "tinyint", ColumnType: "tinyint(4)", Nullable: true},
			{Name: "hired_at", DataType: "datetime", ColumnType: "datetime", Nullable: true},
		},
		"roles": {
			{Name: "id", DataType: "int", ColumnType: "int(10) unsigned"},
			{Name: "org_id", DataType: "int", ColumnType: "int(11)"},
			ci("name", 30, false),
		},
	}
}

func writeResource(t *testing.T) *Resource {
	t.Helper()
	cfg, err := Parse("write.yaml", mustRead(t, "testdata/write.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(writeColumns()); err != nil {
		t.Fatal(err)
	}
	return cfg.Users
}

// writeRow is one user as the driver returns it.
func writeRow(r *Resource) Row {
	vals := map[string]any{
		"`id`": int64(7), "`is_active`": []byte("2"), "`created_at`": time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		"`updated_at`": time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), "`lock_version`": int64(3),
		"`login`": []byte("bj@x.io"), "`first_name`": []byte("Barbara"), "`last_name`": []byte("Jensen"),
		"`email`": []byte("bj@x.io"), "`home_email`": nil, "`title`": []byte("Boss"), "`legacy_name`": nil,
		"`display_name`": []byte("BJ"), "`ext_id`": []byte("00u1"), "`dept`": []byte("Sales"),
		"`level`": int64(3), "`hired_at`": time.Date(2020, 5, 1, 9, 0, 0, 0, time.UTC),
	}
	row := make(Row, len(r.SelectExprs()))
	for i, e := range r.SelectExprs() {
		if strings.HasPrefix(e, "(") {
			row[i] = []byte("Admin") // the looked-up role name
			continue
		}
		row[i] = vals[e]
	}
	return row
}

func ops(t *testing.T, body string) []PatchOp {
	t.Helper()
	obj, err := DecodeJSON([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePatch(obj)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// set summarises assignments as column=value strings.
func set(ch *Change) []string {
	var out []string
	for _, a := range ch.Set {
		v := a.SQL
		if v == "" {
			v = describeJSON(display(a.Value))
		}
		out = append(out, a.Column+"="+v)
	}
	return out
}

func TestApplyPatch(t *testing.T) {
	r := writeResource(t)
	tests := []struct {
		name, body  string
		want        []string
		wantLookups []string
	}{
		{"okta deactivate", `{"Operations":[{"op":"replace","value":{"active":false}}]}`, []string{"is_active=0"}, nil},
		{"active still true", `{"Operations":[{"op":"replace","path":"active","value":"True"}]}`, nil, nil},
		{"path-less complex merge", `{"Operations":[{"op":"replace","value":{"name":{"givenName":"Barb"}}}]}`, []string{`first_name="Barb"`}, nil},
		{"replace emails clears other entries", `{"Operations":[{"op":"replace","path":"emails","value":[{"value":"h@x.io","type":"home"}]}]}`, []string{`email=null`, `home_email="h@x.io"`}, nil},
		{"add emails keeps other entries", `{"Operations":[{"op":"add","path":"emails","value":[{"value":"h@x.io","type":"home"}]}]}`, []string{`home_email="h@x.io"`}, nil},
		{"untyped single value is the primary", `{"Operations":[{"op":"replace","path":"emails","value":[{"value":"new@x.io"}]}]}`, []string{`email="new@x.io"`}, nil},
		{"value filter on the current value", `{"Operations":[{"op":"replace","path":"emails[value eq \"BJ@X.IO\"].value","value":"w@x.io"}]}`, []string{`email="w@x.io"`}, nil},
		{"add to an empty entry sets it", `{"Operations":[{"op":"add","path":"emails[type eq \"home\"].value","value":"h@x.io"}]}`, []string{`home_email="h@x.io"`}, nil},
		{"replace of an empty entry sets it", `{"Operations":[{"op":"Replace","path":"emails[type eq \"home\"].value","value":"h@x.io"}]}`, []string{`home_email="h@x.io"`}, nil},
		{"removing what is not there", `{"Operations":[{"op":"remove","path":"emails[type eq \"other\"]"}]}`, nil, nil},
		{"remove a multi-valued attribute", `{"Operations":[{"op":"remove","path":"emails"}]}`, []string{`email=null`}, nil},
		{"remove with a default", `{"Operations":[{"op":"remove","path":"name.familyName"}]}`, []string{`last_name=""`}, nil},
		{"lookup", `{"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:pantherRole","value":"Analyst"}]}`, nil, []string{"pantherRole=Analyst"}},
		{"lookup unchanged", `{"Operations":[{"op":"replace","value":{"pantherRole":"Admin"}}]}`, nil, nil},
		{"remove lookup", `{"Operations":[{"op":"remove","path":"pantherRole"}]}`, []string{"role_id=null"}, nil},
		{"whole extension", `{"Operations":[{"op":"replace","value":{"urn:acme:scim:ext:1.0:User":{"level":"5","hired":"2021-01-02T03:04:05Z"}}}]}`, []string{"level=5", `hired_at="2021-01-02T03:04:05Z"`}, nil},
		{"dotted keys in a path-less value", `{"Operations":[{"op":"Add","value":{"name.givenName":"Babs","title":"CEO"}}]}`, []string{`first_name="Babs"`, `title="CEO"`}, nil},
		{"empty string clears", `{"Operations":[{"op":"replace","value":{"title":""}}]}`, []string{`title=null`}, nil},
		{"read-only echo ignored", `{"Operations":[{"op":"replace","value":{"displayName":"Other","id":"99","meta":{}}}]}`, nil, nil},
		{"immutable set once is fine when unchanged", `{"Operations":[{"op":"replace","path":"externalId","value":"00u1"}]}`, nil, nil},
		{"value list is case-insensitive", `{"Operations":[{"op":"replace","path":"department","value":"engineering"}]}`, []string{`dept="engineering"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := r.NewDraft(writeRow(r))
			if err := d.ApplyPatch(ops(t, tt.body)); err != nil {
				t.Fatal(err)
			}
			ch, err := d.Changes()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, set(ch)); diff != "" {
				t.Errorf("assignments mismatch (-want +got):\n%s", diff)
			}
			var lookups []string
			for _, l := range ch.Lookups {
				lookups = append(lookups, l.Attr.Name+"="+l.Value)
			}
			if diff := cmp.Diff(tt.wantLookups, lookups); diff != "" {
				t.Errorf("lookups mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyPatchErrors(t *testing.T) {
	r := writeResource(t)
	tests := []struct {
		name, body string
		wantType   SCIMType
		wantMsg    string
	}{
		{"immutable", `{"Operations":[{"op":"replace","path":"externalId","value":"00u2"}]}`, SCIMMutability, `externalId is immutable`},
		{"read-only path", `{"Operations":[{"op":"replace","path":"displayName","value":"X"}]}`, SCIMMutability, `displayName is read-only`},
		{"forbidden", `{"Operations":[{"op":"replace","path":"name.givenName","value":"B@rb"}]}`, SCIMInvalidValue, `must not contain '@'`},
		{"pattern allows any script", `{"Operations":[{"op":"replace","path":"name.givenName","value":"Barb2"}]}`, SCIMInvalidValue, `does not match`},
		{"max_length", `{"Operations":[{"op":"replace","path":"title","value":"Chief Officer"}]}`, SCIMInvalidValue, `title is too long: 13 characters, at most 10`},
		{"column length", `{"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"` + strings.Repeat("a", 51) + `"}]}`, SCIMInvalidValue, `at most 50`},
		{"charset", `{"Operations":[{"op":"replace","path":"name.familyName","value":"Łukasz"}]}`, SCIMInvalidValue, `'Ł', which the column's latin1 character set cannot store`},
		{"enum", `{"Operations":[{"op":"replace","path":"nickName","value":"Cy"}]}`, SCIMInvalidValue, `nickName must be one of Al, Bo, got "Cy"`},
		{"values", `{"Operations":[{"op":"replace","path":"department","value":"Ops"}]}`, SCIMInvalidValue, `must be one of Engineering, Sales`},
		{"integer", `{"Operations":[{"op":"replace","path":"urn:acme:scim:ext:1.0:User:level","value":"high"}]}`, SCIMInvalidValue, `level must be an integer, got "high"`},
		{"integer range", `{"Operations":[{"op":"replace","path":"urn:acme:scim:ext:1.0:User:level","value":300}]}`, SCIMInvalidValue, `out of range for column "level" (-128..127)`},
		{"date", `{"Operations":[{"op":"replace","path":"urn:acme:scim:ext:1.0:User:hired","value":"last week"}]}`, SCIMInvalidValue, `must be an RFC 3339 date-time`},
		{"required", `{"Operations":[{"op":"replace","path":"userName","value":""}]}`, SCIMInvalidValue, `userName is required`},
		{"complex needs object", `{"Operations":[{"op":"replace","path":"name","value":"Barbara"}]}`, SCIMInvalidValue, `the value of name must be an object`},
		{"multi needs objects", `{"Operations":[{"op":"replace","path":"emails","value":["a@x.io","b@x.io"]}]}`, SCIMInvalidValue, `each value of emails must be an object`},
		{"unknown sub-attribute", `{"Operations":[{"op":"replace","path":"name.nickName","value":"x"}]}`, SCIMInvalidPath, `name has no sub-attribute "nickName"`},
		{"filter on simple", `{"Operations":[{"op":"replace","path":"title[value eq \"x\"]","value":"x"}]}`, SCIMInvalidPath, `title is a simple attribute`},
		{"active removed", `{"Operations":[{"op":"remove","path":"active"}]}`, SCIMInvalidValue, `active cannot be removed`},
		{"filter on a type not stored", `{"Operations":[{"op":"replace","path":"emails[type eq \"other\"].value","value":"o@x.io"}]}`, SCIMNoTarget, `emails[type eq "other"] matches no value this server stores: it stores emails of type work or home; nothing was changed`},
		{"add to a type not stored", `{"Operations":[{"op":"add","path":"emails[type eq \"other\"].value","value":"o@x.io"}]}`, SCIMNoTarget, `matches no value this server stores`},
		{"filter on a value not stored", `{"Operations":[{"op":"replace","path":"emails[value eq \"old@x.io\"].value","value":"o@x.io"}]}`, SCIMNoTarget, `emails[value eq "old@x.io"] matches no value`},
		{"NUL in a string", `{"Operations":[{"op":"replace","path":"userName","value":"bj\u0000@x.io"}]}`, SCIMInvalidValue, `userName contains the control character U+0000 (NUL), which is not accepted`},
		{"escape in a name", `{"Operations":[{"op":"replace","path":"name.familyName","value":"J\u001b[31mensen"}]}`, SCIMInvalidValue, `contains the control character U+001B`},
		{"C1 control", `{"Operations":[{"op":"replace","path":"title","value":"a\u0085b"}]}`, SCIMInvalidValue, `U+0085`},
		{"newline in a one-line value", `{"Operations":[{"op":"replace","path":"title","value":"a\nb"}]}`, SCIMInvalidValue, `U+000A (line feed`},
		{"number for a string", `{"Operations":[{"op":"replace","path":"userName","value":123}]}`, SCIMInvalidValue, `userName must be a string, got 123`},
		{"boolean for a string", `{"Operations":[{"op":"replace","value":{"title":false}}]}`, SCIMInvalidValue, `title must be a string, got false`},
		{"number for a lookup", `{"Operations":[{"op":"replace","path":"pantherRole","value":2}]}`, SCIMInvalidValue, `pantherRole must be a string, got 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := r.NewDraft(writeRow(r))
			err := d.ApplyPatch(ops(t, tt.body))
			if err == nil {
				_, err = d.Changes()
			}
			var re *RequestError
			if !errors.As(err, &re) {
				t.Fatalf("error = %v, want *RequestError", err)
			}
			if re.SCIMType != tt.wantType || !strings.Contains(re.Msg, tt.wantMsg) {
				t.Errorf("error = %s %q, want %s containing %q", re.SCIMType, re.Msg, tt.wantType, tt.wantMsg)
			}
		})
	}
}

func TestParsePatchErrors(t *testing.T) {
	for body, want := range map[string]string{
		`{}`:                            "has no Operations",
		`{"Operations":{}}`:             "must be a non-empty array",
		`{"Operations":[1]}`:            "operation 1 is not an object",
		`{"Operations":[{"op":"add"}]}`: "has no value",
		`{"Operations":[{"op":"add","path":5,"value":1}]}`:            "path must be a string",
		`{"schemas":["x"],"Operations":[{"op":"remove","path":"a"}]}`: "schemas must contain",
	} {
		obj, err := DecodeJSON([]byte(body))
		if err == nil {
			_, err = ParsePatch(obj)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePatch(%s) = %v, want %q", body, err, want)
		}
	}
	for _, body := range []string{`[]`, `"x"`, `{"a":1} {"b":2}`, "{\"a\":\"\xff\"}", `{"a":`} {
		if _, err := DecodeJSON([]byte(body)); err == nil {
			t.Errorf("DecodeJSON(%q) succeeded", body)
		}
	}
}

func TestReplaceWith(t *testing.T) {
	r := writeResource(t)
	body, err := DecodeJSON([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"7","userName":"bj@x.io",
		"name":{"givenName":"Barbara","middleName":""},"emails":[{"value":"bj@x.io","type":"work","primary":true}],
		"password":"x","groups":[],"locale":"en","displayName":"ignored","meta":{"created":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	d := r.NewDraft(writeRow(r))
	if err := d.ReplaceWith(body); err != nil {
		t.Fatal(err)
	}
	ch, err := d.Changes()
	if err != nil {
		t.Fatal(err)
	}
	// Left out: familyName (to its default ""), title, department, role,
	// level, hired; kept: externalId (immutable), displayName (read-only).
	want := []string{`last_name=""`, `title=null`, `dept=null`, `role_id=null`, `level=null`, `hired_at=null`}
	if diff := cmp.Diff(want, set(ch)); diff != "" {
		t.Errorf("PUT assignments mismatch (-want +got):\n%s", diff)
	}
}

func TestStatements(t *testing.T) {
	r := writeResource(t)
	d := r.NewDraft(writeRow(r))
	if err := d.ApplyPatch(ops(t, `{"Operations":[{"op":"replace","path":"title","value":"CTO"}]}`)); err != nil {
		t.Fatal(err)
	}
	ch, _ := d.Changes()
	got := set(&Change{Set: r.UpdateSet(ch)})
	want := []string{`title="CTO"`, "updated_at=NOW(6)", "lock_version=COALESCE(`lock_version`, 0) + 1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UpdateSet mismatch (-want +got):\n%s", diff)
	}

	create := r.NewDraft(nil)
	body, _ := DecodeJSON([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"new@x.io","name":{"familyName":"New"}}`))
	if err := create.ReplaceWith(body); err != nil {
		t.Fatal(err)
	}
	ch, err := create.Changes()
	if err != nil {
		t.Fatal(err)
	}
	ins, id := r.InsertSet(ch, "1")
	want = []string{`login="new@x.io"`, `last_name="New"`, "is_active=1", `source_app="scim"`, `auth_source="saml"`, "org_id=1", "created_at=NOW(6)", "updated_at=NOW(6)"}
	if diff := cmp.Diff(want, set(&Change{Set: ins})); diff != "" {
		t.Errorf("InsertSet mismatch (-want +got):\n%s", diff)
	}
	if id != "" {
		t.Errorf("generated id %q for an AUTO_INCREMENT key", id)
	}

	p, err := r.uniquePredicate(r.find(UserSchema, "userName", "", ""), "New@X.io", "1", "7")
	if err != nil {
		t.Fatal(err)
	}
	// Uniqueness compares as the filter does: case folded, accents and
	// trailing spaces significant.
	if p.SQL() != "`org_id` = ? AND "+exactCI("`login`")+" AND NOT (`id` = ?)" || !cmp.Equal(p.Args(), []any{int64(1), "New@X.io", "New@X.io", int64(7)}) {
		t.Errorf("UniquePredicate = %s %v", p.SQL(), p.Args())
	}
	// unique_within: scope: only rows inside the scope collide.
	a := r.find(UserSchema, "userName", "", "")
	a.UniqueInScope = true
	p, err = r.uniquePredicate(a, "New@X.io", "1", "7")
	if err != nil {
		t.Fatal(err)
	}
	scope := r.ScopePredicate("1")
	if p.SQL() != scope.SQL()+" AND "+exactCI("`login`")+" AND NOT (`id` = ?)" || !cmp.Equal(p.Args(), append(scope.Args(), "New@X.io", "New@X.io", int64(7))) || !strings.Contains(scope.SQL(), "`org_id` = ?") {
		t.Errorf("UniquePredicate within the scope = %s %v", p.SQL(), p.Args())
	}
}

func TestSharedColumn(t *testing.T) {
	cfg, err := Parse("t.yaml", []byte(`database: { dsn: x }
users:
  table: users
  scope: all
  attributes:
    userName: { column: email }
    'emails[type eq "work"].value': { column: email }
`))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Users
	row := Row{int64(1), []byte("a@x.io")}
	d := r.NewDraft(row)
	_ = d.ApplyPatch(ops(t, `{"Operations":[{"op":"replace","value":{"userName":"b@x.io","emails":[{"value":"c@x.io","type":"work"}]}}]}`))
	if _, err := d.Changes(); err == nil || !strings.Contains(err.Error(), `are stored in the same column "email" but were given different values`) {
		t.Errorf("Changes = %v", err)
	}
	d = r.NewDraft(row)
	_ = d.ApplyPatch(ops(t, `{"Operations":[{"op":"replace","value":{"userName":"b@x.io","emails":[{"value":"b@x.io","type":"work"}]}}]}`))
	ch, err := d.Changes()
	if err != nil || len(r.UpdateSet(ch)) != 1 {
		t.Errorf("same value twice: %v %v", set(ch), err)
	}
}

func TestLookupFilter(t *testing.T) {
	r := writeResource(t)
	for f, want := range map[string]string{
		`pantherRole eq "Admin"`: "`role_id` IN (SELECT `roles`.`id` FROM `roles` WHERE " + exactCI("`roles`.`name`") + " AND `roles`.`org_id` = `users`.`org_id`)",
		`pantherRole pr`:         "`role_id` IN (SELECT `roles`.`id` FROM `roles` WHERE `roles`.`org_id` = `users`.`org_id`)",
		`pantherRole ne "Admin"`: "(`role_id` IN (SELECT `roles`.`id` FROM `roles` WHERE " + exactCI("`roles`.`name`") + " AND `roles`.`org_id` = `users`.`org_id`)) IS NOT TRUE",
	} {
		p, err := r.CompileFilter(f)
		if err != nil || p.SQL() != want {
			t.Errorf("CompileFilter(%q) = %s, %v\nwant %s", f, p.SQL(), err, want)
		}
	}
	want := "(SELECT `roles`.`name` FROM `roles` WHERE `roles`.`id` = `users`.`role_id` AND `roles`.`org_id` = `users`.`org_id`)"
	if !strings.Contains(strings.Join(r.SelectExprs(), ", "), want) {
		t.Errorf("SelectExprs = %v, want the lookup subquery %s", r.SelectExprs(), want)
	}
}

func TestWriteConfigErrors(t *testing.T) {
	base := "database: { dsn: x }\nusers:\n  table: users\n  scope: all\n  attributes:\n    userName: { column: login }\n"
	for extra, want := range map[string]string{
		"    title: { column: t, pattern: \"([\" }\n":                                             `title.pattern: not a valid regular expression`,
		"    title: { column: t, max_length: 0 }\n":                                               `title.max_length: must be at least 1`,
		"    title: { column: t, values: [] }\n":                                                  `an empty list would refuse every value`,
		"    title: { lookup: { table: roles } }\n":                                               `needs table, match and column`,
		"    title: { column: t, lookup: { table: r, match: n, column: c } }\n":                   `give column or lookup, not both`,
		"    'urn:a:b:1.0:User:n': { column: n, type: integer, max_length: 3 }\n":                 `apply to string attributes`,
		"    title: { lookup: { table: roles, match: name, column: role_id, tenant: org_id } }\n": `users.tenant is not set`,
		"    password: { column: password_hash }\n":                                               `would store the cleartext Okta sends; say how to store it: hash: bcrypt`,
		"    password: { column: pw, hash: md5 }\n":                                               `"md5" is not a password hash`,
		"    title: { column: t, hash: bcrypt }\n":                                                `only password takes a hash`,
		"    title: { column: id }\n":                                                             `column "id" is the id column; map it with mutability: readOnly`,
	} {
		_, err := Parse("t.yaml", []byte(base+extra))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(+%q) = %v, want %q", extra, err, want)
		}
	}
	// create: allow checks the live table for columns nothing fills.
	cfg, err := Parse("t.yaml", []byte(strings.Replace(base, "scope: all", "scope: { auth_source: [saml, oidc] }\n  create: allow", 1)))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.Bind(map[string][]Column{"users": {
		{Name: "id", DataType: "int", AutoIncrement: true},
		ci("login", 50, false), ci("auth_source", 10, false), ci("tenant_key", 10, false),
	}})
	for _, want := range []string{
		`NOT NULL columns without a default get no value: auth_source, tenant_key`,
		`create: allow would insert rows without auth_source, which users.scope tests`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Bind = %v, want %q", err, want)
		}
	}
}

func TestProtectedColumns(t *testing.T) {
	src := `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "0123456789abcdef", tenant: "1" } ] }
users:
  table: users
  tenant: org_id
  scope: { auth_source: saml }
  attributes:
    userName: { column: login }
    'urn:acme:x:1.0:User:org': { column: org_id, mutability: readOnly }
    'urn:acme:x:1.0:User:source': { column: auth_source }
    'urn:acme:x:1.0:User:sourceSeen': { column: auth_source, mutability: readOnly }
`
	_, err := Parse("t.yaml", []byte(src))
	for _, want := range []string{
		`t.yaml:9: users.attributes.urn:acme:x:1.0:User:org: column "org_id" is the tenant column`,
		`t.yaml:10: users.attributes.urn:acme:x:1.0:User:source: column "auth_source" decides the scope`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse = %v\nwant %s", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "sourceSeen") {
		t.Errorf("a read-only scope attribute was refused: %v", err)
	}
}

func TestPassword(t *testing.T) {
	cfg, err := Parse("t.yaml", []byte(`database: { dsn: x }
users:
  table: users
  scope: all
  attributes:
    userName: { column: login }
    password: { column: password_hash, hash: bcrypt }
`))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Users
	row := Row{int64(1), []byte("bj"), []byte("$2a$12$existinghash")}
	d := r.NewDraft(row)
	if err := d.ApplyPatch(ops(t, `{"Operations":[{"op":"replace","path":"password","value":"correct horse"}]}`)); err != nil {
		t.Fatal(err)
	}
	ch, err := d.Changes()
	if err != nil || len(ch.Set) != 1 {
		t.Fatalf("Changes = %v, %v", ch, err)
	}
	hash := ch.Set[0].Value.(string)
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse")) != nil {
		t.Errorf("stored %q is not a bcrypt hash of the password", hash)
	}
	// A PUT without a password keeps it; the password is never rendered.
	d = r.NewDraft(row)
	body, _ := DecodeJSON([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bj"}`))
	if err := d.ReplaceWith(body); err != nil {
		t.Fatal(err)
	}
	if ch, _ := d.Changes(); !ch.Empty() {
		t.Errorf("PUT without password writes %v", set(ch))
	}
	out, _ := r.Render(row, "http://h").MarshalJSON()
	if strings.Contains(string(out), "password") || strings.Contains(string(out), "existinghash") {
		t.Errorf("rendered password: %s", out)
	}
}
