package filter

import (
	"strings"
	"testing"
)

// filterSeeds are real-world and adversarial filters: Okta's and Entra's
// queries, RFC 7644 examples and inputs that once stressed parsers.
var filterSeeds = []string{
	`userName eq "bjensen"`,
	`userName eq "Alice@Example.com"`,
	`externalId eq "00u1a2b3c4"`,
	`displayName eq "Persona-Admin"`,
	`members[value eq "2819c223"]`,
	`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
	`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
	`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
	`meta.lastModified gt "2011-05-13T04:42:34Z"`,
	`title pr and userType eq "Employee"`,
	`urn:ietf:params:scim:schemas:core:2.0:User:pantherRole eq "Admin"`,
	`emails[type eq "work"].value eq "a@b.c"`,
	`userName eq "x' OR '1'='1"`,
	`userName eq "\u0000"`,
	`a eq 1 or b eq -2.5e10 and not (c eq null)`,
	`((((a pr))))`,
	`not(not(not(a pr)))`,
	`x eq "\ud800"`,
	`[`, `]`, `(`, `"`, `not`, `a[`, `a[b`, `a[b eq 1].`, `a[b eq 1].c`,
}

func FuzzParse(f *testing.F) {
	for _, s := range filterSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("Parse(%q) returned %T, want *SyntaxError", src, err)
			}
			return
		}
		// Whatever parses must render to text that parses to the same text.
		out := e.String()
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its rendering %q does not parse: %v", src, out, err)
		}
		if again.String() != out {
			t.Fatalf("rendering not stable: %q -> %q", out, again.String())
		}
	})
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		`name.givenName`, `emails[type eq "work"].value`, `members[value eq "abc"]`,
		`urn:ietf:params:scim:schemas:core:2.0:User:pantherRole`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`,
		`addresses[type eq "work"].formatted`, `active`, `emails[`, `emails[type eq "work"].`,
		`members[value eq "a" or value eq "b"]`, `x]`, `.value`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := ParsePath(src)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("ParsePath(%q) returned %T, want *SyntaxError", src, err)
			}
			return
		}
		out := p.String()
		again, err := ParsePath(out)
		if err != nil {
			t.Fatalf("ParsePath(%q) ok, but its rendering %q does not parse: %v", src, out, err)
		}
		if again.String() != out {
			t.Fatalf("rendering not stable: %q -> %q", out, again.String())
		}
		if strings.TrimSpace(out) == "" {
			t.Fatalf("ParsePath(%q) rendered empty", src)
		}
	})
}
