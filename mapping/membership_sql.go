package mapping

import "strings"

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
