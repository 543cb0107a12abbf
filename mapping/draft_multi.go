package mapping

import (
	"fmt"
	"strings"

	"github.com/retroscim/retroscim/mapping/filter"
)

// applyMulti applies an operation to a multi-valued attribute. The mapping
// stores one entry per type (emails[type eq "work"]); values are matched to
// entries by their type, an untyped value to the primary (first) entry.
func (d *Draft) applyMulti(op string, def *AttrDef, va *viewAttr, p filter.Path, value any, explicit bool) error {
	if p.Filter != nil {
		if a := hiddenIn(p.Filter, va.allAttrs()); a != nil {
			return requestErr(SCIMInvalidFilter, "%s", writeOnlyMsg(a))
		}
		matched := 0
		for i, e := range va.entries {
			match, err := d.entryMatches(p.Filter, def, e, i == 0)
			if err != nil {
				return err
			}
			if !match {
				continue
			}
			matched++
			if p.Sub != "" {
				if err := d.applyComplex(op, def, e.subs, p.Sub, value, explicit); err != nil {
					return err
				}
				continue
			}
			if err := d.setEntry(op, def, e, value, explicit); err != nil {
				return err
			}
		}
		if matched == 0 && op != "remove" {
			// RFC 7644 §3.5.2.3: a value filter that matches nothing is
			// noTarget. The mapping's entries are slots that exist even
			// while empty, so emails[type eq "work"] always matches the
			// work slot and sets it (Entra's add-if-missing); what fails is
			// a type the app does not store, or a filter on values that no
			// stored value meets. Removing what is not there is a no-op.
			return requestErr(SCIMNoTarget, "%s matches no value this server stores: it stores %s of type %s; nothing was changed", p.Attr.Name+"["+p.Filter.String()+"]", def.Name, joinOr(entryTypes(va)))
		}
		return nil
	}
	if p.Attr.Sub != "" { // emails.value: the primary entry's value
		return d.applyComplex(op, def, va.entries[0].subs, p.Attr.Sub, value, explicit)
	}
	if op == "remove" || value == nil {
		for _, e := range va.entries {
			if err := d.setEntry("remove", def, e, nil, explicit); err != nil {
				return err
			}
		}
		return nil
	}
	var items []any
	switch x := value.(type) {
	case []any:
		items = x
	case map[string]any:
		items = []any{x}
	default:
		return requestErr(SCIMInvalidValue, "the value of %s must be an array of objects", def.Name)
	}
	assigned := make([]map[string]any, len(va.entries))
	for _, it := range items {
		obj, ok := it.(map[string]any)
		if !ok {
			return requestErr(SCIMInvalidValue, "each value of %s must be an object, as {\"value\": \"...\", \"type\": \"work\"}", def.Name)
		}
		idx := -1
		if t, ok := getFold(obj, "type"); ok && t != nil {
			ts, _ := t.(string)
			for i, e := range va.entries {
				if strings.EqualFold(e.typ, ts) {
					idx = i
				}
			}
		} else if prim, _ := getFold(obj, "primary"); isTrue(prim) || len(items) == 1 {
			idx = 0
		}
		if idx >= 0 && assigned[idx] == nil {
			assigned[idx] = obj
		}
	}
	for i, e := range va.entries {
		switch {
		case assigned[i] != nil:
			if err := d.setEntry(op, def, e, assigned[i], explicit); err != nil {
				return err
			}
		case op == "replace":
			// Replacing the attribute without a filter replaces all its values.
			if err := d.setEntry("remove", def, e, nil, explicit); err != nil {
				return err
			}
		}
	}
	return nil
}

func isTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

// setEntry sets or clears one typed entry from an object of sub-attributes.
func (d *Draft) setEntry(op string, def *AttrDef, e *entry, value any, explicit bool) error {
	if op == "remove" || value == nil {
		for _, a := range e.subs {
			if err := d.setLeaf(a, "remove", nil, explicit); err != nil {
				return err
			}
		}
		return nil
	}
	obj, ok := value.(map[string]any)
	if !ok {
		return requestErr(SCIMInvalidValue, "a value of %s must be an object, as {\"value\": \"...\"}", def.Name)
	}
	for _, a := range e.subs {
		v, present := getFold(obj, a.Sub)
		if !present && op == "add" {
			continue
		}
		if err := d.setLeaf(a, op, v, explicit); err != nil {
			return err
		}
	}
	return nil
}

// hiddenIn returns a hidden (write-only) attribute among all that the
// value filter e names, or nil. It looks at the whole filter before any of
// it is evaluated, so that the answer never depends on stored values.
func hiddenIn(e filter.Expr, all []*Attribute) *Attribute {
	var name string
	switch x := e.(type) {
	case *filter.And:
		if a := hiddenIn(x.Left, all); a != nil {
			return a
		}
		return hiddenIn(x.Right, all)
	case *filter.Or:
		if a := hiddenIn(x.Left, all); a != nil {
			return a
		}
		return hiddenIn(x.Right, all)
	case *filter.Not:
		return hiddenIn(x.X, all)
	case *filter.Compare:
		name = x.Attr.Name
	case *filter.Present:
		name = x.Attr.Name
	}
	for _, a := range all {
		if name != "" && strings.EqualFold(a.Sub, name) && a.Hidden() {
			return a
		}
	}
	return nil
}

// entryMatches evaluates a value filter (emails[type eq "work"]) against
// one entry's current values.
func (d *Draft) entryMatches(e filter.Expr, def *AttrDef, en *entry, first bool) (bool, error) {
	switch x := e.(type) {
	case *filter.And:
		l, err := d.entryMatches(x.Left, def, en, first)
		if err != nil || !l {
			return false, err
		}
		return d.entryMatches(x.Right, def, en, first)
	case *filter.Or:
		l, err := d.entryMatches(x.Left, def, en, first)
		if err != nil || l {
			return l, err
		}
		return d.entryMatches(x.Right, def, en, first)
	case *filter.Not:
		v, err := d.entryMatches(x.X, def, en, first)
		return !v, err
	case *filter.Present:
		v, err := d.entryValue(x.Attr, def, en, first)
		return err == nil && v != nil && v != "", err
	case *filter.Compare:
		v, err := d.entryValue(x.Attr, def, en, first)
		if err != nil {
			return false, err
		}
		return compareValues(v, x.Op, x.Value), nil
	}
	return false, requestErr(SCIMInvalidPath, "unsupported value filter")
}

func (d *Draft) entryValue(p filter.AttrPath, def *AttrDef, en *entry, first bool) (any, error) {
	switch strings.ToLower(p.Name) {
	case "type":
		return en.typ, nil
	case "primary":
		return first, nil
	}
	for _, a := range en.subs {
		if strings.EqualFold(a.Sub, p.Name) {
			return d.vals[a.index], nil
		}
	}
	if def.Sub(p.Name) == nil {
		return nil, requestErr(SCIMInvalidPath, "%s has no sub-attribute %q", def.Name, p.Name)
	}
	return nil, nil
}

// compareValues evaluates op for a stored SCIM value, ignoring case as the
// sub-attributes of multi-valued attributes do.
func compareValues(v any, op filter.Operator, want filter.Value) bool {
	if want.Kind == filter.Bool {
		b, ok := v.(bool)
		return ok && (b == want.Bool) == (op == filter.Eq)
	}
	if want.Kind == filter.Null {
		return (v == nil) == (op == filter.Eq)
	}
	s := strings.ToLower(fmt.Sprint(v))
	w := strings.ToLower(want.Str)
	if v == nil {
		return op == filter.Ne
	}
	switch op {
	case filter.Eq:
		return s == w
	case filter.Ne:
		return s != w
	case filter.Co:
		return strings.Contains(s, w)
	case filter.Sw:
		return strings.HasPrefix(s, w)
	case filter.Ew:
		return strings.HasSuffix(s, w)
	case filter.Gt:
		return s > w
	case filter.Ge:
		return s >= w
	case filter.Lt:
		return s < w
	case filter.Le:
		return s <= w
	}
	return false
}
