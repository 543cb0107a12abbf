package mapping

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"gopkg.in/yaml.v3"
)

// Tenants through a membership table: in Grafana and Gitea a user row is
// global and belongs to many organisations through org_user(org_id,
// user_id, role). The token's tenant sees the users with a row of org_user
// for it; every statement on the users table carries that EXISTS.

// TenantThrough is users.tenant_through, compiled.
type TenantThrough struct {
	// Table is the membership table; User holds the user's id and Tenant
	// the tenant.
	Table, User, Tenant string
	// Defaults fill other columns of a new membership row.
	Defaults []RowValue
	// JoinExisting: a POST of a userName held by a user outside the
	// tenant adds a membership for that user instead of answering 409.
	JoinExisting bool
	// DeactivateLeaves: active=false removes the membership row instead
	// of writing the user row, which every tenant shares.
	DeactivateLeaves bool
	line             int
}

// Values of tenant_through.existing_users and tenant_through.deactivate.
const (
	existingRefuse       = "refuse"
	existingJoin         = "join"
	deactivateUser       = "user"
	deactivateMembership = "membership"
)

// aliasTenant names the membership table in the tenant's EXISTS.
const aliasTenant = "rs_t"

// HasTenant reports whether statements on r are scoped to a tenant, by a
// column of its own rows or through a membership table.
func (r *Resource) HasTenant() bool { return r.TenantColumn != "" || r.TenantThrough != nil }

// compileTenantThrough validates users.tenant_through.
func (r *Resource) compileTenantThrough(n *yaml.Node, spec *TenantThroughSpec, p *problems) {
	key := r.key + ".tenant_through"
	tn := valueOf(n, "tenant_through")
	line := lineOf(n, "tenant_through")
	if r.Type != "User" {
		p.add(line, key, "tenant_through belongs in the users section: groups are scoped by a tenant column of their own rows (tenant: org_id)")
		return
	}
	if r.TenantColumn != "" {
		p.add(line, key, "give tenant (a column of %s) or tenant_through (a membership table), not both", r.Table)
		return
	}
	if spec.Table == "" || spec.User == "" || spec.Tenant == "" {
		p.add(line, key, "needs table, user and tenant, as in tenant_through: { table: org_user, user: user_id, tenant: org_id }")
		return
	}
	ok := true
	if !validTableName(spec.Table) {
		p.add(lineOf(tn, "table"), key+".table", "%q is not a valid table name", spec.Table)
		ok = false
	}
	for _, c := range []struct{ name, field string }{{spec.User, "user"}, {spec.Tenant, "tenant"}} {
		if !isIdent(c.name) {
			p.add(lineOf(tn, c.field), key+"."+c.field, "%q is not a valid column name", c.name)
			ok = false
		}
	}
	t := &TenantThrough{Table: spec.Table, User: spec.User, Tenant: spec.Tenant, line: line}
	t.Defaults = rowValues(&spec.Defaults, key+".defaults", p, rowRemoval)
	for _, d := range t.Defaults {
		if strings.EqualFold(d.Column, spec.User) || strings.EqualFold(d.Column, spec.Tenant) {
			p.add(d.line, key+".defaults."+d.Column, "%s is written with the user's id or the token's tenant; it takes no default", d.Column)
			ok = false
		}
	}
	switch spec.ExistingUsers {
	case "", existingRefuse:
	case existingJoin:
		t.JoinExisting = true
	default:
		p.add(lineOf(tn, "existing_users"), key+".existing_users", "%q is not a choice: use refuse (409) or join (add a membership for the existing user)", spec.ExistingUsers)
		ok = false
	}
	switch spec.Deactivate {
	case "", deactivateUser:
	case deactivateMembership:
		t.DeactivateLeaves = true
	default:
		p.add(lineOf(tn, "deactivate"), key+".deactivate", "%q is not a choice: use user (write the user row, seen by every tenant) or membership (remove the %s row)", spec.Deactivate, spec.Table)
		ok = false
	}
	if !ok {
		return
	}
	for _, c := range []struct{ name, field string }{{spec.User, "user"}, {spec.Tenant, "tenant"}} {
		r.refs = append(r.refs, columnRef{table: spec.Table, column: c.name, line: lineOf(tn, c.field), key: key + "." + c.field})
	}
	for _, d := range t.Defaults {
		r.refs = append(r.refs, columnRef{table: spec.Table, column: d.Column, line: d.line, key: key + ".defaults." + d.Column})
	}
	r.TenantThrough = t
	r.tenantLine = line
}

// throughCond is the EXISTS on the membership table for tenant, correlated
// with the user row (alias, or the table's own name when alias is empty:
// the membership table may have an id column of its own).
func (r *Resource) throughCond(alias string, tenant any) sqlstmt.Pred {
	return r.throughExists(alias, sqlstmt.Cond(sqlstmt.Col(aliasTenant, r.TenantThrough.Tenant)+" = ?", tenant))
}

// throughCorrelated is throughCond with the tenant given by a column of an
// enclosing statement (a group's team.org_id): a member is in the group's
// organisation.
func (r *Resource) throughCorrelated(alias, tenantExpr string) sqlstmt.Pred {
	return r.throughExists(alias, sqlstmt.Cond(sqlstmt.Col(aliasTenant, r.TenantThrough.Tenant)+" = "+tenantExpr))
}

func (r *Resource) throughExists(alias string, tenant sqlstmt.Pred) sqlstmt.Pred {
	t := r.TenantThrough
	id := r.qualified(r.IDColumn)
	if alias != "" {
		id = sqlstmt.Col(alias, r.IDColumn)
	}
	return sqlstmt.Exists(sqlstmt.Table(t.Table, aliasTenant), sqlstmt.And(
		sqlstmt.Cond(sqlstmt.Col(aliasTenant, t.User)+" = "+id), tenant))
}

// throughArg is the tenant as a value of the membership table's tenant
// column: an integer for an integer column.
func (r *Resource) throughArg(tenant string) any {
	if r.columnOf(r.TenantThrough.Table, r.TenantThrough.Tenant).kind() == kindInteger {
		if n, err := strconv.ParseInt(tenant, 10, 64); err == nil {
			return n
		}
	}
	return tenant
}

// JoinTenant is the INSERT of the membership row that puts the user whose
// key is userKey in tenant, with the defaults.
func (r *Resource) JoinTenant(userKey any, tenant string) sqlstmt.InsertRows {
	t := r.TenantThrough
	in := sqlstmt.InsertRows{Table: t.Table, Columns: []string{t.User, t.Tenant}, Values: []string{"?", "?"}}
	row := []any{userKey, r.throughArg(tenant)}
	for _, d := range t.Defaults {
		in.Columns = append(in.Columns, d.Column)
		if d.Clock != NoClock {
			in.Values = append(in.Values, clockSQL[d.Clock])
			continue
		}
		in.Values = append(in.Values, "?")
		row = append(row, d.Value)
	}
	in.Rows = [][]any{row}
	return in
}

// LeaveTenant is the DELETE of the user's membership rows for tenant: the
// user row, which other tenants may hold, stays.
func (r *Resource) LeaveTenant(userKey any, tenant string) sqlstmt.Delete {
	t := r.TenantThrough
	return sqlstmt.Delete{Table: t.Table, Where: sqlstmt.And(
		sqlstmt.Eq(sqlstmt.Ident(t.User), userKey),
		sqlstmt.Eq(sqlstmt.Ident(t.Tenant), r.throughArg(tenant)))}
}

// OutsiderQuery finds the user in the scope but outside tenant whose
// attribute a equals v (the userName a POST names), for existing_users:
// join. It selects the user's key; at most one row, locked.
func (r *Resource) OutsiderQuery(a *Attribute, v any, tenant string) (sqlstmt.Select, error) {
	u, err := r.uniquePredicate(a, v, tenant, "")
	if err != nil {
		return sqlstmt.Select{}, err
	}
	where := sqlstmt.And(r.scopeCond("", nil, ""), u, sqlstmt.Not(r.throughCond("", r.throughArg(tenant))))
	return sqlstmt.Select{Columns: []string{sqlstmt.Ident(r.IDColumn)}, From: sqlstmt.Ident(r.Table), Where: where, Limit: 1, Lock: true}, nil
}

// UserNameAttr is the attribute userName maps, for matching existing users.
func (r *Resource) UserNameAttr() *Attribute { return r.find(UserSchema, "userName", "", "") }

// bindTenantThrough checks the membership table against the live schema:
// every NOT NULL column without a default must get a value.
func (r *Resource) bindTenantThrough(p *problems) {
	t := r.TenantThrough
	if t == nil || r.Create != CreateAllow {
		return
	}
	written := []string{strings.ToLower(t.User), strings.ToLower(t.Tenant)}
	for _, d := range t.Defaults {
		written = append(written, strings.ToLower(d.Column))
	}
	var missing []string
	for name, c := range r.tableColumns[t.Table] {
		if !c.Nullable && c.Default == nil && !c.AutoIncrement && !slices.Contains(written, name) {
			missing = append(missing, c.Name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		p.add(t.line, r.key+".tenant_through.defaults", "%s has NOT NULL columns without a default that a new membership must fill: %s (add them to tenant_through.defaults, as role: Viewer or created: now)", t.Table, strings.Join(missing, ", "))
	}
}

// checkThroughIndex proposes the index the tenant's EXISTS needs: every
// statement on users probes the membership table by (user, tenant), and a
// list driven by the tenant reads (tenant, user). An index leading with
// both columns, in either order, serves the probe; (tenant, user) serves
// both.
func (r *Resource) checkThroughIndex(all map[string][]Index, add addFunc, fx *fixer) {
	t := r.TenantThrough
	if t == nil {
		return
	}
	idx := all[t.Table]
	if hasIndexPrefix(idx, []string{t.Tenant, t.User}) || hasIndexPrefix(idx, []string{t.User, t.Tenant}) {
		return
	}
	cost := "scans " + t.Table
	switch {
	case hasIndexPrefix(idx, []string{t.User}):
		cost = "reads every membership of each user"
	case hasIndexPrefix(idx, []string{t.Tenant}):
		cost = "reads every membership of the tenant for each user"
	}
	f := add(SevWarning, "index", t.line, r.key+".tenant_through", "no index on %s starts with (%s, %s) or (%s, %s): every read, list and write of a user checks the tenant's membership row, and without it %s", t.Table, t.Tenant, t.User, t.User, t.Tenant, cost)
	fx.indexFix(f, t.Table, t.Tenant, t.User)
}

// throughPrivilegeNeeds adds what the membership table needs: INSERT of a
// new membership (create, existing_users: join) and DELETE of one (DELETE,
// deactivate: membership). SELECT comes with the columns the mapping names.
func (r *Resource) throughPrivilegeNeeds(add func(priv, table, column string, line int, key, why string)) {
	t := r.TenantThrough
	key := r.key + ".tenant_through"
	if r.Create == CreateAllow {
		cols := []string{t.User, t.Tenant}
		for _, d := range t.Defaults {
			cols = append(cols, d.Column)
		}
		for _, c := range cols {
			add("INSERT", t.Table, c, t.line, key, "a created (or, with existing_users: join, matched) user joins the token's tenant")
		}
	}
	add("DELETE", t.Table, "", t.line, key, "DELETE (and deactivate: membership) removes the user from the token's tenant")
}

// tenantSlot stands, in a statement compiled before the request, for the
// caller's tenant as a value of the groups' tenant column: a user's groups
// and a filter on them under tenant_through name the token's tenant, which
// no column of the user row holds.
type tenantSlot struct{}

// bindTenant puts the caller's tenant in p's tenant slots.
func (r *Resource) bindTenant(p sqlstmt.Pred, tenant string) sqlstmt.Pred {
	if !slices.Contains(p.Args(), any(tenantSlot{})) {
		return p
	}
	return sqlstmt.Cond(p.SQL(), r.bindTenantArgs(p.Args(), tenant)...)
}

// bindTenantArgs is args with the caller's tenant, as the groups' tenant
// column holds it, in place of each tenant slot.
func (r *Resource) bindTenantArgs(args []any, tenant string) []any {
	if !slices.Contains(args, any(tenantSlot{})) {
		return args
	}
	out := slices.Clone(args)
	for i, a := range out {
		if _, ok := a.(tenantSlot); ok {
			out[i] = r.members.Groups.tenantArg(tenant)
		}
	}
	return out
}

// checkThroughTenant checks, under users.tenant_through, that the groups'
// tenant column holds tenants as the membership table does: a member's
// EXISTS compares the two (rs_t.org_id = team.org_id), and a token's
// tenant is read as a value of each.
func (m *Membership) checkThroughTenant(p *problems) {
	t := m.Users.TenantThrough
	if t == nil {
		return
	}
	g := m.Groups
	tc, gc := m.Users.columnOf(t.Table, t.Tenant), g.column(g.TenantColumn)
	if (tc.kind() == kindInteger) != (gc.kind() == kindInteger) {
		p.add(g.tenantLine, "groups.tenant", "%s.%s is %s but %s.%s (users.tenant_through.tenant) is %s: a group's tenant must be stored as its members' memberships store it, or no member matches the group's tenant", g.Table, g.TenantColumn, gc.ColumnType, t.Table, t.Tenant, tc.ColumnType)
	}
}
