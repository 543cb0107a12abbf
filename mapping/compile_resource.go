package mapping

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

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
		line:     n.Line,
		key:      key,
	}
	r.checkIdent(spec.Table, n, "table", p, true)
	r.compileID(n, p)
	r.scopeLine = lineOf(n, "scope")
	r.compileScope(&spec.Scope, n, p)
	if spec.Tenant != "" {
		r.TenantColumn = spec.Tenant
		r.tenantLine = lineOf(n, "tenant")
		r.checkIdent(spec.Tenant, n, "tenant", p, false)
		r.ref(spec.Tenant, lineOf(n, "tenant"), key+".tenant")
	}
	if spec.TenantThrough != nil {
		r.compileTenantThrough(n, spec.TenantThrough, p)
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
	if t := r.TenantThrough; t != nil && t.DeactivateLeaves {
		// active=false removes the membership (the update's delete path
		// runs LeaveTenant for tenant_through), never the shared user row.
		if r.Active == nil {
			r.Active = &Active{True: []any{int64(1)}}
		}
		r.Active.DeleteOnFalse = true
	}
	if spec.Members.Kind != 0 && core != coreGroup {
		p.add(lineOf(n, "members"), key+".members", "members belongs in the groups section")
	}
	meta := valueOf(n, "meta")
	for _, m := range []struct {
		name string
		spec *yaml.Node
		dst  *string
	}{
		{"created", &spec.Meta.Created, &r.CreatedColumn},
		{"last_modified", &spec.Meta.LastModified, &r.LastModifiedColumn},
		{"version", &spec.Meta.Version, &r.VersionColumn},
	} {
		col, unit, ok := r.compileMetaColumn(m.spec, key+".meta."+m.name, p)
		if !ok || col == "" {
			continue
		}
		*m.dst = col
		if unit != EpochNone {
			if r.metaEpoch == nil {
				r.metaEpoch = map[string]Epoch{}
			}
			r.metaEpoch[strings.ToLower(col)] = unit
		}
		r.checkIdent(col, meta, m.name, p, false)
		r.ref(col, lineOf(meta, m.name), key+".meta."+m.name)
	}
	if r.Delete == DeleteDeactivate && r.Active == nil {
		p.add(lineOf(n, "delete"), key+".delete", "deactivate needs an active column: add active: { column: ..., true: 1, false: 0 } or choose delete: delete or deny")
	}
	r.checkDeleteLeavesScope(p)
	r.compileDefaults(&spec.Defaults, p)
	r.compileAttributes(&spec.Attributes, core, p)
	if len(p.list) > before {
		return nil
	}
	r.buildViews(core)
	r.buildSelect()
	r.buildScopeTemplates()
	r.filters = newFilterCache()
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
		if k.Value == "exists" {
			r.compileScopeExists(v, tk, p)
			continue
		}
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
	del := ""
	switch spec.Delete.Kind {
	case yaml.MappingNode:
		r.compileDeleteSet(&spec.Delete, p)
		return
	case yaml.ScalarNode:
		del = spec.Delete.Value
	case 0:
	default:
		p.add(spec.Delete.Line, r.key+".delete", "expected deactivate, delete, deny or { set: { column: value } }, got %s", describeNode(&spec.Delete))
		return
	}
	switch DeletePolicy(del) {
	case "":
		r.Delete = DeleteDeactivate
		if spec.Active == nil || r.Type != "User" {
			r.Delete = DeleteDeny
		}
	case DeleteDeactivate, DeleteRow, DeleteDeny:
		r.Delete = DeletePolicy(del)
		if r.Delete == DeleteDeactivate && r.Type != "User" {
			p.add(lineOf(n, "delete"), r.key+".delete", "groups cannot be deactivated: use delete or deny")
		}
	default:
		p.add(lineOf(n, "delete"), r.key+".delete", "%q is not a delete policy: use deactivate, delete, deny or { set: { column: value } } (writes that move the row out of the scope)", del)
	}
}

func (r *Resource) compileActive(spec *ActiveSpec, n *yaml.Node, p *problems) {
	key := r.key + ".active"
	if usesLifecycle(spec) {
		r.compileLifecycle(spec, n, p)
		return
	}
	a := &Active{Column: spec.Column, True: []any{int64(1)}, False: int64(0)}
	if spec.Deactivate.Kind != 0 && spec.Deactivate.Kind != yaml.ScalarNode {
		p.add(spec.Deactivate.Line, key+".deactivate", "expected update or delete, or a list of actions together with when")
		return
	}
	switch spec.Deactivate.Value {
	case "", "update":
	case "delete":
		a.DeleteOnFalse = true
	default:
		p.add(lineOf(n, "deactivate"), key+".deactivate", "%q is not a deactivation: use update (write the false value) or delete (remove the row)", spec.Deactivate.Value)
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
