package mapping

import (
	"slices"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"golang.org/x/crypto/bcrypt"
)

// The statements of related attributes (see Related). A read selects the
// value with a correlated scalar subquery, so a request stays one
// statement; a filter matches the users whose related row holds the value
// (an IN subquery); a write changes, inserts or deletes the one row the
// mapping owns: key = the user's id, with the selector's values.

// relatedValueSQL is the subquery that reads a related attribute's value
// for the current row of the resource's table. LIMIT 1 keeps it a scalar
// even when the app holds several matching rows; first_by (or the table's
// AUTO_INCREMENT column) says which one counts.
func (r *Resource) relatedValueSQL(a *Attribute) string {
	rel := a.Related
	sql := "SELECT " + sqlstmt.Col(rel.Table, rel.Column) + " FROM " + sqlstmt.Ident(rel.Table) + " WHERE " + r.relatedCorrelation(rel)
	if rel.FirstBy != "" {
		sql += " ORDER BY " + sqlstmt.Col(rel.Table, rel.FirstBy)
	}
	return sql + " LIMIT 1"
}

// relatedExistsSQL says whether the user has the related row, for a value
// column that can hold NULL (a NULL value then does not tell).
func (r *Resource) relatedExistsSQL(a *Attribute) string {
	return "EXISTS (SELECT 1 FROM " + sqlstmt.Ident(a.Related.Table) + " WHERE " + r.relatedCorrelation(a.Related) + ")"
}

// relatedCorrelation ties the related table to the current row: its key is
// the row's id and its selector columns hold their values. The values are
// the mapping's own constants, written as literals (a subquery of the
// select list or of ORDER BY takes no placeholders); the mapping accepts
// only integers and plain words there.
func (r *Resource) relatedCorrelation(rel *Related) string {
	parts := []string{sqlstmt.Col(rel.Table, rel.Key) + " = " + r.qualified(r.IDColumn)}
	for _, w := range rel.Where {
		lit, _ := sqlstmt.Literal(w.Value)
		parts = append(parts, sqlstmt.Col(rel.Table, w.Column)+" = "+lit)
	}
	return strings.Join(parts, " AND ")
}

// selector is the predicate on the selector's columns, with placeholders,
// qualified by alias ("" for the bare columns of a write).
func (rel *Related) selector(alias string) sqlstmt.Pred {
	out := sqlstmt.True
	for _, w := range rel.Where {
		out = sqlstmt.And(out, sqlstmt.Eq(sqlstmt.Col(alias, w.Column), w.Value))
	}
	return out
}

// relatedTarget is the filter target of the related value column itself.
func (r *Resource) relatedTarget(t target) target {
	rel := t.related.Related
	inner := t
	inner.related = nil
	inner.expr = sqlstmt.Col(rel.Table, rel.Column)
	inner.colFacts = r.columnOf(rel.Table, rel.Column)
	return inner
}

// relatedIn is "the user has a related row, picked by the selector, that
// meets c" (c is on the related table's columns).
func (r *Resource) relatedIn(a *Attribute, c sqlstmt.Pred) sqlstmt.Pred {
	rel := a.Related
	sub := sqlstmt.Select{Columns: []string{sqlstmt.Col(rel.Table, rel.Key)}, From: sqlstmt.Ident(rel.Table), Where: sqlstmt.And(rel.selector(rel.Table), c)}
	return sqlstmt.InSelect(sqlstmt.Ident(r.IDColumn), sub)
}

// RelatedWrite is a related attribute's new value for the user's row.
type RelatedWrite struct {
	Attr *Attribute
	// Value is the value as the column stores it.
	Value any
	// Remove deletes the row: the attribute was removed and has no
	// default to write instead.
	Remove bool
}

// relatedWrite converts a SCIM value for the related column (a password
// mapped with hash: bcrypt is hashed, as in a column of the user's row). A
// removed value (nil) writes the attribute's default when it has one, and
// otherwise deletes the row.
func (r *Resource) relatedWrite(a *Attribute, v any) (RelatedWrite, error) {
	rel := a.Related
	w := RelatedWrite{Attr: a}
	if v == nil {
		if !a.HasDefault && r.inScopeRow(a) {
			return w, requestErr(SCIMMutability, "%s cannot be removed: its %s row is what puts the user in %s.scope", a.Path(), rel.Table, r.key)
		}
		if !a.HasDefault {
			w.Remove = true
			return w, nil
		}
		w.Value = a.Default
		return w, nil
	}
	if a.Hash == "bcrypt" {
		h, err := bcrypt.GenerateFromPassword([]byte(v.(string)), bcryptCost)
		if err != nil {
			return w, requestErr(SCIMInvalidValue, "password cannot be stored: %v", err)
		}
		w.Value = string(h)
		return w, nil
	}
	dbv, err := toColumn(a, r.columnOf(rel.Table, rel.Column), v)
	if err != nil {
		return w, err
	}
	w.Value = dbv
	return w, nil
}

// relatedExists says whether the row read (row) found the user's related
// row for a.
func (r *Resource) relatedExists(a *Attribute, row Row) bool {
	if a.relIdx < 0 || a.relIdx >= len(row) {
		return a.colIdx < len(row) && row[a.colIdx] != nil
	}
	s, _ := textOf(row[a.relIdx])
	return s == "1"
}

// dropUnchangedRelated keeps the related writes that change something: a
// value the row does not hold, a row to remove that exists. live records
// the attributes kept.
func (r *Resource) dropUnchangedRelated(ws []RelatedWrite, row Row, live map[string]bool) []RelatedWrite {
	var kept []RelatedWrite
	for _, w := range ws {
		a := w.Attr
		exists := r.relatedExists(a, row)
		switch {
		case w.Remove && !exists:
			continue
		case !w.Remove && exists && a.colIdx < len(row) && sameStored(r.columnOf(a.Related.Table, a.Related.Column), w.Value, row[a.colIdx]):
			continue
		}
		kept = append(kept, w)
		live[a.Path()] = true
	}
	return kept
}

// relatedStatements are the writes of a change's related attributes for
// the user whose key is user. row is the user's row as locked for the
// write, nil for a create (the user has no related rows yet). Each
// statement is confined to the rows the mapping owns: key = user and the
// selector's values.
func (r *Resource) relatedStatements(ch *Change, user any, row Row) []sqlstmt.Statement {
	if b, ok := user.([]byte); ok {
		user = string(b)
	}
	var out []sqlstmt.Statement
	for _, w := range ch.Related {
		rel := w.Attr.Related
		mine := sqlstmt.And(sqlstmt.Eq(sqlstmt.Ident(rel.Key), user), rel.selector(""))
		switch {
		case w.Remove:
			if row != nil {
				out = append(out, sqlstmt.Delete{Table: rel.Table, Where: mine})
			}
		case row != nil && r.relatedExists(w.Attr, row):
			up := sqlstmt.Update{Table: rel.Table, Set: []sqlstmt.Assignment{{Column: rel.Column, Value: w.Value}}, Where: mine}
			if rel.LastModified != "" {
				up.Set = append(up.Set, sqlstmt.Assignment{Column: rel.LastModified, Expr: "NOW()"})
			}
			if rel.FirstBy != "" {
				up.Order, up.Limit = []sqlstmt.OrderKey{{Expr: sqlstmt.Ident(rel.FirstBy)}}, 1
			}
			out = append(out, up)
		default:
			in := sqlstmt.Insert{Table: rel.Table, Set: []sqlstmt.Assignment{{Column: rel.Key, Value: user}}}
			for _, sw := range rel.Where {
				in.Set = append(in.Set, sqlstmt.Assignment{Column: sw.Column, Value: sw.Value})
			}
			in.Set = append(in.Set, sqlstmt.Assignment{Column: rel.Column, Value: w.Value})
			for _, c := range []string{rel.Created, rel.LastModified} {
				if c != "" {
					in.Set = append(in.Set, sqlstmt.Assignment{Column: c, Expr: "NOW()"})
				}
			}
			out = append(out, in)
		}
	}
	return out
}

// Writes are the statements of an update of the row, in order: the UPDATE
// of the row itself (its columns and bookkeeping: last modified, version,
// which a change of a related attribute bumps too), then the writes of
// related rows. row is the row as locked for the write.
func (t Target) Writes(ch *Change, row Row) []sqlstmt.Statement {
	var out []sqlstmt.Statement
	if set := t.r.UpdateSet(ch); len(set) > 0 {
		out = append(out, sqlstmt.Update{Table: t.r.Table, Set: assignments(set), Where: t.where})
	}
	if len(row) == 0 {
		return out
	}
	out = append(out, t.r.relatedStatements(ch, row[0], row)...)
	return append(out, lifeRowStatements(ch.life, row[0], row)...)
}

// RelatedInserts are the INSERTs of a create's related rows, run after the
// user's row is inserted; user is its key.
func (r *Resource) RelatedInserts(ch *Change, user any) []sqlstmt.Statement {
	rest := *ch
	rest.Related = slices.DeleteFunc(slices.Clone(ch.Related), func(w RelatedWrite) bool { return r.inScopeRow(w.Attr) })
	// The scope's own rows come with ScopeInserts.
	return append(r.relatedStatements(&rest, user, nil), lifeRowStatements(ch.life, user, nil)...)
}

// Deletes are the statements that remove the row: first the related rows
// its writable related attributes own (key = the user and the selector's
// values, so a foreign key to the user does not refuse the delete and no
// row is left behind), then the rows scope.exists requires, then the row
// itself. row is the row as locked.
func (t Target) Deletes(row Row) []sqlstmt.Statement {
	var out []sqlstmt.Statement
	if len(row) == 0 {
		return append(out, t.Delete())
	}
	user := row[0]
	if b, ok := user.([]byte); ok {
		user = string(b)
	}
	for _, a := range t.r.Attributes {
		if rel := a.Related; rel != nil && a.Mutability != ReadOnly && !t.r.inScopeRow(a) {
			out = append(out, sqlstmt.Delete{Table: rel.Table, Where: sqlstmt.And(sqlstmt.Eq(sqlstmt.Ident(rel.Key), user), rel.selector(""))})
		}
	}
	out = append(out, t.r.lifeRowDeletes(user)...)
	return append(out, t.scopeRowDeletes(user)...)
}
