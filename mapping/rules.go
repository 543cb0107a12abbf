package mapping

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// columnDefaults reports whether an INSERT may leave the attribute's
// column out: it is nullable or has a default.
func (r *Resource) columnDefaults(a *Attribute) bool {
	c := r.column(a.Column)
	return c.Nullable || c.Default != nil || c.AutoIncrement || c.Generated
}

// checkRules applies the mapping's rules and the column's limits to a
// string value.
func (r *Resource) checkRules(a *Attribute, v any) error {
	s, isString := v.(string)
	if !isString {
		return nil
	}
	if err := checkControl(a, s); err != nil {
		return err
	}
	col := r.column(a.Column)
	if a.Lookup != nil {
		col = &Column{DataType: "varchar", Charset: "utf8mb4"}
	}
	if rel := a.Related; rel != nil {
		col = r.columnOf(rel.Table, rel.Column)
	}
	limit := int64(a.MaxLength)
	switch {
	case a.Hash == "bcrypt":
		if len(s) > 72 {
			return requestErr(SCIMInvalidValue, "password is too long: bcrypt uses at most 72 bytes")
		}
	case col.kind() == kindText && col.MaxChars > 0 && (limit == 0 || col.MaxChars < limit):
		limit = col.MaxChars
	}
	if n := int64(utf8.RuneCountInString(s)); limit > 0 && n > limit {
		return requestErr(SCIMInvalidValue, "%s is too long: %d characters, at most %d", a.Path(), n, limit)
	}
	if a.ForbiddenChars != "" {
		if i := strings.IndexAny(s, a.ForbiddenChars); i >= 0 {
			c, _ := utf8.DecodeRuneInString(s[i:])
			return requestErr(SCIMInvalidValue, "%s must not contain %q (forbidden: %s)", a.Path(), c, spaced(a.ForbiddenChars))
		}
	}
	if a.Pattern != nil && !a.Pattern.MatchString(s) {
		return requestErr(SCIMInvalidValue, "%s %q does not match the required pattern %s", a.Path(), s, strings.TrimSuffix(strings.TrimPrefix(a.Pattern.String(), "^(?:"), ")$"))
	}
	if len(a.Values) > 0 {
		ok := false
		for _, allowed := range a.Values {
			if strings.EqualFold(allowed, s) {
				ok = true
			}
		}
		if !ok {
			return requestErr(SCIMInvalidValue, "%s must be one of %s, got %q", a.Path(), strings.Join(a.Values, ", "), s)
		}
	}
	if col.kind() == kindText {
		if bad, ok := unstorable(s, col.Charset); ok {
			return requestErr(SCIMInvalidValue, "%s contains %q, which the column's %s character set cannot store", a.Path(), bad, col.Charset)
		}
		if col.DataType == "enum" {
			allowed := enumValues(col.ColumnType)
			for _, e := range allowed {
				if strings.EqualFold(e, s) {
					return nil
				}
			}
			return requestErr(SCIMInvalidValue, "%s must be one of %s, got %q", a.Path(), strings.Join(allowed, ", "), s)
		}
	}
	return nil
}

func spaced(chars string) string {
	var parts []string
	for _, c := range chars {
		parts = append(parts, string(c))
	}
	return strings.Join(parts, " ")
}

// unstorable finds a character the charset cannot represent.
func unstorable(s, charset string) (rune, bool) {
	var max rune
	switch strings.ToLower(charset) {
	case "utf8mb3", "utf8":
		max = 0xFFFF
	case "latin1":
		max = 0xFF
	case "ascii":
		max = 0x7F
	default:
		return 0, false
	}
	for _, c := range s {
		if c > max {
			return c, true
		}
	}
	return 0, false
}

// enumValues parses enum('a','b') into its values.
func enumValues(columnType string) []string {
	inner := strings.TrimSuffix(strings.TrimPrefix(columnType, "enum("), ")")
	var out []string
	for _, part := range strings.Split(inner, "','") {
		out = append(out, strings.ReplaceAll(strings.Trim(part, "'"), "''", "'"))
	}
	return out
}

// assignment converts a SCIM value to what the column stores. A nil value
// becomes the attribute's default, NULL, the column default, or "" for a
// NOT NULL text column, in that order of preference.
func (r *Resource) assignment(a *Attribute, v any) (*Assignment, error) {
	col := r.column(a.Column)
	asg := &Assignment{Column: a.Column, Attr: a}
	if v == nil {
		switch {
		case a.HasDefault:
			asg.Value = a.Default
		case col.Nullable:
		case col.Default != nil:
			asg.SQL = "DEFAULT"
		case col.kind() == kindText:
			asg.Value = ""
		default:
			return nil, requestErr(SCIMInvalidValue, "%s cannot be removed: column %q is NOT NULL without a default", a.Path(), a.Column)
		}
		return asg, nil
	}
	if a.Hash == "bcrypt" {
		h, err := bcrypt.GenerateFromPassword([]byte(v.(string)), bcryptCost)
		if err != nil {
			return nil, requestErr(SCIMInvalidValue, "password cannot be stored: %v", err)
		}
		asg.Value = string(h)
		return asg, nil
	}
	dbv, err := toColumn(a, col, v)
	if err != nil {
		return nil, err
	}
	asg.Value = dbv
	return asg, nil
}
