package mapping

import "github.com/retroscim/retroscim/legacy/sqlstmt"

// What a group PATCH needs to know of the users it names, asked in one
// statement, and the one UPDATE that moves users in and out of a group
// kept in a users column: Entra's add-several, remove-several PATCH runs
// a read and the writes, whatever the membership storage.

// MemberStates selects, for each of the given user keys that is a user
// SCIM may manage (inside the user scope and the tenant), a row of three
// columns: the user's id, 1 when she is a live member of the group, and 1
// when an add can take her into it (under first_wins with a group
// column, only a user without a group; else always). A key missing from
// the result is not such a user: an add of it is refused, a remove of it
// does nothing. It is the user scope check and the current-membership
// read of the named users in one statement. With a group column the user
// rows are the memberships, so they are locked until the transaction
// ends, and the write that follows changes exactly the rows read.
func (m *Membership) MemberStates(groupID any, keys []any, tenant string) sqlstmt.Select {
	u := m.Users
	id := sqlstmt.Col(aliasUser, u.IDColumn)
	var member, free sqlstmt.Pred
	if m.Join != nil {
		j := m.Join
		member = sqlstmt.Exists(sqlstmt.Table(j.Table, aliasMember), sqlstmt.And(
			sqlstmt.Eq(sqlstmt.Col(aliasMember, j.Group), groupID),
			sqlstmt.Cond(sqlstmt.Col(aliasMember, j.User)+" = "+id),
			j.rowsCond(aliasMember, true)))
		free = sqlstmt.True
	} else {
		member = sqlstmt.Cond(sqlstmt.Col(aliasUser, m.Column)+" <=> ?", groupID)
		free = sqlstmt.True
		if m.Rule == FirstWins {
			free = m.withoutGroup()
		}
	}
	cols := []string{id, member.SQL(), free.SQL()}
	return sqlstmt.Select{
		Columns:    cols,
		ColumnArgs: concatAll(member.Args(), free.Args()),
		From:       sqlstmt.Table(u.Table, aliasUser),
		Where:      sqlstmt.And(u.scopeCond(aliasUser, u.tenantArg(tenant), ""), keysIn(id, keys)),
		Lock:       m.Join == nil,
	}
}

func concatAll(lists ...[]any) []any {
	var out []any
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// MoveMembers returns the statement that takes users into a group kept in
// a users column (add: validated, in scope, not yet members) and others
// out of it (remove: current in-scope members), both in one UPDATE when
// there are both: the group column becomes the group for the added users
// and what a removal writes for the others. The conditions of AddMembers
// and RemoveMembers still guard each row. For a join table it is nil:
// its rows are deleted and inserted (RemoveMembers, AddMembers).
func (m *Membership) MoveMembers(groupID any, add, remove []any, tenant string) []sqlstmt.Statement {
	switch {
	case m.Join != nil:
		return nil
	case len(add) == 0:
		return m.RemoveMembers(groupID, remove, tenant)
	case len(remove) == 0:
		return m.AddMembers(groupID, add, tenant)
	}
	u := m.Users
	col := sqlstmt.Ident(m.Column)
	in := sqlstmt.Ident(u.IDColumn) + " IN (" + sqlstmt.Placeholders(len(add)) + ")"
	args := append(append([]any{}, add...), groupID)
	clear := m.clearGroup()
	otherwise := "?"
	switch {
	case clear.SQL == "DEFAULT":
		otherwise = "DEFAULT(" + col + ")" // DEFAULT alone is no expression
	default:
		args = append(args, clear.Value)
	}
	set := sqlstmt.Assignment{Column: m.Column, Expr: "CASE WHEN " + in + " THEN ? ELSE " + otherwise + " END", Args: args}
	adds := keysIn(sqlstmt.Ident(u.IDColumn), add)
	if m.Rule == FirstWins {
		adds = sqlstmt.And(adds, sqlstmt.Or(m.withoutGroup(), sqlstmt.Eq(col, groupID)))
	}
	removes := sqlstmt.And(keysIn(sqlstmt.Ident(u.IDColumn), remove), sqlstmt.Eq(col, groupID))
	where := sqlstmt.And(u.scopeCond("", u.tenantArg(tenant), ""), sqlstmt.Or(adds, removes))
	bump := assignments(u.bump([]Assignment{{Column: m.Column}}))
	return []sqlstmt.Statement{sqlstmt.Update{Table: u.Table, Set: append([]sqlstmt.Assignment{set}, bump...), Where: where}}
}
