package mapping

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/retroscim/retroscim/mapping/filter"
)

// Draft holds a resource's attribute values while a request is applied.
// It starts from the current row (or from nothing, for a create) and
// records which attributes the request touched.
type Draft struct {
	r        *Resource
	orig     []any
	vals     []any
	touched  []bool
	explicit []bool // touched through an explicit PATCH path
	// ambiguous are the row's composed values that split more than one
	// way: only a request that gives all their parts may rewrite them.
	ambiguous map[*Composition]string

	origActive, active bool
	activeTouched      bool
	create             bool
}

// NewDraft starts a draft from the current row, or from an empty resource
// when row is nil (POST).
func (r *Resource) NewDraft(row Row) *Draft {
	n := len(r.Attributes)
	d := &Draft{r: r, orig: make([]any, n), vals: make([]any, n), touched: make([]bool, n), explicit: make([]bool, n), create: row == nil}
	if row == nil {
		d.origActive, d.active = false, true
		return d
	}
	for i, a := range r.Attributes {
		if a.Mutability == WriteOnly {
			continue // never read back: a stored password hash is not the password
		}
		v := draftValue(a.Def.Type, a.columnValue(row))
		d.orig[i], d.vals[i] = v, v
	}
	d.ambiguous = r.ambiguousCompositions(row)
	if r.Active != nil {
		d.origActive = r.isActiveRow(row)
		d.active = d.origActive
	}
	return d
}

// draftValue reads a column value as coerce would produce it from JSON, so
// that an unchanged value compares equal.
func draftValue(t AttrType, raw any) any {
	switch t {
	case TypeDateTime:
		if tm, ok := timeOf(raw); ok {
			return tm.UTC()
		}
		return nil
	case TypeBinary:
		switch x := raw.(type) {
		case []byte:
			if len(x) > 0 {
				return bytes.Clone(x)
			}
		case string:
			if x != "" {
				return []byte(x)
			}
		}
		return nil
	}
	v, _ := scimValue(t, raw)
	return v
}

// ApplyPatch applies PATCH operations in order. Operations on attributes
// the mapping does not store are ignored; paths that name no attribute of
// any schema are invalidPath errors.
func (d *Draft) ApplyPatch(ops []PatchOp) error {
	for i, op := range ops {
		if op.Path == "" {
			if op.Op == "remove" {
				return requestErr(SCIMNoTarget, "operation %d: remove needs a path", i+1)
			}
			obj, ok := op.Value.(map[string]any)
			if !ok {
				return requestErr(SCIMInvalidValue, "operation %d: without a path, value must be an object of attributes", i+1)
			}
			if err := d.applyObject(op.Op, obj, false); err != nil {
				return fmt.Errorf("operation %d: %w", i+1, err)
			}
			continue
		}
		p, err := filter.ParsePath(op.Path)
		if err != nil {
			return requestErr(SCIMInvalidPath, "operation %d: invalid path %q: %v", i+1, op.Path, err)
		}
		if err := d.apply(op.Op, p, op.Value, true); err != nil {
			return fmt.Errorf("operation %d (%s %s): %w", i+1, op.Op, op.Path, err)
		}
	}
	return nil
}

// ReplaceWith applies a whole resource (PUT, or POST when the draft is a
// create): every writable attribute takes the body's value, and writable
// attributes the body leaves out become unassigned. Immutable and
// write-only attributes (a password) the body leaves out keep their value,
// and so does active.
func (d *Draft) ReplaceWith(body map[string]any) error {
	if err := d.r.CheckSchemas(body); err != nil {
		return err
	}
	for i, a := range d.r.Attributes {
		if a.Mutability == ReadOnly || (!d.create && (a.Mutability == Immutable || a.Mutability == WriteOnly)) {
			continue
		}
		d.vals[i], d.touched[i] = nil, true
	}
	return d.applyObject("add", body, false)
}

// applyObject applies each member of a resource-shaped object.
func (d *Draft) applyObject(op string, obj map[string]any, explicit bool) error {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic, and "name" before "name.givenName"
	for _, k := range keys {
		p, err := filter.ParsePath(k)
		if err != nil {
			continue // not an attribute name: ignored like any unknown member
		}
		if err := d.apply(op, p, obj[k], explicit); err != nil {
			return err
		}
	}
	return nil
}

// ignored lists members of bodies that are never written: computed,
// echoed back by clients, or managed elsewhere.
var ignored = map[string]bool{"id": true, "meta": true, "schemas": true, "groups": true}

// apply applies one operation to one path.
func (d *Draft) apply(op string, p filter.Path, value any, explicit bool) error {
	r := d.r
	name := p.Attr.Name
	if p.Attr.URI == "" || strings.EqualFold(p.Attr.URI, r.Schema.ID) {
		switch lower := strings.ToLower(name); {
		case ignored[lower] && p.Filter == nil:
			if explicit && lower != "schemas" {
				return requestErr(SCIMMutability, "%s is read-only", name)
			}
			return nil
		case lower == "active" && p.Attr.Sub == "" && p.Filter == nil && r.Schema.ID == UserSchema:
			return d.setActive(op, value)
		case lower == "externalid" && p.Attr.URI == "" && p.Attr.Sub == "" && p.Filter == nil:
			if a := r.find("", "externalId", "", ""); a != nil {
				return d.setLeaf(a, op, value, explicit)
			}
			return nil // not stored: ignored (see externalid.go)
		}
	}
	// A whole extension: {"urn:...:enterprise:2.0:User": {"department": "x"}}.
	if ext := r.schemaByID(p.Attr.URI + ":" + name); p.Attr.URI != "" && ext != nil && ext != r.Schema && p.Attr.Sub == "" && p.Filter == nil {
		if op == "remove" {
			for _, a := range r.Attributes {
				if strings.EqualFold(a.SchemaURI, ext.ID) {
					if err := d.setLeaf(a, op, nil, explicit); err != nil {
						return err
					}
				}
			}
			return nil
		}
		obj, ok := value.(map[string]any)
		if !ok {
			return requestErr(SCIMInvalidValue, "the value of %s must be an object of its attributes", ext.ID)
		}
		for _, k := range sortedKeys(obj) {
			sub, err := filter.ParsePath(ext.ID + ":" + k)
			if err != nil {
				continue
			}
			if err := d.apply(op, sub, obj[k], explicit); err != nil {
				return err
			}
		}
		return nil
	}
	def, _, err := r.lookupDef(p.Attr, 0)
	if err != nil {
		// One rule however the path is spelled (short, or qualified by any
		// URN): an RFC 7643 attribute the app does not store is ignored;
		// a path naming anything else (no attribute of the schema, or an
		// attribute of a schema this server does not serve, such as an
		// Entra custom extension) is invalidPath, since nothing could
		// store it. In a body (POST, PUT, a PATCH value) unknown members
		// are ignored, both spellings alike.
		if explicit && !knownUnmapped(p.Attr, r) {
			return requestErr(SCIMInvalidPath, "%s names no attribute; mapped attributes are %s", p.Attr, strings.Join(r.FilterableAttributes(), ", "))
		}
		return nil // not stored by this app: ignored
	}
	va := r.viewAttrOf(def)
	if va == nil {
		return nil
	}
	def = va.def
	switch {
	case va.active:
		return d.setActive(op, value)
	case va.simple != nil:
		if p.Attr.Sub != "" || p.Filter != nil {
			return requestErr(SCIMInvalidPath, "%s is a simple attribute: it has no sub-attributes or [filter]", def.Name)
		}
		return d.setLeaf(va.simple, op, value, explicit)
	case !def.MultiValued:
		if p.Filter != nil {
			return requestErr(SCIMInvalidPath, "%s is not multi-valued: it takes no [filter]", def.Name)
		}
		return d.applyComplex(op, def, va.subs, p.Attr.Sub, value, explicit)
	default:
		return d.applyMulti(op, def, va, p, value, explicit)
	}
}

func entryTypes(va *viewAttr) []string {
	out := make([]string, len(va.entries))
	for i, e := range va.entries {
		out[i] = e.typ
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// applyComplex applies an operation to a single-valued complex attribute
// (name, manager) or one of its sub-attributes. Replacing the attribute
// with an object changes only the sub-attributes it names (RFC 7644
// §3.5.2.3).
func (d *Draft) applyComplex(op string, def *AttrDef, subs []*Attribute, sub string, value any, explicit bool) error {
	if sub != "" {
		for _, a := range subs {
			if strings.EqualFold(a.Sub, sub) {
				return d.setLeaf(a, op, value, explicit)
			}
		}
		if def.Sub(sub) == nil && explicit {
			return requestErr(SCIMInvalidPath, "%s has no sub-attribute %q", def.Name, sub)
		}
		return nil
	}
	if op == "remove" || value == nil {
		for _, a := range subs {
			if err := d.setLeaf(a, "remove", nil, explicit); err != nil {
				return err
			}
		}
		return nil
	}
	obj, ok := managerShorthand(def, value).(map[string]any)
	if !ok {
		return requestErr(SCIMInvalidValue, "the value of %s must be an object of its sub-attributes", def.Name)
	}
	for _, a := range subs {
		if v, ok := getFold(obj, a.Sub); ok {
			if err := d.setLeaf(a, op, v, explicit); err != nil {
				return err
			}
		}
	}
	return nil
}

// setLeaf sets one mapped attribute from a JSON value.
func (d *Draft) setLeaf(a *Attribute, op string, value any, explicit bool) error {
	var v any
	if op != "remove" {
		var err error
		if v, err = coerce(a, value); err != nil {
			return err
		}
	}
	d.vals[a.index] = v
	d.touched[a.index] = true
	d.explicit[a.index] = d.explicit[a.index] || explicit
	return nil
}

func (d *Draft) setActive(op string, value any) error {
	if op == "remove" || value == nil {
		return requestErr(SCIMInvalidValue, "active cannot be removed: set it to true or false")
	}
	b, err := coerceBool("active", value)
	if err != nil {
		return err
	}
	if d.r.Active == nil {
		if b {
			return nil // every user of such a mapping is active: nothing to do
		}
		return refuseDeactivation()
	}
	d.active, d.activeTouched = b, true
	return nil
}

// noDeactivation says why a users mapping without active: cannot
// deactivate, and what to add.
const noDeactivation = "this mapping has no way to deactivate a user (users has no active key), so every user is active and active cannot become false; " +
	"add users.active: { column: <the flag column>, true: 1, false: 0 }, or active: { deactivate: delete } if deactivating should delete the row"

// refuseDeactivation is the one place where active=false is refused for a
// mapping that cannot deactivate (PATCH in Okta's and Entra's shapes, PUT,
// POST and DELETE with delete: deactivate all come here). Answering 200
// would make the identity provider believe the user lost access. The
// error is mutability: without an active key, active is in effect a
// read-only attribute whose value is always true.
func refuseDeactivation() error {
	return requestErr(SCIMMutability, "%s; nothing was changed", noDeactivation)
}
