package filter

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // canonical String() of the tree
	}{
		{"eq", `userName eq "bjensen"`, `userName eq "bjensen"`},
		{"operator case", `userName Eq "john"`, `userName eq "john"`},
		{"attribute case kept", `Username EQ "john"`, `Username eq "john"`},
		{"ne", `title ne "boss"`, `title ne "boss"`},
		{"co", `name.familyName co "O'Malley"`, `name.familyName co "O'Malley"`},
		{"sw", `userName sw "J"`, `userName sw "J"`},
		{"ew", `userName ew "@example.com"`, `userName ew "@example.com"`},
		{"gt dateTime", `meta.lastModified gt "2011-05-13T04:42:34Z"`, `meta.lastModified gt "2011-05-13T04:42:34Z"`},
		{"ge", `meta.lastModified ge "2011-05-13T04:42:34Z"`, `meta.lastModified ge "2011-05-13T04:42:34Z"`},
		{"lt", `meta.lastModified lt "2011-05-13T04:42:34Z"`, `meta.lastModified lt "2011-05-13T04:42:34Z"`},
		{"le", `meta.lastModified le "2011-05-13T04:42:34Z"`, `meta.lastModified le "2011-05-13T04:42:34Z"`},
		{"pr", `title pr`, `title pr`},
		{"PR upper", `title PR`, `title pr`},
		{"bool true", `active eq true`, `active eq true`},
		{"bool False", `active eq False`, `active eq false`},
		{"null", `title eq null`, `title eq null`},
		{"integer", `employeeNumber gt 42`, `employeeNumber gt 42`},
		{"negative decimal exponent", `score le -1.5e3`, `score le -1.5e3`},
		{"and", `title pr and userType eq "Employee"`, `title pr and userType eq "Employee"`},
		{"or", `title pr or userType eq "Intern"`, `title pr or userType eq "Intern"`},
		{"and binds tighter than or", `a eq 1 or b eq 2 and c eq 3`, `a eq 1 or b eq 2 and c eq 3`},
		{"grouping changes precedence", `(a eq 1 or b eq 2) and c eq 3`, `(a eq 1 or b eq 2) and c eq 3`},
		{"left associative and", `a eq 1 and b eq 2 and c eq 3`, `a eq 1 and b eq 2 and c eq 3`},
		{"right grouping kept", `a eq 1 and (b eq 2 and c eq 3)`, `a eq 1 and (b eq 2 and c eq 3)`},
		{"redundant parens dropped", `((userName eq "x"))`, `userName eq "x"`},
		{"not", `not (userName eq "x")`, `not (userName eq "x")`},
		{"NOT upper no space", `NOT(userName eq "x")`, `not (userName eq "x")`},
		{"value path", `emails[type eq "work"]`, `emails[type eq "work"]`},
		{"value path and", `emails[type eq "work" and value co "@example.com"]`, `emails[type eq "work" and value co "@example.com"]`},
		{"value path with or outside", `userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
			`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`},
		{"value path not inside", `emails[not (type eq "work")]`, `emails[not (type eq "work")]`},
		{"value path sub-attribute comparison", `emails[type eq "work"].value eq "a@b.c"`, `emails[type eq "work" and value eq "a@b.c"]`},
		{"members", `members[value eq "2819c223"]`, `members[value eq "2819c223"]`},
		{"urn qualified", `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`, `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`},
		{"urn extension sub-attribute", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915"`,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915"`},
		{"custom core attribute", `urn:ietf:params:scim:schemas:core:2.0:User:pantherRole eq "Admin"`,
			`urn:ietf:params:scim:schemas:core:2.0:User:pantherRole eq "Admin"`},
		{"escapes", `userName eq "a\"b\\c\u00e9\n"`, `userName eq "a\"b\\cé\n"`},
		{"unicode surrogate pair", `displayName eq "\ud83d\ude00"`, `displayName eq "😀"`},
		{"sql quote is data", `userName eq "x' OR '1'='1"`, `userName eq "x' OR '1'='1"`},
		{"extra whitespace", "  userName   eq\t\"x\"  ", `userName eq "x"`},
		{"ref sub-attribute", `members.$ref pr`, `members.$ref pr`},
		{"dashes and underscores", `x-attr_1 eq "v"`, `x-attr_1 eq "v"`},
		{"empty string", `title eq ""`, `title eq ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.in, err)
			}
			if got := e.String(); got != tt.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
			// Round trip: the canonical form parses to the same canonical form.
			again, err := Parse(e.String())
			if err != nil {
				t.Fatalf("Parse(%q) (round trip) error: %v", e.String(), err)
			}
			if again.String() != e.String() {
				t.Errorf("round trip of %q = %q", e.String(), again.String())
			}
		})
	}
}

func TestParseTree(t *testing.T) {
	e, err := Parse(`a eq 1 or b eq 2 and c eq 3`)
	if err != nil {
		t.Fatal(err)
	}
	or, ok := e.(*Or)
	if !ok {
		t.Fatalf("top node is %T, want *Or", e)
	}
	if _, ok := or.Right.(*And); !ok {
		t.Errorf("right of or is %T, want *And", or.Right)
	}
	e, err = Parse(`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`)
	if err != nil {
		t.Fatal(err)
	}
	cmp := e.(*Compare)
	want := AttrPath{URI: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", Name: "manager", Sub: "value"}
	if cmp.Attr != want {
		t.Errorf("attr = %+v, want %+v", cmp.Attr, want)
	}
	if cmp.Value.Kind != String || cmp.Value.Str != "x" {
		t.Errorf("value = %+v", cmp.Value)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantPos int
		wantMsg string // substring of the message
	}{
		{"empty", ``, 0, "empty"},
		{"blank", `   `, 0, "empty"},
		{"missing operator", `userName`, 8, "expected an operator"},
		{"unknown operator", `userName equals "x"`, 9, `unknown operator "equals"`},
		{"missing value", `userName eq`, 11, "expected a value"},
		{"unquoted string", `userName eq bjensen`, 12, "strings need double quotes"},
		{"single quotes", `userName eq 'x'`, 12, "strings need double quotes"},
		{"unterminated string", `userName eq "abc`, 12, "not terminated"},
		{"bad escape", `userName eq "\x41"`, 12, "invalid escape"},
		{"control character", "userName eq \"a\x01\"", 14, "control character"},
		{"dangling and", `userName eq "x" and`, 19, "expected an attribute name"},
		{"leading and", `and userName eq "x"`, 0, `expected an attribute name before "and"`},
		{"two expressions", `userName eq "x" title pr`, 16, "combine expressions"},
		{"unbalanced open", `(userName eq "x"`, 16, `expected ")"`},
		{"unbalanced close", `userName eq "x")`, 15, "unexpected"},
		{"not without parens", `not userName eq "x"`, 4, `"not" must be followed`},
		{"unclosed bracket", `emails[type eq "work"`, 21, `expected "]"`},
		{"nested value path", `emails[type[value eq "x"]]`, 7, "cannot be nested"},
		{"qualified name in value path", `emails[emails.type eq "work"]`, 7, "sub-attribute of the enclosing"},
		{"value path on sub-attribute", `name.givenName[value eq "x"]`, 14, "multi-valued"},
		{"bad attribute name", `1abc eq "x"`, 0, "not a valid attribute name"},
		{"two dots", `a.b.c eq "x"`, 0, "not a valid attribute path"},
		{"bad urn", `foo:userName eq "x"`, 0, "not a schema URN"},
		{"empty urn segment", `urn::userName eq "x"`, 0, "not a schema URN"},
		{"sql injection word", `userName eq "x" OR 1=1`, 19, `"1=1" is not a valid attribute name`},
		{"semicolon", `userName eq "x"; DROP TABLE users`, 15, `unexpected ";"`},
		{"bad number", `x eq 1.2.3`, 5, "expected a value"},
		{"invalid utf8", "userName eq \"\xff\"", 13, "UTF-8"},
		{"number then junk", `x eq 01`, 5, "expected a value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want *SyntaxError", tt.in, err)
			}
			if se.Pos != tt.wantPos || !strings.Contains(se.Msg, tt.wantMsg) {
				t.Errorf("Parse(%q) error = %q at %d, want %q at %d", tt.in, se.Msg, se.Pos, tt.wantMsg, tt.wantPos)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth+1) + `a eq 1` + strings.Repeat(")", MaxDepth+1)
	if _, err := Parse(deep); err == nil || !strings.Contains(err.Error(), "nested") {
		t.Errorf("Parse(deep) error = %v, want nesting error", err)
	}
	ok := strings.Repeat("(", MaxDepth) + `a eq 1` + strings.Repeat(")", MaxDepth)
	if _, err := Parse(ok); err != nil {
		t.Errorf("Parse(depth %d) error = %v", MaxDepth, err)
	}
	many := strings.Repeat(`a eq 1 or `, MaxTerms) + `a eq 1`
	if len(many) <= MaxLength {
		if _, err := Parse(many); err == nil || !strings.Contains(err.Error(), "comparisons") {
			t.Errorf("Parse(%d terms) error = %v, want term limit", MaxTerms+1, err)
		}
	}
	long := `userName eq "` + strings.Repeat("x", MaxLength) + `"`
	if _, err := Parse(long); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("Parse(long) error = %v, want length error", err)
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		in   string
		want Path
	}{
		{`userName`, Path{Attr: AttrPath{Name: "userName"}}},
		{`name.givenName`, Path{Attr: AttrPath{Name: "name", Sub: "givenName"}}},
		{`active`, Path{Attr: AttrPath{Name: "active"}}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:pantherRole`,
			Path{Attr: AttrPath{URI: "urn:ietf:params:scim:schemas:core:2.0:User", Name: "pantherRole"}}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`,
			Path{Attr: AttrPath{URI: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", Name: "manager"}}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`,
			Path{Attr: AttrPath{URI: "urn:ietf:params:scim:schemas:extension:enterprise:2.0", Name: "User"}}},
	}
	for _, tt := range tests {
		got, err := ParsePath(tt.in)
		if err != nil {
			t.Errorf("ParsePath(%q) error: %v", tt.in, err)
			continue
		}
		if got.Attr != tt.want.Attr || got.Filter != nil || got.Sub != "" {
			t.Errorf("ParsePath(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if got.String() != tt.in {
			t.Errorf("ParsePath(%q).String() = %q", tt.in, got.String())
		}
	}

	withFilter := []struct{ in, attr, filter, sub string }{
		{`emails[type eq "work"].value`, "emails", `type eq "work"`, "value"},
		{`members[value eq "2819c223-7f76-453a-919d-413861904646"]`, "members", `value eq "2819c223-7f76-453a-919d-413861904646"`, ""},
		{`addresses[type eq "work"].streetAddress`, "addresses", `type eq "work"`, "streetAddress"},
		{`emails[type eq "work" and primary eq true].value`, "emails", `type eq "work" and primary eq true`, "value"},
	}
	for _, tt := range withFilter {
		got, err := ParsePath(tt.in)
		if err != nil {
			t.Errorf("ParsePath(%q) error: %v", tt.in, err)
			continue
		}
		if got.Attr.Name != tt.attr || got.Filter == nil || got.Filter.String() != tt.filter || got.Sub != tt.sub {
			t.Errorf("ParsePath(%q) = {%v %v %q}, want {%s %s %s}", tt.in, got.Attr, got.Filter, got.Sub, tt.attr, tt.filter, tt.sub)
		}
		if got.String() != tt.in {
			t.Errorf("ParsePath(%q).String() = %q", tt.in, got.String())
		}
	}

	bad := []struct{ in, msg string }{
		{``, "must start with an attribute name"},
		{`emails[type eq "work"`, `expected "]"`},
		{`emails[type eq "work"].1x`, "invalid sub-attribute"},
		{`name.givenName.x`, "not a valid attribute path"},
		{`userName eq "x"`, "unexpected"},
		{`[type eq "work"]`, "must start with an attribute name"},
		{`emails[type eq "work"] trailing`, "unexpected"},
	}
	for _, tt := range bad {
		_, err := ParsePath(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParsePath(%q) error = %v, want %q", tt.in, err, tt.msg)
		}
	}
}

func TestParseAttrPath(t *testing.T) {
	good := map[string]AttrPath{
		"userName":       {Name: "userName"},
		"name.givenName": {Name: "name", Sub: "givenName"},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": {
			URI: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", Name: "department"},
	}
	for in, want := range good {
		got, err := ParseAttrPath(in)
		if err != nil || got != want {
			t.Errorf("ParseAttrPath(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", " userName", "user name", "a.b.c", "emails[type eq \"work\"]", "id;drop", "1x"} {
		if _, err := ParseAttrPath(in); err == nil {
			t.Errorf("ParseAttrPath(%q) succeeded, want error", in)
		}
	}
}
