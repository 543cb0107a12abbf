package mapping

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping/listcodec"
	"gopkg.in/yaml.v3"
)

// Groups that are a tenant's role (groups.tenant_role): under
// users.tenant_through a user's membership row of the token's tenant
// carries her role in it, one value (Grafana's org_user.role: Admin,
// Editor, Viewer). The declared names are the groups; adding a user to
// one replaces her role, and removing her writes on_remove. Other
// tenants' rows, which hold her roles there, are never read or written.

// compileTenantRole reads groups.tenant_role into l.
func compileTenantRole(l *RoleList, spec *TenantRoleSpec, n *yaml.Node, p *problems) bool {
	t := l.Users.TenantThrough
	if t == nil {
		p.add(n.Line, "groups.tenant_role", "tenant_role is a column of the users.tenant_through row (Grafana's org_user.role); set users.tenant_through, or keep the groups in list: or rows:")
		return false
	}
	if !isIdent(spec.Column) {
		p.add(lineOf(n, "column"), "groups.tenant_role.column", "%q is not a valid column name: name the column of %s that holds the role", spec.Column, t.Table)
		return false
	}
	if strings.EqualFold(spec.Column, t.User) || strings.EqualFold(spec.Column, t.Tenant) {
		p.add(lineOf(n, "column"), "groups.tenant_role.column", "%s holds the user's id or the tenant, not a role", spec.Column)
		return false
	}
	if spec.OnRemove == "" {
		p.add(n.Line, "groups.tenant_role.on_remove", "on_remove is the role removal writes, as the column holds one value (Grafana: on_remove: Viewer)")
		return false
	}
	for _, d := range t.Defaults {
		if strings.EqualFold(d.Column, spec.Column) && d.Value != nil && d.Value != spec.OnRemove {
			p.add(lineOf(n, "on_remove"), "groups.tenant_role.on_remove", "users.tenant_through.defaults gives a new member %s: %v, on_remove %q: use the same role for both, or a user who joins and one who leaves a group end up with different roles", d.Column, d.Value, spec.OnRemove)
			return false
		}
	}
	l.TenantRole, l.Column, l.Codec = t, spec.Column, listcodec.Single{Fallback: spec.OnRemove}
	l.Users.refs = append(l.Users.refs, columnRef{table: t.Table, column: spec.Column, line: lineOf(n, "column"), key: "groups.tenant_role.column"})
	return true
}

// checkTenantRole checks groups.tenant_role against the live schema: the
// column holds text, and every declared name and on_remove fit in it.
func (l *RoleList) checkTenantRole(p *problems) {
	t := l.TenantRole
	if t == nil {
		return
	}
	c := l.Users.columnOf(t.Table, l.Column)
	if c.kind() != kindText {
		p.add(l.line, "groups.tenant_role.column", "%s.%s is %s: a role is a name (Admin, Editor), so the column must hold text", t.Table, l.Column, c.ColumnType)
		return
	}
	fallback := l.Codec.(listcodec.Single).Fallback
	for _, name := range append(slices.Clone(l.Names), fallback) {
		if c.MaxChars > 0 && int64(utf8.RuneCountInString(name)) > c.MaxChars {
			p.add(l.line, "groups.tenant_role", "%q is longer than %s.%s holds (%s)", name, t.Table, l.Column, c.ColumnType)
		}
	}
}

// tenantRow is the condition that the joined membership row is the token's
// tenant's; TRUE for the other shapes.
func (l *RoleList) tenantRow(tenant string) sqlstmt.Pred {
	t := l.TenantRole
	if t == nil {
		return sqlstmt.True
	}
	return sqlstmt.Eq(sqlstmt.Col(aliasMember, t.Tenant), l.Users.tenantArg(tenant))
}

// FallbackGroup reports whether name is the group removal writes
// (tenant_role's on_remove, when it is declared): its members cannot be
// removed, as removing writes it again.
func (l *RoleList) FallbackGroup(name string) bool {
	s, ok := l.Codec.(listcodec.Single)
	return ok && s.Fallback == name
}

// FallbackRemoval is the error for removing members from the fallback group.
func (l *RoleList) FallbackRemoval(name string) error {
	return requestErr(SCIMMutability, "members cannot be removed from group %q: removing a user from her group sets %s to %s (groups.tenant_role.on_remove), this group; add her to another group instead; nothing was changed", name, l.Storage(), name)
}

// countSet counts the true values: how many of a choice's options are given.
func countSet(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
