package mapping

import (
	"fmt"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping/filter"
)

// membershipAttr reports whether p names the membership attribute of r:
// a user's groups, or a group's members.
func (r *Resource) membershipAttr(p filter.AttrPath) bool {
	if r.members == nil || (p.URI != "" && !strings.EqualFold(p.URI, r.Schema.ID)) {
		return false
	}
	return strings.EqualFold(p.Name, r.membershipName())
}

func (r *Resource) membershipName() string {
	if r.Type == "Group" {
		return "members"
	}
	return "groups"
}

// compileMembershipFilter compiles a filter on groups or members, as
// groups[value eq "3"], members.value eq "42" or members pr, into EXISTS
// over the membership, with the members' and groups' scopes applied. ok is
// false when e is not about membership.
func (r *Resource) compileMembershipFilter(e filter.Expr) (c sqlstmt.Pred, ok bool, err error) {
	var inner filter.Expr
	switch x := e.(type) {
	case *filter.ValuePath:
		if !r.membershipAttr(x.Attr) {
			return sqlstmt.Pred{}, false, nil
		}
		inner = x.Filter
	case *filter.Compare:
		if !r.membershipAttr(x.Attr) {
			return sqlstmt.Pred{}, false, nil
		}
		sub := x.Attr.Sub
		if sub == "" {
			sub = "value"
		}
		inner = &filter.Compare{At: x.At, Attr: filter.AttrPath{Name: sub}, Op: x.Op, Value: x.Value}
	case *filter.Present:
		if !r.membershipAttr(x.Attr) {
			return sqlstmt.Pred{}, false, nil
		}
		if x.Attr.Sub == "" {
			return r.memberExists(sqlstmt.True), true, nil
		}
		inner = &filter.Present{At: x.At, Attr: filter.AttrPath{Name: x.Attr.Sub}}
	default:
		return sqlstmt.Pred{}, false, nil
	}
	c, err = r.compile(inner, &scope{memberTargets: r.memberTargets()})
	if err != nil {
		return sqlstmt.Pred{}, true, err
	}
	if c.IsFalse() {
		return sqlstmt.False, true, nil
	}
	return r.memberExists(c), true, nil
}

// memberTargets are the sub-attributes of groups (on a user) or members
// (on a group) as columns of the membership statement's aliases.
func (r *Resource) memberTargets() map[string]target {
	m := r.members
	if r.Type == "Group" {
		u := m.Users
		disp := u.find(UserSchema, "displayName", "", "")
		dcol := u.find(UserSchema, "userName", "", "").Column
		if disp != nil && disp.Lookup == nil && disp.Related == nil {
			dcol = disp.Column
		}
		return map[string]target{
			"value":   {expr: sqlstmt.Col(aliasUser, u.IDColumn), column: u.IDColumn, typ: TypeString, caseExact: true, name: "members.value", colFacts: u.column(u.IDColumn)},
			"display": {expr: m.userDisplayExpr(aliasUser), column: dcol, typ: TypeString, name: "members.display", colFacts: u.column(dcol)},
			"type":    {isConst: true, value: "User", typ: TypeString, name: "members.type"},
		}
	}
	g := m.Groups
	return map[string]target{
		"value":   {expr: sqlstmt.Col(aliasGroup, g.IDColumn), column: g.IDColumn, typ: TypeString, caseExact: true, name: "groups.value", colFacts: g.column(g.IDColumn)},
		"display": {expr: sqlstmt.Col(aliasGroup, m.groupDisplay()), column: m.groupDisplay(), typ: TypeString, name: "groups.display", colFacts: g.column(m.groupDisplay())},
		"type":    {isConst: true, value: "direct", typ: TypeString, name: "groups.type"},
	}
}

// memberExists wraps c, a condition on the membership aliases, in EXISTS
// correlated with the resource's row.
func (r *Resource) memberExists(c sqlstmt.Pred) sqlstmt.Pred {
	m := r.members
	var from, where string
	var sc, rows sqlstmt.Pred
	if r.Type == "Group" {
		u := m.Users
		if m.Join != nil {
			from = m.joinUsers()
			where = sqlstmt.Col(aliasMember, m.Join.Group) + " = " + r.qualified(r.IDColumn)
		} else {
			from = sqlstmt.Table(u.Table, aliasUser)
			where = sqlstmt.Col(aliasUser, m.Column) + " = " + r.qualified(r.IDColumn)
		}
		sc = u.scopeCond(aliasUser, nil, r.qualifiedTenant())
	} else {
		g := m.Groups
		if m.Join != nil {
			from = sqlstmt.Join(sqlstmt.Table(m.Join.Table, aliasMember), g.Table, aliasGroup, sqlstmt.Col(aliasGroup, g.IDColumn)+" = "+sqlstmt.Col(aliasMember, m.Join.Group))
			where = sqlstmt.Col(aliasMember, m.Join.User) + " = " + r.qualified(r.IDColumn)
		} else {
			from = sqlstmt.Table(g.Table, aliasGroup)
			where = sqlstmt.Col(aliasGroup, g.IDColumn) + " = " + r.qualified(m.Column)
		}
		sc = r.groupScope(g)
	}
	if m.Join != nil {
		rows = m.Join.rowsCond(aliasMember, true)
	}
	return sqlstmt.Exists(from, sqlstmt.And(sqlstmt.Cond(where), rows, sc, c))
}

// memberTarget resolves a sub-attribute inside a membership filter.
func memberTarget(sc *scope, p filter.AttrPath, pos int) ([]target, error) {
	if p.URI == "" && p.Sub == "" {
		if t, ok := sc.memberTargets[strings.ToLower(p.Name)]; ok {
			return []target{t}, nil
		}
	}
	return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%q: membership filters use value, display or type", p)}
}
