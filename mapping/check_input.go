package mapping

import (
	"fmt"
	"slices"
	"strings"
)

// This file holds the findings about how requests are read: what a
// column's collation makes of the equality that links accounts, and a
// users mapping that cannot deactivate.

// collationRules says what a collation ignores when it compares strings.
type collationRules struct {
	caseInsensitive, accentInsensitive, padSpace bool
}

// rulesOf reads a collation's rules from its name, as MariaDB and MySQL
// name them: _ci ignores case (and accents unless _as_), _bin compares
// code points; every collation pads with spaces except the _nopad_ ones,
// MySQL 8's _0900_ ones and binary.
func rulesOf(collation string) collationRules {
	c := strings.ToLower(collation)
	if c == "" || c == "binary" {
		return collationRules{}
	}
	ci := strings.HasSuffix(c, "_ci")
	return collationRules{
		caseInsensitive:   ci,
		accentInsensitive: ci && !strings.Contains(c, "_as_"),
		padSpace:          !strings.Contains(c, "nopad") && !strings.Contains(c, "_0900_"),
	}
}

// ignores lists what the rules ignore beyond case, for messages.
func (cr collationRules) ignores() []string {
	var out []string
	if cr.accentInsensitive {
		out = append(out, `accents ("josé" = "jose")`)
	}
	if cr.padSpace {
		out = append(out, `trailing spaces ("bob " = "bob")`)
	}
	return out
}

// checkEquality explains, for each attribute an identity provider links
// or deduplicates accounts by (userName, externalId, unique and case-exact
// attributes) on a case-insensitive column, what the collation does to
// equality and what retroscim does about it: the index narrows the rows,
// then the values are compared as bytes with only case folded (nothing
// folded for a case-exact attribute). Where the app's own unique key
// compares under the collation, a value it deems equal is still refused.
func (r *Resource) checkEquality(all map[string][]Index, add addFunc) {
	for _, a := range r.Attributes {
		if a.Lookup != nil || !r.hasColumn(a.Column) || a.Hidden() || (a.Def.Type != TypeString && a.Def.Type != TypeReference) {
			continue
		}
		linking := (a.Name == "userName" && a.SchemaURI == UserSchema) || a.Name == "externalId" || a.Uniqueness != UniqueNone || a.CaseExact
		col := r.column(a.Column)
		if !linking || col.kind() != kindText || !col.CaseInsensitive() {
			continue
		}
		rules := rulesOf(col.Collation)
		ignored := append([]string{"case"}, rules.ignores()...)
		then := "then compares the bytes with only case folded"
		if a.CaseExact {
			then = "then, " + a.Path() + " being case-exact, compares the bytes exactly"
		}
		msg := fmt.Sprintf("%s uses %s, which ignores %s: %s eq compares under it first (so an index on %s serves the lookup), %s", a.Column, col.Collation, joinAnd(ignored), a.Path(), a.Column, then)
		extra := trimExamples(rules.ignores())
		if len(extra) == 0 {
			add(SevNote, "collation", a.Line, r.attrKey(a), "%s", msg)
			continue
		}
		add(SevNote, "collation", a.Line, r.attrKey(a), "%s, so values differing in %s are different values, in filters and in uniqueness checks", msg, joinOr(extra))
		if key := uniqueKeyOn(all[r.Table], a.Column); key != "" {
			add(SevNote, "collation", a.Line, r.attrKey(a), "the app's unique key %s compares %s under %s: where retroscim sees two different values (differing in %s), the database refuses the second, and that write is answered 409 uniqueness, changing nothing", key, a.Column, col.Collation, joinOr(extra))
		}
	}
}

// checkUniqueWithin warns when unique_within: scope cannot hold: the
// app's own unique key covers the column over every row of the table (or
// of the tenant), so the database refuses a value a row outside the
// scope holds anyway, and that write is answered 409.
func (r *Resource) checkUniqueWithin(all map[string][]Index, add addFunc) {
	for _, a := range r.Attributes {
		if !a.UniqueInScope || !r.hasColumn(a.Column) {
			continue
		}
		for _, ix := range all[r.Table] {
			spans := ix.Unique && slices.ContainsFunc(ix.Columns, func(c string) bool { return strings.EqualFold(c, a.Column) })
			for _, c := range ix.Columns {
				spans = spans && (strings.EqualFold(c, a.Column) || strings.EqualFold(c, r.TenantColumn))
			}
			if spans {
				add(SevWarning, "unique", a.Line, r.attrKey(a)+".unique_within", "unique_within: scope, but the app's unique key %s covers %s in every row of %s, in the scope or not: a value a row outside the scope holds is still refused by the database (409 uniqueness). Remove unique_within, or check why the key is there", ix.Name, a.Column, r.Table)
				break
			}
		}
	}
}

// uniqueKeyOn names a unique index of idx that includes col, or "".
func uniqueKeyOn(idx []Index, col string) string {
	for _, ix := range idx {
		if ix.Unique && slices.ContainsFunc(ix.Columns, func(c string) bool { return strings.EqualFold(c, col) }) {
			return ix.Name
		}
	}
	return ""
}

func trimExamples(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		if j := strings.Index(s, " ("); j >= 0 {
			s = s[:j]
		}
		out[i] = s
	}
	return out
}

func joinAnd(list []string) string { return joinWith(list, "and") }

func joinOr(list []string) string { return joinWith(list, "or") }

func joinWith(list []string, word string) string {
	switch len(list) {
	case 0:
		return ""
	case 1:
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " " + word + " " + list[len(list)-1]
}

// checkDeactivation flags a users mapping with no way to deactivate:
// Okta and Entra deactivate by setting active to false, which such a
// mapping refuses with 400 (see refuseDeactivation).
func (r *Resource) checkDeactivation(add addFunc) {
	if r.Type != "User" || r.Active != nil {
		return
	}
	add(SevWarning, "deactivate", r.line, r.key+".active", "Okta and Entra deactivate a user by setting active to false, which is answered 400 mutability: %s", noDeactivation)
}
