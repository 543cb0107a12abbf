package mapping

import (
	"fmt"
	"slices"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"gopkg.in/yaml.v3"
)

// ScopeExists is a scope condition on related rows: a user is in scope
// only when Table holds a row whose Key column is the user's id and whose
// Where columns hold their values. Grafana's SSO users are those with a
// user_auth row of auth_module 'auth.saml':
//
//	scope:
//	  is_service_account: 0
//	  exists: { table: user_auth, key: user_id, where: { auth_module: auth.saml } }
//
// reads "SCIM sees the users that are not service accounts and for which
// a user_auth row exists whose user_id is the user's id and whose
// auth_module is auth.saml". Every statement that carries the scope
// carries the EXISTS too; a POST (create: allow) inserts the row, after
// the user's row, in the same transaction.
type ScopeExists struct {
	// Table is the related table, or database.table.
	Table string
	// Key is the column of Table that holds the user's id.
	Key string
	// Where are the fixed values the row must hold; a created user's row
	// gets them.
	Where []ColumnValue
	// Created is a column set to NOW() when SCIM inserts the row.
	Created string
	line    int
	key     string
}

// scopeExistsAlias names the related table inside the n-th EXISTS, so
// that its columns never resolve to the outer statement's tables.
func scopeExistsAlias(n int) string { return fmt.Sprintf("rs_s%d", n) }

// compileScopeExists reads scope.exists: one { table, key, where } or a
// list of them, all of which must hold.
func (r *Resource) compileScopeExists(n *yaml.Node, key string, p *problems) {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	if len(items) == 0 {
		p.add(n.Line, key, "expected { table, key, where } or a list of them, got an empty list")
		return
	}
	for i, it := range items {
		ik := key
		if n.Kind == yaml.SequenceNode {
			ik = fmt.Sprintf("%s[%d]", key, i)
		}
		if it.Kind != yaml.MappingNode {
			p.add(it.Line, ik, "expected { table, key, where }, as in exists: { table: user_auth, key: user_id, where: { auth_module: auth.saml } }, got %s", describeNode(it))
			continue
		}
		var spec ScopeExistsSpec
		before := len(p.list)
		decodeStrict(it, ik, &spec, p)
		if len(p.list) > before {
			continue
		}
		r.addScopeExists(spec, it, ik, p)
	}
}

func (r *Resource) addScopeExists(spec ScopeExistsSpec, n *yaml.Node, key string, p *problems) {
	if spec.Table == "" || spec.Key == "" {
		p.add(n.Line, key, "needs table and key: the related table and its column holding the user's id, as in { table: user_auth, key: user_id, where: { auth_module: auth.saml } }")
		return
	}
	parts := strings.Split(spec.Table, ".")
	for _, part := range parts {
		if !isIdent(part) || len(parts) > 2 {
			p.add(lineOf(n, "table"), key+".table", "%q is not a valid table name", spec.Table)
			return
		}
	}
	if strings.EqualFold(spec.Table, r.Table) {
		p.add(lineOf(n, "table"), key+".table", "%s is the %s table itself: write a column condition, as in scope: { auth_source: saml }", spec.Table, r.key)
		return
	}
	before := len(p.list)
	for _, c := range []struct{ name, field string }{{spec.Key, "key"}, {spec.Created, "created"}} {
		if c.name != "" && !isIdent(c.name) {
			p.add(lineOf(n, c.field), key+"."+c.field, "%q is not a valid column name: use letters, digits, _ and $ (at most 64), not starting with a digit", c.name)
		}
	}
	e := ScopeExists{Table: spec.Table, Key: spec.Key, Created: spec.Created, line: n.Line, key: key}
	e.Where = compileRelatedWhere(&spec.Where, key+".where", p)
	if len(p.list) > before {
		return
	}
	cols := []string{e.Key}
	for _, w := range e.Where {
		cols = append(cols, w.Column)
	}
	if e.Created != "" {
		cols = append(cols, e.Created)
	}
	seen := map[string]bool{}
	for _, c := range cols {
		lc := strings.ToLower(c)
		if seen[lc] {
			p.add(n.Line, key, "column %q is named twice: key, where and created each name a different column of %s", c, e.Table)
			return
		}
		seen[lc] = true
		r.refs = append(r.refs, columnRef{table: e.Table, column: c, line: n.Line, key: key})
	}
	r.ScopeExists = append(r.ScopeExists, e)
}

// scopeExistsCond is the EXISTS of every scope.exists, correlated with the
// resource's row: `alias`.`id` when the statement names the table by an
// alias, the table's own name otherwise.
func (r *Resource) scopeExistsCond(alias string) sqlstmt.Pred {
	outer := r.qualified(r.IDColumn)
	if alias != "" {
		outer = sqlstmt.Col(alias, r.IDColumn)
	}
	c := sqlstmt.True
	for i, e := range r.ScopeExists {
		a := scopeExistsAlias(i)
		w := sqlstmt.Cond(sqlstmt.Col(a, e.Key) + " = " + outer)
		for _, v := range e.Where {
			w = sqlstmt.And(w, sqlstmt.Eq(sqlstmt.Col(a, v.Column), v.Value))
		}
		c = sqlstmt.And(c, sqlstmt.Exists(sqlstmt.Table(e.Table, a), w))
	}
	return c
}

// sameRow reports whether a related attribute is stored in the row a
// scope.exists requires: same table, key and selector. Creating a user
// then inserts one row holding both, and removing the attribute cannot
// delete the row that keeps the user in scope.
func (e ScopeExists) sameRow(rel *Related) bool {
	if rel == nil || !strings.EqualFold(e.Table, rel.Table) || !strings.EqualFold(e.Key, rel.Key) || len(e.Where) != len(rel.Where) {
		return false
	}
	for _, w := range e.Where {
		if !slices.ContainsFunc(rel.Where, func(x ColumnValue) bool {
			return strings.EqualFold(x.Column, w.Column) && x.Value == w.Value
		}) {
			return false
		}
	}
	return true
}

// inScopeRow reports whether a's related row is one a scope.exists
// requires.
func (r *Resource) inScopeRow(a *Attribute) bool {
	for _, e := range r.ScopeExists {
		if e.sameRow(a.Related) {
			return true
		}
	}
	return false
}

// ScopeInserts are the INSERTs that put a created user inside the scope:
// one row per scope.exists, with the key, the where values, created set to
// NOW(), and the values of the related attributes stored in that row.
// They run after the user's row is inserted, in its transaction; user is
// its key. A NOT NULL column of the row that only a missing attribute
// would fill is a 400 naming the attribute.
func (r *Resource) ScopeInserts(ch *Change, user any) ([]sqlstmt.Statement, error) {
	if b, ok := user.([]byte); ok {
		user = string(b)
	}
	var out []sqlstmt.Statement
	for _, e := range r.ScopeExists {
		in := sqlstmt.Insert{Table: e.Table, Set: []sqlstmt.Assignment{{Column: e.Key, Value: user}}}
		for _, w := range e.Where {
			in.Set = append(in.Set, sqlstmt.Assignment{Column: w.Column, Value: w.Value})
		}
		if e.Created != "" {
			in.Set = append(in.Set, sqlstmt.Assignment{Column: e.Created, Expr: "NOW()"})
		}
		written := map[string]bool{}
		for _, w := range ch.Related {
			rel := w.Attr.Related
			if !e.sameRow(rel) || w.Remove {
				continue
			}
			written[strings.ToLower(rel.Column)] = true
			in.Set = append(in.Set, sqlstmt.Assignment{Column: rel.Column, Value: w.Value})
			for _, c := range []string{rel.Created, rel.LastModified} {
				if c != "" && !strings.EqualFold(c, e.Created) {
					in.Set = append(in.Set, sqlstmt.Assignment{Column: c, Expr: "NOW()"})
				}
			}
		}
		for _, a := range r.Attributes {
			if !e.sameRow(a.Related) || written[strings.ToLower(a.Related.Column)] {
				continue
			}
			if c := r.columnOf(e.Table, a.Related.Column); c != nil && !c.Nullable && c.Default == nil {
				return nil, requestErr(SCIMInvalidValue, "%s is required: creating a user inserts the %s row that puts it in scope, and %s.%s needs a value", a.Path(), e.Table, e.Table, a.Related.Column)
			}
		}
		out = append(out, in)
	}
	return out, nil
}

// checkScopeExistsInsert verifies, for create: allow, that the row a
// scope.exists inserts gets a value for every NOT NULL column without a
// default: its key, where and created columns, and the columns of related
// attributes stored in it.
func (r *Resource) checkScopeExistsInsert(p *problems) {
	if r.Create != CreateAllow {
		return
	}
	for _, e := range r.ScopeExists {
		written := map[string]bool{strings.ToLower(e.Key): true, strings.ToLower(e.Created): true}
		for _, w := range e.Where {
			written[strings.ToLower(w.Column)] = true
		}
		for _, a := range r.Attributes {
			if e.sameRow(a.Related) && a.Mutability != ReadOnly {
				written[strings.ToLower(a.Related.Column)] = true
				written[strings.ToLower(a.Related.Created)] = true
				written[strings.ToLower(a.Related.LastModified)] = true
			}
		}
		var missing []string
		for name, c := range r.tableColumns[e.Table] {
			if !written[name] && !c.Nullable && c.Default == nil && !c.AutoIncrement && !c.Generated {
				missing = append(missing, c.Name)
			}
		}
		slices.Sort(missing)
		if len(missing) > 0 {
			p.add(e.line, e.key, "create: allow inserts a %s row for each created user (the scope requires it), but NOT NULL columns without a default would get no value: %s; name a creation time with created: (set to NOW()), or map the column as a related attribute of that row", e.Table, strings.Join(missing, ", "))
		}
	}
}

// checkScopeExists proposes the index that serves the EXISTS of every
// statement: the key, then the where columns.
func (r *Resource) checkScopeExists(all map[string][]Index, add addFunc, fx *fixer) {
	for _, e := range r.ScopeExists {
		cols := []string{e.Key}
		for _, w := range e.Where {
			cols = append(cols, w.Column)
		}
		if !hasIndexPrefix(all[e.Table], cols) {
			f := add(SevWarning, "index", e.line, e.key, "every statement tests that the user has a %s row (scope.exists), but no index of %s starts with %s: each test scans the table", e.Table, e.Table, strings.Join(cols, ", "))
			fx.indexFix(f, e.Table, cols...)
		}
	}
}

// scopeExistsPrivilegeNeeds adds the INSERT a create needs on each
// scope.exists row (SELECT comes with the columns the mapping names).
func (r *Resource) scopeExistsPrivilegeNeeds(add func(priv, table, column string, line int, key, why string)) {
	if r.Create != CreateAllow {
		return
	}
	for _, e := range r.ScopeExists {
		cols := []string{e.Key, e.Created}
		for _, w := range e.Where {
			cols = append(cols, w.Column)
		}
		for _, c := range cols {
			if c != "" {
				add("INSERT", e.Table, c, e.line, e.key, "POST inserts the row that puts a created user in scope")
			}
		}
	}
}

// scopeRowDeletes remove a locked user's rows that scope.exists requires,
// then the user's row: by its id and the scope's own columns, as the
// EXISTS no longer holds once its rows are gone (the lock taken inside
// the whole scope, in this transaction, is what confines the delete).
func (t Target) scopeRowDeletes(user any) []sqlstmt.Statement {
	if len(t.r.ScopeExists) == 0 {
		return []sqlstmt.Statement{t.Delete()}
	}
	var out []sqlstmt.Statement
	for _, e := range t.r.ScopeExists {
		w := sqlstmt.Eq(sqlstmt.Ident(e.Key), user)
		for _, v := range e.Where {
			w = sqlstmt.And(w, sqlstmt.Eq(sqlstmt.Ident(v.Column), v.Value))
		}
		out = append(out, sqlstmt.Delete{Table: e.Table, Where: w})
	}
	return append(out, sqlstmt.Delete{Table: t.r.Table, Where: t.locked()})
}

// CheckScopeRows refuses, before anything is written, a create whose
// scope.exists row would lack a NOT NULL value only an attribute gives.
func (r *Resource) CheckScopeRows(ch *Change) error {
	_, err := r.ScopeInserts(ch, int64(0))
	return err
}
