package mapping

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"golang.org/x/crypto/bcrypt"
)

const relatedYAML = `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "0123456789abcdef" } ] }
users:
  table: users
  scope: { auth_source_id: 1 }
  create: allow
  meta: { last_modified: updated_on }
  attributes:
    userName: { column: login }
    name.givenName:
      column: meta_value
      related: { table: usermeta, key: user_id, where: { meta_key: first_name } }
    'emails[type eq "work"].value':
      column: address
      related: { table: email_addresses, key: user_id, where: { is_default: true }, created: created_on, last_modified: updated_on }
`

func relatedColumns() map[string][]Column {
	return map[string][]Column{
		"users": {
			{Name: "id", DataType: "int", ColumnType: "int(11)", AutoIncrement: true},
			{Name: "auth_source_id", DataType: "int", ColumnType: "int(11)", Nullable: true},
			{Name: "updated_on", DataType: "datetime", ColumnType: "datetime", Nullable: true},
			ci("login", 255, false),
		},
		"email_addresses": {
			{Name: "id", DataType: "int", ColumnType: "int(11)", AutoIncrement: true},
			{Name: "user_id", DataType: "int", ColumnType: "int(11)"},
			ci("address", 255, false),
			{Name: "is_default", DataType: "tinyint", ColumnType: "tinyint(1)"},
			{Name: "created_on", DataType: "datetime", ColumnType: "datetime"},
			{Name: "updated_on", DataType: "datetime", ColumnType: "datetime"},
		},
		"usermeta": {
			{Name: "user_id", DataType: "bigint", ColumnType: "bigint(20) unsigned"},
			ci("meta_key", 255, true),
			{Name: "meta_value", DataType: "longtext", ColumnType: "longtext", Nullable: true, Charset: "utf8mb4", Collation: "utf8mb4_unicode_ci"},
		},
	}
}

func relatedResource(t *testing.T) *Resource {
	t.Helper()
	cfg, err := Parse("related.yaml", []byte(relatedYAML))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(relatedColumns()); err != nil {
		t.Fatal(err)
	}
	return cfg.Users
}

func render(st sqlstmt.Statement) string {
	sql, args := st.SQL()
	var b strings.Builder
	b.WriteString(sql)
	for _, a := range args {
		b.WriteString(" | ")
		b.WriteString(strings.TrimSpace(strings.ReplaceAll(strings.TrimSpace(describeJSON(a)), "\n", "")))
	}
	return b.String()
}

func TestRelatedWrites(t *testing.T) {
	r := relatedResource(t)
	tg, _ := r.Target("7", "")
	// id, updated_on, login, givenName, e-mail, "the usermeta row exists"
	withName := Row{int64(7), nil, "al", "Al", "al@x.io", int64(1)}
	noName := Row{int64(7), nil, "al", nil, "al@x.io", int64(0)}
	noMail := Row{int64(7), nil, "al", "Al", nil, int64(1)}
	for _, tc := range []struct {
		name string
		row  Row
		ops  string
		want []string
	}{
		{"replace the e-mail: update the default row only", withName, `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"new@x.io"}]`, []string{
			"UPDATE `users` SET `updated_on` = NOW(6) WHERE `auth_source_id` = ? AND `id` = ? | 1 | 7",
			"UPDATE `email_addresses` SET `address` = ?, `updated_on` = NOW() WHERE `user_id` = ? AND `is_default` = ? ORDER BY `id` LIMIT 1 | \"new@x.io\" | 7 | 1",
		}},
		{"add a given name the user has no row for: insert it with the selector's values", noName, `[{"op":"add","path":"name.givenName","value":"Bo"}]`, []string{
			"UPDATE `users` SET `updated_on` = NOW(6) WHERE `auth_source_id` = ? AND `id` = ? | 1 | 7",
			"INSERT INTO `usermeta` (`user_id`, `meta_key`, `meta_value`) VALUES (?, ?, ?) | 7 | \"first_name\" | \"Bo\"",
		}},
		{"an e-mail where the row is missing: insert with the timestamps", noMail, `[{"op":"replace","value":{"emails":[{"type":"work","value":"n@x.io"}]}}]`, []string{
			"UPDATE `users` SET `updated_on` = NOW(6) WHERE `auth_source_id` = ? AND `id` = ? | 1 | 7",
			"INSERT INTO `email_addresses` (`user_id`, `is_default`, `address`, `created_on`, `updated_on`) VALUES (?, ?, ?, NOW(), NOW()) | 7 | 1 | \"n@x.io\"",
		}},
		{"remove the given name: delete the row", withName, `[{"op":"remove","path":"name.givenName"}]`, []string{
			"UPDATE `users` SET `updated_on` = NOW(6) WHERE `auth_source_id` = ? AND `id` = ? | 1 | 7",
			"DELETE FROM `usermeta` WHERE `user_id` = ? AND `meta_key` = ? | 7 | \"first_name\"",
		}},
		{"with the user's own columns", withName, `[{"op":"replace","path":"userName","value":"al2"},{"op":"replace","path":"name.givenName","value":"Alan"}]`, []string{
			"UPDATE `users` SET `login` = ?, `updated_on` = NOW(6) WHERE `auth_source_id` = ? AND `id` = ? | \"al2\" | 1 | 7",
			"UPDATE `usermeta` SET `meta_value` = ? WHERE `user_id` = ? AND `meta_key` = ? | \"Alan\" | 7 | \"first_name\"",
		}},
		{"the value in another case is a change (the column keeps case)", withName, `[{"op":"replace","path":"name.givenName","value":"AL"}]`, []string{
			"UPDATE `users` SET `updated_on` = NOW(6) WHERE `auth_source_id` = ? AND `id` = ? | 1 | 7",
			"UPDATE `usermeta` SET `meta_value` = ? WHERE `user_id` = ? AND `meta_key` = ? | \"AL\" | 7 | \"first_name\"",
		}},
		{"no-op: the value it holds", withName, `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"al@x.io"}]`, nil},
		{"no-op: remove what has no row", noName, `[{"op":"remove","path":"name.givenName"}]`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := r.NewDraft(tc.row)
			if err := d.ApplyPatch(ops(t, `{"Operations":`+tc.ops+`}`)); err != nil {
				t.Fatal(err)
			}
			ch, err := d.Changes()
			if err != nil {
				t.Fatal(err)
			}
			r.DropUnchanged(ch, tc.row)
			var got []string
			if !ch.Empty() {
				for _, st := range tg.Writes(ch, tc.row) {
					got = append(got, render(st))
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if ch.Empty() != (len(ch.Diff) == 0) {
				t.Errorf("audit diff %v for a change that is empty=%v", ch.Diff, ch.Empty())
			}
		})
	}
}

func TestRelatedCreate(t *testing.T) {
	r := relatedResource(t)
	d := r.NewDraft(nil)
	body, _ := DecodeJSON([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bo","name":{"givenName":"Bo"},"emails":[{"type":"work","value":"bo@x.io"}]}`))
	if err := d.ReplaceWith(body); err != nil {
		t.Fatal(err)
	}
	ch, err := d.Changes()
	if err != nil {
		t.Fatal(err)
	}
	in, _ := r.InsertStmt(ch, "")
	got := []string{render(in)}
	for _, st := range r.RelatedInserts(ch, int64(9)) {
		got = append(got, render(st))
	}
	want := []string{
		"INSERT INTO `users` (`login`, `auth_source_id`, `updated_on`) VALUES (?, ?, NOW(6)) | \"bo\" | 1",
		"INSERT INTO `usermeta` (`user_id`, `meta_key`, `meta_value`) VALUES (?, ?, ?) | 9 | \"first_name\" | \"Bo\"",
		"INSERT INTO `email_addresses` (`user_id`, `is_default`, `address`, `created_on`, `updated_on`) VALUES (?, ?, ?, NOW(), NOW()) | 9 | 1 | \"bo@x.io\"",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("create (-want +got):\n%s", diff)
	}
	// Left out of a create, a related attribute inserts no row.
	d = r.NewDraft(nil)
	body, _ = DecodeJSON([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"cy"}`))
	_ = d.ReplaceWith(body)
	ch, _ = d.Changes()
	if ins := r.RelatedInserts(ch, int64(10)); len(ins) != 0 {
		t.Errorf("a create without the attributes inserts %d related rows", len(ins))
	}
}

func TestRelatedRead(t *testing.T) {
	r := relatedResource(t)
	tg, _ := r.Target("7", "")
	name := "(SELECT `usermeta`.`meta_value` FROM `usermeta` WHERE `usermeta`.`user_id` = `users`.`id` AND `usermeta`.`meta_key` = 'first_name' LIMIT 1)"
	mail := "(SELECT `email_addresses`.`address` FROM `email_addresses` WHERE `email_addresses`.`user_id` = `users`.`id` AND `email_addresses`.`is_default` = 1 ORDER BY `email_addresses`.`id` LIMIT 1)"
	// One statement: the related values are scalar subqueries; the
	// usermeta value can be NULL, so whether its row exists is read too.
	// The e-mail's selector has no unique key: the lowest id wins.
	want := "SELECT `id`, `updated_on`, `login`, " + name + ", " + mail + ", EXISTS (SELECT 1 FROM `usermeta` WHERE `usermeta`.`user_id` = `users`.`id` AND `usermeta`.`meta_key` = 'first_name') FROM `users` WHERE `auth_source_id` = ? AND `id` = ? | 1 | 7"
	if got := render(tg.Read(Projection{})); got != want {
		t.Errorf("read:\n got %s\nwant %s", got, want)
	}
	in := func(table, sel, cond string) string {
		return "`auth_source_id` = ? AND `id` IN (SELECT `" + table + "`.`user_id` FROM `" + table + "` WHERE `" + table + "`.`" + sel + "` = ? AND " + cond + ")"
	}
	for _, tc := range []struct {
		filter, where string
		args          []any
	}{
		{`emails.value eq "a@x.io"`, in("email_addresses", "is_default", exactCI("`email_addresses`.`address`")), []any{int64(1), int64(1), "a@x.io", "a@x.io"}},
		{`emails[type eq "work"].value sw "a"`, in("email_addresses", "is_default", "`email_addresses`.`address` LIKE ? ESCAPE '!'"), []any{int64(1), int64(1), "a%"}},
		{`name.givenName co "l"`, in("usermeta", "meta_key", "`usermeta`.`meta_value` LIKE ? ESCAPE '!'"), []any{int64(1), "first_name", "%l%"}},
		{`name.givenName pr`, in("usermeta", "meta_key", "(`usermeta`.`meta_value` IS NOT NULL AND `usermeta`.`meta_value` <> '')"), []any{int64(1), "first_name"}},
		{`emails.value pr`, in("email_addresses", "is_default", "`email_addresses`.`address` <> ''"), []any{int64(1), int64(1)}},
		// Users without the row do not equal the value.
		{`name.givenName ne "Al"`, "`auth_source_id` = ? AND (`id` IN (SELECT `usermeta`.`user_id` FROM `usermeta` WHERE `usermeta`.`meta_key` = ? AND " + exactCI("`usermeta`.`meta_value`") + ")) IS NOT TRUE", []any{int64(1), "first_name", "Al", "Al"}},
	} {
		q, err := r.ListQuery(ListRequest{Filter: tc.filter}, "")
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		if q.Where.SQL() != tc.where || !cmp.Equal(q.Where.Args(), tc.args) {
			t.Errorf("%s:\n got %s %v\nwant %s %v", tc.filter, q.Where.SQL(), q.Where.Args(), tc.where, tc.args)
		}
		if !cmp.Equal(q.Columns, r.SelectExprs()) {
			t.Errorf("%s: a list selects %v", tc.filter, q.Columns)
		}
	}
	q, err := r.ListQuery(ListRequest{SortBy: "emails.value", Descending: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []sqlstmt.OrderKey{{Expr: mail, Desc: true, Nullable: true}, {Expr: "`id`", Desc: true}}; !cmp.Equal(q.Order, want) {
		t.Errorf("order %v, want %v", q.Order, want)
	}
}

func TestRelatedConfigErrors(t *testing.T) {
	base := "database: { dsn: x }\nusers:\n  table: users\n  scope: all\n  attributes:\n    userName: { column: login }\n"
	for _, tc := range []struct{ extra, want string }{
		{"    title: { column: v, related: { table: t, key: user_id, wher: { k: 1 } } }\n", `unknown key "wher"`},
		{"    title: { related: { table: t, key: user_id } }\n", `needs table and key, and the attribute needs column`},
		{"    title: { column: v, related: { table: t } }\n", `needs table and key`},
		{"    title: { column: v, related: { table: users, key: user_id } }\n", `is the users table itself`},
		{"    title: { column: v, related: { table: t, key: user_id, where: { k: \"it's\" } } }\n", `expected an integer or a plain word`},
		{"    title: { column: v, related: { table: t, key: user_id, where: { k: [1, 2] } } }\n", `expected an integer or a plain word`},
		{"    title: { column: v, related: { table: t, key: user_id, where: [k] } }\n", `expected a mapping of column: value`},
		{"    title: { column: user_id, related: { table: t, key: user_id } }\n", `column "user_id" is both related.key and column`},
		{"    title: { column: v, related: { table: t, key: user_id, where: { v: 1 } } }\n", `column "v" is both column and related.where.v`},
		{"    title: { column: v, related: { table: 'a b', key: user_id } }\n", `"a b" is not a valid table name`},
		{"    title: { column: v, related: { table: t, key: 'x-y' } }\n", `"x-y" is not a valid column name`},
		{"    title: { column: v, lookup: { table: r, match: n, column: c }, related: { table: t, key: k } }\n", `give lookup or related, not both`},
	} {
		_, err := Parse("t.yaml", []byte(base+tc.extra))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(+%q) = %v, want %q", tc.extra, err, tc.want)
		}
	}
	if _, err := Parse("t.yaml", []byte(strings.Replace(base, "userName: { column: login }", "userName: { column: v, related: { table: t, key: k } }", 1))); err == nil || !strings.Contains(err.Error(), "userName must be a column of users itself") {
		t.Errorf("userName in a related row: %v", err)
	}
	// With tenants, the related row belongs to a user of the tenant
	// through the id: no tenant column of its own is needed.
	if _, err := Parse("t.yaml", []byte(strings.Replace(base, "scope: all", "scope: all\n  tenant: org_id", 1)+"    title: { column: v, related: { table: t, key: user_id } }\n")); err != nil {
		t.Errorf("related with tenant: %v", err)
	}
}

func TestRelatedBind(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(map[string][]Column)
		want string
	}{
		{"missing table", func(m map[string][]Column) { delete(m, "email_addresses") }, `table "email_addresses" does not exist in the database`},
		{"missing column", func(m map[string][]Column) { m["usermeta"] = m["usermeta"][:2] }, `column "meta_value" does not exist in table "usermeta"`},
		{"missing selector column", func(m map[string][]Column) {
			m["email_addresses"] = slices.DeleteFunc(m["email_addresses"], func(c Column) bool { return c.Name == "is_default" })
		}, `column "is_default" does not exist in table "email_addresses"`},
		{"a NOT NULL column nothing fills", func(m map[string][]Column) {
			m["email_addresses"] = append(m["email_addresses"], Column{Name: "notify", DataType: "tinyint", ColumnType: "tinyint(1)"})
		}, `NOT NULL columns without a default would get no value: notify`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("related.yaml", []byte(relatedYAML))
			if err != nil {
				t.Fatal(err)
			}
			cols := relatedColumns()
			tc.edit(cols)
			err = cfg.Bind(cols)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Bind = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRelatedCheck(t *testing.T) {
	cfg, err := Parse("related.yaml", []byte(relatedYAML))
	if err != nil {
		t.Fatal(err)
	}
	facts := SchemaFacts{Columns: relatedColumns(), Indexes: map[string][]Index{
		"users":           {{Name: "PRIMARY", Unique: true, Columns: []string{"id"}}, {Name: "ix_login", Columns: []string{"login"}}},
		"email_addresses": {{Name: "PRIMARY", Unique: true, Columns: []string{"id"}}, {Name: "index_email_addresses_on_user_id", Columns: []string{"user_id"}}},
	}}
	var got []string
	for _, f := range cfg.Check(facts) {
		if f.Check == "related" || (f.Check == "index" && strings.HasSuffix(f.Key, ".related")) {
			got = append(got, string(f.Severity)+" "+f.Key+": "+f.Message+" | "+f.Fix)
		}
	}
	want := []string{
		// usermeta has neither an order nor a unique key over the selector.
		"error users.attributes.name.givenName.related: name.givenName can match several rows of usermeta (no unique key over user_id, meta_key) and there is no order to pick one: add first_by: <a unique column of usermeta, such as its id>, or a unique key over (user_id, meta_key) | ",
		"warning users.attributes.name.givenName.related: name.givenName is read from usermeta for every user, but no index starts with user_id, meta_key, meta_value: each read scans the user's rows (meta_key is indexed by its first 191 characters (764 bytes), which fits the table's index key limit; a lookup still compares the whole value; meta_value is indexed by its first 191 characters (764 bytes), which fits the table's index key limit; a lookup still compares the whole value) | CREATE INDEX `ix_usermeta_user_id_meta_key_meta_value` ON `usermeta` (`user_id`, `meta_key`(191), `meta_value`(191));",
		"warning users.attributes.emails[type eq \"work\"].value.related: emails[type eq \"work\"].value is read from email_addresses for every user, but no index starts with user_id, is_default, address: each read scans the user's rows (address is indexed by its first 191 characters (764 bytes), which fits the table's index key limit; a lookup still compares the whole value) | CREATE INDEX `ix_email_addresses_user_id_is_default_address` ON `email_addresses` (`user_id`, `is_default`, `address`(191));",
		// Okta matches imported users by e-mail: the filter needs the value first.
		"warning users.attributes.emails[type eq \"work\"].value.related: emails[type eq \"work\"].value is looked up by Okta or Entra (emails[type eq \"work\"].value eq \"...\"), but no index of email_addresses starts with address: each lookup scans the table (address is indexed by its first 191 characters (764 bytes), which fits the table's index key limit; a lookup still compares the whole value) | CREATE INDEX `ix_email_addresses_address_is_default_user_id` ON `email_addresses` (`address`(191), `is_default`, `user_id`);",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// Lengths and types are those of the related column.
	var notes []string
	for _, f := range cfg.Check(facts) {
		if (f.Check == "max_length" || f.Check == "type") && !strings.HasSuffix(f.Key, "userName") {
			notes = append(notes, f.Key+": "+f.Message)
		}
	}
	if want := []string{`users.attributes.emails[type eq "work"].value: no max_length: email_addresses.address is varchar(255), so values over 255 characters are refused with 400`}; !cmp.Equal(notes, want) {
		t.Errorf("length and type findings = %q", notes)
	}
	// A unique key over the selector is enough.
	facts.Indexes["usermeta"] = []Index{{Name: "uq", Unique: true, Columns: []string{"user_id", "meta_key"}}, {Name: "ix", Columns: []string{"user_id", "meta_key", "meta_value"}}}
	facts.Indexes["email_addresses"] = append(facts.Indexes["email_addresses"], Index{Name: "ix2", Columns: []string{"user_id", "is_default", "address"}}, Index{Name: "ix3", Columns: []string{"address"}})
	for _, f := range cfg.Check(facts) {
		if strings.HasSuffix(f.Key, ".related") {
			t.Errorf("with the keys: %s %s", f.Key, f.Message)
		}
	}
}

// TestRelatedPassword: a password kept in a credentials row is hashed like
// one in a column of the user's row.
func TestRelatedPassword(t *testing.T) {
	src := strings.Replace(relatedYAML, "    userName: { column: login }\n", "    userName: { column: login }\n    password: { column: hash, hash: bcrypt, related: { table: credentials, key: user_id, where: { kind: password } } }\n", 1)
	cfg, err := Parse("related.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cols := relatedColumns()
	cols["credentials"] = []Column{{Name: "user_id", DataType: "int", ColumnType: "int(11)"}, ci("kind", 20, false), ci("hash", 60, true)}
	if err := cfg.Bind(cols); err != nil {
		t.Fatal(err)
	}
	r := cfg.Users
	d := r.NewDraft(nil)
	body, _ := DecodeJSON([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bo","password":"s3cret-Okta"}`))
	if err := d.ReplaceWith(body); err != nil {
		t.Fatal(err)
	}
	ch, err := d.Changes()
	if err != nil {
		t.Fatal(err)
	}
	ins := r.RelatedInserts(ch, int64(9))
	if len(ins) != 1 {
		t.Fatalf("%d inserts", len(ins))
	}
	sql, args := ins[0].SQL()
	if sql != "INSERT INTO `credentials` (`user_id`, `kind`, `hash`) VALUES (?, ?, ?)" || len(args) != 3 {
		t.Fatalf("insert %s %v", sql, args)
	}
	if h, _ := args[2].(string); bcrypt.CompareHashAndPassword([]byte(h), []byte("s3cret-Okta")) != nil {
		t.Errorf("stored %q, not a bcrypt hash of the password", h)
	}
}

// TestRelatedDefault: a default is written instead of deleting the row, and
// into the row a create inserts when the attribute is left out.
func TestRelatedDefault(t *testing.T) {
	src := strings.Replace(relatedYAML, "where: { meta_key: first_name } }", "where: { meta_key: first_name } }\n      default: \"\"", 1)
	cfg, err := Parse("related.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(relatedColumns()); err != nil {
		t.Fatal(err)
	}
	r := cfg.Users
	d := r.NewDraft(nil)
	body, _ := DecodeJSON([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"cy"}`))
	if err := d.ReplaceWith(body); err != nil {
		t.Fatal(err)
	}
	ch, _ := d.Changes()
	var got []string
	for _, st := range r.RelatedInserts(ch, int64(10)) {
		got = append(got, render(st))
	}
	if want := []string{"INSERT INTO `usermeta` (`user_id`, `meta_key`, `meta_value`) VALUES (?, ?, ?) | 10 | \"first_name\" | \"\""}; !cmp.Equal(got, want) {
		t.Errorf("create without the attribute: %v", got)
	}
	row := Row{int64(7), nil, "al", "Al", "al@x.io", int64(1)}
	d = r.NewDraft(row)
	if err := d.ApplyPatch(ops(t, `{"Operations":[{"op":"remove","path":"name.givenName"}]}`)); err != nil {
		t.Fatal(err)
	}
	ch, _ = d.Changes()
	r.DropUnchanged(ch, row)
	tg, _ := r.Target("7", "")
	got = nil
	for _, st := range tg.Writes(ch, row) {
		got = append(got, render(st))
	}
	if want := "UPDATE `usermeta` SET `meta_value` = ? WHERE `user_id` = ? AND `meta_key` = ? | \"\" | 7 | \"first_name\""; len(got) != 2 || got[1] != want {
		t.Errorf("remove with a default: %v", got)
	}
}
