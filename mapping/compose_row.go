package mapping

import "strings"

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
