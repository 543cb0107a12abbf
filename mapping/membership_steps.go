package mapping

import (
	"strconv"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"gopkg.in/yaml.v3"
)

// Side effects an app keeps in step with its memberships: a counter on
// the group's row (Gitea team.num_members) and a companion row per member
// (Gitea inserts org_user on a team add). They run in the member write's
// transaction, so a failed write leaves them as they were.

// MemberStep is one entry of members.when_added or when_removed.
type MemberStep struct {
	// Counter is a column of the group's row, raised (when_added) or
	// lowered (when_removed) by the memberships written.
	Counter string
	// Companion, when_added only, inserts a row per added member.
	Companion *Companion
}

// Companion is a row the app keeps beside each membership.
type Companion struct {
	Table, User string
	Values      []RowValue
}

// aliasCompanion names the companion table in its NOT EXISTS.
const aliasCompanion = "rs_c"

// compileSteps validates when_added and when_removed.
func (m *Membership) compileSteps(n *yaml.Node, spec *MembersSpec, p *problems) {
	for _, list := range []struct {
		name  string
		specs []StepSpec
		dst   *[]MemberStep
		added bool
	}{{"when_added", spec.WhenAdded, &m.WhenAdded, true}, {"when_removed", spec.WhenRemoved, &m.WhenRemoved, false}} {
		ln := valueOf(n, list.name)
		for i, s := range list.specs {
			key := "groups.members." + list.name + "[" + strconv.Itoa(i) + "]"
			line := n.Line
			if ln != nil && i < len(ln.Content) {
				line = ln.Content[i].Line
			}
			set := 0
			for _, on := range []bool{s.Increment != "", s.Decrement != "", s.Insert != nil} {
				if on {
					set++
				}
			}
			if set != 1 {
				p.add(line, key, "give one of increment: <counter column of %s>, decrement: <column> or insert: { table, user, values }", m.Groups.Table)
				continue
			}
			switch {
			case s.Increment != "" && !list.added, s.Decrement != "" && list.added:
				p.add(line, key, "when_added increments a counter and when_removed decrements it")
				continue
			case s.Insert != nil && !list.added:
				p.add(line, key, "insert belongs in when_added: a removal leaves the companion row (the app may still need it)")
				continue
			}
			if col := s.Increment + s.Decrement; col != "" {
				if !isIdent(col) {
					p.add(line, key, "%q is not a valid column name", col)
					continue
				}
				m.Groups.ref(col, line, key)
				*list.dst = append(*list.dst, MemberStep{Counter: col})
				continue
			}
			c := s.Insert
			if c.Table == "" || c.User == "" || !validTableName(c.Table) || !isIdent(c.User) {
				p.add(line, key+".insert", "needs table and user, as in insert: { table: org_user, user: uid, values: { org_id: { group: org_id } } }")
				continue
			}
			comp := &Companion{Table: c.Table, User: c.User, Values: rowValues(&c.Values, key+".insert.values", p, rowDefault)}
			m.Users.refs = append(m.Users.refs, columnRef{table: c.Table, column: c.User, line: line, key: key + ".insert.user"})
			for _, v := range comp.Values {
				if v.next != nil {
					p.add(v.line, key+".insert.values."+v.Column, "a companion row takes no next_id")
					continue
				}
				m.Users.refs = append(m.Users.refs, columnRef{table: c.Table, column: v.Column, line: v.line, key: key + ".insert.values." + v.Column})
				if v.GroupColumn != "" {
					m.Groups.ref(v.GroupColumn, v.line, key+".insert.values."+v.Column)
				}
			}
			*list.dst = append(*list.dst, MemberStep{Companion: comp})
		}
	}
}

// StepsAfter are the statements that keep the app in step after a member
// write of group: added memberships were written (new or revived), for
// the users whose keys are addedKeys, and removed were removed.
func (m *Membership) StepsAfter(groupID any, addedKeys []any, added, removed int64) []sqlstmt.Statement {
	var out []sqlstmt.Statement
	g := m.Groups
	counter := func(col string, n int64, up bool) sqlstmt.Statement {
		c, num := sqlstmt.Ident(col), strconv.FormatInt(n, 10)
		expr := "COALESCE(" + c + ", 0) + " + num
		if !up { // never below 0, and no unsigned underflow
			expr = "GREATEST(COALESCE(" + c + ", 0), " + num + ") - " + num
		}
		return sqlstmt.Update{Table: g.Table, Set: []sqlstmt.Assignment{{Column: col, Expr: expr}}, Where: sqlstmt.Eq(sqlstmt.Ident(g.IDColumn), groupID)}
	}
	for _, s := range m.WhenAdded {
		switch {
		case s.Counter != "" && added > 0:
			out = append(out, counter(s.Counter, added, true))
		case s.Companion != nil && len(addedKeys) > 0:
			out = append(out, m.companionInsert(s.Companion, groupID, addedKeys))
		}
	}
	for _, s := range m.WhenRemoved {
		if removed > 0 {
			out = append(out, counter(s.Counter, removed, false))
		}
	}
	return out
}

// companionInsert is one INSERT ... SELECT of the companion rows of the
// added users who have none yet: one that has the same user and the same
// values copied from the group counts.
func (m *Membership) companionInsert(c *Companion, groupID any, keys []any) sqlstmt.Statement {
	g, u := m.Groups, m.Users
	cols := []string{c.User}
	exprs := []string{sqlstmt.Col(aliasUser, u.IDColumn)}
	var args []any
	same := sqlstmt.Cond(sqlstmt.Col(aliasCompanion, c.User) + " = " + sqlstmt.Col(aliasUser, u.IDColumn))
	for _, v := range c.Values {
		cols = append(cols, v.Column)
		switch {
		case v.Clock != NoClock:
			exprs = append(exprs, clockSQL[v.Clock])
		case v.GroupColumn != "":
			exprs = append(exprs, sqlstmt.Col(aliasGroup, v.GroupColumn))
			same = sqlstmt.And(same, sqlstmt.Cond(sqlstmt.Col(aliasCompanion, v.Column)+" = "+sqlstmt.Col(aliasGroup, v.GroupColumn)))
		default:
			exprs = append(exprs, "?")
			args = append(args, v.Value)
		}
	}
	where := sqlstmt.And(sqlstmt.Eq(sqlstmt.Col(aliasGroup, g.IDColumn), groupID), keysIn(sqlstmt.Col(aliasUser, u.IDColumn), keys),
		sqlstmt.Not(sqlstmt.Exists(sqlstmt.Table(c.Table, aliasCompanion), same)))
	from := sqlstmt.Table(g.Table, aliasGroup) + " CROSS JOIN " + sqlstmt.Table(u.Table, aliasUser)
	return sqlstmt.InsertSelect{Table: c.Table, Columns: cols, Select: sqlstmt.Select{Columns: exprs, ColumnArgs: args, From: from, Where: where}}
}

// stepPrivilegeNeeds adds UPDATE on the counters and INSERT on the
// companion rows' columns.
func (m *Membership) stepPrivilegeNeeds(add func(priv, table, column string, line int, key, why string)) {
	for _, s := range append(append([]MemberStep{}, m.WhenAdded...), m.WhenRemoved...) {
		if s.Counter != "" {
			add("UPDATE", m.Groups.Table, s.Counter, m.line, "groups.members", "the counter kept in step with member writes")
			continue
		}
		add("INSERT", s.Companion.Table, s.Companion.User, m.line, "groups.members.when_added", "a companion row per added member")
		for _, v := range s.Companion.Values {
			add("INSERT", s.Companion.Table, v.Column, m.line, "groups.members.when_added", "a companion row per added member")
		}
	}
}

// checkSteps verifies, against the live schema, that each counter is an
// integer column of the group's row.
func (m *Membership) checkSteps(p *problems) {
	for _, s := range append(append([]MemberStep{}, m.WhenAdded...), m.WhenRemoved...) {
		if s.Counter == "" {
			continue
		}
		if c := m.Groups.column(s.Counter); c.kind() != kindInteger {
			p.add(m.line, "groups.members", "%s.%s is %s, not an integer: it cannot count members", m.Groups.Table, s.Counter, c.ColumnType)
		}
	}
}
