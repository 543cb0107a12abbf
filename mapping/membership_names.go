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
}

// compileNameRows validates groups.rows.
func compileNameRows(spec *NameRowsSpec, n *yaml.Node, p *problems) *NameRows {
	if !validTableName(spec.Table) || !isIdent(spec.User) || !isIdent(spec.Name) {
		p.add(n.Line, "groups.rows", "table %q, user %q and name %q must be the membership table and its columns holding the user's id and the group's name", spec.Table, spec.User, spec.Name)
		return nil
	}
	return &NameRows{Table: spec.Table, User: spec.User, Name: spec.Name}
}

// exists is the condition that the user row aliased rs_u has a row naming
// the group.
func (r *NameRows) exists(users *Resource, name string) sqlstmt.Pred {
	return sqlstmt.Exists(sqlstmt.Table(r.Table, aliasMember), sqlstmt.And(
		sqlstmt.Cond(sqlstmt.Col(aliasMember, r.User)+" = "+sqlstmt.Col(aliasUser, users.IDColumn)),
		sqlstmt.Eq(sqlstmt.Col(aliasMember, r.Name), name)))
}

// writes are the statements that make the edits: one DELETE of the rows of
// the users leaving the group (Value "0"), one INSERT of rows for those
// joining it (Value "1").
func (r *NameRows) writes(name string, edits []ListEdit) []sqlstmt.Statement {
	var add [][]any
	var remove []any
	for _, e := range edits {
		if e.Value == "1" {
			add = append(add, []any{e.Key, name})
		} else {
			remove = append(remove, e.Key)
		}
	}
	var out []sqlstmt.Statement
	if len(remove) > 0 {
		out = append(out, sqlstmt.Delete{Table: r.Table, Where: sqlstmt.And(sqlstmt.Eq(sqlstmt.Ident(r.Name), name), keysIn(sqlstmt.Ident(r.User), remove))})
	}
	if len(add) > 0 {
		out = append(out, sqlstmt.InsertRows{Table: r.Table, Columns: []string{r.User, r.Name}, Rows: add})
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
