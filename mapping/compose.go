package mapping

import (
	"fmt"
	"strings"

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
func (r *Resource) compileComposed(k, v *yaml.Node, ak string, core *SchemaDef, spec AttributeSpec, custom map[string]*SchemaDef, p *problems) []*Attribute {
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
