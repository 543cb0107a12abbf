package mapping

import (
	"slices"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"gopkg.in/yaml.v3"
)

// Related says an attribute is stored in a row of another table that
// belongs to the user: the row of Table whose Key column holds the user's
// id and whose Where columns hold fixed values. A profile table joined one
// to one has no Where; a one-to-many table has the condition that picks
// the one row (Redmine's email_addresses row with is_default = 1,
// WordPress's wp_usermeta row with meta_key = 'first_name').
//
//	emails[type eq "work"].value:
//	  column: address
//	  related: { table: email_addresses, key: user_id, where: { is_default: 1 } }
//
// reads "the work e-mail is the address of the email_addresses row whose
// user_id is the user's id and whose is_default is 1". The row belongs to
// the user through the id column, the table's key: every statement on it
// names a user already confined to the scope and tenant (a read's
// correlated subquery, a write's locked row), so a related table needs no
// tenant column of its own.
type Related struct {
	// Table is the related table, or database.table.
	Table string
	// Key is the column of Table that holds the user's id.
	Key string
	// Where are the fixed values that pick the row; they are written into
	// a row SCIM inserts, so that it is the row the mapping reads.
	Where []ColumnValue
	// Column holds the attribute's value.
	Column string
	// FirstBy orders the rows when several match (no unique key over Key
	// and the Where columns): reads show the first, writes change only it.
	// From first_by, or the table's AUTO_INCREMENT column after Bind.
	FirstBy string
	// Created and LastModified are stamped with NOW() when SCIM inserts
	// the row (both) or updates it (LastModified), for apps whose rows
	// carry NOT NULL timestamps (Redmine's created_on, updated_on).
	Created      string
	LastModified string

	firstByGiven bool
	// nullable says the value column can hold NULL, so a NULL read does
	// not tell whether the row exists; set by Bind.
	nullable bool
	line     int
}

// compileRelated reads `related:` of an attribute whose `column:` names
// the value column of the related table.
func (r *Resource) compileRelated(a *Attribute, spec AttributeSpec, v *yaml.Node, ak string, p *problems) bool {
	rs := spec.Related
	rn := valueOf(v, "related")
	key := ak + ".related"
	before := len(p.list)
	if rs.Table == "" || rs.Key == "" || spec.Column == "" {
		p.add(rn.Line, key, "needs table and key, and the attribute needs column (the related table's column holding the value), as in column: address, related: { table: email_addresses, key: user_id, where: { is_default: 1 } }")
		return false
	}
	if spec.Lookup != nil {
		p.add(v.Line, ak, "give lookup or related, not both")
		return false
	}
	if (a.Name == "userName" && a.SchemaURI == UserSchema) || (a.Name == "displayName" && a.SchemaURI == GroupSchema) {
		p.add(rn.Line, key, "%s must be a column of %s itself: Okta looks it up on every push and memberships show it", a.Name, r.Table)
		return false
	}
	parts := strings.Split(rs.Table, ".")
	for _, part := range parts {
		if !isIdent(part) || len(parts) > 2 {
			p.add(lineOf(rn, "table"), key+".table", "%q is not a valid table name", rs.Table)
			return false
		}
	}
	if strings.EqualFold(rs.Table, r.Table) {
		p.add(lineOf(rn, "table"), key+".table", "%s is the %s table itself: map the column directly with column:", rs.Table, r.key)
		return false
	}
	rel := &Related{Table: rs.Table, Key: rs.Key, Column: spec.Column, FirstBy: rs.FirstBy, firstByGiven: rs.FirstBy != "", Created: rs.Created, LastModified: rs.LastModified, nullable: true, line: rn.Line}
	cols := []struct{ name, field string }{{rs.Key, "related.key"}, {spec.Column, "column"}, {rs.FirstBy, "related.first_by"}, {rs.Created, "related.created"}, {rs.LastModified, "related.last_modified"}}
	for _, c := range cols {
		if c.name != "" && !isIdent(c.name) {
			line := lineOf(v, "column")
			if f, ok := strings.CutPrefix(c.field, "related."); ok {
				line = lineOf(rn, f)
			}
			p.add(line, ak+"."+c.field, "%q is not a valid column name: use letters, digits, _ and $ (at most 64), not starting with a digit", c.name)
		}
	}
	rel.Where = compileRelatedWhere(&rs.Where, key+".where", p)
	if len(p.list) > before {
		return false
	}
	used := map[string]string{}
	for _, c := range append(cols, relatedWhereCols(rel)...) {
		if c.name == "" {
			continue
		}
		lc := strings.ToLower(c.name)
		if prev, dup := used[lc]; dup {
			p.add(rn.Line, key, "column %q is both %s and %s: each names a different column of %s", c.name, prev, c.field, rs.Table)
			return false
		}
		used[lc] = c.field
		line := lineOf(rn, strings.TrimPrefix(c.field, "related."))
		if c.field == "column" {
			line = lineOf(v, "column")
		}
		r.refs = append(r.refs, columnRef{table: rs.Table, column: c.name, line: line, key: ak + "." + c.field})
	}
	a.Related = rel
	return true
}

// relatedWhereCols lists the selector's columns for the checks above.
func relatedWhereCols(rel *Related) []struct{ name, field string } {
	out := make([]struct{ name, field string }, len(rel.Where))
	for i, w := range rel.Where {
		out[i] = struct{ name, field string }{w.Column, "related.where." + w.Column}
	}
	return out
}

// compileRelatedWhere reads the selector: column: value pairs whose values
// are integers (true and false are 1 and 0) or plain words.
func compileRelatedWhere(n *yaml.Node, key string, p *problems) []ColumnValue {
	if n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, key, "expected a mapping of column: value, as in where: { is_default: 1 }, got %s", describeNode(n))
		return nil
	}
	var out []ColumnValue
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ck := joinKey(key, k.Value)
		if !isIdent(k.Value) {
			p.add(k.Line, ck, "%q is not a valid column name", k.Value)
			continue
		}
		val, ok := scalarValue(v)
		switch x := val.(type) {
		case bool:
			val = map[bool]int64{true: 1, false: 0}[x]
		case string:
			ok = ok && sqlstmt.PlainWord(x)
		case int64:
		default:
			ok = false
		}
		if !ok {
			p.add(v.Line, ck, "expected an integer or a plain word (printable ASCII without quotes or backslashes), got %s", describeNode(v))
			continue
		}
		out = append(out, ColumnValue{Column: k.Value, Value: val})
	}
	return out
}

// bindRelated completes related attributes with the live schema: the
// AUTO_INCREMENT column orders rows when first_by is not given, and a NOT
// NULL value column tells by itself whether the row exists. The select
// list is built again with them. A writable attribute whose row SCIM
// would insert without a NOT NULL column's value is refused.
func (r *Resource) bindRelated(p *problems) {
	found := false
	for _, a := range r.Attributes {
		rel := a.Related
		if rel == nil {
			continue
		}
		found = true
		rel.nullable = r.columnOf(rel.Table, rel.Column).Nullable
		if a.Mutability != ReadOnly {
			r.checkRelatedInsert(a, p)
		}
		if rel.firstByGiven {
			continue
		}
		rel.FirstBy = ""
		for _, c := range r.tableColumns[rel.Table] {
			if c.AutoIncrement {
				rel.FirstBy = c.Name
			}
		}
	}
	if found {
		r.buildSelect()
	}
}

// checkRelatedInsert verifies that the row SCIM inserts for a gets a value
// for every NOT NULL column without a default.
func (r *Resource) checkRelatedInsert(a *Attribute, p *problems) {
	rel := a.Related
	written := map[string]bool{}
	for _, c := range append(rel.selectorColumns(), rel.Column, rel.Created, rel.LastModified) {
		written[strings.ToLower(c)] = true
	}
	var missing []string
	for name, c := range r.tableColumns[rel.Table] {
		if !written[name] && !c.Nullable && c.Default == nil && !c.AutoIncrement && !c.Generated {
			missing = append(missing, c.Name)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		p.add(rel.line, r.attrKey(a)+".related", "SCIM inserts a row of %s when a user has none, but NOT NULL columns without a default would get no value: %s; name a creation and a modification time with created: and last_modified: (set to NOW()), or map %s readOnly", rel.Table, strings.Join(missing, ", "), a.Path())
	}
}

// checkRelated reports related attributes whose selector can match several
// rows with no order to pick one, and proposes the index that serves the
// read: the key, the selector's columns, then the value column.
func (r *Resource) checkRelated(all map[string][]Index, add addFunc, fx *fixer) {
	for _, a := range r.Attributes {
		rel := a.Related
		if rel == nil {
			continue
		}
		sel := rel.selectorColumns()
		if rel.FirstBy == "" && !uniqueOver(all[rel.Table], sel) {
			add(SevError, "related", a.Line, r.attrKey(a)+".related", "%s can match several rows of %s (no unique key over %s) and there is no order to pick one: add first_by: <a unique column of %s, such as its id>, or a unique key over (%s)", a.Path(), rel.Table, strings.Join(sel, ", "), rel.Table, strings.Join(sel, ", "))
		}
		cols := append(sel, rel.Column)
		if !hasIndexPrefix(all[rel.Table], cols) {
			f := add(SevWarning, "index", a.Line, r.attrKey(a)+".related", "%s is read from %s for every user, but no index starts with %s: each read scans the user's rows", a.Path(), rel.Table, strings.Join(cols, ", "))
			fx.indexFix(f, rel.Table, cols...)
		}
		// Okta matches imported users by e-mail and Entra by externalId:
		// such a filter looks the value up among every user's rows.
		if (a.Name == "emails" && a.Sub == "value") || a.Name == "externalId" {
			lookup := append([]string{rel.Column}, sel[1:]...)
			if !hasIndexPrefix(all[rel.Table], lookup[:1]) {
				f := add(SevWarning, "index", a.Line, r.attrKey(a)+".related", "%s is looked up by Okta or Entra (%s eq \"...\"), but no index of %s starts with %s: each lookup scans the table", a.Path(), a.Path(), rel.Table, rel.Column)
				fx.indexFix(f, rel.Table, append(lookup, rel.Key)...)
			}
		}
	}
}

// selectorColumns are the key and the selector's columns.
func (rel *Related) selectorColumns() []string {
	out := []string{rel.Key}
	for _, w := range rel.Where {
		out = append(out, w.Column)
	}
	return out
}

// uniqueOver reports whether a unique index has only columns of cols, so
// that at most one row matches fixed values of cols.
func uniqueOver(idx []Index, cols []string) bool {
	for _, ix := range idx {
		if !ix.Unique || len(ix.Columns) == 0 {
			continue
		}
		inside := true
		for _, c := range ix.Columns {
			if !slices.ContainsFunc(cols, func(x string) bool { return strings.EqualFold(x, c) }) {
				inside = false
			}
		}
		if inside {
			return true
		}
	}
	return false
}

// relatedPrivilegeNeeds adds what writing related attributes needs: UPDATE
// of the value (and last_modified) column, INSERT of the row's columns and
// DELETE on the related table. It reports whether any attribute is
// written, which bumps the user's own meta columns.
func (r *Resource) relatedPrivilegeNeeds(add func(priv, table, column string, line int, key, why string)) bool {
	wrote := false
	for _, a := range r.Attributes {
		rel := a.Related
		if rel == nil || a.Mutability == ReadOnly {
			continue
		}
		wrote = true
		key := r.attrKey(a) + ".related"
		why := "written by PATCH, PUT and POST of " + a.Path()
		for _, c := range []string{rel.Column, rel.LastModified} {
			if c != "" {
				add("UPDATE", rel.Table, c, rel.line, key, why)
			}
		}
		for _, c := range append(rel.selectorColumns(), rel.Column, rel.Created, rel.LastModified) {
			if c != "" {
				add("INSERT", rel.Table, c, rel.line, key, why+" (a user without the row gets one)")
			}
		}
		add("DELETE", rel.Table, "", rel.line, key, "removing "+a.Path()+" deletes its row")
	}
	return wrote
}

// storedColumn is the live column an attribute's value is stored in and
// its name for a finding: a column of the resource's table, or table.column
// of a related row. ok is false for a lookup (its value is another table's
// row) and for a column the table does not have.
func (r *Resource) storedColumn(a *Attribute) (col *Column, name string, ok bool) {
	switch {
	case a.Lookup != nil:
		return nil, "", false
	case a.Related != nil:
		rel := a.Related
		c, ok := r.tableColumns[rel.Table][strings.ToLower(rel.Column)]
		return c, rel.Table + "." + rel.Column, ok
	}
	if !r.hasColumn(a.Column) {
		return nil, "", false
	}
	return r.column(a.Column), a.Column, true
}
