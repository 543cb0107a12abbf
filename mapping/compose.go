package mapping

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping/filter"
	"github.com/retroscim/retroscim/mapping/template"
	"gopkg.in/yaml.v3"
)

// Composition is one column that holds several SCIM attributes, written
// by a template: Grafana's user.name is "{givenName} {familyName}". Each
// part is an Attribute of its own whose Column is the composed column.
type Composition struct {
	// Column is the composed column.
	Column string
	// Template is the parsed compose: value; its placeholders are the
	// parts' full paths (name.givenName), in order.
	Template *template.Template
	// Parts are the attributes the template places, in template order.
	Parts []*Attribute
	// Key and Line locate the compose: entry in the mapping.
	Key  string
	Line int
}

// compileComposed compiles an attributes entry with compose:, such as
//
//	name: { column: name, compose: "{givenName} {familyName}" }
//
// into one Attribute per placeholder, all stored in the one column. The
// key is a single-valued complex attribute and the placeholders are its
// sub-attributes, short ({givenName}) or full ({name.givenName}). It
// returns nil when the entry is refused.
func (r *Resource) compileComposed(k, v *yaml.Node, ak string, core *SchemaDef, spec attrSpec, custom map[string]*SchemaDef, p *problems) []*Attribute {
	cline := lineOf(v, "compose")
	switch {
	case spec.Lookup != nil:
		p.add(v.Line, ak, "give compose or lookup, not both: a composed column holds the text itself")
		return nil
	case spec.Column == "":
		p.add(v.Line, ak+".column", "missing: name the column that holds %q", spec.Compose)
		return nil
	case spec.Default.Kind != 0 || spec.Values != nil || spec.Pattern != "" || spec.Type != "":
		p.add(v.Line, ak, "default, values, pattern and type do not apply to a composed column; each part is a string and the column gets the rendered template")
		return nil
	case spec.Unique != nil && *spec.Unique:
		p.add(lineOf(v, "unique"), ak+".unique", "a part of a composed column cannot be unique: uniqueness is checked by comparing the column, which holds the whole template")
		return nil
	}
	if kp, err := filter.ParsePath(k.Value); err != nil || kp.Attr.Sub != "" || kp.Filter != nil || strings.Contains(kp.Attr.Name, ".") {
		p.add(k.Line, ak, "compose: goes on a single-valued complex attribute, whose sub-attributes the template places, as name: { column: %s, compose: \"{givenName} {familyName}\" }", spec.Column)
		return nil
	}
	t, err := template.Parse(spec.Compose)
	if err != nil {
		p.add(cline, ak+".compose", "%v", err)
		return nil
	}
	c := &Composition{Column: spec.Column, Key: ak, Line: k.Line}
	paths := make([]string, len(t.Parts))
	for i, part := range t.Parts {
		paths[i] = k.Value + "." + part.Attr
		if len(part.Attr) > len(k.Value)+1 && strings.EqualFold(part.Attr[:len(k.Value)+1], k.Value+".") {
			paths[i] = part.Attr
		} else if strings.ContainsAny(part.Attr, ".:") {
			p.add(cline, ak+".compose", "{%s} is not a sub-attribute of %s: the template of %s places its sub-attributes, as {givenName} or {%s.givenName}", part.Attr, k.Value, k.Value, k.Value)
			return nil
		}
	}
	partSpec := spec
	partSpec.Compose = ""
	ok := true
	for i, path := range paths {
		pk := &yaml.Node{Kind: yaml.ScalarNode, Value: path, Line: k.Line}
		pak := fmt.Sprintf("%s.compose {%s}", ak, t.Parts[i].Attr)
		before := len(p.list)
		a := r.resolveAttrKey(pk, pak, core, partSpec, custom, p)
		if a == nil {
			if len(p.list) == before {
				p.add(cline, pak, "%s is not an attribute a composed column can hold", path)
			}
			ok = false
			continue
		}
		if a.Def.Type != TypeString || a.EntryType != "" || a.Custom {
			p.add(cline, pak, "%s is %s: a composed column holds single-valued string attributes of RFC 7643, such as name.givenName", a.Path(), describeDef(a))
			ok = false
			continue
		}
		a.Key = k.Value
		a.Composed, a.part = c, i
		if !r.attrColumn(a, partSpec, v, ak, p) || !applyRules(a, partSpec, v, ak, p) {
			ok = false
			continue
		}
		paths[i] = a.Path()
		c.Parts = append(c.Parts, a)
	}
	if !ok {
		return nil
	}
	// The template as the rest of the code sees it: full, canonical paths.
	full := t.Lead
	for i, part := range t.Parts {
		full += part.Sep + "{" + paths[i] + "}"
	}
	c.Template, _ = template.Parse(full + t.Trail)
	return c.Parts
}

func describeDef(a *Attribute) string {
	switch {
	case a.EntryType != "":
		return "an entry of a multi-valued attribute"
	case a.Custom:
		return "a custom attribute"
	}
	return article(a.Def.Type)
}

// checkCompositions refuses a column composed by two templates, and a
// composed column that another attribute writes in a way the template
// would not (only whole-value string attributes such as displayName or
// name.formatted may share it).
func (r *Resource) checkCompositions(p *problems) {
	byCol := map[string]*Composition{}
	for _, a := range r.Attributes {
		c := a.Composed
		if c == nil || a.part != 0 {
			continue
		}
		lc := strings.ToLower(c.Column)
		if prev, dup := byCol[lc]; dup {
			p.add(c.Line, c.Key+".compose", "column %q is already composed by %s (line %d): one column is composed by one template", c.Column, prev.Key, prev.Line)
			continue
		}
		byCol[lc] = c
	}
	for _, a := range r.Attributes {
		c := byCol[strings.ToLower(a.Column)]
		if c == nil || a.Composed == c {
			continue
		}
		if a.Lookup != nil || a.Def.Type != TypeString || a.EntryType != "" {
			p.add(a.Line, r.attrKey(a), "column %q is composed by %s; only a string attribute holding the whole value (displayName, name.formatted) may share it", a.Column, c.Key)
		}
	}
}

// columnValue is the value of a's column in a row; for a composed part,
// the part's text as the template's split rule reads it (nil when empty).
func (a *Attribute) columnValue(row Row) any {
	v := row[a.colIdx]
	if a.Composed == nil {
		return v
	}
	s, ok := textOf(v)
	if !ok {
		return nil
	}
	parts, _ := a.Composed.Template.Split(s)
	if parts[a.part] == "" {
		return nil
	}
	return parts[a.part]
}

// ambiguousCompositions lists the compositions of a row whose stored
// value does not split back into its parts one way ("Mary Ann Smith"),
// with that value: a request may only replace all of their parts.
func (r *Resource) ambiguousCompositions(row Row) map[*Composition]string {
	var out map[*Composition]string
	for _, a := range r.Attributes {
		if a.Composed == nil || a.part != 0 {
			continue
		}
		s, ok := textOf(row[a.colIdx])
		if !ok {
			continue
		}
		if _, amb := a.Composed.Template.Split(s); amb {
			if out == nil {
				out = map[*Composition]string{}
			}
			out[a.Composed] = s
		}
	}
	return out
}

// composedAssignments renders each composition one of whose parts the
// request changes: the changed parts' new values and the current row's
// other parts, as one write of the column. A stored value that splits
// ambiguously is refused unless every part is given.
func (d *Draft) composedAssignments(changed map[*Composition]bool) ([]Assignment, error) {
	var out []Assignment
	for _, a := range d.r.Attributes {
		c := a.Composed
		if c == nil || a.part != 0 || !changed[c] {
			continue
		}
		values := make([]string, len(c.Parts))
		var missing []string
		for i, part := range c.Parts {
			if s, ok := d.vals[part.index].(string); ok {
				values[i] = s
			}
			if !d.touched[part.index] && !d.create {
				missing = append(missing, part.Path())
			}
		}
		if stored, amb := d.ambiguous[c]; amb && len(missing) > 0 {
			return nil, requestErr(SCIMInvalidValue, "%s: the stored %s %q does not split into %s one way (by the rule of %q), so %s cannot be kept; send %s in the same request",
				strings.Join(changedParts(c, d), ", "), c.Column, stored, partList(c), c.Template.String(), strings.Join(missing, " and "), partList(c))
		}
		var v any
		if s := c.Template.Render(values); s != "" {
			v = s
		}
		if v == nil && d.create && d.r.columnDefaults(c.Parts[0]) {
			continue // left out of a create: the column's own default applies
		}
		asg, err := d.r.assignment(c.Parts[0], v)
		if err != nil {
			return nil, err
		}
		if asg != nil {
			out = append(out, *asg)
		}
	}
	return out, nil
}

func changedParts(c *Composition, d *Draft) []string {
	var out []string
	for _, part := range c.Parts {
		if d.touched[part.index] {
			out = append(out, part.Path())
		}
	}
	return out
}

func partList(c *Composition) string {
	names := make([]string, len(c.Parts))
	for i, part := range c.Parts {
		names[i] = part.Path()
	}
	return strings.Join(names, " and ")
}

// maxFilteredParts bounds the templates whose parts filters compile:
// each part's expression repeats the rest of the value before it, so it
// grows threefold with every part.
const maxFilteredParts = 3

// partSQL is the SQL expression that reads a composed part from its
// column by the split rule of mapping/template, so that a filter on
// name.familyName selects exactly the rows whose familyName reads as the
// filter says. It compares bytes (utf8mb4_bin), as Go's split does, so a
// separator matches only itself. ok is false for templates it cannot
// express: with a literal before the first or after the last part, or
// with more than maxFilteredParts parts.
func (c *Composition) partSQL(i int) (expr string, ok bool) {
	t := c.Template
	if t.Lead != "" || t.Trail != "" || len(t.Parts) > maxFilteredParts {
		return "", false
	}
	rest := "CONVERT(" + sqlstmt.Ident(c.Column) + " USING utf8mb4) COLLATE utf8mb4_bin"
	for k := 0; k < i; k++ {
		sep := sepSQL(t.Parts[k+1].Sep)
		at := "LOCATE(" + sep + ", " + rest + ")"
		rest = "IF(" + at + " > 0, SUBSTRING(" + rest + ", " + at + " + CHAR_LENGTH(" + sep + ")), '')"
	}
	if i == len(t.Parts)-1 {
		return rest, true
	}
	sep := sepSQL(t.Parts[i+1].Sep)
	at := "LOCATE(" + sep + ", " + rest + ")"
	return "IF(" + at + " > 0, LEFT(" + rest + ", " + at + " - 1), " + rest + ")", true
}

// sepSQL writes a template literal as a hexadecimal string literal: the
// mapping's text never becomes SQL text.
func sepSQL(sep string) string {
	return "CONVERT(X'" + hex.EncodeToString([]byte(sep)) + "' USING utf8mb4) COLLATE utf8mb4_bin"
}

// partColumn describes a part's expression to the comparisons: text in
// utf8mb4_bin, NULL when the column is.
var partColumn = &Column{Name: "(part)", DataType: "varchar", ColumnType: "varchar", Nullable: true, Charset: "utf8mb4", Collation: "utf8mb4_bin"}

// composedTarget is the filter target of a composed part, or an error
// when its template has no SQL form.
func composedTarget(a *Attribute, pos int) (target, error) {
	expr, ok := a.Composed.partSQL(a.part)
	if !ok {
		return target{}, composedFilterErr(a, pos)
	}
	t := attrTarget(a)
	t.expr, t.colFacts, t.composed = expr, partColumn, a
	return t, nil
}

// composedFilterErr refuses a filter on a composed part whose template
// has no SQL form (see partSQL), and any sortBy on one.
func composedFilterErr(a *Attribute, pos int) error {
	msg := fmt.Sprintf("%s is stored inside column %q as %q and cannot be filtered or sorted on; filter on userName or another attribute with a column of its own", a.Path(), a.Composed.Column, a.Composed.Template.String())
	return &FilterError{Pos: pos, Msg: msg}
}

// dropClearedBesideComposed settles a composed column that another
// attribute shares (name.formatted on Grafana's name): when one of them
// is cleared by the request (a PUT that leaves name.formatted out) and
// the other gets a value, the value is written. Two values are left for
// checkShared to compare.
func (d *Draft) dropClearedBesideComposed(set []Assignment) []Assignment {
	clearing := func(a Assignment) bool {
		if a.Attr == nil {
			return false
		}
		if c := a.Attr.Composed; c != nil {
			for _, part := range c.Parts {
				if d.vals[part.index] != nil {
					return false
				}
			}
			return true
		}
		return d.vals[a.Attr.index] == nil
	}
	out := set[:0:0]
	for i, a := range set {
		drop := false
		if clearing(a) {
			for j, b := range set {
				if j != i && strings.EqualFold(a.Column, b.Column) && !clearing(b) && (a.Attr.Composed != nil || (b.Attr != nil && b.Attr.Composed != nil)) {
					drop = true
				}
			}
		}
		if !drop {
			out = append(out, a)
		}
	}
	return out
}

// filterable reports whether a filter may name the attribute: not a
// composed part whose template has no SQL form.
func (a *Attribute) filterable() bool {
	if a.Composed == nil {
		return true
	}
	_, ok := a.Composed.partSQL(a.part)
	return ok
}
