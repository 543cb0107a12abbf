package mapping

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// Assignment is one column write: a value, or SQL (DEFAULT, NOW(6)).
type Assignment struct {
	Column string
	Value  any
	SQL    string
	// Attr is the attribute the value comes from; nil for bookkeeping
	// columns (tenant, scope, meta).
	Attr *Attribute
}

// LookupNeed is a lookup attribute's new value, to be resolved to a key
// (roles.id for "Admin") before it can be written.
type LookupNeed struct {
	Attr  *Attribute
	Value string
}

// Change is what a request does to one row once validated.
type Change struct {
	// Set are the column writes, in mapping order.
	Set []Assignment
	// Lookups must be resolved and added with Resolve.
	Lookups []LookupNeed
	// Related are the writes of related rows (see Related).
	Related []RelatedWrite
	// Unique are attributes whose new value must not exist on another row.
	Unique []*Attribute
	// Delete means the row is to be removed (deactivation deletes).
	Delete bool
	// Changed lists the attribute paths whose values change, for logs;
	// Diff has their values before and after, for the audit trail.
	Changed []string
	Diff    []AttrChange
	vals    []any
	// life are the lifecycle actions of a change of active that write
	// other tables' rows (see Lifecycle); their column writes are in Set.
	life []LifeAction
}

// AttrChange is one attribute's value before and after a write, as JSON
// values. Write-only attributes (a password) show "(set)", never a value.
type AttrChange struct {
	Attribute string `json:"attribute"`
	Before    any    `json:"before"`
	After     any    `json:"after"`
}

// Clone copies the change, so that a transaction run again after a
// deadlock starts from the same change.
func (c *Change) Clone() *Change {
	n := *c
	n.Set = append([]Assignment(nil), c.Set...)
	n.Lookups = append([]LookupNeed(nil), c.Lookups...)
	n.Related = append([]RelatedWrite(nil), c.Related...)
	n.Unique = append([]*Attribute(nil), c.Unique...)
	return &n
}

// Empty reports whether the change writes nothing.
func (c *Change) Empty() bool {
	return len(c.Set) == 0 && len(c.Lookups) == 0 && len(c.Related) == 0 && len(c.life) == 0 && !c.Delete
}

// Value returns an attribute's new SCIM value.
func (c *Change) Value(a *Attribute) any { return c.vals[a.index] }

// Resolve records the key a lookup value resolved to.
func (c *Change) Resolve(a *Attribute, key any) {
	c.Set = append(c.Set, Assignment{Column: a.Column, Value: key, Attr: a})
}

// Changes validates the draft and returns the column writes it implies.
// Errors are *RequestError: mutability, required, length, pattern,
// allowed values, and values the column cannot hold.
func (d *Draft) Changes() (*Change, error) {
	r := d.r
	ch := &Change{vals: d.vals}
	composed := map[*Composition]bool{} // compositions with a changed part
	for i, a := range r.Attributes {
		if !d.touched[i] && !d.create {
			continue
		}
		nv, ov := d.vals[i], d.orig[i]
		if !d.create && sameValue(nv, ov) {
			continue
		}
		switch a.Mutability {
		case ReadOnly:
			if d.explicit[i] {
				return nil, requestErr(SCIMMutability, "%s is read-only", a.Path())
			}
			continue
		case Immutable:
			if ov != nil {
				return nil, requestErr(SCIMMutability, "%s is immutable: it cannot change once set (it is %s; the request gives %s)", a.Path(), describeJSON(display(ov)), describeJSON(display(nv)))
			}
		}
		if nv == nil && a.Required {
			return nil, requestErr(SCIMInvalidValue, "%s is required", a.Path())
		}
		if nv != nil {
			if err := r.checkRules(a, nv); err != nil {
				return nil, err
			}
		}
		if !d.create || nv != nil {
			ch.Changed = append(ch.Changed, a.Path())
			before, after := auditValue(ov), auditValue(nv)
			if a.Mutability == WriteOnly {
				before, after = nil, "(set)"
			}
			ch.Diff = append(ch.Diff, AttrChange{Attribute: a.Path(), Before: before, After: after})
		}
		if a.Composed != nil {
			composed[a.Composed] = true
		} else if a.Related != nil {
			if nv != nil || !d.create || a.HasDefault {
				w, err := r.relatedWrite(a, nv)
				if err != nil {
					return nil, err
				}
				ch.Related = append(ch.Related, w)
			}
		} else if lv := lookupValue(a, nv); lv != "" {
			ch.Lookups = append(ch.Lookups, LookupNeed{Attr: a, Value: lv})
		} else if d.create && nv == nil && !a.HasDefault && r.columnDefaults(a) {
			// Left out of a create: the column's own default applies.
		} else {
			asg, err := r.assignment(a, nv)
			if err != nil {
				return nil, err
			}
			if asg != nil {
				ch.Set = append(ch.Set, *asg)
			}
		}
		if nv != nil && a.Uniqueness != UniqueNone {
			ch.Unique = append(ch.Unique, a)
		}
	}
	set, err := d.composedAssignments(composed)
	if err != nil {
		return nil, err
	}
	ch.Set = d.dropClearedBesideComposed(append(ch.Set, set...))
	if err := checkShared(ch.Set); err != nil {
		return nil, err
	}
	if d.r.Active != nil && (d.active != d.origActive || d.create) {
		if !d.create {
			ch.Changed = append(ch.Changed, "active")
			ch.Diff = append(ch.Diff, AttrChange{Attribute: "active", Before: d.origActive, After: d.active})
		}
		switch {
		case !d.active && r.Active.DeleteOnFalse && !d.create:
			ch.Delete = true
		case r.Active.Life != nil:
			acts := r.Active.Life.actions(d.active)
			ch.Set = append(ch.Set, lifeAssignments(acts)...)
			for _, a := range acts {
				if a.Row != nil {
					ch.life = append(ch.life, a)
				}
			}
		case r.Active.Column != "":
			v := r.Active.False
			if d.active {
				v = r.Active.True[0]
			}
			ch.Set = append(ch.Set, Assignment{Column: r.Active.Column, Value: v})
		}
	}
	return ch, nil
}

// auditValue renders a draft value for the audit trail's JSON.
func auditValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case json.Number:
		return x
	}
	return display(v)
}

func display(v any) any {
	if t, ok := v.(time.Time); ok {
		return formatTime(t)
	}
	return v
}

func sameValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	if ba, ok := a.([]byte); ok {
		bb, ok := b.([]byte)
		return ok && bytes.Equal(ba, bb)
	}
	return a == b
}

// checkShared rejects two attributes stored in one column (userName and
// the work e-mail, say) given different values by one request.
func checkShared(set []Assignment) error {
	for i := range set {
		for j := i + 1; j < len(set); j++ {
			if !strings.EqualFold(set[i].Column, set[j].Column) {
				continue
			}
			if set[i].SQL != set[j].SQL || !sameValue(set[i].Value, set[j].Value) {
				return requestErr(SCIMInvalidValue, "%s and %s are stored in the same column %q but were given different values", set[i].Attr.Path(), set[j].Attr.Path(), set[i].Column)
			}
		}
	}
	return nil
}

// lookupValue is the value a lookup attribute resolves to a key: the new
// value, or, when it is removed or absent, its default (a value of the
// lookup table, like the attribute's own values). It is "" for other
// attributes and when the key becomes NULL.
func lookupValue(a *Attribute, nv any) string {
	switch {
	case a.Lookup == nil:
		return ""
	case nv != nil:
		return nv.(string)
	case a.HasDefault && a.Default != nil:
		return fmt.Sprint(a.Default)
	}
	return ""
}

// assignments are the SET list of a statement for set.
func assignments(set []Assignment) []sqlstmt.Assignment {
	out := make([]sqlstmt.Assignment, len(set))
	for i, a := range set {
		out[i] = sqlstmt.Assignment{Column: a.Column, Value: a.Value, Expr: a.SQL}
	}
	return out
}
