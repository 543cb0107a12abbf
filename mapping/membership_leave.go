package mapping

import "github.com/retroscim/retroscim/legacy/sqlstmt"

// A user's DELETE (delete: delete, delete: { set }, or active:
// delete_on_false) ends her memberships in the groups the mapping serves,
// in the same transaction and before the user row goes: a deleted user is
// no member of any group an identity provider pushed, and a later user
// with the same id does not inherit the rows. Only join rows of groups
// inside groups.scope and the tenant, matching join.where, are touched,
// with the membership's own removal (on_remove's soft delete, when_removed's
// counters); rows in groups outside the scope (Nextcloud's admin) stay.

// LeavesGroups reports whether a user's DELETE has membership rows to end:
// the app keeps memberships in a join table. A group column lives on the
// user row and goes with it.
func (m *Membership) LeavesGroups() bool { return m != nil && m.Join != nil }

// userRows is the condition on join rows (bare names) that finds the
// user's live memberships in the groups the mapping serves.
func (m *Membership) userRows(userKey any, tenant string) sqlstmt.Pred {
	j, g := m.Join, m.Groups
	served := sqlstmt.Select{Columns: []string{sqlstmt.Ident(g.IDColumn)}, From: sqlstmt.Ident(g.Table), Where: g.scopeCond("", g.tenantArg(tenant), "")}
	return sqlstmt.And(sqlstmt.Eq(sqlstmt.Ident(j.User), userKey), j.rowsCond("", true), sqlstmt.InSelect(sqlstmt.Ident(j.Group), served))
}

// UserGroups selects, as a locking read, the group of each of the user's
// live membership rows in the groups the mapping serves (one row per
// membership row): when_removed counters are lowered by these counts.
func (m *Membership) UserGroups(userKey any, tenant string) sqlstmt.Select {
	j := m.Join
	return sqlstmt.Select{Columns: []string{sqlstmt.Ident(j.Group)}, From: sqlstmt.Ident(j.Table), Where: m.userRows(userKey, tenant), Lock: true}
}

// LeaveGroups is the statement that ends the user's memberships in the
// groups the mapping serves: DELETE, or the UPDATE on_remove names.
func (m *Membership) LeaveGroups(userKey any, tenant string) sqlstmt.Statement {
	return m.removeRows(m.userRows(userKey, tenant))
}

// LeftSteps are the when_removed statements after LeaveGroups, one per
// group: removed counts the user's rows in each group (from UserGroups).
func (m *Membership) LeftSteps(groups []any, removed []int64) []sqlstmt.Statement {
	var out []sqlstmt.Statement
	for i, g := range groups {
		out = append(out, m.StepsAfter(g, nil, 0, removed[i])...)
	}
	return out
}
