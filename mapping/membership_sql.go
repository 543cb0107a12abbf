package mapping

import "github.com/retroscim/retroscim/legacy/sqlstmt"

// MembersQuery selects the in-scope members of a group, ordered by id:
// each row is (user id, display). Users outside the user scope or tenant
// are never shown as members.
func (m *Membership) MembersQuery(groupID any, tenant string) sqlstmt.Select {
	from, c := m.membersFrom(groupID, tenant, nil)
	id := sqlstmt.Col(aliasUser, m.Users.IDColumn)
	return sqlstmt.Select{Columns: []string{id, m.userDisplayExpr(aliasUser)}, From: from, Where: c, Order: []sqlstmt.OrderKey{{Expr: id}}}
}

// joinUsers is the join table joined with the users of its rows.
func (m *Membership) joinUsers() string {
	u := m.Users
	return sqlstmt.Join(sqlstmt.Table(m.Join.Table, aliasMember), u.Table, aliasUser, sqlstmt.Col(aliasUser, u.IDColumn)+" = "+sqlstmt.Col(aliasMember, m.Join.User))
}

// membersFrom is the FROM clause and condition that find a group's
// in-scope members, restricted to keys when it is not nil.
func (m *Membership) membersFrom(groupID any, tenant string, keys []any) (string, sqlstmt.Pred) {
	u := m.Users
	var from string
	var c sqlstmt.Pred
	if m.Join != nil {
		from = sqlstmt.Table(u.Table, aliasUser)
		c = sqlstmt.InSelect(sqlstmt.Col(aliasUser, u.IDColumn), m.memberIDsOf(groupID))
	} else {
		from = sqlstmt.Table(u.Table, aliasUser)
		c = sqlstmt.Eq(sqlstmt.Col(aliasUser, m.Column), groupID)
	}
	c = sqlstmt.And(c, u.scopeCond(aliasUser, u.tenantArg(tenant), ""))
	if keys != nil {
		c = sqlstmt.And(c, keysIn(sqlstmt.Col(aliasUser, u.IDColumn), keys))
	}
	return from, c
}

// keysIn is expr IN (keys), spelled the same way whatever the number of
// keys (the statements here take validated, non-NULL keys).
func keysIn(expr string, keys []any) sqlstmt.Pred {
	return sqlstmt.Cond(expr+" IN ("+sqlstmt.Placeholders(len(keys))+")", keys...)
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
		args := p.Args()
		keys = append(keys, args[len(args)-1])
	}
	return keys, invalid
}

// usersWhere selects the ids of the users SCIM may manage (inside the
// user scope and the tenant) that also meet c.
func (m *Membership) usersWhere(tenant string, c sqlstmt.Pred) sqlstmt.Select {
	u := m.Users
	return sqlstmt.Select{Columns: []string{sqlstmt.Ident(u.IDColumn)}, From: sqlstmt.Ident(u.Table), Where: sqlstmt.And(u.scopeCond("", u.tenantArg(tenant), ""), c)}
}

// InScopeUsers selects which of the given user keys are users SCIM may
// manage (inside the user scope and the tenant).
func (m *Membership) InScopeUsers(keys []any, tenant string) sqlstmt.Select {
	return m.usersWhere(tenant, keysIn(sqlstmt.Ident(m.Users.IDColumn), keys))
}

// CurrentMembers selects the keys of the group's in-scope members,
// restricted to keys when it is not nil.
func (m *Membership) CurrentMembers(groupID any, keys []any, tenant string) sqlstmt.Select {
	from, c := m.membersFrom(groupID, tenant, keys)
	return sqlstmt.Select{Columns: []string{sqlstmt.Col(aliasUser, m.Users.IDColumn)}, From: from, Where: c}
}

// AddMembers returns the statements that add users (validated, in scope,
// not yet members) to a group: one multi-row INSERT into the join table,
// or one UPDATE of the group column following the rule.
// When the app allocates the join rows' ids (ReserveIDs), use
// AddMembersAfter with the last id handed out.
func (m *Membership) AddMembers(groupID any, keys []any, tenant string) []sqlstmt.Statement {
	if len(keys) == 0 {
		return nil
	}
	if m.Join != nil {
		return []sqlstmt.Statement{m.insertMembers(groupID, keys, 0)}
	}
	c := sqlstmt.And(m.Users.scopeCond("", m.Users.tenantArg(tenant), ""), keysIn(sqlstmt.Ident(m.Users.IDColumn), keys))
	if m.Rule == FirstWins {
		c = sqlstmt.And(c, sqlstmt.Or(m.withoutGroup(), sqlstmt.Eq(sqlstmt.Ident(m.Column), groupID)))
	}
	return []sqlstmt.Statement{m.updateUsers(Assignment{Column: m.Column, Value: groupID}, c)}
}

// Unclaimed selects which of the given user keys an add can take into the
// group: under first_wins with a group column, only users without a group
// (a user keeps the group assigned first, and the add changes nothing for
// the others). ok is false when every key can be added (a join table, or
// last_wins) and there is nothing to ask.
func (m *Membership) Unclaimed(keys []any, tenant string) (q sqlstmt.Select, ok bool) {
	if m.Join != nil || m.Rule != FirstWins || len(keys) == 0 {
		return sqlstmt.Select{}, false
	}
	return m.usersWhere(tenant, sqlstmt.And(keysIn(sqlstmt.Ident(m.Users.IDColumn), keys), m.withoutGroup())), true
}

// withoutGroup is the condition on users that they have no group of their
// own in the group column: NULL, or the fallback removal writes.
func (m *Membership) withoutGroup() sqlstmt.Pred {
	col := sqlstmt.Ident(m.Column)
	if m.Fallback != nil {
		return sqlstmt.Or(sqlstmt.IsNull(col), sqlstmt.Eq(col, m.Fallback.Value))
	}
	return sqlstmt.IsNull(col)
}

// RemoveMembers returns the statements that take in-scope users out of a
// group. Users outside the scope keep their memberships.
func (m *Membership) RemoveMembers(groupID any, keys []any, tenant string) []sqlstmt.Statement {
	if len(keys) == 0 {
		return nil
	}
	u := m.Users
	if m.Join != nil {
		where := sqlstmt.And(m.memberRows(groupID), keysIn(sqlstmt.Ident(m.Join.User), keys))
		if sc := u.scopeCond("", u.tenantArg(tenant), ""); !sc.Constant() {
			// MySQL refuses a subquery on the table being deleted from, but
			// this one reads the users table, not the join table.
			where = sqlstmt.And(where, sqlstmt.InSelect(sqlstmt.Ident(m.Join.User), sqlstmt.Select{Columns: []string{sqlstmt.Ident(u.IDColumn)}, From: sqlstmt.Ident(u.Table), Where: sc}))
		}
		return []sqlstmt.Statement{m.removeRows(where)}
	}
	c := sqlstmt.And(u.scopeCond("", u.tenantArg(tenant), ""), keysIn(sqlstmt.Ident(u.IDColumn), keys), sqlstmt.Eq(sqlstmt.Ident(m.Column), groupID))
	return []sqlstmt.Statement{m.updateUsers(m.clearGroup(), c)}
}

// clearGroup is the assignment that takes a user out of every group kept in
// the group column: the fallback the mapping names, else NULL, or the
// column's DEFAULT when it takes no NULL.
func (m *Membership) clearGroup() Assignment {
	if m.Fallback != nil {
		return Assignment{Column: m.Column, Value: m.Fallback.Value}
	}
	clear := Assignment{Column: m.Column}
	if !m.Users.column(m.Column).Nullable {
		clear.SQL = "DEFAULT"
	}
	return clear
}

// updateUsers writes the group column of users, maintaining the users'
// last-modified and version columns as any user write does.
func (m *Membership) updateUsers(set Assignment, where sqlstmt.Pred) sqlstmt.Update {
	u := m.Users
	return sqlstmt.Update{Table: u.Table, Set: assignments(append([]Assignment{set}, u.bump([]Assignment{set})...)), Where: where}
}

// OutsideHolders counts the group's memberships held by users outside the
// scope or tenant (local accounts keeping an app role). Such a group is not
// deleted: SCIM must not change what it cannot see.
func (m *Membership) OutsideHolders(groupID any, tenant string) sqlstmt.Select {
	u := m.Users
	inScope := u.scopeCond(aliasUser, u.tenantArg(tenant), "")
	var from string
	var held sqlstmt.Pred
	if m.Join != nil {
		from = sqlstmt.LeftJoin(sqlstmt.Table(m.Join.Table, aliasMember), u.Table, aliasUser, sqlstmt.Col(aliasUser, u.IDColumn)+" = "+sqlstmt.Col(aliasMember, m.Join.User))
		held = sqlstmt.Eq(sqlstmt.Col(aliasMember, m.Join.Group), groupID)
		// Rows outside the membership condition (a role in a course
		// context) are the app's, as are users outside the scope.
		inScope = sqlstmt.And(m.Join.rowsCond(aliasMember, false), inScope)
	} else {
		from = sqlstmt.Table(u.Table, aliasUser)
		held = sqlstmt.Eq(sqlstmt.Col(aliasUser, m.Column), groupID)
	}
	return sqlstmt.Select{Columns: []string{"COUNT(*)"}, From: from, Where: sqlstmt.And(held, sqlstmt.Not(inScope))}
}

// DeleteMemberships removes every membership of a group, before the group
// itself is deleted (OutsideHolders has confirmed they are all in scope).
func (m *Membership) DeleteMemberships(groupID any, tenant string) []sqlstmt.Statement {
	if m.Join != nil {
		// Removed rows go too: they belong to the group being deleted.
		where := sqlstmt.And(sqlstmt.Eq(sqlstmt.Ident(m.Join.Group), groupID), m.Join.rowsCond("", false))
		return []sqlstmt.Statement{sqlstmt.Delete{Table: m.Join.Table, Where: where}}
	}
	c := sqlstmt.And(m.Users.scopeCond("", m.Users.tenantArg(tenant), ""), sqlstmt.Eq(sqlstmt.Ident(m.Column), groupID))
	return []sqlstmt.Statement{m.updateUsers(m.clearGroup(), c)}
}
