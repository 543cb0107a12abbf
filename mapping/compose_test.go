package mapping

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// grafanaYAML maps Grafana's user table, whose name column holds the
// whole name, as examples/grafana does; display_name shares the column.
const grafanaYAML = `
database: { dsn: x }
users:
  table: user
  scope: { is_service_account: 0 }
  create: allow
  active: { column: is_disabled, true: 0, false: 1 }
  meta: { created: created, last_modified: updated }
  attributes:
    userName: { column: login }
    name: { column: name, compose: "{givenName} {familyName}" }
    name.formatted: { column: name }
    'emails[type eq "work"].value': { column: email }
`

func grafanaColumns() map[string][]Column {
	return map[string][]Column{"user": {
		{Name: "id", DataType: "bigint", ColumnType: "bigint(20)", AutoIncrement: true},
		ci("login", 190, false), ci("email", 190, false), ci("name", 255, true),
		{Name: "is_disabled", DataType: "tinyint", ColumnType: "tinyint(1)"},
		{Name: "is_service_account", DataType: "tinyint", ColumnType: "tinyint(1)"},
		{Name: "created", DataType: "datetime", ColumnType: "datetime"},
		{Name: "updated", DataType: "datetime", ColumnType: "datetime"},
	}}
}

func grafanaResource(t *testing.T) *Resource {
	t.Helper()
	cfg, err := Parse("grafana.yaml", []byte(grafanaYAML))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(grafanaColumns()); err != nil {
		t.Fatal(err)
	}
	return cfg.Users
}

// grafanaRow is user 7 with the given name column (nil for NULL).
func grafanaRow(r *Resource, name any) Row {
	vals := map[string]any{"`id`": int64(7), "`login`": []byte("alice"), "`email`": []byte("alice@x.io"), "`name`": name, "`is_disabled`": int64(0)}
	row := make(Row, len(r.SelectExprs()))
	for i, e := range r.SelectExprs() {
		row[i] = vals[e]
	}
	return row
}

func TestComposedRead(t *testing.T) {
	r := grafanaResource(t)
	tests := []struct {
		stored any
		want   map[string]any // the rendered name; nil: no name
	}{
		{[]byte("Alice Smith"), map[string]any{"givenName": "Alice", "familyName": "Smith", "formatted": "Alice Smith"}},
		{[]byte("Cher"), map[string]any{"givenName": "Cher", "formatted": "Cher"}},
		{[]byte("Jan van der Berg"), map[string]any{"givenName": "Jan", "familyName": "van der Berg", "formatted": "Jan van der Berg"}},
		{[]byte(" Smith"), map[string]any{"familyName": "Smith", "formatted": " Smith"}},
		{[]byte(""), nil},
		{nil, nil},
	}
	for _, tt := range tests {
		b, err := json.Marshal(r.Render(grafanaRow(r, tt.stored), "https://h/scim/v2"))
		if err != nil {
			t.Fatal(err)
		}
		var o map[string]any
		if err := json.Unmarshal(b, &o); err != nil {
			t.Fatal(err)
		}
		got, _ := o["name"].(map[string]any)
		if tt.want == nil && got == nil {
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Render(name=%q).name mismatch (-want +got):\n%s", tt.stored, diff)
		}
	}
}

func TestComposedWrite(t *testing.T) {
	r := grafanaResource(t)
	patch := func(ops string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + ops + `}`
	}
	tests := []struct {
		name     string
		stored   any
		body     string // a PATCH, or a PUT when put is set
		put      bool
		wantSQL  string // "" for no write
		wantArgs []any
		wantErr  SCIMType
	}{
		{name: "Okta replace givenName alone", stored: []byte("Alice Smith"),
			body:    patch(`[{"op":"replace","value":{"name":{"givenName":"Alicia"}}}]`),
			wantSQL: "UPDATE `user` SET `name` = ?, `updated` = NOW(6) WHERE `is_service_account` = ? AND `id` = ?", wantArgs: []any{"Alicia Smith", int64(0), int64(7)}},
		{name: "Okta replace name object", stored: []byte("Alice Smith"),
			body:    patch(`[{"op":"replace","path":"name","value":{"givenName":"Bob","familyName":"Jones"}}]`),
			wantSQL: "UPDATE `user` SET `name` = ?, `updated` = NOW(6) WHERE `is_service_account` = ? AND `id` = ?", wantArgs: []any{"Bob Jones", int64(0), int64(7)}},
		{name: "Entra path name.familyName", stored: []byte("Alice Smith"),
			body:    patch(`[{"op":"replace","path":"name.familyName","value":"Brown"}]`),
			wantSQL: "UPDATE `user` SET `name` = ?, `updated` = NOW(6) WHERE `is_service_account` = ? AND `id` = ?", wantArgs: []any{"Alice Brown", int64(0), int64(7)}},
		{name: "Entra replace without path, dotted key", stored: []byte("Alice Smith"),
			body:    patch(`[{"op":"Replace","value":{"name.givenName":"Alison"}}]`),
			wantSQL: "UPDATE `user` SET `name` = ?, `updated` = NOW(6) WHERE `is_service_account` = ? AND `id` = ?", wantArgs: []any{"Alison Smith", int64(0), int64(7)}},
		{name: "remove familyName leaves the given name", stored: []byte("Alice Smith"),
			body:    patch(`[{"op":"remove","path":"name.familyName"}]`),
			wantSQL: "UPDATE `user` SET `name` = ?, `updated` = NOW(6) WHERE `is_service_account` = ? AND `id` = ?", wantArgs: []any{"Alice", int64(0), int64(7)}},
		{name: "remove both clears the column", stored: []byte("Alice Smith"),
			body:    patch(`[{"op":"remove","path":"name"}]`),
			wantSQL: "UPDATE `user` SET `name` = ?, `updated` = NOW(6) WHERE `is_service_account` = ? AND `id` = ?", wantArgs: []any{nil, int64(0), int64(7)}},
		{name: "family name added to a single name", stored: []byte("Cher"),
			body:    patch(`[{"op":"add","path":"name.familyName","value":"Sarkisian"}]`),
			wantSQL: "UPDATE `user` SET `name` = ?, `updated` = NOW(6) WHERE `is_service_account` = ? AND `id` = ?", wantArgs: []any{"Cher Sarkisian", int64(0), int64(7)}},
		{name: "given name into an empty column", stored: nil,
			body:    patch(`[{"op":"add","path":"name.givenName","value":"Ann"}]`),
			wantSQL: "UPDATE `user` SET `name` = ?, `updated` = NOW(6) WHERE `is_service_account` = ? AND `id` = ?", wantArgs: []any{"Ann", int64(0), int64(7)}},
		{name: "a part holding the separator is written as sent", stored: []byte("Alice Smith"),
			body:    patch(`[{"op":"replace","path":"name","value":{"givenName":"Mary Ann","familyName":"Smith"}}]`),
			wantSQL: "UPDATE `user` SET `name` = ?, `updated` = NOW(6) WHERE `is_service_account` = ? AND `id` = ?", wantArgs: []any{"Mary Ann Smith", int64(0), int64(7)}},
		{name: "ambiguous stored value, both parts given", stored: []byte("Mary Ann Smith"),
			body:    patch(`[{"op":"replace","path":"name","value":{"givenName":"Mary","familyName":"Jones"}}]`),
			wantSQL: "UPDATE `user` SET `name` = ?, `updated` = NOW(6) WHERE `is_service_account` = ? AND `id` = ?", wantArgs: []any{"Mary Jones", int64(0), int64(7)}},
		{name: "ambiguous stored value, one part given", stored: []byte("Mary Ann Smith"),
			body: patch(`[{"op":"replace","path":"name.givenName","value":"Marie"}]`), wantErr: SCIMInvalidValue},
		{name: "extra spaces are ambiguous too", stored: []byte("Alice  Smith"),
			body: patch(`[{"op":"replace","path":"name.familyName","value":"Brown"}]`), wantErr: SCIMInvalidValue},
		{name: "same value writes nothing", stored: []byte("Alice Smith"),
			body: patch(`[{"op":"replace","path":"name.givenName","value":"Alice"}]`)},
		{name: "formatted with the same value", stored: []byte("Alice Smith"),
			body:    patch(`[{"op":"replace","path":"name","value":{"givenName":"Bob","familyName":"Jones","formatted":"Bob Jones"}}]`),
			wantSQL: "UPDATE `user` SET `name` = ?, `updated` = NOW(6) WHERE `is_service_account` = ? AND `id` = ?", wantArgs: []any{"Bob Jones", int64(0), int64(7)}},
		{name: "formatted contradicting the parts", stored: []byte("Alice Smith"),
			body: patch(`[{"op":"replace","path":"name","value":{"givenName":"Bob","familyName":"Jones","formatted":"Robert Jones"}}]`), wantErr: SCIMInvalidValue},
		{name: "PUT with both names", stored: []byte("Alice Smith"), put: true,
			body:    `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice","name":{"givenName":"Al","familyName":"Smith-Jones"},"emails":[{"type":"work","value":"alice@x.io"}]}`,
			wantSQL: "UPDATE `user` SET `name` = ?, `updated` = NOW(6) WHERE `is_service_account` = ? AND `id` = ?", wantArgs: []any{"Al Smith-Jones", int64(0), int64(7)}},
		{name: "PUT with given name only drops the family name", stored: []byte("Mary Ann Smith"), put: true,
			body:    `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice","name":{"givenName":"Mary"},"emails":[{"type":"work","value":"alice@x.io"}]}`,
			wantSQL: "UPDATE `user` SET `name` = ?, `updated` = NOW(6) WHERE `is_service_account` = ? AND `id` = ?", wantArgs: []any{"Mary", int64(0), int64(7)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := grafanaRow(r, tt.stored)
			d := r.NewDraft(row)
			var err error
			if tt.put {
				var obj map[string]any
				if obj, err = DecodeJSON([]byte(tt.body)); err != nil {
					t.Fatal(err)
				}
				err = d.ReplaceWith(obj)
			} else {
				err = d.ApplyPatch(ops(t, tt.body))
			}
			var ch *Change
			if err == nil {
				ch, err = d.Changes()
			}
			if tt.wantErr != "" {
				var re *RequestError
				if !errors.As(err, &re) || re.SCIMType != tt.wantErr {
					t.Fatalf("error = %v, want scimType %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r.DropUnchanged(ch, row)
			if tt.wantSQL == "" {
				if !ch.Empty() {
					t.Fatalf("change = %+v, want none", ch.Set)
				}
				return
			}
			target, _ := r.Target("7", "")
			sql, args := target.Writes(ch, nil)[0].SQL()
			if sql != tt.wantSQL || !cmp.Equal(args, tt.wantArgs) {
				t.Errorf("Update = %s %v, want %s %v", sql, args, tt.wantSQL, tt.wantArgs)
			}
		})
	}
}

// TestComposedRefusalSaysWhat shows the detail a refused partial change gets.
func TestComposedRefusalSaysWhat(t *testing.T) {
	r := grafanaResource(t)
	d := r.NewDraft(grafanaRow(r, []byte("Mary Ann Smith")))
	if err := d.ApplyPatch(ops(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"name.givenName","value":"Marie"}]}`)); err != nil {
		t.Fatal(err)
	}
	_, err := d.Changes()
	want := `name.givenName: the stored name "Mary Ann Smith" does not split into name.givenName and name.familyName one way (by the rule of "{name.givenName} {name.familyName}"), so name.familyName cannot be kept; send name.givenName and name.familyName in the same request`
	if err == nil || err.Error() != want {
		t.Errorf("Changes() = %v\nwant %s", err, want)
	}
}

func TestComposedInsert(t *testing.T) {
	r := grafanaResource(t)
	obj, err := DecodeJSON([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob","name":{"givenName":"Bob","familyName":"Jones"},"emails":[{"type":"work","value":"bob@x.io"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	d := r.NewDraft(nil)
	if err := d.ReplaceWith(obj); err != nil {
		t.Fatal(err)
	}
	ch, err := d.Changes()
	if err != nil {
		t.Fatal(err)
	}
	in, _ := r.InsertStmt(ch, "")
	sql, args := in.SQL()
	wantSQL := "INSERT INTO `user` (`login`, `email`, `name`, `is_disabled`, `is_service_account`, `created`, `updated`) VALUES (?, ?, ?, ?, ?, NOW(6), NOW(6))"
	wantArgs := []any{"bob", "bob@x.io", "Bob Jones", int64(0), int64(0)}
	if sql != wantSQL || !cmp.Equal(args, wantArgs) {
		t.Errorf("Insert = %s %v\nwant %s %v", sql, args, wantSQL, wantArgs)
	}
}

func TestComposedFilters(t *testing.T) {
	r := grafanaResource(t)
	const (
		col  = "CONVERT(`name` USING utf8mb4) COLLATE utf8mb4_bin"
		sp   = "CONVERT(X'20' USING utf8mb4) COLLATE utf8mb4_bin"
		at   = "LOCATE(" + sp + ", " + col + ")"
		give = "IF(" + at + " > 0, LEFT(" + col + ", " + at + " - 1), " + col + ")"
		fam  = "IF(" + at + " > 0, SUBSTRING(" + col + ", " + at + " + CHAR_LENGTH(" + sp + ")), '')"
	)
	tests := []struct {
		filter   string
		wantSQL  string
		wantArgs []any
	}{
		{`name.givenName eq "Alice"`, "LOWER(" + give + ") = LOWER(?) AND " + exactBytes(give, true), []any{"Alice", "Alice"}},
		{`name.familyName eq "Smith"`, "LOWER(" + fam + ") = LOWER(?) AND " + exactBytes(fam, true), []any{"Smith", "Smith"}},
		{`name.familyName sw "van "`, "LOWER(" + fam + ") LIKE LOWER(?) ESCAPE '!'", []any{"van %"}},
		{`name.givenName pr`, "(" + give + " IS NOT NULL AND " + give + " <> '')", nil},
		{`not (name.familyName eq "Smith")`, "(LOWER(" + fam + ") = LOWER(?) AND " + exactBytes(fam, true) + ") IS NOT TRUE", []any{"Smith", "Smith"}},
		{`name pr`, "((`name` IS NOT NULL AND `name` <> '') OR (`name` IS NOT NULL AND `name` <> '') OR (`name` IS NOT NULL AND `name` <> ''))", nil},
		{`name.formatted eq "Alice Smith"`, "`name` = ? AND " + exactBytes("`name`", true), []any{"Alice Smith", "Alice Smith"}},
	}
	for _, tt := range tests {
		p, err := r.CompileFilter(tt.filter)
		if err != nil {
			t.Errorf("CompileFilter(%q): %v", tt.filter, err)
			continue
		}
		if p.SQL() != tt.wantSQL || !cmp.Equal(p.Args(), tt.wantArgs) {
			t.Errorf("CompileFilter(%q) =\n%s %v\nwant\n%s %v", tt.filter, p.SQL(), p.Args(), tt.wantSQL, tt.wantArgs)
		}
	}
	if _, err := r.Order("name.familyName", false); err == nil || !strings.Contains(err.Error(), "cannot be filtered or sorted on") {
		t.Errorf("Order(name.familyName) error = %v, want a refusal", err)
	}
	if got := strings.Join(r.FilterableAttributes(), ","); !strings.Contains(got, "name.givenName,name.familyName") {
		t.Errorf("FilterableAttributes = %s, want the composed parts", got)
	}
}

// TestComposedFilterTemplates shows the part expressions of other
// templates, and the templates whose parts filters refuse.
func TestComposedFilterTemplates(t *testing.T) {
	tests := []struct {
		compose, filter, wantSQL, wantErr string
	}{
		{compose: "{familyName}, {givenName}", filter: `name.givenName pr`,
			wantSQL: "(IF(LOCATE(CONVERT(X'2c20' USING utf8mb4) COLLATE utf8mb4_bin, CONVERT(`name` USING utf8mb4) COLLATE utf8mb4_bin) > 0, SUBSTRING(CONVERT(`name` USING utf8mb4) COLLATE utf8mb4_bin, LOCATE(CONVERT(X'2c20' USING utf8mb4) COLLATE utf8mb4_bin, CONVERT(`name` USING utf8mb4) COLLATE utf8mb4_bin) + CHAR_LENGTH(CONVERT(X'2c20' USING utf8mb4) COLLATE utf8mb4_bin)), '') IS NOT NULL AND "},
		{compose: "{givenName} {middleName} {familyName}", filter: `name.middleName pr`,
			wantSQL: "(IF(LOCATE(CONVERT(X'20' USING utf8mb4) COLLATE utf8mb4_bin, IF(LOCATE("},
		{compose: "Dr. {givenName} {familyName}", filter: `name.familyName eq "x"`,
			wantErr: `name.familyName is stored inside column "name" as "Dr. {name.givenName} {name.familyName}" and cannot be filtered or sorted on`},
		{compose: "{givenName} {familyName} (SSO)", filter: `name.givenName eq "x"`, wantErr: "cannot be filtered"},
		{compose: "{honorificPrefix} {givenName} {middleName} {familyName}", filter: `name.givenName eq "x"`, wantErr: "cannot be filtered"},
	}
	for _, tt := range tests {
		src := strings.Replace(grafanaYAML, `compose: "{givenName} {familyName}"`, `compose: "`+tt.compose+`"`, 1)
		cfg, err := Parse("g.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Bind(grafanaColumns()); err != nil {
			t.Fatal(err)
		}
		p, err := cfg.Users.CompileFilter(tt.filter)
		if tt.wantErr != "" {
			var fe *FilterError
			if !errors.As(err, &fe) || !strings.Contains(fe.Msg, tt.wantErr) {
				t.Errorf("%s: CompileFilter(%q) error = %v, want %q", tt.compose, tt.filter, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !strings.HasPrefix(p.SQL(), tt.wantSQL) {
			t.Errorf("%s: CompileFilter(%q) = %s, %v\nwant a prefix %s", tt.compose, tt.filter, p.SQL(), err, tt.wantSQL)
		}
	}
}

func TestComposeConfigErrors(t *testing.T) {
	tests := []struct {
		attrs string
		want  string
	}{
		{`name: { column: name, compose: "{givenName}{familyName}" }`, "users.attributes.name.compose: at position 11: {familyName} follows {givenName} with nothing between"},
		{`name: { column: name, compose: "{givenName} {nickname}" }`, `name has no sub-attribute "nickname"`},
		{`name: { column: name, compose: "{givenName} {active}" }`, `active`},
		{`name: { column: name, compose: "{givenName} {emails[type eq \"work\"].value}" }`, "users.attributes.name.compose"},
		{`name: { column: name, compose: "{givenName} {familyName}", lookup: { table: t, match: m, column: c } }`, "give compose or lookup, not both"},
		{`name: { compose: "{givenName} {familyName}" }`, "users.attributes.name.column: missing"},
		{`name: { column: name, compose: "{givenName} {familyName}", unique: true }`, "users.attributes.name.unique: a part of a composed column cannot be unique"},
		{`name: { column: name, compose: "{givenName} {familyName}", default: x }`, "do not apply to a composed column"},
		{"name: { column: name, compose: \"{givenName} {familyName}\" }\n    name.middleName: { column: name, compose: \"{honorificPrefix} {honorificSuffix}\" }", "compose: goes on a single-valued complex attribute"},
		{`displayName: { column: name, compose: "{name.givenName} {name.familyName}" }`, "{name.givenName} is not a sub-attribute of displayName"},
		{`name: { column: name, compose: "{name.givenName} {displayName}" }`, `name has no sub-attribute "displayName"`},
		{"name: { column: name, compose: \"{givenName} {familyName}\" }\n    'urn:acme:1.0:User:level': { column: name, type: integer }", "only a string attribute holding the whole value (displayName, name.formatted) may share it"},
		{"name: { column: name, compose: \"{givenName} {familyName}\" }\n    name.givenName: { column: first }", "duplicate mapping: name.givenName is already mapped"},
		{"name: { column: name, compose: \"{givenName} {familyName}\" }\n    'emails[type eq \"work\"].primary': { column: name }", "emails.primary is implied"},
	}
	for _, tt := range tests {
		src := "database: { dsn: x }\nusers:\n  table: user\n  scope: all\n  attributes:\n    userName: { column: login }\n    " + tt.attrs + "\n"
		_, err := Parse("c.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%s) error = %v\nwant it to contain %q", tt.attrs, err, tt.want)
		}
	}
}
