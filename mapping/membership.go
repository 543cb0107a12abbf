package mapping

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"gopkg.in/yaml.v3"
)

// Rule decides what adding a user to a second group does when the app
// keeps one group per user (a group column on the users table).
type Rule string

// Membership rules for the single-column model.
const (
	// FirstWins keeps the group a user already has; the add is ignored.
	// This is Panther's "the group assigned first wins".
	FirstWins Rule = "first_wins"
	// LastWins moves the user to the group added last.
	LastWins Rule = "last_wins"
)

// Membership says how the app records which users are in which group:
// a join table (many groups per user) or a group column on the users
// table (one group per user).
type Membership struct {
	Users  *Resource
	Groups *Resource
	// Join is the join table; nil for the single-column model.
	Join *JoinTable
	// Column is the group column on the users table in the single-column
	// model, and Rule what adding a user to a second group does.
	Column string
	Rule   Rule
	// Fallback is what removing a user from her group writes to Column
	// (on_remove: 1, Zabbix's default role); nil writes NULL, or the
	// column's DEFAULT when it takes no NULL.
	Fallback *ColumnValue
	// WhenAdded and WhenRemoved keep the app's counters and companion
	// rows in step with member writes (membership_steps.go).
	WhenAdded, WhenRemoved []MemberStep
	line                   int
}

// JoinTable is a table of (user, group) pairs.
type JoinTable struct {
	Table string
	User  string
	Group string
	// Where is the condition that makes a row a membership (contextid: 1,
	// DeleteAt: 0): rows that do not match are neither listed nor changed,
	// and new rows are written with these values.
	Where []ColumnValue
	// Defaults fill other columns of a new pair (granted_by: scim, the
	// time, a column copied from the group's row).
	Defaults []RowValue
	// OnRemove are the columns a removal sets (DeleteAt: epoch_ms) instead
	// of deleting the row; an add revives such a row. Empty: DELETE.
	OnRemove []RowValue
}

// Table aliases of the membership statements, chosen not to collide with
// application table names.
const (
	aliasMember = "rs_m"
	aliasUser   = "rs_u"
	aliasGroup  = "rs_g"
)

// compileMembership validates groups.members and links users and groups.
func compileMembership(n *yaml.Node, users, groups *Resource, p *problems) *Membership {
	key := "groups.members"
	if n == nil || n.Kind == 0 {
		p.add(groups.line, key, "missing: say how the app records memberships, as members: { join: { table: user_roles, user: user_id, group: role_id } } or members: { column: role_id }")
		return nil
	}
	before := len(p.list)
	var spec MembersSpec
	decodeStrict(n, key, &spec, p)
	if len(p.list) > before {
		return nil
	}
	m := &Membership{Users: users, Groups: groups, line: n.Line}
	switch {
	case spec.Join != nil && spec.Column != "":
		p.add(n.Line, key, "give join or column, not both")
		return nil
	case spec.Join != nil:
		if m.Join = compileJoin(valueOf(n, "join"), spec.Join, users, groups, p); m.Join == nil {
			return nil
		}
		if spec.Rule != "" {
			p.add(lineOf(n, "rule"), key+".rule", "rule applies to the single-column model (members: { column: ... }); a join table holds many groups per user")
		}
		if spec.OnRemove.Kind != 0 {
			p.add(lineOf(n, "on_remove"), key+".on_remove", "on_remove here applies to the single-column model; for a join table write join: { ..., on_remove: { column: value } }")
			return nil
		}
	case spec.Column != "":
		if !isIdent(spec.Column) {
			p.add(lineOf(n, "column"), key+".column", "%q is not a valid column name", spec.Column)
			return nil
		}
		m.Column = spec.Column
		users.ref(spec.Column, lineOf(n, "column"), key+".column")
		switch Rule(spec.Rule) {
		case "":
			m.Rule = FirstWins
		case FirstWins, LastWins:
			m.Rule = Rule(spec.Rule)
		default:
			p.add(lineOf(n, "rule"), key+".rule", "%q is not a rule: use first_wins (a user keeps the group assigned first) or last_wins (the last group added replaces it)", spec.Rule)
			return nil
		}
		if spec.OnRemove.Kind != 0 {
			v, ok := scalarValue(&spec.OnRemove)
			if !ok || v == nil {
				p.add(spec.OnRemove.Line, key+".on_remove", "on_remove is the group id removal writes to %s (the app's default role, as on_remove: 1); leave it out to write NULL", spec.Column)
				return nil
			}
			m.Fallback = &ColumnValue{Column: spec.Column, Value: v}
		}
		for _, a := range users.Attributes {
			if strings.EqualFold(a.Column, m.Column) && a.Mutability != ReadOnly {
				p.add(a.Line, "users.attributes."+a.Key, "column %q records group membership; map it with mutability: readOnly or change it through /Groups", a.Column)
			}
		}
	default:
		p.add(n.Line, key, "needs join: { table, user, group } or column: <group column on %s>", users.Table)
		return nil
	}
	m.compileSteps(n, &spec, p)
	if users.TenantThrough != nil && groups.TenantColumn == "" {
		p.add(groups.line, "groups.tenant", "users.tenant_through is set: groups need the tenant column of their own rows, as tenant: org_id (Grafana's team.org_id), so that an organisation sees only its teams")
		return nil
	}
	if users.TenantThrough == nil && (users.TenantColumn == "") != (groups.TenantColumn == "") {
		p.add(groups.line, "groups.tenant", "users and groups must both have a tenant column or neither")
		return nil
	}
	users.members, groups.members = m, m
	users.addGroupsView(m)
	groups.addMembersView()
	return m
}

// addMembersView lists members in the group schema, as RFC 7643 defines
// them; their values are streamed by the server, not read from the row.
func (r *Resource) addMembersView() {
	va := &viewAttr{def: coreGroup.Attr("members"), members: true}
	va.effective = va.effectiveDef()
	core := r.views[0]
	core.attrs = append(core.attrs, va)
	core.def.Attributes = append(core.def.Attributes, va.effective)
	r.Schema = core.def
}

func validTableName(t string) bool {
	parts := strings.Split(t, ".")
	if len(parts) > 2 {
		return false
	}
	for _, part := range parts {
		if !isIdent(part) {
			return false
		}
	}
	return true
}

// displayColumn is the group column shown as a member's or group's
// display: displayName (always mapped for groups).
func (m *Membership) groupDisplay() string {
	return m.Groups.find(GroupSchema, "displayName", "", "").Column
}

// userDisplayExpr is what a member's display shows: the user's
// displayName, or userName when it has none.
func (m *Membership) userDisplayExpr(alias string) string {
	login := sqlstmt.Col(alias, m.Users.find(UserSchema, "userName", "", "").Column)
	if a := m.Users.find(UserSchema, "displayName", "", ""); a != nil && a.Lookup == nil && a.Related == nil {
		return "COALESCE(NULLIF(" + sqlstmt.Col(alias, a.Column) + ", ''), " + login + ")"
	}
	return login
}

// addGroupsView adds the read-only groups attribute to users: a select
// expression that returns the user's groups as a JSON array (selected
// when a request asks for groups, see SelectExprsFor) so that reading a
// user stays one statement, and a view entry in schema order.
func (r *Resource) addGroupsView(m *Membership) {
	g := m.Groups
	obj := "JSON_OBJECT('value', CAST(" + sqlstmt.Col(aliasGroup, g.IDColumn) + " AS CHAR), 'display', " + sqlstmt.Col(aliasGroup, m.groupDisplay()) + ")"
	scope := r.groupScope(g)
	var sql string
	var where sqlstmt.Pred
	if m.Join != nil {
		// DISTINCT: a join table may hold a pair twice (the app's own
		// duplicates); the user is in the group once.
		sql = "SELECT CONCAT('[', GROUP_CONCAT(DISTINCT " + obj + " ORDER BY " + sqlstmt.Col(aliasGroup, g.IDColumn) + " SEPARATOR ','), ']')" +
			" FROM " + sqlstmt.Ident(m.Join.Table) + " " + sqlstmt.Ident(aliasMember) +
			" JOIN " + sqlstmt.Ident(g.Table) + " " + sqlstmt.Ident(aliasGroup) + " ON " + sqlstmt.Col(aliasGroup, g.IDColumn) + " = " + sqlstmt.Col(aliasMember, m.Join.Group)
		where = sqlstmt.And(sqlstmt.Cond(sqlstmt.Col(aliasMember, m.Join.User)+" = "+r.qualified(r.IDColumn)), m.Join.rowsCond(aliasMember, true), scope)
	} else {
		sql = "SELECT CONCAT('[', " + obj + ", ']') FROM " + sqlstmt.Ident(g.Table) + " " + sqlstmt.Ident(aliasGroup)
		where = sqlstmt.And(sqlstmt.Cond(sqlstmt.Col(aliasGroup, g.IDColumn)+" = "+r.qualified(m.Column)), scope)
	}
	sql += " WHERE " + where.SQL()
	r.groupsArgs = where.Args()
	r.groupsExpr = "(" + sql + ")"
	def := coreUser.Attr("groups")
	va := &viewAttr{def: def, groups: true}
	va.effective = va.effectiveDef()
	// Measured on 1M users, the correlated subquery costs about as much as
	// the user's own row, and Okta and Entra read memberships from /Groups;
	// so groups is returned on request only (RFC 7643 §7 lets the service
	// provider say so in its schema).
	va.effective.Returned = ReturnedRequest
	core := r.views[0]
	// Insert in RFC 7643 order: after the attributes that precede groups.
	pos := len(core.attrs)
	order := map[string]int{}
	for i, d := range coreUser.Attributes {
		order[d.Name] = i
	}
	for i, x := range core.attrs {
		if o, ok := order[x.def.Name]; ok && o > order["groups"] {
			pos = i
			break
		}
	}
	core.attrs = append(core.attrs[:pos], append([]*viewAttr{va}, core.attrs[pos:]...)...)
	core.def.Attributes = nil
	for _, x := range core.attrs {
		core.def.Attributes = append(core.def.Attributes, x.effective)
	}
	r.Schema = core.def
}

// groupScope is the groups' scope and tenant inside a statement on the
// users r: the group's tenant column equals the user's, or, under
// tenant_through (a user has no tenant column), the caller's tenant, bound
// per request (bindTenant).
func (r *Resource) groupScope(g *Resource) sqlstmt.Pred {
	if r.TenantThrough != nil {
		return g.scopeCond(aliasGroup, tenantSlot{}, "")
	}
	return g.scopeCond(aliasGroup, nil, r.qualifiedTenant())
}

// qualifiedTenant is the resource's tenant column qualified by its table,
// for correlated subqueries; empty without tenants.
func (r *Resource) qualifiedTenant() string {
	if r.TenantColumn == "" {
		return ""
	}
	return r.qualified(r.TenantColumn)
}

// renderGroups turns the JSON the groups expression selected into the
// user's groups attribute.
func (r *Resource) renderGroups(raw any, baseURL string) ([]Object, bool) {
	s, ok := textOf(raw)
	if !ok || s == "" {
		return nil, false
	}
	var items []struct {
		Value   string `json:"value"`
		Display string `json:"display"`
	}
	if err := json.Unmarshal([]byte(s), &items); err != nil || len(items) == 0 {
		return nil, false
	}
	out := make([]Object, len(items))
	for i, it := range items {
		var o Object
		o.Set("value", it.Value)
		o.Set("$ref", baseURL+r.members.Groups.Endpoint+"/"+url.PathEscape(it.Value))
		if it.Display != "" {
			o.Set("display", it.Display)
		}
		o.Set("type", "direct")
		out[i] = o
	}
	return out, true
}

// check verifies the membership model against the live schema: a user
// must be able to leave a group, and new join rows must be insertable.
func (m *Membership) check(p *problems) {
	u := m.Users
	m.checkSteps(p) // membership_steps.go
	if m.Join == nil {
		if c := u.column(m.Column); !c.Nullable && c.Default == nil && m.Fallback == nil {
			p.add(m.line, "groups.members.column", "%s.%s is NOT NULL without a default, so a user could not leave a group; make it nullable, give it a default, or name the group removal writes (on_remove: <group id>)", u.Table, m.Column)
		}
		return
	}
	filled := map[string]bool{}
	for _, c := range m.Join.insertColumns() {
		filled[strings.ToLower(c)] = true
	}
	var missing []string
	for name, c := range u.tableColumns[m.Join.Table] {
		if !filled[name] && !c.Nullable && c.Default == nil && !c.AutoIncrement && !c.Generated {
			missing = append(missing, c.Name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		p.add(m.line, "groups.members.join.defaults", "%s has NOT NULL columns without a default that adding a member must fill: %s; give them values in join.defaults", m.Join.Table, strings.Join(missing, ", "))
	}
	m.Join.checkClocks(u.tableColumns[m.Join.Table], p)
}
