package mapping

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/retroscim/retroscim/mapping/filter"
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
	line   int
}

// JoinTable is a table of (user, group) pairs.
type JoinTable struct {
	Table string
	User  string
	Group string
	// Defaults fill other NOT NULL columns of a new pair (granted_by: scim).
	Defaults []ColumnValue
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
		j := spec.Join
		jn := valueOf(n, "join")
		if j.Table == "" || j.User == "" || j.Group == "" {
			p.add(jn.Line, key+".join", "needs table, user and group, as in join: { table: user_roles, user: user_id, group: role_id }")
			return nil
		}
		for _, c := range []struct{ v, f string }{{j.User, "user"}, {j.Group, "group"}} {
			if !isIdent(c.v) {
				p.add(lineOf(jn, c.f), key+".join."+c.f, "%q is not a valid column name", c.v)
				return nil
			}
		}
		if !validTableName(j.Table) {
			p.add(lineOf(jn, "table"), key+".join.table", "%q is not a valid table name", j.Table)
			return nil
		}
		m.Join = &JoinTable{Table: j.Table, User: j.User, Group: j.Group}
		users.refs = append(users.refs,
			columnRef{table: j.Table, column: j.User, line: lineOf(jn, "user"), key: key + ".join.user"},
			columnRef{table: j.Table, column: j.Group, line: lineOf(jn, "group"), key: key + ".join.group"})
		if j.Defaults.Kind != 0 && j.Defaults.Kind != yaml.MappingNode {
			p.add(j.Defaults.Line, key+".join.defaults", "expected a mapping of column: value, got %s", describeNode(&j.Defaults))
			return nil
		}
		if j.Defaults.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(j.Defaults.Content); i += 2 {
				k, v := j.Defaults.Content[i], j.Defaults.Content[i+1]
				val, ok := scalarValue(v)
				if !isIdent(k.Value) || !ok {
					p.add(k.Line, key+".join.defaults."+k.Value, "expected column: value")
					continue
				}
				m.Join.Defaults = append(m.Join.Defaults, ColumnValue{Column: k.Value, Value: val})
				users.refs = append(users.refs, columnRef{table: j.Table, column: k.Value, line: k.Line, key: key + ".join.defaults." + k.Value})
			}
		}
		if spec.Rule != "" {
			p.add(lineOf(n, "rule"), key+".rule", "rule applies to the single-column model (members: { column: ... }); a join table holds many groups per user")
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
		for _, a := range users.Attributes {
			if strings.EqualFold(a.Column, m.Column) && a.Mutability != ReadOnly {
				p.add(a.Line, "users.attributes."+a.Key, "column %q records group membership; map it with mutability: readOnly or change it through /Groups", a.Column)
			}
		}
	default:
		p.add(n.Line, key, "needs join: { table, user, group } or column: <group column on %s>", users.Table)
		return nil
	}
	if (users.TenantColumn == "") != (groups.TenantColumn == "") {
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
	login := qcol(alias, m.Users.find(UserSchema, "userName", "", "").Column)
	if a := m.Users.find(UserSchema, "displayName", "", ""); a != nil && a.Lookup == nil {
		return "COALESCE(NULLIF(" + qcol(alias, a.Column) + ", ''), " + login + ")"
	}
	return login
}

// addGroupsView adds the read-only groups attribute to users: a select
// expression that returns the user's groups as a JSON array (selected
// when a request asks for groups, see SelectExprsFor) so that reading a
// user stays one statement, and a view entry in schema order.
func (r *Resource) addGroupsView(m *Membership) {
	g := m.Groups
	obj := "JSON_OBJECT('value', CAST(" + qcol(aliasGroup, g.IDColumn) + " AS CHAR), 'display', " + qcol(aliasGroup, m.groupDisplay()) + ")"
	scope := g.scopeCond(aliasGroup, nil, r.qualifiedTenant())
	var sql string
	if m.Join != nil {
		sql = "SELECT CONCAT('[', GROUP_CONCAT(" + obj + " ORDER BY " + qcol(aliasGroup, g.IDColumn) + " SEPARATOR ','), ']')" +
			" FROM " + quoteIdent(m.Join.Table) + " " + quoteIdent(aliasMember) +
			" JOIN " + quoteIdent(g.Table) + " " + quoteIdent(aliasGroup) + " ON " + qcol(aliasGroup, g.IDColumn) + " = " + qcol(aliasMember, m.Join.Group) +
			" WHERE " + qcol(aliasMember, m.Join.User) + " = " + r.qualified(r.IDColumn)
	} else {
		sql = "SELECT CONCAT('[', " + obj + ", ']') FROM " + quoteIdent(g.Table) + " " + quoteIdent(aliasGroup) +
			" WHERE " + qcol(aliasGroup, g.IDColumn) + " = " + r.qualified(m.Column)
	}
	if scope.k == 0 {
		sql += " AND " + scope.operand('a')
		r.groupsArgs = scope.args
	}
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

// Stmt is one SQL statement with its arguments.
type Stmt struct {
	SQL  string
	Args []any
}

// MembersQuery selects the in-scope members of a group, ordered by id:
// each row is (user id, display). Users outside the user scope or tenant
// are never shown as members.
func (m *Membership) MembersQuery(groupID any, tenant string) Stmt {
	from, c := m.membersFrom(groupID, tenant, nil)
	id := qcol(aliasUser, m.Users.IDColumn)
	return Stmt{SQL: "SELECT " + id + ", " + m.userDisplayExpr(aliasUser) + " FROM " + from + " WHERE " + c.sql + " ORDER BY " + id, Args: c.args}
}

// membersFrom is the FROM clause and condition that find a group's
// in-scope members, restricted to keys when it is not nil.
func (m *Membership) membersFrom(groupID any, tenant string, keys []any) (string, cond) {
	u := m.Users
	var from string
	var c cond
	if m.Join != nil {
		from = quoteIdent(m.Join.Table) + " " + quoteIdent(aliasMember) + " JOIN " + quoteIdent(u.Table) + " " + quoteIdent(aliasUser) +
			" ON " + qcol(aliasUser, u.IDColumn) + " = " + qcol(aliasMember, m.Join.User)
		c = sqlCond(qcol(aliasMember, m.Join.Group)+" = ?", groupID)
	} else {
		from = quoteIdent(u.Table) + " " + quoteIdent(aliasUser)
		c = sqlCond(qcol(aliasUser, m.Column)+" = ?", groupID)
	}
	c = andCond(c, u.scopeCond(aliasUser, u.tenantArg(tenant), ""))
	if keys != nil {
		c = andCond(c, sqlCond(qcol(aliasUser, u.IDColumn)+" IN ("+placeholders(len(keys))+")", keys...))
	}
	return from, c
}

// UserKeys parses member ids into key values of the users' id column.
// Ids that cannot be keys are returned as invalid.
func (m *Membership) UserKeys(ids []string) (keys []any, invalid []string) {
	for _, id := range ids {
		p, ok := m.Users.IDPredicate(id)
		if !ok {
			invalid = append(invalid, id)
			continue
		}
		keys = append(keys, p.Args[len(p.Args)-1])
	}
	return keys, invalid
}

// InScopeUsers selects which of the given user keys are users SCIM may
// manage (inside the user scope and the tenant).
func (m *Membership) InScopeUsers(keys []any, tenant string) Stmt {
	u := m.Users
	c := andCond(u.scopeCond("", u.tenantArg(tenant), ""), sqlCond(quoteIdent(u.IDColumn)+" IN ("+placeholders(len(keys))+")", keys...))
	return Stmt{SQL: "SELECT " + quoteIdent(u.IDColumn) + " FROM " + quoteIdent(u.Table) + " WHERE " + c.sql, Args: c.args}
}

// CurrentMembers selects the keys of the group's in-scope members,
// restricted to keys when it is not nil.
func (m *Membership) CurrentMembers(groupID any, keys []any, tenant string) Stmt {
	from, c := m.membersFrom(groupID, tenant, keys)
	return Stmt{SQL: "SELECT " + qcol(aliasUser, m.Users.IDColumn) + " FROM " + from + " WHERE " + c.sql, Args: c.args}
}

// AddMembers returns the statements that add users (validated, in scope,
// not yet members) to a group: one multi-row INSERT into the join table,
// or one UPDATE of the group column following the rule.
func (m *Membership) AddMembers(groupID any, keys []any, tenant string) []Stmt {
	if len(keys) == 0 {
		return nil
	}
	if m.Join != nil {
		cols := []string{quoteIdent(m.Join.User), quoteIdent(m.Join.Group)}
		for _, d := range m.Join.Defaults {
			cols = append(cols, quoteIdent(d.Column))
		}
		row := "(" + placeholders(len(cols)) + ")"
		rows := make([]string, len(keys))
		args := make([]any, 0, len(keys)*len(cols))
		for i, k := range keys {
			rows[i] = row
			args = append(args, k, groupID)
			for _, d := range m.Join.Defaults {
				args = append(args, d.Value)
			}
		}
		return []Stmt{{SQL: "INSERT INTO " + quoteIdent(m.Join.Table) + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Join(rows, ", "), Args: args}}
	}
	c := andCond(m.Users.scopeCond("", m.Users.tenantArg(tenant), ""), sqlCond(quoteIdent(m.Users.IDColumn)+" IN ("+placeholders(len(keys))+")", keys...))
	if m.Rule == FirstWins {
		col := quoteIdent(m.Column)
		c = andCond(c, sqlCond("("+col+" IS NULL OR "+col+" = ?)", groupID))
	}
	return []Stmt{m.updateUsers(Assignment{Column: m.Column, Value: groupID}, c)}
}

// Unclaimed selects which of the given user keys an add can take into the
// group: under first_wins with a group column, only users without a group
// (a user keeps the group assigned first, and the add changes nothing for
// the others). ok is false when every key can be added (a join table, or
// last_wins) and there is nothing to ask.
func (m *Membership) Unclaimed(keys []any, tenant string) (st Stmt, ok bool) {
	if m.Join != nil || m.Rule != FirstWins || len(keys) == 0 {
		return Stmt{}, false
	}
	u := m.Users
	c := andCond(u.scopeCond("", u.tenantArg(tenant), ""), sqlCond(quoteIdent(u.IDColumn)+" IN ("+placeholders(len(keys))+") AND "+quoteIdent(m.Column)+" IS NULL", keys...))
	return Stmt{SQL: "SELECT " + quoteIdent(u.IDColumn) + " FROM " + quoteIdent(u.Table) + " WHERE " + c.sql, Args: c.args}, true
}

// RemoveMembers returns the statements that take in-scope users out of a
// group. Users outside the scope keep their memberships.
func (m *Membership) RemoveMembers(groupID any, keys []any, tenant string) []Stmt {
	if len(keys) == 0 {
		return nil
	}
	u := m.Users
	if m.Join != nil {
		inScope := "SELECT " + quoteIdent(u.IDColumn) + " FROM " + quoteIdent(u.Table) + " WHERE "
		sc := u.scopeCond("", u.tenantArg(tenant), "")
		args := []any{groupID}
		args = append(args, keys...)
		where := quoteIdent(m.Join.Group) + " = ? AND " + quoteIdent(m.Join.User) + " IN (" + placeholders(len(keys)) + ")"
		if sc.k == 0 {
			// MySQL refuses a subquery on the table being deleted from, but
			// this one reads the users table, not the join table.
			where += " AND " + quoteIdent(m.Join.User) + " IN (" + inScope + sc.sql + ")"
			args = append(args, sc.args...)
		}
		return []Stmt{{SQL: "DELETE FROM " + quoteIdent(m.Join.Table) + " WHERE " + where, Args: args}}
	}
	c := andCond(u.scopeCond("", u.tenantArg(tenant), ""), sqlCond(quoteIdent(u.IDColumn)+" IN ("+placeholders(len(keys))+") AND "+quoteIdent(m.Column)+" = ?", append(append([]any{}, keys...), groupID)...))
	clear := Assignment{Column: m.Column}
	if col := u.column(m.Column); !col.Nullable {
		clear.SQL = "DEFAULT"
	}
	return []Stmt{m.updateUsers(clear, c)}
}

// updateUsers writes the group column of users, maintaining the users'
// last-modified and version columns as any user write does.
func (m *Membership) updateUsers(set Assignment, where cond) Stmt {
	u := m.Users
	all := append([]Assignment{set}, u.bump([]Assignment{set})...)
	var parts []string
	var args []any
	for _, a := range all {
		if a.SQL != "" {
			parts = append(parts, quoteIdent(a.Column)+" = "+a.SQL)
		} else {
			parts = append(parts, quoteIdent(a.Column)+" = ?")
			args = append(args, a.Value)
		}
	}
	return Stmt{SQL: "UPDATE " + quoteIdent(u.Table) + " SET " + strings.Join(parts, ", ") + " WHERE " + where.sql, Args: append(args, where.args...)}
}

// OutsideHolders counts the group's memberships held by users outside the
// scope or tenant (local accounts keeping an app role). Such a group is not
// deleted: SCIM must not change what it cannot see.
func (m *Membership) OutsideHolders(groupID any, tenant string) Stmt {
	u := m.Users
	inScope := u.scopeCond(aliasUser, u.tenantArg(tenant), "")
	var from, where string
	if m.Join != nil {
		from = quoteIdent(m.Join.Table) + " " + quoteIdent(aliasMember) + " LEFT JOIN " + quoteIdent(u.Table) + " " + quoteIdent(aliasUser) +
			" ON " + qcol(aliasUser, u.IDColumn) + " = " + qcol(aliasMember, m.Join.User)
		where = qcol(aliasMember, m.Join.Group) + " = ?"
	} else {
		from = quoteIdent(u.Table) + " " + quoteIdent(aliasUser)
		where = qcol(aliasUser, m.Column) + " = ?"
	}
	c := andCond(sqlCond(where, groupID), notCond(inScope))
	return Stmt{SQL: "SELECT COUNT(*) FROM " + from + " WHERE " + c.sql, Args: c.args}
}

// DeleteMemberships removes every membership of a group, before the group
// itself is deleted (OutsideHolders has confirmed they are all in scope).
func (m *Membership) DeleteMemberships(groupID any, tenant string) []Stmt {
	if m.Join != nil {
		return []Stmt{{SQL: "DELETE FROM " + quoteIdent(m.Join.Table) + " WHERE " + quoteIdent(m.Join.Group) + " = ?", Args: []any{groupID}}}
	}
	c := andCond(m.Users.scopeCond("", m.Users.tenantArg(tenant), ""), sqlCond(quoteIdent(m.Column)+" = ?", groupID))
	clear := Assignment{Column: m.Column}
	if !m.Users.column(m.Column).Nullable {
		clear.SQL = "DEFAULT"
	}
	return []Stmt{m.updateUsers(clear, c)}
}

// MemberOps is what the member operations of a group PATCH (or a PUT with
// members) ask for, in order: a replace resets the set, adds and removes
// change it.
type MemberOps struct {
	// Replace says the members become exactly Set.
	Replace bool
	Set     []string
	Add     []string
	Remove  []string
}

// Empty reports whether there is nothing to do.
func (o *MemberOps) Empty() bool {
	return !o.Replace && len(o.Add) == 0 && len(o.Remove) == 0
}

func (o *MemberOps) add(ids []string) {
	if o.Replace {
		o.Set = union(o.Set, ids)
		return
	}
	o.Add = union(o.Add, ids)
	o.Remove = minus(o.Remove, ids)
}

func (o *MemberOps) remove(ids []string) {
	if o.Replace {
		o.Set = minus(o.Set, ids)
		return
	}
	o.Remove = union(o.Remove, ids)
	o.Add = minus(o.Add, ids)
}

func (o *MemberOps) replace(ids []string) {
	*o = MemberOps{Replace: true, Set: union(nil, ids)}
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func minus(a, b []string) []string {
	drop := map[string]bool{}
	for _, s := range b {
		drop[s] = true
	}
	var out []string
	for _, s := range a {
		if !drop[s] {
			out = append(out, s)
		}
	}
	return out
}

// SplitMemberOps separates the operations on members from the others, in
// the forms Okta and Entra send: add members [{value}], remove
// members[value eq "id"], remove members with a value array, replace
// members, and path-less values with a members key.
func SplitMemberOps(ops []PatchOp) (rest []PatchOp, mo MemberOps, err error) {
	for i, op := range ops {
		if op.Path == "" {
			obj, ok := op.Value.(map[string]any)
			v, has := getFold(obj, "members")
			if !ok || !has {
				rest = append(rest, op)
				continue
			}
			ids, err := memberIDs(v)
			if err != nil {
				return nil, mo, fmt.Errorf("operation %d: %w", i+1, err)
			}
			if op.Op == "replace" {
				mo.replace(ids)
			} else {
				mo.add(ids)
			}
			others := map[string]any{}
			for k, x := range obj {
				if !strings.EqualFold(k, "members") {
					others[k] = x
				}
			}
			if len(others) > 0 {
				rest = append(rest, PatchOp{Op: op.Op, Value: others, HasValue: true})
			}
			continue
		}
		p, perr := filter.ParsePath(op.Path)
		if perr != nil || !strings.EqualFold(p.Attr.Name, "members") || (p.Attr.URI != "" && !strings.EqualFold(p.Attr.URI, GroupSchema)) {
			rest = append(rest, op)
			continue
		}
		if p.Attr.Sub != "" || p.Sub != "" {
			return nil, mo, requestErr(ScimInvalidPath, "operation %d: members are added, removed or replaced whole; %q names a sub-attribute", i+1, op.Path)
		}
		var ids []string
		if p.Filter != nil {
			if op.Op != "remove" {
				return nil, mo, requestErr(ScimInvalidPath, "operation %d: a members[...] filter is for remove", i+1)
			}
			if ids, err = filterMemberIDs(p.Filter); err != nil {
				return nil, mo, fmt.Errorf("operation %d: %w", i+1, err)
			}
		} else if op.HasValue && op.Value != nil {
			if ids, err = memberIDs(op.Value); err != nil {
				return nil, mo, fmt.Errorf("operation %d: %w", i+1, err)
			}
		}
		switch {
		case op.Op == "add":
			mo.add(ids)
		case op.Op == "replace":
			mo.replace(ids)
		case p.Filter == nil && !op.HasValue:
			mo.replace(nil) // remove all members
		default:
			mo.remove(ids)
		}
	}
	return rest, mo, nil
}

// memberIDs reads [{"value": "id"}, ...] (a single object is accepted too).
func memberIDs(v any) ([]string, error) {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case map[string]any:
		items = []any{x}
	case nil:
		return nil, nil
	default:
		return nil, requestErr(ScimInvalidValue, "members must be an array of {\"value\": \"<user id>\"}")
	}
	var ids []string
	for _, it := range items {
		obj, ok := it.(map[string]any)
		if !ok {
			return nil, requestErr(ScimInvalidValue, "each member must be an object {\"value\": \"<user id>\"}")
		}
		v, _ := getFold(obj, "value")
		switch x := v.(type) {
		case string:
			ids = append(ids, x)
		case json.Number:
			ids = append(ids, x.String())
		default:
			return nil, requestErr(ScimInvalidValue, "each member needs a value, the user's id")
		}
	}
	return ids, nil
}

// filterMemberIDs reads the ids of members[value eq "a" or value eq "b"].
func filterMemberIDs(e filter.Expr) ([]string, error) {
	switch x := e.(type) {
	case *filter.Or:
		l, err := filterMemberIDs(x.Left)
		if err != nil {
			return nil, err
		}
		r, err := filterMemberIDs(x.Right)
		return append(l, r...), err
	case *filter.Compare:
		if strings.EqualFold(x.Attr.Name, "value") && x.Op == filter.Eq && (x.Value.Kind == filter.String || x.Value.Kind == filter.Number) {
			return []string{x.Value.Str}, nil
		}
	}
	return nil, requestErr(ScimInvalidPath, "members[...] supports value eq \"<id>\", combined with or; got %s", e)
}

// DiffMembers turns the member operations into the keys to add and to
// remove, given the group's current in-scope members.
func DiffMembers(mo MemberOps, current []string) (add, remove []string) {
	cur := map[string]bool{}
	for _, c := range current {
		cur[c] = true
	}
	if mo.Replace {
		want := map[string]bool{}
		for _, s := range mo.Set {
			want[s] = true
			if !cur[s] {
				add = append(add, s)
			}
		}
		for _, c := range current {
			if !want[c] {
				remove = append(remove, c)
			}
		}
		return add, remove
	}
	for _, a := range mo.Add {
		if !cur[a] {
			add = append(add, a)
		}
	}
	for _, r := range mo.Remove {
		if cur[r] {
			remove = append(remove, r)
		}
	}
	return add, remove
}

// KeyString renders a key value read from the database as a SCIM id.
func KeyString(v any) string {
	s, _ := textOf(v)
	return s
}

// SortIDs orders ids numerically when they are numbers, for stable
// messages.
func SortIDs(ids []string) {
	sort.Slice(ids, func(i, j int) bool {
		a, errA := strconv.ParseInt(ids[i], 10, 64)
		b, errB := strconv.ParseInt(ids[j], 10, 64)
		if errA == nil && errB == nil {
			return a < b
		}
		return ids[i] < ids[j]
	})
}

// check verifies the membership model against the live schema: a user
// must be able to leave a group, and new join rows must be insertable.
func (m *Membership) check(p *problems) {
	u := m.Users
	if m.Join == nil {
		if c := u.column(m.Column); !c.Nullable && c.Default == nil {
			p.add(m.line, "groups.members.column", "%s.%s is NOT NULL without a default, so a user could not leave a group; make it nullable or give it a default", u.Table, m.Column)
		}
		return
	}
	filled := map[string]bool{strings.ToLower(m.Join.User): true, strings.ToLower(m.Join.Group): true}
	for _, d := range m.Join.Defaults {
		filled[strings.ToLower(d.Column)] = true
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
}
