package mapping

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/retroscim/retroscim/mapping/filter"
	"golang.org/x/crypto/bcrypt"
)

// SCIM error types a request can earn (RFC 7644 §3.12).
const (
	ScimInvalidValue  = "invalidValue"
	ScimInvalidFilter = "invalidFilter"
	ScimInvalidSyntax = "invalidSyntax"
	ScimInvalidPath   = "invalidPath"
	ScimNoTarget      = "noTarget"
	ScimMutability    = "mutability"
	ScimUniqueness    = "uniqueness"
)

// RequestError is a client mistake in a request body or parameter: a value
// that breaks a rule, a path that names nothing, a change to an immutable
// attribute. SCIMType is the RFC 7644 error type; Msg is for the client.
type RequestError struct {
	SCIMType string
	Msg      string
}

func (e *RequestError) Error() string { return e.Msg }

func requestErr(scimType, format string, args ...any) *RequestError {
	return &RequestError{SCIMType: scimType, Msg: fmt.Sprintf(format, args...)}
}

// PatchOp is one operation of a PATCH request.
type PatchOp struct {
	// Op is add, replace or remove, lower-cased (Entra sends "Replace").
	Op    string
	Path  string
	Value any
	// HasValue tells an absent value from an explicit null.
	HasValue bool
}

// DecodeJSON decodes a request body into a JSON object, keeping numbers
// as json.Number so that no precision is lost before the target attribute
// is known. Anything but one JSON object is an invalidSyntax error.
func DecodeJSON(data []byte) (map[string]any, error) {
	// encoding/json would silently turn invalid UTF-8 into U+FFFD and a
	// name would be stored corrupted; refuse such bodies instead.
	if !utf8.Valid(data) {
		return nil, requestErr(ScimInvalidSyntax, "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, requestErr(ScimInvalidSyntax, "the body is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, requestErr(ScimInvalidSyntax, "the body has data after its JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, requestErr(ScimInvalidSyntax, "the body must be a JSON object")
	}
	return obj, nil
}

// getFold returns obj's member named name, compared case-insensitively as
// SCIM attribute names are.
func getFold(obj map[string]any, name string) (any, bool) {
	if v, ok := obj[name]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// ParsePatch reads a PatchOp request body (RFC 7644 §3.5.2) in the shapes
// Okta and Entra send: ops in any case, path-less operations whose value
// is an object of attributes.
func ParsePatch(body map[string]any) ([]PatchOp, error) {
	if s, ok := getFold(body, "schemas"); ok {
		list, _ := s.([]any)
		found := false
		for _, x := range list {
			if str, _ := x.(string); strings.EqualFold(str, PatchOpSchema) {
				found = true
			}
		}
		if !found {
			return nil, requestErr(ScimInvalidSyntax, "schemas must contain %s", PatchOpSchema)
		}
	}
	raw, ok := getFold(body, "Operations")
	if !ok {
		return nil, requestErr(ScimInvalidSyntax, "the body has no Operations: send {\"schemas\":[%q],\"Operations\":[{\"op\":\"replace\",\"path\":\"...\",\"value\":...}]}", PatchOpSchema)
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return nil, requestErr(ScimInvalidSyntax, "Operations must be a non-empty array")
	}
	if len(list) > MaxPatchOps {
		return nil, requestErr(ScimInvalidValue, "at most %d operations per request, got %d", MaxPatchOps, len(list))
	}
	ops := make([]PatchOp, 0, len(list))
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, requestErr(ScimInvalidSyntax, "operation %d is not an object", i+1)
		}
		var op PatchOp
		opName, _ := getFold(m, "op")
		s, _ := opName.(string)
		op.Op = strings.ToLower(s)
		switch op.Op {
		case "add", "replace", "remove":
		default:
			return nil, requestErr(ScimInvalidSyntax, "operation %d: op must be add, replace or remove, got %v", i+1, opName)
		}
		if p, ok := getFold(m, "path"); ok && p != nil {
			ps, ok := p.(string)
			if !ok {
				return nil, requestErr(ScimInvalidPath, "operation %d: path must be a string", i+1)
			}
			op.Path = strings.TrimSpace(ps)
		}
		op.Value, op.HasValue = getFold(m, "value")
		if op.Op != "remove" && !op.HasValue {
			return nil, requestErr(ScimInvalidValue, "operation %d (%s %s) has no value", i+1, op.Op, op.Path)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// MaxPatchOps bounds the operations of one PATCH request.
const MaxPatchOps = 1000

// Draft holds a resource's attribute values while a request is applied.
// It starts from the current row (or from nothing, for a create) and
// records which attributes the request touched.
type Draft struct {
	r        *Resource
	orig     []any
	vals     []any
	touched  []bool
	explicit []bool // touched through an explicit PATCH path

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
		v := draftValue(a.Def.Type, row[a.colIdx])
		d.orig[i], d.vals[i] = v, v
	}
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
				return requestErr(ScimNoTarget, "operation %d: remove needs a path", i+1)
			}
			obj, ok := op.Value.(map[string]any)
			if !ok {
				return requestErr(ScimInvalidValue, "operation %d: without a path, value must be an object of attributes", i+1)
			}
			if err := d.applyObject(op.Op, obj, false); err != nil {
				return fmt.Errorf("operation %d: %w", i+1, err)
			}
			continue
		}
		p, err := filter.ParsePath(op.Path)
		if err != nil {
			return requestErr(ScimInvalidPath, "operation %d: invalid path %q: %v", i+1, op.Path, err)
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
				return requestErr(ScimMutability, "%s is read-only", name)
			}
			return nil
		case lower == "active" && p.Attr.Sub == "" && p.Filter == nil && r.Schema.ID == UserSchema:
			return d.setActive(op, value)
		case lower == "externalid" && p.Attr.URI == "" && p.Attr.Sub == "" && p.Filter == nil:
			if a := r.find("", "externalId", "", ""); a != nil {
				return d.setLeaf(a, op, value, explicit)
			}
			return nil
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
			return requestErr(ScimInvalidValue, "the value of %s must be an object of its attributes", ext.ID)
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
		// A name in a schema this resource type has (short, or qualified
		// by its URN, mapped or not) is either an RFC 7643 attribute the
		// app does not store, ignored, or no attribute at all, an error.
		// Names in other schemas are attributes this server cannot know.
		known := p.Attr.URI == "" || r.schemaByID(p.Attr.URI) != nil || r.isRFCSchema(p.Attr.URI)
		if explicit && known && !knownUnmapped(p.Attr, r) {
			return requestErr(ScimInvalidPath, "%s names no attribute; mapped attributes are %s", p.Attr, strings.Join(r.FilterableAttributes(), ", "))
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
			return requestErr(ScimInvalidPath, "%s is a simple attribute: it has no sub-attributes or [filter]", def.Name)
		}
		return d.setLeaf(va.simple, op, value, explicit)
	case !def.MultiValued:
		if p.Filter != nil {
			return requestErr(ScimInvalidPath, "%s is not multi-valued: it takes no [filter]", def.Name)
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
			return requestErr(ScimInvalidPath, "%s has no sub-attribute %q", def.Name, sub)
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
	obj, ok := value.(map[string]any)
	if !ok {
		return requestErr(ScimInvalidValue, "the value of %s must be an object of its sub-attributes", def.Name)
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

// applyMulti applies an operation to a multi-valued attribute. The mapping
// stores one entry per type (emails[type eq "work"]); values are matched to
// entries by their type, an untyped value to the primary (first) entry.
func (d *Draft) applyMulti(op string, def *AttrDef, va *viewAttr, p filter.Path, value any, explicit bool) error {
	if p.Filter != nil {
		if a := hiddenIn(p.Filter, va.allAttrs()); a != nil {
			return requestErr(ScimInvalidFilter, "%s", writeOnlyMsg(a))
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
			return requestErr(ScimNoTarget, "%s matches no value this server stores: it stores %s of type %s; nothing was changed", p.Attr.Name+"["+p.Filter.String()+"]", def.Name, joinOr(entryTypes(va)))
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
		return requestErr(ScimInvalidValue, "the value of %s must be an array of objects", def.Name)
	}
	assigned := make([]map[string]any, len(va.entries))
	for _, it := range items {
		obj, ok := it.(map[string]any)
		if !ok {
			return requestErr(ScimInvalidValue, "each value of %s must be an object, as {\"value\": \"...\", \"type\": \"work\"}", def.Name)
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
		return requestErr(ScimInvalidValue, "a value of %s must be an object, as {\"value\": \"...\"}", def.Name)
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
	return false, requestErr(ScimInvalidPath, "unsupported value filter")
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
		return nil, requestErr(ScimInvalidPath, "%s has no sub-attribute %q", def.Name, p.Name)
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
		return requestErr(ScimInvalidValue, "active cannot be removed: set it to true or false")
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
	return requestErr(ScimMutability, "%s; nothing was changed", noDeactivation)
}

// coerce converts a JSON value to the attribute's SCIM type: string,
// bool, int64, json.Number, time.Time or []byte; nil for null and for the
// empty string, which clients (Okta's "middleName": "") use for "no value".
func coerce(a *Attribute, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	name := a.Path()
	if arr, ok := v.([]any); ok && len(arr) == 1 {
		// Some clients wrap a single value: [{"value": "x"}] or ["x"].
		v = arr[0]
		if obj, ok := v.(map[string]any); ok {
			if inner, ok := getFold(obj, "value"); ok {
				v = inner
			}
		}
	}
	switch a.Def.Type {
	case TypeBoolean:
		return coerceBool(name, v)
	case TypeInteger:
		s, ok := numberText(v)
		n, err := strconv.ParseInt(s, 10, 64)
		if !ok || err != nil {
			return nil, requestErr(ScimInvalidValue, "%s must be an integer, got %s", name, describeJSON(v))
		}
		return n, nil
	case TypeDecimal:
		s, ok := numberText(v)
		if _, valid := new(big.Float).SetString(s); !ok || !valid || strings.ContainsAny(s, "xXpP_") {
			return nil, requestErr(ScimInvalidValue, "%s must be a number, got %s", name, describeJSON(v))
		}
		return json.Number(s), nil
	case TypeDateTime:
		s, ok := v.(string)
		if ok && s == "" {
			return nil, nil
		}
		if ok {
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
				if t, err := time.Parse(layout, s); err == nil {
					return t.UTC(), nil
				}
			}
		}
		return nil, requestErr(ScimInvalidValue, "%s must be an RFC 3339 date-time such as \"2024-05-13T04:42:34Z\", got %s", name, describeJSON(v))
	case TypeBinary:
		s, ok := v.(string)
		if !ok {
			return nil, requestErr(ScimInvalidValue, "%s must be a base64 string, got %s", name, describeJSON(v))
		}
		if s == "" {
			return nil, nil
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, requestErr(ScimInvalidValue, "%s must be base64: %v", name, err)
		}
		return b, nil
	default: // string, reference
		// JSON strings only: a number for userName is a client bug
		// (userName: 123 stored as "123"), not a value to convert.
		if x, ok := v.(string); ok {
			if x == "" {
				return nil, nil
			}
			return x, nil
		}
		return nil, requestErr(ScimInvalidValue, "%s must be a string, got %s", name, describeJSON(v))
	}
}

// coerceBool accepts JSON booleans and the strings Entra sends ("False").
func coerceBool(name string, v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, requestErr(ScimInvalidValue, "%s must be true or false, got %s", name, describeJSON(v))
}

func numberText(v any) (string, bool) {
	switch x := v.(type) {
	case json.Number:
		return x.String(), true
	case string:
		return strings.TrimSpace(x), x != ""
	}
	return "", false
}

// describeJSON renders a client's value for an error message, shortened.
func describeJSON(v any) string {
	switch x := v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return fmt.Sprintf("an array of %d", len(x))
	case string:
		if len(x) > 60 {
			x = x[:60] + "…"
		}
		return strconv.Quote(x)
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

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
	// Unique are attributes whose new value must not exist on another row.
	Unique []*Attribute
	// Delete means the row is to be removed (deactivation deletes).
	Delete bool
	// Changed lists the attribute paths whose values change, for logs;
	// Diff has their values before and after, for the audit trail.
	Changed []string
	Diff    []AttrChange
	vals    []any
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
	n.Unique = append([]*Attribute(nil), c.Unique...)
	return &n
}

// Empty reports whether the change writes nothing.
func (c *Change) Empty() bool {
	return len(c.Set) == 0 && len(c.Lookups) == 0 && !c.Delete
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
				return nil, requestErr(ScimMutability, "%s is read-only", a.Path())
			}
			continue
		case Immutable:
			if ov != nil {
				return nil, requestErr(ScimMutability, "%s is immutable: it cannot change once set (it is %s; the request gives %s)", a.Path(), describeJSON(display(ov)), describeJSON(display(nv)))
			}
		}
		if nv == nil && a.Required {
			return nil, requestErr(ScimInvalidValue, "%s is required", a.Path())
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
		if lv := lookupValue(a, nv); lv != "" {
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

// columnDefaults reports whether an INSERT may leave the attribute's
// column out: it is nullable or has a default.
func (r *Resource) columnDefaults(a *Attribute) bool {
	c := r.column(a.Column)
	return c.Nullable || c.Default != nil || c.AutoIncrement || c.Generated
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
				return requestErr(ScimInvalidValue, "%s and %s are stored in the same column %q but were given different values", set[i].Attr.Path(), set[j].Attr.Path(), set[i].Column)
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
	limit := int64(a.MaxLength)
	switch {
	case a.Hash == "bcrypt":
		if len(s) > 72 {
			return requestErr(ScimInvalidValue, "password is too long: bcrypt uses at most 72 bytes")
		}
	case col.kind() == kindText && col.MaxChars > 0 && (limit == 0 || col.MaxChars < limit):
		limit = col.MaxChars
	}
	if n := int64(utf8.RuneCountInString(s)); limit > 0 && n > limit {
		return requestErr(ScimInvalidValue, "%s is too long: %d characters, at most %d", a.Path(), n, limit)
	}
	if a.ForbiddenChars != "" {
		if i := strings.IndexAny(s, a.ForbiddenChars); i >= 0 {
			c, _ := utf8.DecodeRuneInString(s[i:])
			return requestErr(ScimInvalidValue, "%s must not contain %q (forbidden: %s)", a.Path(), c, spaced(a.ForbiddenChars))
		}
	}
	if a.Pattern != nil && !a.Pattern.MatchString(s) {
		return requestErr(ScimInvalidValue, "%s %q does not match the required pattern %s", a.Path(), s, strings.TrimSuffix(strings.TrimPrefix(a.Pattern.String(), "^(?:"), ")$"))
	}
	if len(a.Values) > 0 {
		ok := false
		for _, allowed := range a.Values {
			if strings.EqualFold(allowed, s) {
				ok = true
			}
		}
		if !ok {
			return requestErr(ScimInvalidValue, "%s must be one of %s, got %q", a.Path(), strings.Join(a.Values, ", "), s)
		}
	}
	if col.kind() == kindText {
		if bad, ok := unstorable(s, col.Charset); ok {
			return requestErr(ScimInvalidValue, "%s contains %q, which the column's %s character set cannot store", a.Path(), bad, col.Charset)
		}
		if col.DataType == "enum" {
			allowed := enumValues(col.ColumnType)
			for _, e := range allowed {
				if strings.EqualFold(e, s) {
					return nil
				}
			}
			return requestErr(ScimInvalidValue, "%s must be one of %s, got %q", a.Path(), strings.Join(allowed, ", "), s)
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
			return nil, requestErr(ScimInvalidValue, "%s cannot be removed: column %q is NOT NULL without a default", a.Path(), a.Column)
		}
		return asg, nil
	}
	if a.Hash == "bcrypt" {
		h, err := bcrypt.GenerateFromPassword([]byte(v.(string)), bcryptCost)
		if err != nil {
			return nil, requestErr(ScimInvalidValue, "password cannot be stored: %v", err)
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

// bcryptCost is the work factor of stored password hashes.
const bcryptCost = 12

// toColumn converts a SCIM value to a value of the column's type.
func toColumn(a *Attribute, col *Column, v any) (any, error) {
	switch col.kind() {
	case kindInteger:
		var n any
		switch x := v.(type) {
		case bool:
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		case int64:
			n = x
		case string:
			parsed, ok := parseNumber(strings.TrimSpace(x), true)
			if !ok {
				return nil, requestErr(ScimInvalidValue, "%s is stored as a number; %q is not one", a.Path(), x)
			}
			n = parsed
		case json.Number:
			parsed, ok := parseNumber(x.String(), true)
			if !ok {
				return nil, requestErr(ScimInvalidValue, "%s is stored as an integer; %s is not one", a.Path(), x)
			}
			n = parsed
		default:
			return nil, requestErr(ScimInvalidValue, "%s cannot be stored in integer column %q", a.Path(), col.Name)
		}
		if err := checkIntRange(a, col, n); err != nil {
			return nil, err
		}
		return n, nil
	case kindDecimal:
		s := fmt.Sprint(v)
		if _, ok := parseNumber(s, false); !ok {
			return nil, requestErr(ScimInvalidValue, "%s is stored as a number; %q is not one", a.Path(), s)
		}
		return s, nil
	case kindTemporal:
		t, ok := v.(time.Time)
		if !ok {
			return nil, requestErr(ScimInvalidValue, "%s is stored as a date; send an RFC 3339 date-time", a.Path())
		}
		return t, nil
	}
	switch x := v.(type) {
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case time.Time:
		return x, nil
	case json.Number:
		return x.String(), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	}
	return v, nil
}

// checkIntRange refuses values outside the integer column's range.
func checkIntRange(a *Attribute, col *Column, n any) error {
	bits := map[string]uint{"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "integer": 32, "bigint": 64}[col.DataType]
	if bits == 0 {
		return nil
	}
	unsigned := strings.Contains(col.ColumnType, "unsigned")
	var lo, hi big.Int
	if unsigned {
		hi.Lsh(big.NewInt(1), bits).Sub(&hi, big.NewInt(1))
	} else {
		hi.Lsh(big.NewInt(1), bits-1).Sub(&hi, big.NewInt(1))
		lo.Neg(new(big.Int).Lsh(big.NewInt(1), bits-1))
	}
	var v big.Int
	switch x := n.(type) {
	case int64:
		v.SetInt64(x)
	case uint64:
		v.SetUint64(x)
	}
	if v.Cmp(&lo) < 0 || v.Cmp(&hi) > 0 {
		return requestErr(ScimInvalidValue, "%s is out of range for column %q (%s..%s)", a.Path(), col.Name, lo.String(), hi.String())
	}
	return nil
}
