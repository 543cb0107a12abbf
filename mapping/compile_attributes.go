package mapping

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/retroscim/retroscim/mapping/filter"
	"gopkg.in/yaml.v3"
)

// reserved names cannot be mapped through attributes: they have their own
// keys or are computed.
var reserved = map[string]string{
	"members": "map members with the members: block of groups",
	"id":      "the SCIM id is the id column: set it with id:",
	"active":  "map active with the active: block (column, true and false values)",
	"meta":    "map meta.created, meta.lastModified and meta.version with the meta: block",
	"schemas": "schemas is computed from the mapped attributes",
	"groups":  "a user's groups come from group memberships and are read-only",
}

func (r *Resource) compileAttributes(n *yaml.Node, core *SchemaDef, p *problems) {
	key := r.key + ".attributes"
	if n.Kind == 0 || (n.Kind == yaml.MappingNode && len(n.Content) == 0) {
		first := "userName"
		if core == coreGroup {
			first = "displayName"
		}
		p.add(r.line, key, "missing: map at least %s to a column", first)
		return
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, key, "expected a mapping of SCIM attribute: { column: ... }, got %s", describeNode(n))
		return
	}
	seen := map[string]*Attribute{}
	custom := map[string]*SchemaDef{} // extension URN (lower) -> schema
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ak := joinKey(key, k.Value)
		before := len(p.list)
		var spec AttributeSpec
		decodeStrict(v, ak, &spec, p)
		if len(p.list) > before {
			continue
		}
		if spec.Compose != "" {
			for _, a := range r.compileComposed(k, v, ak, core, spec, custom, p) {
				if r.firstMapping(seen, a, k, ak, p) {
					a.index = len(r.Attributes)
					r.Attributes = append(r.Attributes, a)
				}
			}
			continue
		}
		a := r.resolveAttrKey(k, ak, core, spec, custom, p)
		if a == nil || !r.firstMapping(seen, a, k, ak, p) {
			continue
		}
		if !r.attrColumn(a, spec, v, ak, p) || !applyRules(a, spec, v, ak, p) {
			continue
		}
		a.index = len(r.Attributes)
		r.Attributes = append(r.Attributes, a)
	}
	r.checkCompositions(p)
	r.checkProtectedColumns(p)
	if core == coreUser && r.find(UserSchema, "userName", "", "") == nil && len(p.list) == 0 {
		p.add(n.Line, key, "userName is not mapped: every SCIM user needs one (Okta matches users on it)")
	}
	if core == coreGroup && len(p.list) == 0 {
		if a := r.find(GroupSchema, "displayName", "", ""); a == nil || a.Lookup != nil {
			p.add(n.Line, key, "displayName is not mapped to a column: every SCIM group needs one (Okta links groups by it)")
		}
	}
}

// firstMapping records a in seen, refusing a second mapping of its path.
func (r *Resource) firstMapping(seen map[string]*Attribute, a *Attribute, k *yaml.Node, ak string, p *problems) bool {
	canon := strings.ToLower(a.Path())
	if prev, dup := seen[canon]; dup {
		p.add(k.Line, ak, "duplicate mapping: %s is already mapped at line %d (as %q)", a.Path(), prev.Line, prev.Key)
		return false
	}
	seen[canon] = a
	return true
}

// attrColumn reads where an attribute is stored: column, or lookup.
func (r *Resource) attrColumn(a *Attribute, spec AttributeSpec, v *yaml.Node, ak string, p *problems) bool {
	ident := func(name, field string, n *yaml.Node) bool {
		if !isIdent(name) {
			p.add(lineOf(n, field), ak+"."+field, "%q is not a valid column name: use letters, digits, _ and $ (at most 64), not starting with a digit", name)
			return false
		}
		return true
	}
	switch {
	case spec.Related != nil:
		return r.compileRelated(a, spec, v, ak, p)
	case spec.Column != "" && spec.Lookup != nil:
		p.add(v.Line, ak, "give column or lookup, not both (a lookup names its column inside: lookup: { column: role_id, ... })")
		return false
	case spec.Lookup != nil:
		l := spec.Lookup
		ln := valueOf(v, "lookup")
		if l.Table == "" || l.Match == "" || l.Column == "" {
			p.add(ln.Line, ak+".lookup", "needs table, match and column, as in lookup: { table: roles, match: name, key: id, column: role_id }")
			return false
		}
		if l.Key == "" {
			l.Key = "id"
		}
		if a.Def.Type != TypeString {
			p.add(ln.Line, ak+".lookup", "only string attributes can be looked up; %s is %s", a.Path(), article(a.Def.Type))
			return false
		}
		ok := true
		for _, c := range []struct{ name, field string }{{l.Column, "column"}, {l.Key, "key"}, {l.Match, "match"}} {
			ok = ident(c.name, c.field, ln) && ok
		}
		if l.Tenant != "" {
			ok = ident(l.Tenant, "tenant", ln) && ok
		}
		parts := strings.Split(l.Table, ".")
		for _, part := range parts {
			if !isIdent(part) || len(parts) > 2 {
				p.add(lineOf(ln, "table"), ak+".lookup.table", "%q is not a valid table name", l.Table)
				return false
			}
		}
		if !ok {
			return false
		}
		switch {
		case l.Tenant != "" && r.TenantColumn == "":
			p.add(lineOf(ln, "tenant"), ak+".lookup.tenant", "%s.tenant is not set, so there is no tenant to match", r.key)
			return false
		case l.Tenant != "" && l.Shared:
			p.add(lineOf(ln, "shared"), ak+".lookup.shared", "give tenant (the rows are per tenant) or shared: true (every tenant uses the same rows), not both")
			return false
		case l.Tenant == "" && r.TenantColumn != "" && !l.Shared:
			// Without it, a tenant could store another tenant's key and
			// an unknown value's error would list every tenant's values.
			p.add(ln.Line, ak+".lookup.tenant", "missing: %s.tenant is set, so the lookup must only see the caller's tenant's rows of %s: add tenant: <the column of %s that holds the tenant>, or shared: true if every tenant uses the same rows", r.key, l.Table, l.Table)
			return false
		}
		a.Column = l.Column
		a.Lookup = &Lookup{Table: l.Table, Key: l.Key, Match: l.Match, Tenant: l.Tenant}
		r.ref(l.Column, lineOf(ln, "column"), ak+".lookup.column")
		for _, c := range []struct{ name, field string }{{l.Key, "key"}, {l.Match, "match"}, {l.Tenant, "tenant"}} {
			if c.name != "" {
				r.refs = append(r.refs, columnRef{table: l.Table, column: c.name, line: lineOf(ln, c.field), key: ak + ".lookup." + c.field})
			}
		}
		return true
	case spec.Column == "":
		p.add(v.Line, ak+".column", "missing: name the column that stores %s", a.Path())
		return false
	}
	if !ident(spec.Column, "column", v) {
		return false
	}
	a.Column = spec.Column
	r.ref(a.Column, lineOf(v, "column"), ak+".column")
	return true
}

// checkProtectedColumns keeps SCIM from writing the columns that decide
// which rows it may touch: the tenant never, the id and scope columns only
// as read-only attributes.
func (r *Resource) checkProtectedColumns(p *problems) {
	for _, a := range r.Attributes {
		col := strings.ToLower(a.Column)
		switch {
		case r.TenantColumn != "" && col == strings.ToLower(r.TenantColumn):
			p.add(a.Line, r.key+".attributes."+a.Key, "column %q is the tenant column; SCIM must not read or write it as an attribute", a.Column)
		case a.Mutability == ReadOnly:
		case col == strings.ToLower(r.IDColumn):
			p.add(a.Line, r.key+".attributes."+a.Key, "column %q is the id column; map it with mutability: readOnly", a.Column)
		default:
			for _, t := range r.Scope {
				if col == strings.ToLower(t.Column) {
					p.add(a.Line, r.key+".attributes."+a.Key, "column %q decides the scope; writing it would move users out of SCIM's reach, so map it with mutability: readOnly", a.Column)
				}
			}
		}
	}
}

// resolveAttrKey turns a mapping key such as `name.givenName` or
// `emails[type eq "work"].value` into an Attribute with its definition.
func (r *Resource) resolveAttrKey(k *yaml.Node, ak string, core *SchemaDef, spec AttributeSpec, custom map[string]*SchemaDef, p *problems) *Attribute {
	path, err := filter.ParsePath(k.Value)
	if err != nil {
		p.add(k.Line, ak, "not a SCIM attribute path: %v", err)
		return nil
	}
	a := &Attribute{Key: k.Value, Line: k.Line}
	uri, name := path.Attr.URI, path.Attr.Name
	var schema *SchemaDef
	switch {
	case uri == "":
		if strings.EqualFold(name, "externalId") && path.Attr.Sub == "" && path.Filter == nil {
			a.Name, a.Def = "externalId", externalIDDef
			return a
		}
		if why, ok := reserved[strings.ToLower(name)]; ok {
			p.add(k.Line, ak, "%s", why)
			return nil
		}
		schema = core
		if core.Attr(name) == nil {
			msg := fmt.Sprintf("unknown attribute %q in the %s schema", name, core.Name)
			if s := suggest(name, append(attrNames(core), "externalId")); s != "" {
				msg += fmt.Sprintf(", did you mean %q?", s)
			}
			msg += fmt.Sprintf("; custom attributes are schema-qualified, e.g. %s:%s", core.ID, name)
			p.add(k.Line, ak, "%s", msg)
			return nil
		}
	case knownSchemas[strings.ToLower(uri)] != nil:
		schema = knownSchemas[strings.ToLower(uri)]
		if schema.ID != core.ID && !(core == coreUser && schema == enterpriseUser) {
			p.add(k.Line, ak, "schema %s does not apply to %ss", schema.ID, core.Name)
			return nil
		}
		if why, ok := reserved[strings.ToLower(name)]; ok && schema == core {
			p.add(k.Line, ak, "%s", why)
			return nil
		}
		if schema.Attr(name) == nil && schema != core {
			msg := fmt.Sprintf("unknown attribute %q in schema %s", name, schema.ID)
			if s := suggest(name, attrNames(schema)); s != "" {
				msg += fmt.Sprintf(", did you mean %q?", s)
			}
			p.add(k.Line, ak, "%s", msg)
			return nil
		}
	default:
		lower := strings.ToLower(uri)
		if strings.HasPrefix(lower, "urn:ietf:params:scim:schemas:core:") || strings.HasPrefix(lower, "urn:ietf:params:scim:api:") {
			p.add(k.Line, ak, "%s is not a schema of %ss; custom attributes go in the core schema (%s:%s) or in your own extension URN", uri, core.Name, core.ID, name)
			return nil
		}
		schema = custom[lower]
		if schema == nil {
			schema = &SchemaDef{ID: uri, Name: uri[strings.LastIndexByte(uri, ':')+1:], Description: "Extension attributes mapped by retroscim"}
			custom[lower] = schema
		}
	}
	a.SchemaURI = schema.ID

	def := schema.Attr(name)
	if def == nil {
		// A custom attribute: declared by the mapping, simple, typed by type:.
		if path.Attr.Sub != "" || path.Filter != nil {
			p.add(k.Line, ak, "custom attribute %s must be a simple attribute (no sub-attributes or [filters])", name)
			return nil
		}
		typ := AttrType(spec.Type)
		if typ == "" {
			typ = TypeString
		}
		if !validCustomType(typ) {
			p.add(k.Line, ak+".type", "%q is not a SCIM type: use string, boolean, integer, decimal, dateTime, reference or binary", spec.Type)
			return nil
		}
		// Custom definitions live on the Attribute; buildViews assembles the
		// resource's own copy of each schema from them.
		def = &AttrDef{Name: name, Type: typ, Description: spec.Description, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: UniqueNone}
		a.Name, a.Def, a.Custom = name, def, true
		return a
	}
	if spec.Type != "" && AttrType(spec.Type) != def.Type {
		p.add(k.Line, ak+".type", "%s is defined by RFC 7643 as %s; remove type:", def.Name, def.Type)
		return nil
	}
	a.Name = def.Name
	switch {
	case def.Type != TypeComplex:
		if path.Attr.Sub != "" || path.Filter != nil {
			p.add(k.Line, ak, "%s is a simple attribute; it has no sub-attributes or [filters]", def.Name)
			return nil
		}
		a.Def = def
	case !def.MultiValued:
		if path.Attr.Sub == "" {
			p.add(k.Line, ak, "%s is complex: map its sub-attributes, e.g. %s.%s", def.Name, def.Name, def.SubAttributes[0].Name)
			return nil
		}
		sub := def.Sub(path.Attr.Sub)
		if sub == nil {
			p.add(k.Line, ak, "%s has no sub-attribute %q (it has %s)", def.Name, path.Attr.Sub, strings.Join(attrNamesOf(def.SubAttributes), ", "))
			return nil
		}
		a.Parent, a.Def, a.Sub = def, sub, sub.Name
	default:
		if def.Mutability == ReadOnly {
			p.add(k.Line, ak, "%s is read-only and computed by retroscim", def.Name)
			return nil
		}
		typ, ok := entryType(path.Filter)
		subName := path.Sub
		if !ok || path.Attr.Sub != "" || subName == "" {
			example := def.SubAttributes[0].Name
			p.add(k.Line, ak, "%s is multi-valued: map one typed entry's sub-attribute, e.g. %s[type eq %q].%s", def.Name, def.Name, firstOr(def.Sub("type").CanonicalValues, "work"), example)
			return nil
		}
		sub := def.Sub(subName)
		if sub == nil {
			p.add(k.Line, ak, "%s has no sub-attribute %q (it has %s)", def.Name, subName, strings.Join(attrNamesOf(def.SubAttributes), ", "))
			return nil
		}
		if strings.EqualFold(sub.Name, "type") || strings.EqualFold(sub.Name, "primary") {
			p.add(k.Line, ak, "%s.%s is implied by the mapping (the [type eq ...] filter; the first mapped entry is primary)", def.Name, sub.Name)
			return nil
		}
		a.Parent, a.Def, a.Sub, a.EntryType = def, sub, sub.Name, typ
	}
	return a
}

// entryType accepts exactly `type eq "<string>"`.
func entryType(e filter.Expr) (string, bool) {
	c, ok := e.(*filter.Compare)
	if !ok || !strings.EqualFold(c.Attr.Name, "type") || c.Op != filter.Eq || c.Value.Kind != filter.String || c.Value.Str == "" {
		return "", false
	}
	return c.Value.Str, true
}

func validCustomType(t AttrType) bool {
	switch t {
	case TypeString, TypeBoolean, TypeInteger, TypeDecimal, TypeDateTime, TypeReference, TypeBinary:
		return true
	}
	return false
}

// applyRules sets the attribute's characteristics from its definition and
// the mapping's overrides.
func applyRules(a *Attribute, spec AttributeSpec, n *yaml.Node, key string, p *problems) bool {
	a.Mutability = a.Def.Mutability
	if a.Parent != nil && a.Parent.Mutability == ReadOnly {
		a.Mutability = ReadOnly
	}
	a.Required = a.Def.Required
	a.Uniqueness = a.Def.Uniqueness
	if a.SchemaURI == GroupSchema && a.Name == "displayName" {
		// An app's roles are unique by name; Okta links groups by it.
		a.Uniqueness = UniqueServer
	}
	a.CaseExact = a.Def.CaseExact
	if spec.Mutability != "" {
		m := Mutability(spec.Mutability)
		switch m {
		case ReadWrite, Immutable, ReadOnly, WriteOnly:
			a.Mutability = m
		default:
			p.add(lineOf(n, "mutability"), key+".mutability", "%q is not a mutability: use readWrite, immutable, readOnly or writeOnly", spec.Mutability)
			return false
		}
	}
	if spec.Required != nil {
		a.Required = *spec.Required
	}
	if spec.Unique != nil {
		a.Uniqueness = UniqueNone
		if *spec.Unique {
			a.Uniqueness = UniqueServer
		}
	}
	switch spec.UniqueWithin {
	case "", "table":
	case "scope":
		if a.Uniqueness == UniqueNone {
			p.add(lineOf(n, "unique_within"), key+".unique_within", "unique_within: scope needs a unique attribute: %s is not unique (add unique: true, or remove unique_within)", a.Path())
			return false
		}
		a.UniqueInScope = true
	default:
		p.add(lineOf(n, "unique_within"), key+".unique_within", "%q is not a unique_within: use table (any row of the table collides, the default) or scope (only rows inside the scope)", spec.UniqueWithin)
		return false
	}
	if spec.CaseExact != nil {
		a.CaseExact = *spec.CaseExact
	}
	if spec.Description != "" && !a.Custom {
		p.add(lineOf(n, "description"), key+".description", "descriptions can only be given for custom attributes")
		return false
	}
	if spec.MaxLength != nil {
		if *spec.MaxLength < 1 {
			p.add(lineOf(n, "max_length"), key+".max_length", "must be at least 1")
			return false
		}
		a.MaxLength = *spec.MaxLength
	}
	if spec.Pattern != "" {
		re, err := regexp.Compile(`^(?:` + spec.Pattern + `)$`)
		if err != nil {
			p.add(lineOf(n, "pattern"), key+".pattern", "not a valid regular expression (RE2 syntax): %v", err)
			return false
		}
		a.Pattern = re
	}
	a.ForbiddenChars = spec.ForbiddenChars
	if spec.Values != nil {
		if len(spec.Values) == 0 {
			p.add(lineOf(n, "values"), key+".values", "an empty list would refuse every value")
			return false
		}
		a.Values = spec.Values
	}
	if spec.Default.Kind != 0 {
		v, ok := scalarValue(&spec.Default)
		if !ok {
			p.add(spec.Default.Line, key+".default", "expected a single value")
			return false
		}
		a.Default, a.HasDefault = v, true
	}
	isPassword := a.Name == "password" && a.SchemaURI == UserSchema
	switch {
	case isPassword && spec.Hash == "":
		p.add(n.Line, key, "mapping password would store the cleartext Okta sends; say how to store it: hash: bcrypt, or hash: none if the column really holds cleartext")
		return false
	case isPassword && spec.Hash != "bcrypt" && spec.Hash != "none":
		p.add(lineOf(n, "hash"), key+".hash", "%q is not a password hash: use bcrypt or none", spec.Hash)
		return false
	case !isPassword && spec.Hash != "":
		p.add(lineOf(n, "hash"), key+".hash", "only password takes a hash")
		return false
	}
	a.Hash = spec.Hash
	if (a.MaxLength > 0 || a.Pattern != nil || a.ForbiddenChars != "") && a.Def.Type != TypeString && a.Def.Type != TypeReference {
		p.add(n.Line, key, "max_length, pattern and forbidden_chars apply to string attributes; %s is %s", a.Path(), article(a.Def.Type))
		return false
	}
	return true
}

func attrNames(s *SchemaDef) []string { return attrNamesOf(s.Attributes) }

func attrNamesOf(defs []*AttrDef) []string {
	names := make([]string, len(defs))
	for i, d := range defs {
		names[i] = d.Name
	}
	return names
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}
