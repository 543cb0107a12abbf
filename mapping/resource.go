package mapping

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/retroscim/retroscim/mapping/filter"
	"gopkg.in/yaml.v3"
)

// CreatePolicy says what POST does for a resource type.
type CreatePolicy string

// Create policies.
const (
	// CreateDeny refuses POST: rows are created by the app itself (JIT login).
	CreateDeny CreatePolicy = "deny"
	// CreateAllow inserts a row.
	CreateAllow CreatePolicy = "allow"
)

// DeletePolicy says what DELETE does for a resource type.
type DeletePolicy string

// Delete policies.
const (
	// DeleteDeactivate sets the active column to its false value.
	DeleteDeactivate DeletePolicy = "deactivate"
	// DeleteRow removes the row.
	DeleteRow DeletePolicy = "delete"
	// DeleteDeny refuses DELETE.
	DeleteDeny DeletePolicy = "deny"
)

// Resource maps one SCIM resource type onto one table of the app.
type Resource struct {
	// Type is the SCIM resource type name, "User".
	Type string
	// Endpoint is the path under the base path, "/Users".
	Endpoint string
	// Schema is the core schema with only the mapped attributes, plus any
	// custom attributes declared in the core namespace.
	Schema *SchemaDef
	// Extensions are the extension schemas that have mapped attributes, in
	// the order they first appear in the mapping.
	Extensions []*SchemaDef

	Table    string
	IDColumn string
	// Scope restricts which rows SCIM can see and change; nil with ScopeAll
	// set means every row.
	Scope    []ScopeTerm
	ScopeAll bool
	// TenantColumn, when set, scopes every statement to the caller's tenant.
	TenantColumn string
	Active       *Active
	// CreatedColumn, LastModifiedColumn and VersionColumn feed meta.created,
	// meta.lastModified and meta.version; empty when not mapped.
	CreatedColumn      string
	LastModifiedColumn string
	VersionColumn      string
	Create             CreatePolicy
	Delete             DeletePolicy
	// Attributes are the mapped attributes in file order.
	Attributes []*Attribute
	// Defaults are values for columns no attribute maps, written when a
	// row is created (such as auth_source = 'saml', which puts it in scope).
	Defaults []ColumnValue

	// selectExprs are the SQL expressions a read selects, in order; Row
	// values are aligned with them. colIndex finds plain columns in it.
	selectExprs []string
	colIndex    map[string]int
	// columns are the live column facts, by lower-case name, after Bind;
	// tableColumns has them for every table the mapping names.
	columns      map[string]*Column
	tableColumns map[string]map[string]*Column
	// refs are every column the mapping names, for Bind to verify.
	refs []columnRef
	// members links users and groups; groupsExpr selects a user's groups
	// as JSON, appended to the select list when a request asks for them.
	members    *Membership
	groupsExpr string
	groupsArgs []any
	// views drive rendering: per schema, the attributes in schema order.
	views []*schemaView
	line  int
	key   string
	// activeLine, tenantLine, scopeLine, createLine and deleteLine locate
	// those keys for findings.
	activeLine, tenantLine, scopeLine, createLine, deleteLine int
}

// ScopeTerm is one condition on a column that every SCIM-visible row meets.
type ScopeTerm struct {
	Column string
	// Values the column may hold; a nil element stands for NULL.
	Values []any
	// Negate turns the term into "column holds none of Values".
	Negate bool
}

// Active maps the SCIM active attribute onto a column.
type Active struct {
	// Column holds the active flag; empty when a row's existence is its
	// activity (deactivate: delete without a column).
	Column string
	// True lists the stored values that mean active; anything else is inactive.
	True []any
	// False is the value written to deactivate.
	False any
	// DeleteOnFalse removes the row when active becomes false, for apps
	// where deactivation deletes the user (Harmony SASE frees the licence).
	DeleteOnFalse bool
	// Explicit says the mapping gave the true value(s) rather than the
	// default 1.
	Explicit bool
}

// ColumnValue is a fixed value for a column.
type ColumnValue struct {
	Column string
	Value  any
}

// Attribute is one mapped SCIM attribute.
type Attribute struct {
	// Key is the mapping key as written in the file.
	Key  string
	Line int
	// SchemaURI is the schema the attribute belongs to; empty for externalId.
	SchemaURI string
	// Name and Sub are the canonical attribute and sub-attribute names, as
	// in "name"/"givenName" or "emails"/"value"; Sub is empty for simple
	// attributes.
	Name string
	Sub  string
	// EntryType is the type of the multi-valued entry, as "work" in
	// emails[type eq "work"].value.
	EntryType string
	// Def defines the mapped (leaf) attribute; Parent the complex attribute
	// it belongs to, or nil.
	Def    *AttrDef
	Parent *AttrDef
	// Column stores the value; for a lookup attribute it stores the key.
	Column string
	// Lookup, when set, stores the value as a key into another table.
	Lookup *Lookup

	Mutability Mutability
	Required   bool
	Uniqueness Uniqueness
	CaseExact  bool
	// Custom marks an attribute declared by the mapping rather than RFC 7643.
	Custom bool

	// Validation rules for written values.
	MaxLength      int            // in characters; 0: the column's length
	Pattern        *regexp.Regexp // the whole value must match
	ForbiddenChars string         // none of these characters may appear
	Values         []string       // the only accepted values (case-insensitive)
	// Default is written when the attribute is removed or absent from a
	// PUT or POST; HasDefault says whether one is set.
	Default    any
	HasDefault bool
	// Hash is how a password is stored: "bcrypt", or "none" for cleartext.
	Hash string

	index  int // position in Resource.Attributes
	colIdx int // position of its value in a Row
}

// Lookup stores a SCIM string as a key into another table: Panther's
// pantherRole "Admin" is users.role_id = roles.id where roles.name = 'Admin'.
type Lookup struct {
	Table string
	Key   string // the referenced key column, default id
	Match string // the column holding the SCIM value
	// Tenant is the lookup table's tenant column, matched to the resource's.
	Tenant string
}

// Path renders the attribute's SCIM path, such as emails[type eq "work"].value.
func (a *Attribute) Path() string {
	var b strings.Builder
	if a.Custom || (a.SchemaURI != "" && !strings.EqualFold(a.SchemaURI, UserSchema) && !strings.EqualFold(a.SchemaURI, GroupSchema)) {
		b.WriteString(a.SchemaURI + ":")
	}
	b.WriteString(a.Name)
	if a.EntryType != "" {
		fmt.Fprintf(&b, "[type eq %q]", a.EntryType)
	}
	if a.Sub != "" {
		b.WriteString("." + a.Sub)
	}
	return b.String()
}

type columnRef struct {
	table  string // empty: the resource's own table
	column string
	line   int
	key    string
}

// compileResource validates the users (or groups) section and builds the
// Resource. Problems are added to p; the result is nil when the section is
// unusable.
func compileResource(n *yaml.Node, key string, core *SchemaDef, p *problems) *Resource {
	before := len(p.list)
	var spec ResourceSpec
	decodeStrict(n, key, &spec, p)
	if len(p.list) > before {
		return nil
	}
	r := &Resource{
		Type:     core.Name,
		Endpoint: "/" + core.Name + "s",
		Table:    spec.Table,
		IDColumn: spec.ID,
		line:     n.Line,
		key:      key,
	}
	r.checkIdent(spec.Table, n, "table", p, true)
	if spec.ID == "" {
		r.IDColumn = "id"
	} else {
		r.checkIdent(spec.ID, n, "id", p, false)
	}
	r.ref(r.IDColumn, lineOf(n, "id"), key+".id")
	r.scopeLine = lineOf(n, "scope")
	r.compileScope(&spec.Scope, n, p)
	if spec.Tenant != "" {
		r.TenantColumn = spec.Tenant
		r.tenantLine = lineOf(n, "tenant")
		r.checkIdent(spec.Tenant, n, "tenant", p, false)
		r.ref(spec.Tenant, lineOf(n, "tenant"), key+".tenant")
	}
	r.compilePolicies(spec, n, p)
	if spec.Active != nil {
		if core != coreUser {
			p.add(lineOf(n, "active"), key+".active", "groups have no active attribute")
		} else {
			r.activeLine = lineOf(n, "active")
			r.compileActive(spec.Active, valueOf(n, "active"), p)
		}
	}
	if spec.Members.Kind != 0 && core != coreGroup {
		p.add(lineOf(n, "members"), key+".members", "members belongs in the groups section")
	}
	meta := valueOf(n, "meta")
	for _, m := range []struct {
		name string
		col  string
		dst  *string
	}{
		{"created", spec.Meta.Created, &r.CreatedColumn},
		{"last_modified", spec.Meta.LastModified, &r.LastModifiedColumn},
		{"version", spec.Meta.Version, &r.VersionColumn},
	} {
		if m.col == "" {
			continue
		}
		*m.dst = m.col
		r.checkIdent(m.col, meta, m.name, p, false)
		r.ref(m.col, lineOf(meta, m.name), key+".meta."+m.name)
	}
	if r.Delete == DeleteDeactivate && r.Active == nil {
		p.add(lineOf(n, "delete"), key+".delete", "deactivate needs an active column: add active: { column: ..., true: 1, false: 0 } or choose delete: delete or deny")
	}
	r.compileDefaults(&spec.Defaults, p)
	r.compileAttributes(&spec.Attributes, core, p)
	if len(p.list) > before {
		return nil
	}
	r.buildViews(core)
	r.buildSelect()
	return r
}

func (r *Resource) ref(col string, line int, key string) {
	if col != "" {
		r.refs = append(r.refs, columnRef{column: col, line: line, key: key})
	}
}

// checkIdent validates a table or column name from the mapping. Names are
// later quoted as identifiers, but only plain names are accepted so that a
// mapping cannot smuggle SQL in.
func (r *Resource) checkIdent(name string, n *yaml.Node, field string, p *problems, table bool) {
	k := joinKey(r.key, field)
	if name == "" {
		p.add(lineOf(n, field), k, "missing: name the %s", map[bool]string{true: "table", false: "column"}[table])
		return
	}
	parts := []string{name}
	if table {
		parts = strings.Split(name, ".")
	}
	for _, part := range parts {
		if !isIdent(part) || len(parts) > 2 {
			p.add(lineOf(n, field), k, "%q is not a valid %s name: use letters, digits, _ and $ (at most 64), not starting with a digit; a table may be qualified as database.table", name, map[bool]string{true: "table", false: "column"}[table])
			return
		}
	}
}

func isIdent(s string) bool {
	if s == "" || len(s) > 64 || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

func (r *Resource) compileScope(n *yaml.Node, parent *yaml.Node, p *problems) {
	key := r.key + ".scope"
	switch {
	case n.Kind == 0:
		p.add(r.line, key, "missing: say which rows SCIM may see and change, e.g. scope: { auth_source: [saml] } for rows created by SSO login, or scope: all to expose every row")
		return
	case n.Kind == yaml.ScalarNode && n.Value == "all":
		r.ScopeAll = true
		return
	case n.Kind == yaml.ScalarNode && strings.EqualFold(n.Value, "TODO"):
		p.add(n.Line, key, "not decided yet: say which rows SCIM may see and change (the users your SSO login created, not local or service accounts), e.g. scope: { auth_source: saml }; scope: all exposes every row")
		return
	case n.Kind != yaml.MappingNode:
		p.add(n.Line, key, "expected `all` or a mapping of column: value(s), got %s", describeNode(n))
		return
	case len(n.Content) == 0:
		p.add(n.Line, key, "empty scope would expose every row; write scope: all if that is intended")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		term := ScopeTerm{Column: k.Value}
		tk := joinKey(key, k.Value)
		if !isIdent(k.Value) {
			p.add(k.Line, tk, "%q is not a valid column name", k.Value)
			continue
		}
		if v.Kind == yaml.MappingNode {
			not := valueOf(v, "not")
			if not == nil || len(v.Content) != 2 {
				p.add(v.Line, tk, "expected a value, a list of values, null, or { not: value(s) }")
				continue
			}
			term.Negate = true
			v = not
		}
		vals, ok := scalarValues(v)
		if !ok {
			p.add(v.Line, tk, "expected a value, a list of values or null")
			continue
		}
		term.Values = vals
		r.Scope = append(r.Scope, term)
		r.ref(term.Column, k.Line, tk)
	}
}

// scalarValues decodes a scalar or a list of scalars into Go values typed
// by their YAML tags: int64, float64, bool, string, or nil for null.
func scalarValues(n *yaml.Node) ([]any, bool) {
	if n.Kind == yaml.ScalarNode {
		v, ok := scalarValue(n)
		return []any{v}, ok
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return nil, false
	}
	out := make([]any, 0, len(n.Content))
	for _, c := range n.Content {
		v, ok := scalarValue(c)
		if !ok {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

func scalarValue(n *yaml.Node) (any, bool) {
	if n.Kind != yaml.ScalarNode {
		return nil, false
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, false
	}
	switch x := v.(type) {
	case nil, string, bool, float64:
		return x, true
	case int:
		return int64(x), true
	case int64:
		return x, true
	case uint64:
		return x, true
	}
	return n.Value, true
}

func (r *Resource) compilePolicies(spec ResourceSpec, n *yaml.Node, p *problems) {
	r.createLine = lineOf(n, "create")
	r.deleteLine = lineOf(n, "delete")
	switch CreatePolicy(spec.Create) {
	case "":
		r.Create = CreateDeny
	case CreateDeny, CreateAllow:
		r.Create = CreatePolicy(spec.Create)
	default:
		p.add(lineOf(n, "create"), r.key+".create", "%q is not a create policy: use deny (rows come from SSO login) or allow", spec.Create)
	}
	switch DeletePolicy(spec.Delete) {
	case "":
		r.Delete = DeleteDeactivate
		if spec.Active == nil || r.Type != "User" {
			r.Delete = DeleteDeny
		}
	case DeleteDeactivate, DeleteRow, DeleteDeny:
		r.Delete = DeletePolicy(spec.Delete)
		if r.Delete == DeleteDeactivate && r.Type != "User" {
			p.add(lineOf(n, "delete"), r.key+".delete", "groups cannot be deactivated: use delete or deny")
		}
	default:
		p.add(lineOf(n, "delete"), r.key+".delete", "%q is not a delete policy: use deactivate, delete or deny", spec.Delete)
	}
}

func (r *Resource) compileActive(spec *ActiveSpec, n *yaml.Node, p *problems) {
	key := r.key + ".active"
	a := &Active{Column: spec.Column, True: []any{int64(1)}, False: int64(0)}
	switch spec.Deactivate {
	case "", "update":
	case "delete":
		a.DeleteOnFalse = true
	default:
		p.add(lineOf(n, "deactivate"), key+".deactivate", "%q is not a deactivation: use update (write the false value) or delete (remove the row)", spec.Deactivate)
		return
	}
	if spec.Column == "" {
		if a.DeleteOnFalse {
			r.Active = a // existing rows are active; deactivation deletes them
			return
		}
		p.add(n.Line, key+".column", "missing: name the column that says whether the user is active (or set deactivate: delete for apps that delete deactivated users)")
		return
	}
	r.checkIdent(spec.Column, n, "column", p, false)
	if spec.True.Kind != 0 {
		vals, ok := scalarValues(&spec.True)
		if !ok {
			p.add(spec.True.Line, key+".true", "expected the stored value (or list of values) that means active")
			return
		}
		a.True, a.Explicit = vals, true
	}
	if spec.False.Kind != 0 {
		v, ok := scalarValue(&spec.False)
		if !ok {
			p.add(spec.False.Line, key+".false", "expected the single value written to deactivate a user")
			return
		}
		a.False = v
	}
	for _, t := range a.True {
		if fmt.Sprint(t) == fmt.Sprint(a.False) {
			p.add(n.Line, key, "the false value %v is also listed as a true value", a.False)
		}
	}
	r.Active = a
	r.ref(a.Column, lineOf(n, "column"), key+".column")
}

func (r *Resource) compileDefaults(n *yaml.Node, p *problems) {
	key := r.key + ".defaults"
	if n.Kind == 0 {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, key, "expected a mapping of column: value, got %s", describeNode(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isIdent(k.Value) {
			p.add(k.Line, joinKey(key, k.Value), "%q is not a valid column name", k.Value)
			continue
		}
		val, ok := scalarValue(v)
		if !ok {
			p.add(v.Line, joinKey(key, k.Value), "expected a single value")
			continue
		}
		r.Defaults = append(r.Defaults, ColumnValue{Column: k.Value, Value: val})
		r.ref(k.Value, k.Line, joinKey(key, k.Value))
	}
}

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
		a := r.resolveAttrKey(k, ak, core, spec, custom, p)
		if a == nil {
			continue
		}
		canon := strings.ToLower(a.Path())
		if prev, dup := seen[canon]; dup {
			p.add(k.Line, ak, "duplicate mapping: %s is already mapped at line %d (as %q)", a.Path(), prev.Line, prev.Key)
			continue
		}
		seen[canon] = a
		if !r.attrColumn(a, spec, v, ak, p) || !applyRules(a, spec, v, ak, p) {
			continue
		}
		a.index = len(r.Attributes)
		r.Attributes = append(r.Attributes, a)
	}
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

// find returns the mapped attribute with the given canonical identity, or nil.
func (r *Resource) find(schemaURI, name, sub, entryType string) *Attribute {
	for _, a := range r.Attributes {
		if strings.EqualFold(a.SchemaURI, schemaURI) && strings.EqualFold(a.Name, name) &&
			strings.EqualFold(a.Sub, sub) && strings.EqualFold(a.EntryType, entryType) {
			return a
		}
	}
	return nil
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

// buildSelect fixes the SQL expressions a read selects and where each
// attribute finds its value in a Row: plain columns once each, and for a
// lookup attribute a scalar subquery that reads the value by the key.
func (r *Resource) buildSelect() {
	r.colIndex = map[string]int{}
	r.selectExprs = nil
	add := func(col string) int {
		lc := strings.ToLower(col)
		if i, ok := r.colIndex[lc]; ok {
			return i
		}
		r.selectExprs = append(r.selectExprs, quoteIdent(col))
		r.colIndex[lc] = len(r.selectExprs) - 1
		return len(r.selectExprs) - 1
	}
	add(r.IDColumn)
	if r.Active != nil && r.Active.Column != "" {
		add(r.Active.Column)
	}
	for _, c := range []string{r.CreatedColumn, r.LastModifiedColumn, r.VersionColumn} {
		if c != "" {
			add(c)
		}
	}
	for _, a := range r.Attributes {
		if a.Lookup == nil {
			a.colIdx = add(a.Column)
			continue
		}
		r.selectExprs = append(r.selectExprs, "("+r.lookupValueSQL(a)+")")
		a.colIdx = len(r.selectExprs) - 1
	}
	// The keys lookups store, too: a write that resolves to the key
	// already stored is no change (DropUnchanged).
	for _, a := range r.Attributes {
		if a.Lookup != nil {
			add(a.Column)
		}
	}
}

// lookupValueSQL is the subquery that reads a lookup attribute's value
// for the current row.
func (r *Resource) lookupValueSQL(a *Attribute) string {
	l := a.Lookup
	lt := quoteIdent(l.Table)
	sql := "SELECT " + lt + "." + quoteIdent(l.Match) + " FROM " + lt + " WHERE " + lt + "." + quoteIdent(l.Key) + " = " + r.qualified(a.Column)
	if l.Tenant != "" {
		sql += " AND " + lt + "." + quoteIdent(l.Tenant) + " = " + r.qualified(r.TenantColumn)
	}
	return sql
}

// qualified names a column of the resource's table from inside a subquery.
func (r *Resource) qualified(col string) string {
	t := r.Table
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		t = t[i+1:]
	}
	return quoteIdent(t) + "." + quoteIdent(col)
}

// SelectExprs lists the SQL expressions a read of this resource selects; a
// Row holds their values in this order.
func (r *Resource) SelectExprs() []string { return r.selectExprs }

// SelectExprsFor is SelectExprs plus what the projection asks for beyond
// the row's own columns (a user's groups, returned on request only), and
// the arguments of those expressions' placeholders, which come before the
// WHERE clause's.
func (r *Resource) SelectExprsFor(p Projection) ([]string, []any) {
	if r.groupsExpr == "" || !p.Includes("groups") {
		return r.selectExprs, nil
	}
	return append(append(make([]string, 0, len(r.selectExprs)+1), r.selectExprs...), r.groupsExpr), r.groupsArgs
}

// Columns lists every column of the resource's table the mapping names.
func (r *Resource) Columns() []string {
	seen := map[string]bool{}
	var out []string
	for _, ref := range r.refs {
		if lc := strings.ToLower(ref.column); ref.table == "" && !seen[lc] {
			seen[lc] = true
			out = append(out, ref.column)
		}
	}
	sort.Strings(out)
	return out
}

// tables lists the resource's table and every lookup table.
func (r *Resource) tables() []string {
	out := []string{r.Table}
	for _, ref := range r.refs {
		if ref.table != "" && !slices.Contains(out, ref.table) {
			out = append(out, ref.table)
		}
	}
	return out
}
