package mapping

import (
	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"gopkg.in/yaml.v3"
)

// NameRows is a table of (user, group name) pairs with no table of groups,
// as MediaWiki's user_groups(ug_user, ug_group): a user is in a declared
// group when such a row names it. Rows of names the mapping does not
// declare (MediaWiki's bot, interface-admin) are never read or changed.
type NameRows struct {
	Table string
	User  string
	Name  string
	// Expiry, when set, ends a row's membership at the time its column
	// holds (MediaWiki's ug_expiry); an expired row is not a membership.
	Expiry *Expiry
}

// compileNameRows validates groups.rows.
func compileNameRows(spec *NameRowsSpec, n *yaml.Node, p *problems) *NameRows {
	if !validTableName(spec.Table) || !isIdent(spec.User) || !isIdent(spec.Name) {
		p.add(n.Line, "groups.rows", "table %q, user %q and name %q must be the membership table and its columns holding the user's id and the group's name", spec.Table, spec.User, spec.Name)
		return nil
	}
	exp, ok := compileExpiry(spec.Expiry, valueOf(n, "expiry"), p)
	if !ok {
		return nil
	}
	return &NameRows{Table: spec.Table, User: spec.User, Name: spec.Name, Expiry: exp}
}

// exists is the condition that the user row aliased rs_u has a live row
// naming the group: a membership.
func (r *NameRows) exists(users *Resource, name string) sqlstmt.Pred {
	c := r.rowOf(users, name)
	if r.Expiry != nil {
		c = sqlstmt.And(c, r.Expiry.live(aliasMember))
	}
	return sqlstmt.Exists(sqlstmt.Table(r.Table, aliasMember), c)
}

// anyRow is the condition that the user row aliased rs_u has a row naming
// the group, live or expired: an add then revives it instead of
// inserting.
func (r *NameRows) anyRow(users *Resource, name string) sqlstmt.Pred {
	return sqlstmt.Exists(sqlstmt.Table(r.Table, aliasMember), r.rowOf(users, name))
}

func (r *NameRows) rowOf(users *Resource, name string) sqlstmt.Pred {
	return sqlstmt.And(
		sqlstmt.Cond(sqlstmt.Col(aliasMember, r.User)+" = "+sqlstmt.Col(aliasUser, users.IDColumn)),
		sqlstmt.Eq(sqlstmt.Col(aliasMember, r.Name), name))
}

// writes are the statements that make the edits: one DELETE of the rows of
// the users leaving the group (Value "0"), one INSERT of rows for those
// joining it (Value "1") and, with an expiry, one UPDATE that revives the
// expired rows of those joining who have one (Insert false): their expiry
// becomes NULL, a membership that does not end.
func (r *NameRows) writes(name string, edits []ListEdit) []sqlstmt.Statement {
	var add [][]any
	var remove, revive []any
	for _, e := range edits {
		switch {
		case e.Value != "1":
			remove = append(remove, e.Key)
		case r.Expiry != nil && !e.Insert:
			revive = append(revive, e.Key)
		default:
			add = append(add, []any{e.Key, name})
		}
	}
	var out []sqlstmt.Statement
	if len(remove) > 0 {
		out = append(out, sqlstmt.Delete{Table: r.Table, Where: sqlstmt.And(sqlstmt.Eq(sqlstmt.Ident(r.Name), name), keysIn(sqlstmt.Ident(r.User), remove))})
	}
	if len(revive) > 0 {
		// Only rows still expired when written, as MediaWiki's own insert
		// (ug_expiry < now): an expiry someone set since the read stays.
		out = append(out, sqlstmt.Update{Table: r.Table, Set: []sqlstmt.Assignment{{Column: r.Expiry.Column, Value: nil}},
			Where: sqlstmt.And(sqlstmt.Eq(sqlstmt.Ident(r.Name), name), keysIn(sqlstmt.Ident(r.User), revive), r.Expiry.expired())})
	}
	if len(add) > 0 {
		cols := []string{r.User, r.Name}
		if r.Expiry != nil {
			cols = append(cols, r.Expiry.Column)
			for i := range add {
				add[i] = append(add[i], nil)
			}
		}
		out = append(out, sqlstmt.InsertRows{Table: r.Table, Columns: cols, Rows: add})
	}
	return out
}

// declaredGroupSchema is the Group schema of declared groups: the name is
// the mapping's, so displayName is readOnly; members are as RFC 7643 has
// them.
var declaredGroupSchema = &SchemaDef{
	ID:          GroupSchema,
	Name:        "Group",
	Description: "Group: one of the names declared in the mapping (groups.names)",
	Attributes:  []*AttrDef{readOnly(str("displayName", "The group's name, which is also its id.")), coreGroup.Attr("members")},
}

// Discovery is the groups resource as /ResourceTypes and /Schemas
// describe it; it serves no statements.
func (l *RoleList) Discovery() *Resource {
	return &Resource{Type: "Group", Endpoint: "/Groups", Schema: declaredGroupSchema}
}
