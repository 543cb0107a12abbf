package mapping

import (
	"fmt"
	"strings"
	"unicode"
)

// This file holds the rules a request body meets before any of its
// values is applied: the schemas it declares, and the characters a
// string value may hold.

// entraGroupSchema is the URN Microsoft Entra ID sends next to the core
// Group schema when it creates a group ("schemas": [core, this]). It
// defines no attributes; it is accepted so that Entra can create groups.
const entraGroupSchema = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"

// CheckSchemas verifies the schemas member of a whole resource (POST and
// PUT, RFC 7643 §3): a non-empty list of strings that contains the
// resource type's core schema and nothing but schemas this resource type
// knows: the core schema, the mapping's extensions and, for users, the
// enterprise extension, which Okta and Entra list even when no enterprise
// attribute is mapped. Errors are invalidSyntax, as for a PATCH body
// whose schemas lack the PatchOp URN: the body does not conform to the
// request's schema.
func (r *Resource) CheckSchemas(body map[string]any) error {
	raw, ok := getFold(body, "schemas")
	if !ok {
		return requestErr(SCIMInvalidSyntax, "the body has no schemas: send \"schemas\": [%q] with a %s", r.Schema.ID, r.Type)
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return requestErr(SCIMInvalidSyntax, "schemas must be a non-empty array of schema URNs, as [%q]", r.Schema.ID)
	}
	core := false
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			return requestErr(SCIMInvalidSyntax, "schemas must hold strings (schema URNs), got %s", describeJSON(x))
		}
		switch {
		case strings.EqualFold(s, r.Schema.ID):
			core = true
		case !r.knowsSchema(s):
			return requestErr(SCIMInvalidSyntax, "schemas: %s is not a schema of %ss on this server; it knows %s", describeJSON(s), r.Type, strings.Join(r.knownSchemaIDs(), ", "))
		}
	}
	if !core {
		return requestErr(SCIMInvalidSyntax, "schemas must contain %s", r.Schema.ID)
	}
	return nil
}

// knowsSchema reports whether a body of this resource type may list uri.
func (r *Resource) knowsSchema(uri string) bool {
	if r.schemaByID(uri) != nil {
		return true
	}
	for _, id := range r.knownSchemaIDs() {
		if strings.EqualFold(id, uri) {
			return true
		}
	}
	return false
}

// knownSchemaIDs lists the schema URNs a body of this resource type may
// list, for messages too.
func (r *Resource) knownSchemaIDs() []string {
	ids := r.schemaIDs()
	switch r.Schema.ID {
	case UserSchema:
		if r.schemaByID(EnterpriseUserSchema) == nil {
			ids = append(ids, EnterpriseUserSchema)
		}
	case GroupSchema:
		ids = append(ids, entraGroupSchema)
	}
	return ids
}

// rfcSchemas are the schemas RFC 7643 defines for this resource type,
// mapped or not: the core schema and, for users, the enterprise extension.
func (r *Resource) rfcSchemas() []*SchemaDef {
	if core := knownSchemas[strings.ToLower(r.Schema.ID)]; core == coreUser {
		return []*SchemaDef{coreUser, enterpriseUser}
	} else if core != nil {
		return []*SchemaDef{core}
	}
	return nil
}

// multiLine reports whether the attribute may hold line breaks and tabs:
// RFC 7643 §4.1.2 says addresses' formatted and streetAddress MAY contain
// newlines. Every other string is one line.
func (a *Attribute) multiLine() bool {
	return a.Name == "addresses" && (a.Sub == "formatted" || a.Sub == "streetAddress")
}

// checkControl refuses control characters (C0, DEL and C1: NUL, escape,
// backspace, ...) in a string value: no person's name or address holds
// one, a NUL truncates values in C programs reading the app's tables, and
// an escape sequence in a log or terminal is an attack. Line breaks and
// tabs are accepted where a value may span lines.
func checkControl(a *Attribute, s string) error {
	for _, c := range s {
		if !unicode.IsControl(c) {
			continue
		}
		if a.multiLine() && (c == '\n' || c == '\r' || c == '\t') {
			continue
		}
		return requestErr(SCIMInvalidValue, "%s contains the control character %s, which is not accepted%s", a.Path(), controlName(c), map[bool]string{true: " (line breaks and tabs are)", false: ""}[a.multiLine()])
	}
	return nil
}

func controlName(c rune) string {
	switch c {
	case 0:
		return "U+0000 (NUL)"
	case '\n':
		return `U+000A (line feed, "\n")`
	case '\r':
		return `U+000D (carriage return, "\r")`
	case '\t':
		return `U+0009 (tab, "\t")`
	}
	return fmt.Sprintf("U+%04X", c)
}
