package mapping

import "strings"

// schemaView is one schema as this resource exposes it: the mapped
// attributes in schema order, grouped the way they render.
type schemaView struct {
	def   *SchemaDef
	attrs []*viewAttr
}

// viewAttr is one top-level attribute of a schema view.
type viewAttr struct {
	def *AttrDef
	// effective is the definition published in /Schemas and returned by
	// schema lookups: only mapped sub-attributes, mapping characteristics.
	effective *AttrDef
	// simple is set for a simple attribute.
	simple *Attribute
	// subs are the mapped sub-attributes of a single-valued complex attribute.
	subs []*Attribute
	// entries are the typed entries of a multi-valued attribute, in mapping order.
	entries []*entry
	// active marks the attribute backed by the active: block.
	active bool
	// groups marks a user's groups, and members a group's members: both
	// come from the membership model, not from the row's columns.
	groups, members bool
}

type entry struct {
	typ  string
	subs []*Attribute
}

// buildViews groups the mapped attributes per schema and builds the
// effective schema definitions that /Schemas publishes: only mapped
// attributes, with the characteristics the mapping gives them.
func (r *Resource) buildViews(core *SchemaDef) {
	byURI := map[string]*schemaView{}
	view := func(uri, name, desc string) *schemaView {
		lu := strings.ToLower(uri)
		if v, ok := byURI[lu]; ok {
			return v
		}
		v := &schemaView{def: &SchemaDef{ID: uri, Name: name, Description: desc}}
		byURI[lu] = v
		r.views = append(r.views, v)
		return v
	}
	coreView := view(core.ID, core.Name, core.Description)

	// Known attributes in schema order, then custom ones in mapping order.
	for _, sch := range []*SchemaDef{core, enterpriseUser} {
		for _, def := range sch.Attributes {
			if def == core.Attr("active") && sch == core {
				if r.Active != nil {
					coreView.attrs = append(coreView.attrs, &viewAttr{def: def, active: true})
				}
				continue
			}
			va := r.viewOf(sch.ID, def)
			if va == nil {
				continue
			}
			var v *schemaView
			if sch == core {
				v = coreView
			} else {
				v = view(sch.ID, sch.Name, sch.Description)
			}
			v.attrs = append(v.attrs, va)
		}
	}
	for _, a := range r.Attributes {
		if !a.Custom {
			continue
		}
		var v *schemaView
		if strings.EqualFold(a.SchemaURI, core.ID) {
			v = coreView
		} else {
			v = view(a.SchemaURI, a.SchemaURI[strings.LastIndexByte(a.SchemaURI, ':')+1:], "Extension attributes mapped by retroscim")
		}
		v.attrs = append(v.attrs, &viewAttr{def: a.Def, simple: a})
	}
	for _, v := range r.views {
		for _, va := range v.attrs {
			va.effective = va.effectiveDef()
			v.def.Attributes = append(v.def.Attributes, va.effective)
		}
	}
	r.Schema = coreView.def
	r.externalID = r.find("", "externalId", "", "")
	r.Extensions = nil
	for _, v := range r.views[1:] {
		if len(v.attrs) > 0 {
			r.Extensions = append(r.Extensions, v.def)
		}
	}
}

// viewOf collects the mapped attributes that belong to def, or nil.
func (r *Resource) viewOf(uri string, def *AttrDef) *viewAttr {
	va := &viewAttr{def: def}
	for _, a := range r.Attributes {
		if a.Custom || !strings.EqualFold(a.SchemaURI, uri) || a.Name != def.Name {
			continue
		}
		switch {
		case def.Type != TypeComplex:
			va.simple = a
		case !def.MultiValued:
			va.subs = append(va.subs, a)
		default:
			var e *entry
			for _, x := range va.entries {
				if strings.EqualFold(x.typ, a.EntryType) {
					e = x
				}
			}
			if e == nil {
				e = &entry{typ: a.EntryType}
				va.entries = append(va.entries, e)
			}
			e.subs = append(e.subs, a)
		}
	}
	if va.simple == nil && len(va.subs) == 0 && len(va.entries) == 0 {
		return nil
	}
	// Sub-attributes render in schema order.
	order := func(list []*Attribute) {
		idx := map[string]int{}
		for i, s := range def.SubAttributes {
			idx[s.Name] = i
		}
		for i := 1; i < len(list); i++ {
			for j := i; j > 0 && idx[list[j].Sub] < idx[list[j-1].Sub]; j-- {
				list[j], list[j-1] = list[j-1], list[j]
			}
		}
	}
	order(va.subs)
	for _, e := range va.entries {
		order(e.subs)
	}
	return va
}

// effectiveDef is the definition /Schemas publishes for a view attribute.
func (va *viewAttr) effectiveDef() *AttrDef {
	switch {
	case va.simple != nil:
		return va.simple.effectiveDef()
	case va.active, va.groups, va.members:
		d := *va.def
		return &d
	}
	d := *va.def
	d.SubAttributes = nil
	mapped := map[string]*Attribute{}
	for _, a := range va.subs {
		mapped[a.Sub] = a
	}
	for _, e := range va.entries {
		for _, a := range e.subs {
			mapped[a.Sub] = a
		}
	}
	for _, s := range va.def.SubAttributes {
		switch a := mapped[s.Name]; {
		case a != nil:
			d.SubAttributes = append(d.SubAttributes, a.effectiveDef())
		case len(va.entries) > 0 && (s.Name == "type" || s.Name == "primary"):
			sc := *s
			sc.Mutability = ReadOnly
			if s.Name == "type" {
				sc.CanonicalValues = nil
				for _, e := range va.entries {
					sc.CanonicalValues = append(sc.CanonicalValues, e.typ)
				}
			}
			d.SubAttributes = append(d.SubAttributes, &sc)
		case s.Name == "$ref" && va.def.Name == "manager" && mapped["value"] != nil:
			d.SubAttributes = append(d.SubAttributes, managerRefDef(s)) // rendered from the value
		}
	}
	return &d
}

func (a *Attribute) effectiveDef() *AttrDef {
	d := *a.Def
	d.Mutability = a.Mutability
	d.Required = a.Required
	d.Uniqueness = a.Uniqueness
	d.CaseExact = a.CaseExact
	if a.Mutability == WriteOnly {
		d.Returned = ReturnedNever
	}
	return &d
}
