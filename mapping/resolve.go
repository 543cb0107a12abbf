package mapping

import (
	"fmt"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping/filter"
)

// target is one place an attribute's value comes from: a column, a
// constant fixed by the mapping, or the active column.
type target struct {
	column string
	// expr, when set, is the quoted column expression to compare (a lookup
	// table's column); otherwise the quoted column. colFacts then describes
	// the column behind it.
	expr      string
	colFacts  *Column
	lookup    *Attribute
	related   *Attribute
	typ       AttrType
	caseExact bool
	// isConst marks a value fixed by the mapping (an entry's type, whether
	// it is primary, meta.resourceType); absent marks a value that is
	// never assigned in this context.
	isConst bool
	absent  bool
	value   any
	active  bool
	name    string
	// epoch is the unit of an integer meta column compared as a dateTime.
	epoch Epoch
	// composed is the composed part whose expression expr reads.
	composed *Attribute
}

// resolve finds where the attribute named by p is stored. present is set
// for the pr operator, which also accepts complex attributes as a whole.
func (r *Resource) resolve(p filter.AttrPath, pos int, sc *scope, present bool) ([]target, error) {
	if sc != nil {
		return r.resolveInEntry(p, pos, sc)
	}
	if p.URI == "" {
		switch strings.ToLower(p.Name) {
		case "id":
			if p.Sub == "" {
				return []target{{column: r.IDColumn, typ: TypeString, caseExact: true, name: "id"}}, nil
			}
		case "externalid":
			if p.Sub == "" {
				a := r.find("", "externalId", "", "")
				if a == nil {
					return nil, r.notMapped(p, pos)
				}
				return readTargets(pos, a)
			}
		case "meta":
			return r.resolveMeta(p, pos)
		}
	}
	def, schemaID, err := r.lookupDef(p, pos)
	if err != nil {
		return nil, err
	}
	if def.Name == "active" && strings.EqualFold(schemaID, UserSchema) {
		if r.Active == nil {
			return nil, r.notMapped(p, pos)
		}
		if p.Sub != "" {
			return nil, &FilterError{Pos: pos, Msg: "active has no sub-attributes"}
		}
		return []target{{column: r.Active.Column, typ: TypeBoolean, active: true, name: "active"}}, nil // column may be empty
	}
	if def.Type != TypeComplex {
		if p.Sub != "" {
			return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s is a simple attribute and has no sub-attribute %q", def.Name, p.Sub)}
		}
		va := r.viewAttrOf(def)
		if va == nil || va.simple == nil {
			return nil, r.notMapped(p, pos)
		}
		return readTargets(pos, va.simple)
	}
	va := r.viewAttrOf(def)
	if va == nil {
		return nil, r.notMapped(p, pos)
	}
	if va.groups || va.members {
		return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s can only be filtered, as in %s[value eq \"<id>\"]", def.Name, def.Name)}
	}
	def = va.def // the full definition, to tell unknown from unmapped
	if !def.MultiValued {
		if p.Sub == "" {
			if !present {
				return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s is complex: compare one of its sub-attributes, as in %s.%s", def.Name, def.Name, va.subs[0].Sub)}
			}
			return readableTargets(pos, va.subs)
		}
		for _, a := range va.subs {
			if strings.EqualFold(a.Sub, p.Sub) {
				return readTargets(pos, a)
			}
		}
		if def.Sub(p.Sub) == nil {
			return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s has no sub-attribute %q", def.Name, p.Sub)}
		}
		return nil, r.notMapped(p, pos)
	}
	// Multi-valued: emails, emails.value, emails.type ... over every entry.
	sub := p.Sub
	if sub == "" && !present {
		sub = "value"
		if def.Sub("value") == nil {
			return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s has no value sub-attribute: compare one of its sub-attributes, as in %s.%s", def.Name, def.Name, def.SubAttributes[0].Name)}
		}
	}
	all := va.allAttrs()
	if sub == "" { // emails pr: any entry with any value it shows
		return readableTargets(pos, all)
	}
	var ts []target
	for i, en := range va.entries {
		sc := &scope{parent: def, entry: en, subs: en.subs, first: i == 0, all: all}
		t, err := r.resolveInEntry(filter.AttrPath{Name: sub}, pos, sc)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t...)
	}
	return ts, nil
}

// resolveInEntry resolves a sub-attribute name inside a value filter or
// for one entry of a multi-valued attribute.
func (r *Resource) resolveInEntry(p filter.AttrPath, pos int, sc *scope) ([]target, error) {
	if sc.memberTargets != nil {
		return memberTarget(sc, p, pos)
	}
	if p.URI != "" || p.Sub != "" {
		return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("inside %s[...] name a sub-attribute such as value or type, not %q", sc.parent.Name, p)}
	}
	def := sc.parent.Sub(p.Name)
	if def == nil {
		return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s has no sub-attribute %q", sc.parent.Name, p.Name)}
	}
	if sc.entry != nil {
		switch def.Name {
		case "type":
			return []target{{isConst: true, value: sc.entry.typ, typ: TypeString, name: sc.parent.Name + ".type"}}, nil
		case "primary":
			return []target{{isConst: true, value: sc.first, typ: TypeBoolean, name: sc.parent.Name + ".primary"}}, nil
		}
	}
	for _, a := range sc.subs {
		if a.Sub == def.Name {
			return readTargets(pos, a)
		}
	}
	for _, a := range sc.all {
		if a.Sub == def.Name {
			if a.Hidden() {
				return nil, writeOnlyErr(a, pos)
			}
			// Mapped for another entry, unassigned in this one.
			return []target{{absent: true, typ: def.Type, name: sc.parent.Name + "." + def.Name}}, nil
		}
	}
	return nil, r.notMapped(filter.AttrPath{Name: sc.parent.Name, Sub: def.Name}, pos)
}

func (r *Resource) resolveMeta(p filter.AttrPath, pos int) ([]target, error) {
	var col string
	switch strings.ToLower(p.Sub) {
	case "resourcetype":
		return []target{{isConst: true, value: r.Type, typ: TypeString, name: "meta.resourceType"}}, nil
	case "created":
		col = r.CreatedColumn
	case "lastmodified":
		col = r.LastModifiedColumn
		if col == "" && r.VersionColumn != "" && r.versionIsTime() {
			col = r.VersionColumn
		}
	case "":
		return nil, &FilterError{Pos: pos, Msg: "meta is complex: filter on meta.created, meta.lastModified or meta.resourceType"}
	default:
		return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("filtering on meta.%s is not supported; use meta.created, meta.lastModified or meta.resourceType", p.Sub)}
	}
	if col == "" {
		return nil, r.notMapped(p, pos)
	}
	return []target{{column: col, typ: TypeDateTime, caseExact: true, name: "meta." + p.Sub, epoch: r.epochOf(col)}}, nil
}

// Hidden reports whether the attribute is never read back: write-only (a
// password) or returned: never. Such an attribute cannot be named in a
// filter, a value path or sortBy either: each comparison would be an
// oracle, and `password sw "a"`, then "ab", ... recovers a cleartext
// password or a hash one character at a time.
func (a *Attribute) Hidden() bool {
	return a.Mutability == WriteOnly || a.Def.Returned == ReturnedNever
}

func writeOnlyErr(a *Attribute, pos int) error {
	return &FilterError{Pos: pos, Msg: writeOnlyMsg(a)}
}

func writeOnlyMsg(a *Attribute) string {
	return fmt.Sprintf("%s is write-only: it is never returned, so it cannot be filtered or sorted on", a.Path())
}

// readTargets is the target of one attribute a filter names, refused when
// the attribute is hidden.
func readTargets(pos int, a *Attribute) ([]target, error) {
	if a.Hidden() {
		return nil, writeOnlyErr(a, pos)
	}
	if a.Composed != nil {
		t, err := composedTarget(a, pos)
		if err != nil {
			return nil, err
		}
		return []target{t}, nil
	}
	return []target{attrTarget(a)}, nil
}

// readableTargets are the targets of a complex attribute as a whole (name
// pr, emails pr): the sub-attributes a client can see. Hidden ones are
// left out, and an attribute with nothing but hidden sub-attributes
// cannot be tested at all.
func readableTargets(pos int, subs []*Attribute) ([]target, error) {
	var ts []target
	for _, a := range subs {
		if !a.Hidden() {
			ts = append(ts, attrTarget(a))
		}
	}
	if len(ts) == 0 && len(subs) > 0 {
		return nil, writeOnlyErr(subs[0], pos)
	}
	return ts, nil
}

func attrTarget(a *Attribute) target {
	t := target{column: a.Column, typ: a.Def.Type, caseExact: a.CaseExact, name: a.Path()}
	if a.Lookup != nil {
		t.lookup = a
	}
	if a.Related != nil {
		t.related = a
	}
	return t
}

// sqlCol is the target's quoted column expression.
func (t target) sqlCol() string {
	if t.expr != "" {
		return t.expr
	}
	return sqlstmt.Ident(t.column)
}

// lookupDef finds the definition of a top-level attribute, honouring an
// optional schema URN. Unqualified names that are not in the core schema
// are looked up in the extensions.
func (r *Resource) lookupDef(p filter.AttrPath, pos int) (*AttrDef, string, error) {
	if p.URI != "" {
		if r.schemaByID(p.URI+":"+p.Name) != nil {
			return nil, "", &FilterError{Pos: pos, Msg: fmt.Sprintf("%s:%s is a schema, not an attribute", p.URI, p.Name)}
		}
		s := r.schemaByID(p.URI)
		if s == nil {
			return nil, "", &FilterError{Pos: pos, Msg: fmt.Sprintf("unknown schema %q: this server maps %s", p.URI, strings.Join(r.schemaIDs(), ", "))}
		}
		if d := s.Attr(p.Name); d != nil {
			return d, s.ID, nil
		}
		return nil, "", r.unknownAttr(p, pos)
	}
	if d := r.Schema.Attr(p.Name); d != nil {
		return d, r.Schema.ID, nil
	}
	var found *AttrDef
	var foundIn string
	for _, s := range r.Extensions {
		if d := s.Attr(p.Name); d != nil {
			if found != nil {
				return nil, "", &FilterError{Pos: pos, Msg: fmt.Sprintf("%q is defined in %s and %s: qualify it with its schema URN", p.Name, foundIn, s.ID)}
			}
			found, foundIn = d, s.ID
		}
	}
	if found != nil {
		return found, foundIn, nil
	}
	return nil, "", r.unknownAttr(p, pos)
}

func (r *Resource) schemaByID(id string) *SchemaDef {
	if strings.EqualFold(r.Schema.ID, id) {
		return r.Schema
	}
	for _, s := range r.Extensions {
		if strings.EqualFold(s.ID, id) {
			return s
		}
	}
	return nil
}

func (r *Resource) schemaIDs() []string {
	ids := []string{r.Schema.ID}
	for _, s := range r.Extensions {
		ids = append(ids, s.ID)
	}
	return ids
}

// viewAttrOf returns the rendering view of a top-level definition.
func (r *Resource) viewAttrOf(def *AttrDef) *viewAttr {
	for _, v := range r.views {
		for _, va := range v.attrs {
			if va.def == def || va.effective == def {
				return va
			}
		}
	}
	return nil
}

func (va *viewAttr) allAttrs() []*Attribute {
	all := append([]*Attribute(nil), va.subs...)
	for _, e := range va.entries {
		all = append(all, e.subs...)
	}
	return all
}

func (r *Resource) unknownAttr(p filter.AttrPath, pos int) error {
	if knownUnmapped(p, r) {
		return r.notMapped(p, pos)
	}
	return &FilterError{Pos: pos, Msg: fmt.Sprintf("unknown attribute %q; mapped attributes are %s", p.String(), strings.Join(r.FilterableAttributes(), ", "))}
}

// knownUnmapped reports whether p names an RFC 7643 attribute of this
// resource type (of its core schema or, for users, of the enterprise
// extension, named short or by URN) that this mapping leaves out.
func knownUnmapped(p filter.AttrPath, r *Resource) bool {
	for _, s := range r.rfcSchemas() {
		if (p.URI == "" || strings.EqualFold(p.URI, s.ID)) && s.Attr(p.Name) != nil {
			return true
		}
	}
	return false
}

// isRFCSchema reports whether uri is one of the RFC 7643 schemas of this
// resource type, mapped or not.
func (r *Resource) isRFCSchema(uri string) bool {
	for _, s := range r.rfcSchemas() {
		if strings.EqualFold(uri, s.ID) {
			return true
		}
	}
	return false
}

func (r *Resource) notMapped(p filter.AttrPath, pos int) error {
	return &FilterError{Pos: pos, Msg: fmt.Sprintf("attribute %q is not mapped to a column; mapped attributes are %s", p.String(), strings.Join(r.FilterableAttributes(), ", "))}
}

// FilterableAttributes lists the attribute paths a filter or sortBy may use.
func (r *Resource) FilterableAttributes() []string {
	out := []string{"id"}
	for _, a := range r.Attributes {
		if !a.Hidden() && a.filterable() {
			out = append(out, a.Path())
		}
	}
	if r.Active != nil {
		out = append(out, "active")
	}
	if r.CreatedColumn != "" {
		out = append(out, "meta.created")
	}
	if r.LastModifiedColumn != "" || (r.VersionColumn != "" && r.versionIsTime()) {
		out = append(out, "meta.lastModified")
	}
	return out
}
