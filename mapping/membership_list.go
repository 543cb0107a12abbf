package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping/listcodec"
	"gopkg.in/yaml.v3"
)

// RoleList is groups that are not rows of a table: the mapping declares
// their names, and a user is in a group when its name is an entry of the
// list kept in a column of her row (Mattermost's Users.Roles =
// 'system_user system_admin', a JSON array, a PHP-serialized array).
// A group's id is its name. Entries the mapping does not declare
// (Mattermost's system_user) are never listed, added or removed.
type RoleList struct {
	Users *Resource
	// Names are the declared groups, in the mapping's order.
	Names []string
	// Column is the users' column that holds the list, and Codec its format.
	Column string
	Codec  listcodec.Codec
	// Related, when set, keeps the list in a row of another table that
	// belongs to the user (WordPress's wp_usermeta row of meta_key
	// wp_capabilities); Column is then that table's column.
	Related *Related
	// Rows, instead of a list, keeps each membership as a row of a table
	// of user and group name (MediaWiki's user_groups); Column and Codec
	// are then unset.
	Rows *NameRows
	// TenantRole, instead of a list, keeps a user's one group in a column
	// of her users.tenant_through row for the token's tenant (Grafana's
	// org_user.role); Column is then that column and Codec Single.
	TenantRole *TenantThrough
	line       int
}

// List formats of groups.list.format.
var listFormats = map[string]listcodec.Codec{
	"space_separated": listcodec.Delimited{Sep: " "},
	"comma_separated": listcodec.Delimited{Sep: ","},
	"json_array":      listcodec.JSONArray{},
	"php_array_keys":  listcodec.PHPArrayKeys{},
}

// declaresGroups reports whether the groups section declares its groups
// by name (names:) instead of naming a table.
func declaresGroups(n *yaml.Node) bool {
	return valueOf(n, "names") != nil
}

// compileRoleList validates a groups section of declared names.
func compileRoleList(n *yaml.Node, users *Resource, p *problems) *RoleList {
	before := len(p.list)
	var spec DeclaredGroupsSpec
	decodeStrict(n, "groups", &spec, p)
	if len(p.list) > before {
		return nil
	}
	l := &RoleList{Users: users, line: n.Line}
	switch {
	case countSet(spec.List != nil, spec.Rows != nil, spec.TenantRole != nil) != 1:
		p.add(n.Line, "groups", "say where a user's groups are kept: list: { column, format } (a list in a column), rows: { table, user, name } (a table of user and group name) or tenant_role: { column, on_remove } (a column of the users.tenant_through row), one of them")
		return nil
	case spec.TenantRole != nil:
		if !compileTenantRole(l, spec.TenantRole, valueOf(n, "tenant_role"), p) {
			return nil
		}
	case spec.Rows != nil:
		if l.Rows = compileNameRows(spec.Rows, valueOf(n, "rows"), p); l.Rows == nil {
			return nil
		}
	default:
		if !compileListFormat(l, spec.List, valueOf(n, "list"), p) {
			return nil
		}
	}
	if len(spec.Names) == 0 {
		p.add(lineOf(n, "names"), "groups.names", "list the groups SCIM manages, as names: [system_admin, system_user_manager]")
		return nil
	}
	for _, name := range spec.Names {
		if name == "" {
			p.add(lineOf(n, "names"), "groups.names", "a group name is empty")
			return nil
		}
		if l.Codec != nil {
			if err := l.Codec.CheckName(name); err != nil {
				p.add(lineOf(n, "names"), "groups.names", "%q cannot be stored in a %s list: %v", name, spec.List.Format, err)
				return nil
			}
		}
		if slices.Contains(l.Names, name) {
			p.add(lineOf(n, "names"), "groups.names", "%q is listed twice", name)
			return nil
		}
		l.Names = append(l.Names, name)
	}
	// The tables and columns the statements name are checked against the
	// live schema when the configuration is bound.
	if r := l.Rows; r != nil {
		ln := lineOf(n, "rows")
		for _, c := range []string{r.User, r.Name} {
			users.refs = append(users.refs, columnRef{table: r.Table, column: c, line: ln, key: "groups.rows"})
		}
		if e := r.Expiry; e != nil {
			users.refs = append(users.refs, columnRef{table: r.Table, column: e.Column, line: e.line, key: "groups.rows.expiry.column"})
		}
		return l
	}
	if l.TenantRole != nil {
		return l
	}
	if rel := l.Related; rel != nil {
		ln := lineOf(n, "list")
		cols := []string{rel.Key, rel.Column}
		for _, w := range rel.Where {
			cols = append(cols, w.Column)
		}
		for _, c := range cols {
			users.refs = append(users.refs, columnRef{table: rel.Table, column: c, line: ln, key: "groups.list.related"})
		}
		return l
	}
	users.ref(l.Column, lineOf(n, "list"), "groups.list.column")
	for _, a := range users.Attributes {
		if strings.EqualFold(a.Column, l.Column) && a.Mutability != ReadOnly {
			p.add(a.Line, "users.attributes."+a.Key, "column %q holds the group list; map it with mutability: readOnly or change it through /Groups", a.Column)
		}
	}
	return l
}

// compileListFormat reads groups.list into l.
func compileListFormat(l *RoleList, spec *ListSpec, n *yaml.Node, p *problems) bool {
	codec, ok := listFormats[spec.Format]
	if !ok {
		p.add(lineOf(n, "format"), "groups.list.format", "%q is not a list format: use space_separated (Mattermost Users.Roles), comma_separated, json_array or php_array_keys (WordPress wp_capabilities)", spec.Format)
		return false
	}
	if !isIdent(spec.Column) {
		p.add(lineOf(n, "column"), "groups.list.column", "%q is not a valid column name: name the column that holds the list", spec.Column)
		return false
	}
	l.Codec, l.Column = codec, spec.Column
	if rs := spec.Related; rs != nil {
		ln := valueOf(n, "related")
		if !validTableName(rs.Table) || !isIdent(rs.Key) {
			p.add(ln.Line, "groups.list.related", "table %q and key %q must be a table and its column that holds the user's id", rs.Table, rs.Key)
			return false
		}
		l.Related = &Related{Table: rs.Table, Key: rs.Key, Column: l.Column, Where: compileRelatedWhere(&rs.Where, "groups.list.related.where", p), line: ln.Line}
	}
	return true
}

// Storage names where memberships are kept, for messages:
// Users.Roles, wp_usermeta.meta_value, user_groups.ug_group.
func (l *RoleList) Storage() string {
	switch {
	case l.Rows != nil:
		return l.Rows.Table + "." + l.Rows.Name
	case l.TenantRole != nil:
		return l.TenantRole.Table + "." + l.Column
	case l.Related != nil:
		return l.Related.Table + "." + l.Column
	}
	return l.Users.Table + "." + l.Column
}

// Declared reports whether name is one of the declared groups.
func (l *RoleList) Declared(name string) bool { return slices.Contains(l.Names, name) }

// Version is a declared group's meta.version and ETag. Like a table
// group's, it covers the group's own attributes, not its members (a
// version over the members would cost a read of the whole group on every
// GET, which excludedAttributes=members exists to avoid); a declared
// group's own attributes are its name, which only the mapping changes, so
// the version is a digest of the name and If-Match guards against a
// client's version of another group, or of a group the mapping renamed.
func (l *RoleList) Version(name string) string {
	h := sha256.Sum256([]byte("declared group\x00" + name))
	return `W/"` + hex.EncodeToString(h[:10]) + `"`
}

// contains is the SQL test that the list column col (qualified) may hold
// name: a superset of what the codec finds (the column's collation may
// fold case), so callers confirm each row with Holds.
func (l *RoleList) contains(col, name string) sqlstmt.Pred {
	if l.Rows != nil {
		return l.Rows.exists(l.Users, name)
	}
	switch c := l.Codec.(type) {
	case listcodec.Delimited:
		esc := " ESCAPE '" + string(listcodec.LikeEscape) + "'"
		if c.Sep == " " {
			return sqlstmt.Cond("CONCAT(' ', "+col+", ' ') LIKE ?"+esc, c.LikePattern(name))
		}
		sep, _ := sqlstmt.Literal(c.Sep)
		return sqlstmt.Cond("CONCAT("+sep+", REPLACE("+col+", ' ', ''), "+sep+") LIKE ?"+esc, c.LikePattern(name))
	case listcodec.JSONArray:
		// JSON_CONTAINS fails on text that is not JSON; such a value holds
		// no group (and is never rewritten).
		return sqlstmt.Cond("JSON_CONTAINS(IF(JSON_VALID("+col+"), "+col+", '[]'), ?)", c.Needle(name))
	case listcodec.PHPArrayKeys:
		return sqlstmt.Cond("LOCATE(?, "+col+") > 0", c.Needle(name))
	case listcodec.Single:
		return sqlstmt.Eq(col, name)
	}
	panic(fmt.Sprintf("mapping: list format %T has no SQL test", l.Codec))
}

// Holds reports whether a list value read from the column holds name, as
// the codec reads it; an unreadable value holds nothing.
func (l *RoleList) Holds(raw any, name string) bool {
	if l.Rows != nil {
		return KeyString(raw) == "1" // the SQL test is exact
	}
	s, _ := textOf(raw)
	ok, err := l.Codec.Contains(s, name)
	return err == nil && ok
}

// MembersQuery selects the in-scope users whose list may hold name, by
// id: each row is (user id, display, list value); keep the rows Holds
// confirms. With keys it looks only at those users (Entra's membership
// check, a PATCH's current members), without loading the whole group.
func (l *RoleList) MembersQuery(name string, keys []any, tenant string) sqlstmt.Select {
	u := l.Users
	id := sqlstmt.Col(aliasUser, u.IDColumn)
	from, list := l.listFrom(false)
	c := sqlstmt.And(u.scopeCond(aliasUser, u.tenantArg(tenant), ""), l.tenantRow(tenant), l.contains(list, name))
	if keys != nil {
		c = sqlstmt.And(c, keysIn(id, keys))
	}
	display := (&Membership{Users: u}).userDisplayExpr(aliasUser)
	return sqlstmt.Select{Columns: []string{id, display, list}, From: from, Where: c, Order: []sqlstmt.OrderKey{{Expr: id}}}
}

// listFrom is the users table, joined with the related rows that hold the
// lists when there are any (a LEFT JOIN when outer, to see users without
// one), and the list column's qualified name.
func (l *RoleList) listFrom(outer bool) (from, list string) {
	users := sqlstmt.Table(l.Users.Table, aliasUser)
	rel := l.Related
	if l.Rows != nil {
		return users, "1"
	}
	if t := l.TenantRole; t != nil {
		// Every user in the tenant has the row: an inner join.
		on := sqlstmt.Col(aliasMember, t.User) + " = " + sqlstmt.Col(aliasUser, l.Users.IDColumn)
		return sqlstmt.Join(users, t.Table, aliasMember, on), sqlstmt.Col(aliasMember, l.Column)
	}
	if rel == nil {
		return users, sqlstmt.Col(aliasUser, l.Column)
	}
	on := sqlstmt.Col(aliasMember, rel.Key) + " = " + sqlstmt.Col(aliasUser, l.Users.IDColumn)
	for _, w := range rel.Where {
		lit, _ := sqlstmt.Literal(w.Value)
		on += " AND " + sqlstmt.Col(aliasMember, w.Column) + " = " + lit
	}
	join := sqlstmt.Join
	if outer {
		join = sqlstmt.LeftJoin
	}
	return join(users, rel.Table, aliasMember, on), sqlstmt.Col(aliasMember, rel.Column)
}

// LockLists selects, with the row lock, the list values of the given
// in-scope users, or of every in-scope user whose list may hold name when
// keys is nil (PUT replacing all members). Each row is (id, list value,
// whether the list's row exists): with a related table, a user without
// the row has NULL and false; with rows of names, the list value is
// whether she has a live row naming the group, and the last column
// whether she has one at all (an expired row, which an add revives).
func (l *RoleList) LockLists(name string, keys []any, tenant string) sqlstmt.Select {
	u := l.Users
	id := sqlstmt.Col(aliasUser, u.IDColumn)
	from, list := l.listFrom(keys != nil)
	exists := "1"
	if l.Related != nil {
		exists = sqlstmt.Col(aliasMember, l.Related.Key) + " IS NOT NULL"
	}
	c := sqlstmt.And(u.scopeCond(aliasUser, u.tenantArg(tenant), ""), l.tenantRow(tenant))
	var colArgs []any
	if keys == nil {
		c = sqlstmt.And(c, l.contains(list, name))
	} else {
		c = sqlstmt.And(c, keysIn(id, keys))
		if l.Rows != nil {
			held, row := l.Rows.exists(u, name), l.Rows.anyRow(u, name)
			list, exists = held.SQL(), row.SQL()
			colArgs = append(held.Args(), row.Args()...)
		}
	}
	return sqlstmt.Select{Columns: []string{id, list, exists}, ColumnArgs: colArgs, From: from, Where: c, Order: []sqlstmt.OrderKey{{Expr: id}}, Lock: true}
}

// UserKeys parses member ids into key values of the users' id column.
// Ids that cannot be keys are returned as invalid.
func (l *RoleList) UserKeys(ids []string) (keys []any, invalid []string) {
	return (&Membership{Users: l.Users}).UserKeys(ids)
}

// ListEdit is a user's new list value; Insert says the user has no row
// of the related table yet.
type ListEdit struct {
	Key    any
	Value  string
	Insert bool
}

// WriteLists returns the statements that write the edited lists back,
// none when there are none (a no-op writes nothing): one UPDATE of the
// lists that exist,
//
//	UPDATE users SET Roles = CASE id WHEN ? THEN ? ... END WHERE scope AND id IN (...)
//
// and, with a related table, one INSERT of the rows users lack.
func (l *RoleList) WriteLists(name string, edits []ListEdit, tenant string) []sqlstmt.Statement {
	if l.Rows != nil {
		return l.Rows.writes(name, edits)
	}
	var out []sqlstmt.Statement
	var b strings.Builder
	var args, keys []any
	var inserts [][]any
	for _, e := range edits {
		if e.Insert {
			inserts = append(inserts, []any{e.Key, e.Value})
			continue
		}
		b.WriteString(" WHEN ? THEN ?")
		args = append(args, e.Key, e.Value)
		keys = append(keys, e.Key)
	}
	u := l.Users
	if len(keys) > 0 {
		table, id, where := u.Table, sqlstmt.Ident(u.IDColumn), u.scopeCond("", u.tenantArg(tenant), "")
		if rel := l.Related; rel != nil {
			// The users were read in scope, with the lock, in this transaction.
			table, id, where = rel.Table, sqlstmt.Ident(rel.Key), rel.selector("")
		}
		if t := l.TenantRole; t != nil {
			// The tenant's membership rows, read with the lock.
			table, id, where = t.Table, sqlstmt.Ident(t.User), sqlstmt.Eq(sqlstmt.Ident(t.Tenant), u.tenantArg(tenant))
		}
		where = sqlstmt.And(where, keysIn(id, keys))
		out = append(out, listWrite{table: table, column: l.Column, expr: "CASE " + id + b.String() + " END", args: args, where: where})
	}
	if len(inserts) > 0 {
		rel := l.Related
		cols := []string{rel.Key}
		var fixed []any
		for _, w := range rel.Where {
			cols = append(cols, w.Column)
			fixed = append(fixed, w.Value)
		}
		cols = append(cols, rel.Column)
		var rows [][]any
		for _, in := range inserts {
			rows = append(rows, slices.Concat([]any{in[0]}, fixed, []any{in[1]}))
		}
		out = append(out, sqlstmt.InsertRows{Table: rel.Table, Columns: cols, Rows: rows})
	}
	return out
}

// listWrite is an UPDATE whose one assignment is an expression with
// arguments (a CASE over the users written).
type listWrite struct {
	table, column, expr string
	args                []any
	where               sqlstmt.Pred
}

// SQL implements sqlstmt.Statement.
func (w listWrite) SQL() (string, []any) {
	return "UPDATE " + sqlstmt.Ident(w.table) + " SET " + sqlstmt.Ident(w.column) + " = " + w.expr + " WHERE " + w.where.SQL(), append(slices.Clone(w.args), w.where.Args()...)
}

// EditList returns raw with name added or removed; changed is false when
// the list already says so. An unreadable value is an error, never
// rewritten.
func (l *RoleList) EditList(raw any, name string, add bool) (out string, changed bool, err error) {
	if l.Rows != nil {
		held := l.Holds(raw, name)
		return map[bool]string{true: "1", false: "0"}[add], held != add, nil
	}
	s, _ := textOf(raw)
	if add {
		out, err = l.Codec.Add(s, []string{name})
	} else {
		out, err = l.Codec.Remove(s, []string{name})
	}
	if err != nil {
		return "", false, fmt.Errorf("the %s column holds a value this server cannot read, and leaves it as it is: %w", l.Column, err)
	}
	return out, out != s, nil
}
