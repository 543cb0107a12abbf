package mapping

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

func ci(name string, n int64, nullable bool) Column {
	return Column{Name: name, DataType: "varchar", ColumnType: fmt.Sprintf("varchar(%d)", n), MaxChars: n, Nullable: nullable, Charset: "utf8mb4", Collation: "utf8mb4_general_ci"}
}

// sampleColumns is the users table of testdata/users.yaml as
// INFORMATION_SCHEMA would describe it.
func sampleColumns() []Column {
	return []Column{
		{Name: "id", DataType: "bigint", ColumnType: "bigint(20) unsigned", AutoIncrement: true},
		{Name: "auth_source", DataType: "enum", ColumnType: "enum('local','saml','oidc')", Charset: "utf8mb4", Collation: "utf8mb4_general_ci", MaxChars: 5},
		{Name: "is_active", DataType: "tinyint", ColumnType: "tinyint(1)"},
		{Name: "created_at", DataType: "datetime", ColumnType: "datetime"},
		{Name: "updated_at", DataType: "datetime", ColumnType: "datetime(6)"},
		ci("login", 190, false),
		ci("first_name", 100, true),
		ci("last_name", 100, true),
		ci("display_name", 200, true),
		ci("email", 190, true),
		ci("home_email", 190, true),
		ci("okta_id", 64, true),
		ci("title", 100, true),
		ci("department", 100, true),
		ci("employee_no", 32, true),
		ci("role_name", 64, true),
		{Name: "badge_no", DataType: "int", ColumnType: "int(11)", Nullable: true},
		{Name: "is_contractor", DataType: "tinyint", ColumnType: "tinyint(1)", Nullable: true},
	}
}

// exactCI is what `attr eq "…"` compiles to on a case-insensitive column:
// the equality an index serves, then the exact comparison with case
// folded (accents and trailing spaces count).
func exactCI(col string) string { return col + " = ? AND " + exactBytes(col, true) }

// exactCS is the same for a case-exact attribute (externalId, id).
func exactCS(col string) string { return col + " = ? AND " + exactBytes(col, false) }

func exactBytes(col string, fold bool) string {
	if fold {
		return "CAST(LOWER(CONVERT(" + col + " USING utf8mb4)) AS BINARY) = CAST(LOWER(CONVERT(? USING utf8mb4)) AS BINARY)"
	}
	return "CAST(CONVERT(" + col + " USING utf8mb4) AS BINARY) = CAST(CONVERT(? USING utf8mb4) AS BINARY)"
}

func boundUsers(t *testing.T, change func([]Column)) *Resource {
	t.Helper()
	cfg := loadTestConfig(t)
	cols := sampleColumns()
	if change != nil {
		change(cols)
	}
	if err := cfg.Bind(map[string][]Column{"users": cols}); err != nil {
		t.Fatal(err)
	}
	return cfg.Users
}

func TestCompileFilter(t *testing.T) {
	r := boundUsers(t, nil)
	day := time.Date(2024, 5, 13, 4, 42, 34, 0, time.UTC)
	tests := []struct {
		filter   string
		wantSQL  string
		wantArgs []any
	}{
		// Every operator on a case-insensitive column: compared as stored, so indexes work.
		// Equality narrows through the index, then compares exactly with
		// case folded: accents and trailing spaces count.
		{`userName eq "Alice@Example.com"`, exactCI("`login`"), []any{"Alice@Example.com", "Alice@Example.com"}},
		{`USERNAME EQ "a"`, exactCI("`login`"), []any{"a", "a"}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"`, exactCI("`login`"), []any{"a", "a"}},
		{`userName ne "a"`, "(" + exactCI("`login`") + ") IS NOT TRUE", []any{"a", "a"}},
		{`userName co "ali"`, "`login` LIKE ? ESCAPE '!'", []any{"%ali%"}},
		{`userName sw "ali"`, "`login` LIKE ? ESCAPE '!'", []any{"ali%"}},
		{`userName ew "@x.io"`, "`login` LIKE ? ESCAPE '!'", []any{"%@x.io"}},
		{`userName co "50%_off!"`, "`login` LIKE ? ESCAPE '!'", []any{"%50!%!_off!!%"}},
		{`userName gt "m"`, "`login` > ?", []any{"m"}},
		{`userName ge "m"`, "`login` >= ?", []any{"m"}},
		{`userName lt "m"`, "`login` < ?", []any{"m"}},
		{`userName le "m"`, "`login` <= ?", []any{"m"}},
		{`userName pr`, "`login` <> ''", nil},
		{`title pr`, "(`title` IS NOT NULL AND `title` <> '')", nil},
		{`title eq null`, "((`title` IS NOT NULL AND `title` <> '')) IS NOT TRUE", nil},
		{`title ne null`, "(`title` IS NOT NULL AND `title` <> '')", nil},
		// Injection attempts are values, never SQL.
		{`userName eq "x' OR '1'='1"`, exactCI("`login`"), []any{"x' OR '1'='1", "x' OR '1'='1"}},
		{`userName eq "\\'; DROP TABLE users; --"`, exactCI("`login`"), []any{`\'; DROP TABLE users; --`, `\'; DROP TABLE users; --`}},
		// Logic.
		{`userName eq "a" and title pr`, exactCI("`login`") + " AND (`title` IS NOT NULL AND `title` <> '')", []any{"a", "a"}},
		{`userName pr and userName eq "a"`, "`login` <> '' AND " + exactCI("`login`"), []any{"a", "a"}},
		{`userName eq "a" or userName eq "b"`, "((" + exactCI("`login`") + ") OR (" + exactCI("`login`") + "))", []any{"a", "a", "b", "b"}},
		{`userName eq "a" or userName eq "b" and title pr`, "((" + exactCI("`login`") + ") OR (" + exactCI("`login`") + " AND (`title` IS NOT NULL AND `title` <> '')))", []any{"a", "a", "b", "b"}},
		{`(userName eq "a" or userName eq "b") and title pr`, "((" + exactCI("`login`") + ") OR (" + exactCI("`login`") + ")) AND (`title` IS NOT NULL AND `title` <> '')", []any{"a", "a", "b", "b"}},
		{`not (userName eq "a" or title eq "b")`, "((" + exactCI("`login`") + ") OR (" + exactCI("`title`") + ")) IS NOT TRUE", []any{"a", "a", "b", "b"}},
		// externalId is caseExact: compared as bytes beside the indexable equality.
		{`externalId eq "00uAbC"`, exactCS("`okta_id`"), []any{"00uAbC", "00uAbC"}},
		{`externalId sw "00u"`, "`okta_id` COLLATE utf8mb4_bin LIKE ? ESCAPE '!'", []any{"00u%"}},
		// id on an integer key: parsed strictly.
		{`id eq "42"`, "`id` = ?", []any{int64(42)}},
		{`id eq 42`, "`id` = ?", []any{int64(42)}},
		{`id eq "42abc"`, "FALSE", nil},
		{`id ne "42abc"`, "TRUE", nil},
		{`id sw "4"`, "CAST(`id` AS CHAR) LIKE ? ESCAPE '!'", []any{"4%"}},
		// Complex and multi-valued attributes.
		{`name.givenName eq "Bo"`, exactCI("`first_name`"), []any{"Bo", "Bo"}},
		{`name pr`, "((`last_name` IS NOT NULL AND `last_name` <> '') OR (`first_name` IS NOT NULL AND `first_name` <> ''))", nil},
		{`emails co "@x.io"`, "(`email` LIKE ? ESCAPE '!' OR `home_email` LIKE ? ESCAPE '!')", []any{"%@x.io%", "%@x.io%"}},
		{`emails.value eq "a@x.io"`, "((" + exactCI("`email`") + ") OR (" + exactCI("`home_email`") + "))", []any{"a@x.io", "a@x.io", "a@x.io", "a@x.io"}},
		{`emails[type eq "work"]`, "TRUE", nil},
		{`emails[type eq "work" and value co "@x.io"]`, "`email` LIKE ? ESCAPE '!'", []any{"%@x.io%"}},
		{`emails[type eq "WORK" and value eq "a"]`, exactCI("`email`"), []any{"a", "a"}},
		{`emails[type eq "home" or primary eq true]`, "TRUE", nil},
		{`emails[type eq "other"]`, "FALSE", nil},
		{`emails[primary eq true].value eq "a@x.io"`, exactCI("`email`"), []any{"a@x.io", "a@x.io"}},
		{`emails[type eq "work"].value eq "a@x.io"`, exactCI("`email`"), []any{"a@x.io", "a@x.io"}},
		{`emails.type eq "home"`, "TRUE", nil},
		{`emails pr`, "((`email` IS NOT NULL AND `email` <> '') OR (`home_email` IS NOT NULL AND `home_email` <> ''))", nil},
		{`emails[not (type eq "work")].value pr`, "(`home_email` IS NOT NULL AND `home_email` <> '')", nil},
		// Extensions, qualified or not, and custom attributes.
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Eng"`, exactCI("`department`"), []any{"Eng", "Eng"}},
		{`department eq "Eng"`, exactCI("`department`"), []any{"Eng", "Eng"}},
		{`pantherRole eq "Admin"`, exactCI("`role_name`"), []any{"Admin", "Admin"}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:pantherRole eq "Admin"`, exactCI("`role_name`"), []any{"Admin", "Admin"}},
		{`badge gt 5`, "`badge_no` > ?", []any{int64(5)}},
		{`badge pr`, "`badge_no` IS NOT NULL", nil},
		{`contractor eq true`, "`is_contractor` <> 0", nil},
		{`contractor eq false`, "(`is_contractor` <> 0) IS NOT TRUE", nil},
		// active and meta.
		{`active eq true`, "`is_active` = ?", []any{int64(1)}},
		{`active eq "True"`, "`is_active` = ?", []any{int64(1)}},
		{`active eq false`, "(`is_active` = ?) IS NOT TRUE", []any{int64(1)}},
		{`active ne false`, "((`is_active` = ?) IS NOT TRUE) IS NOT TRUE", []any{int64(1)}},
		{`meta.lastModified gt "2024-05-13T04:42:34Z"`, "`updated_at` > ?", []any{day}},
		{`meta.created le "2024-05-13T06:42:34+02:00"`, "`created_at` <= ?", []any{day}},
		{`meta.resourceType eq "User"`, "TRUE", nil},
		{`meta.resourceType eq "Group"`, "FALSE", nil},
	}
	for _, tt := range tests {
		p, err := r.CompileFilter(tt.filter)
		if err != nil {
			t.Errorf("CompileFilter(%q) error: %v", tt.filter, err)
			continue
		}
		if p.SQL() != tt.wantSQL {
			t.Errorf("CompileFilter(%q).SQL = %s, want %s", tt.filter, p.SQL(), tt.wantSQL)
		}
		if diff := cmp.Diff(tt.wantArgs, p.Args()); diff != "" {
			t.Errorf("CompileFilter(%q).Args mismatch (-want +got):\n%s", tt.filter, diff)
		}
		if n := strings.Count(p.SQL(), "?"); n != len(p.Args()) {
			t.Errorf("CompileFilter(%q): %d placeholders for %d args", tt.filter, n, len(p.Args()))
		}
	}
}

// TestCompileFilterCaseSensitiveColumn shows the case folding retroscim
// adds when a column's collation would make userName case-sensitive.
func TestCompileFilterCaseSensitiveColumn(t *testing.T) {
	r := boundUsers(t, func(cols []Column) {
		for i := range cols {
			switch cols[i].Name {
			case "login":
				cols[i].Collation = "utf8mb4_bin"
			case "email":
				cols[i].DataType, cols[i].Charset, cols[i].Collation = "varbinary", "", ""
			case "okta_id":
				cols[i].Collation = "utf8mb4_bin"
			}
		}
	})
	tests := []struct {
		filter   string
		wantSQL  string
		wantArgs []any
	}{
		// Equality still ignores neither accents nor trailing spaces.
		{`userName eq "Alice@Example.com"`, "LOWER(`login`) = LOWER(?) AND " + exactBytes("`login`", true), []any{"Alice@Example.com", "Alice@Example.com"}},
		{`userName sw "Al"`, "LOWER(`login`) LIKE LOWER(?) ESCAPE '!'", []any{"Al%"}},
		{`userName gt "M"`, "LOWER(`login`) > LOWER(?)", []any{"M"}},
		{`emails[type eq "work"].value eq "A@X.io"`, exactBytes("`email`", true), []any{"A@X.io"}},
		// Already case-exact: compared as stored, then as bytes (utf8mb4_bin is PAD SPACE).
		{`externalId eq "00uAbC"`, exactCS("`okta_id`"), []any{"00uAbC", "00uAbC"}},
	}
	for _, tt := range tests {
		p, err := r.CompileFilter(tt.filter)
		if err != nil {
			t.Errorf("CompileFilter(%q) error: %v", tt.filter, err)
			continue
		}
		if p.SQL() != tt.wantSQL || !cmp.Equal(p.Args(), tt.wantArgs) {
			t.Errorf("CompileFilter(%q) = %s %v, want %s %v", tt.filter, p.SQL(), p.Args(), tt.wantSQL, tt.wantArgs)
		}
	}
}

func TestCompileFilterErrors(t *testing.T) {
	r := boundUsers(t, nil)
	tests := []struct {
		filter  string
		wantPos int
		wantMsg string
	}{
		{`userName eq`, 11, "expected a value"},
		{`nickName eq "x"`, 0, `attribute "nickName" is not mapped to a column; mapped attributes are id, userName`},
		{`password eq "x"`, 0, `not mapped`},
		{`shoeSize eq 42`, 0, `unknown attribute "shoeSize"; mapped attributes are id, userName`},
		{`urn:acme:nope:User:x eq "y"`, 0, `unknown schema "urn:acme:nope:User"`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User eq "y"`, 0, `is a schema, not an attribute`},
		{`name eq "x"`, 0, `name is complex: compare one of its sub-attributes`},
		{`name.middleName eq "x"`, 0, `"name.middleName" is not mapped`},
		{`name.nope eq "x"`, 0, `name has no sub-attribute "nope"`},
		{`userName.first eq "x"`, 0, `simple attribute and has no sub-attribute "first"`},
		{`emails[display eq "x"]`, 7, `"emails.display" is not mapped`},
		{`emails[nope eq "x"]`, 7, `emails has no sub-attribute "nope"`},
		{`userName[type eq "x"]`, 0, `not a complex attribute`},
		{`active gt true`, 0, `active is a boolean: gt does not apply`},
		{`active eq "yes"`, 0, `compare it with true or false`},
		{`userName eq true`, 0, `compare it with a quoted string`},
		{`badge co "1"`, 0, `applies to strings only`},
		{`badge eq "five"`, 0, `compare it with a number`},
		{`badge eq 1.5`, 0, `is an integer; 1.5 is not one`},
		{`meta.lastModified gt "yesterday"`, 0, `compare it with a quoted RFC 3339 time`},
		{`meta.location eq "x"`, 0, `filtering on meta.location is not supported`},
		{`id gt "abc"`, 0, `stored as a number; "abc" is not one`},
		{`userName gt null`, 0, `null can only be compared with eq or ne`},
		{`title pr and nickName pr`, 13, `"nickName" is not mapped`},
	}
	for _, tt := range tests {
		_, err := r.CompileFilter(tt.filter)
		var fe *FilterError
		if !errors.As(err, &fe) {
			t.Errorf("CompileFilter(%q) error = %v, want *FilterError", tt.filter, err)
			continue
		}
		if fe.Pos != tt.wantPos || !strings.Contains(fe.Msg, tt.wantMsg) {
			t.Errorf("CompileFilter(%q) = %q at %d, want %q at %d", tt.filter, fe.Msg, fe.Pos, tt.wantMsg, tt.wantPos)
		}
	}
}

func TestScopeAndID(t *testing.T) {
	r := boundUsers(t, nil)
	if p := r.ScopePredicate(""); p.SQL() != "`auth_source` IN (?,?)" || !cmp.Equal(p.Args(), []any{"saml", "oidc"}) {
		t.Errorf("ScopePredicate = %s %v", p.SQL(), p.Args())
	}
	for _, tt := range []struct {
		id   string
		ok   bool
		want any
	}{
		{"42", true, int64(42)},
		{"18446744073709551615", true, uint64(18446744073709551615)},
		{"042", false, nil},
		{"42abc", false, nil},
		{" 42", false, nil},
		{"-0", false, nil},
		{"", false, nil},
	} {
		p, ok := r.IDPredicate(tt.id)
		if ok != tt.ok || (ok && (p.SQL() != "`id` = ?" || p.Args()[0] != tt.want)) {
			t.Errorf("IDPredicate(%q) = %v %v, want ok=%v %v", tt.id, p, ok, tt.ok, tt.want)
		}
	}

	src := `database: { dsn: x }
users:
  table: users
  tenant: org_id
  scope: { auth_source: { not: local }, deleted_at: null }
  attributes: { userName: { column: login } }
auth: { bearer_tokens: [ { name: a, token: "0123456789abcdef", tenant: "7" } ] }
`
	cfg, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Users.ScopePredicate("7")
	want := "`auth_source` IS NOT NULL AND (`auth_source` = ?) IS NOT TRUE AND `deleted_at` IS NULL AND `org_id` = ?"
	if p.SQL() != want {
		t.Errorf("ScopePredicate = %s, want %s", p.SQL(), want)
	}
	if !cmp.Equal(p.Args(), []any{"local", "7"}) {
		t.Errorf("ScopePredicate args = %v", p.Args())
	}
}

func TestOrder(t *testing.T) {
	r := boundUsers(t, func(cols []Column) {
		for i := range cols {
			if cols[i].Name == "display_name" {
				cols[i].Collation = "utf8mb4_bin"
			}
		}
	})
	tests := []struct {
		sortBy string
		desc   bool
		want   []sqlstmt.OrderKey
	}{
		{"", false, []sqlstmt.OrderKey{{Expr: "`id`"}}},
		{"userName", true, []sqlstmt.OrderKey{{Expr: "`login`", Desc: true}, {Expr: "`id`", Desc: true}}},
		{"name.familyName", false, []sqlstmt.OrderKey{{Expr: "`last_name`", Nullable: true}, {Expr: "`id`"}}},
		{"displayName", false, []sqlstmt.OrderKey{{Expr: "LOWER(`display_name`)", Nullable: true}, {Expr: "`id`"}}},
		{"emails", false, []sqlstmt.OrderKey{{Expr: "`email`", Nullable: true}, {Expr: "`id`"}}},
		{"meta.created", false, []sqlstmt.OrderKey{{Expr: "`created_at`"}, {Expr: "`id`"}}},
		{"id", false, []sqlstmt.OrderKey{{Expr: "`id`"}}},
	}
	for _, tt := range tests {
		got, err := r.Order(tt.sortBy, tt.desc)
		if err != nil {
			t.Errorf("Order(%q) error: %v", tt.sortBy, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Order(%q) mismatch (-want +got):\n%s", tt.sortBy, diff)
		}
	}
	for _, bad := range []string{"nickName", "id; DROP TABLE users", "name", "`id`"} {
		var ve *RequestError
		if _, err := r.Order(bad, false); !errors.As(err, &ve) {
			t.Errorf("Order(%q) error = %v, want *ValueError", bad, err)
		}
	}
}

// FuzzCompileFilter checks that no filter, however odd, makes the compiler
// panic or produce SQL whose placeholders do not match its arguments.
func FuzzCompileFilter(f *testing.F) {
	for _, s := range []string{
		`userName eq "a"`, `emails[type eq "work" and value co "@x"]`, `not (name pr)`,
		`active eq false`, `id eq "1"`, `meta.lastModified gt "2024-01-01T00:00:00Z"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department sw "E"`,
		`emails[primary eq true].value ew ".io"`, `badge le -3`, `title eq null`,
	} {
		f.Add(s)
	}
	cfg, err := Parse("users.yaml", mustRead(f, "testdata/users.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	if err := cfg.Bind(map[string][]Column{"users": sampleColumns()}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := cfg.Users.CompileFilter(src)
		if err != nil {
			var fe *FilterError
			if !errors.As(err, &fe) {
				t.Fatalf("CompileFilter(%q) error %T, want *FilterError", src, err)
			}
			return
		}
		if n := strings.Count(p.SQL(), "?"); n != len(p.Args()) {
			t.Fatalf("CompileFilter(%q) = %q with %d args", src, p.SQL(), len(p.Args()))
		}
	})
}

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
