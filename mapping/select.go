package mapping

import (
	"slices"
	"sort"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// buildSelect fixes the SQL expressions a read selects and where each
// attribute finds its value in a Row: plain columns once each, and for a
// lookup attribute a scalar subquery that reads the value by the key, for a
// related attribute one that reads it from the user's related row.
func (r *Resource) buildSelect() {
	r.colIndex = map[string]int{}
	r.selectExprs = nil
	add := func(col string) int {
		lc := strings.ToLower(col)
		if i, ok := r.colIndex[lc]; ok {
			return i
		}
		r.selectExprs = append(r.selectExprs, sqlstmt.Ident(col))
		r.colIndex[lc] = len(r.selectExprs) - 1
		return len(r.selectExprs) - 1
	}
	add(r.IDColumn)
	id := sqlstmt.Ident(r.IDColumn)
	r.idOrders = [2][]sqlstmt.OrderKey{{{Expr: id}}, {{Expr: id, Desc: true}}}
	r.fromTable = sqlstmt.Ident(r.Table)
	if r.Active != nil && r.Active.Column != "" {
		r.activeIdx = add(r.Active.Column)
	}
	r.metaCols = nil
	for _, c := range []string{r.CreatedColumn, r.LastModifiedColumn, r.VersionColumn} {
		if c != "" {
			r.metaCols = append(r.metaCols, metaColumn{name: c, idx: add(c), unit: r.epochOf(c)})
		}
	}
	for _, a := range r.Attributes {
		a.relIdx = -1
		switch {
		case a.Related != nil:
			r.selectExprs = append(r.selectExprs, "("+r.relatedValueSQL(a)+")")
		case a.Lookup != nil:
			r.selectExprs = append(r.selectExprs, "("+r.lookupValueSQL(a)+")")
		default:
			a.colIdx = add(a.Column)
			continue
		}
		a.colIdx = len(r.selectExprs) - 1
	}
	// Whether a related row exists, when its value column can be NULL:
	// a write then knows whether to UPDATE or INSERT it.
	for _, a := range r.Attributes {
		if a.Related != nil && a.Related.nullable {
			r.selectExprs = append(r.selectExprs, r.relatedExistsSQL(a))
			a.relIdx = len(r.selectExprs) - 1
		}
	}
	r.addLifecycleSelect()
	// The keys lookups store, too: a write that resolves to the key
	// already stored is no change (DropUnchanged).
	for _, a := range r.Attributes {
		if a.Lookup != nil {
			add(a.Column)
		}
	}
}

// lookupValueSQL is the subquery that reads a lookup attribute's value
// for the current row.
func (r *Resource) lookupValueSQL(a *Attribute) string {
	l := a.Lookup
	lt := sqlstmt.Ident(l.Table)
	sql := "SELECT " + lt + "." + sqlstmt.Ident(l.Match) + " FROM " + lt + " WHERE " + lt + "." + sqlstmt.Ident(l.Key) + " = " + r.qualified(a.Column)
	if l.Tenant != "" {
		sql += " AND " + lt + "." + sqlstmt.Ident(l.Tenant) + " = " + r.qualified(r.TenantColumn)
	}
	return sql
}

// qualified names a column of the resource's table from inside a subquery.
func (r *Resource) qualified(col string) string {
	t := r.Table
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		t = t[i+1:]
	}
	return sqlstmt.Ident(t) + "." + sqlstmt.Ident(col)
}

// SelectExprs lists the SQL expressions a read of this resource selects; a
// Row holds their values in this order.
func (r *Resource) SelectExprs() []string { return r.selectExprs }

// SelectExprsFor is SelectExprs plus what the projection asks for beyond
// the row's own columns (a user's groups, returned on request only), and
// the arguments of those expressions' placeholders, which come before the
// WHERE clause's. tenant is the caller's: under tenant_through a user's
// groups are those of the token's tenant.
func (r *Resource) SelectExprsFor(p Projection, tenant string) ([]string, []any) {
	if r.groupsExpr == "" || !p.Includes("groups") {
		return r.selectExprs, nil
	}
	return append(append(make([]string, 0, len(r.selectExprs)+1), r.selectExprs...), r.groupsExpr), r.bindTenantArgs(r.groupsArgs, tenant)
}

// Columns lists every column of the resource's table the mapping names.
func (r *Resource) Columns() []string {
	seen := map[string]bool{}
	var out []string
	for _, ref := range r.refs {
		if lc := strings.ToLower(ref.column); ref.table == "" && !seen[lc] {
			seen[lc] = true
			out = append(out, ref.column)
		}
	}
	sort.Strings(out)
	return out
}

// tables lists the resource's table and every lookup table.
func (r *Resource) tables() []string {
	out := []string{r.Table}
	for _, ref := range r.refs {
		if ref.table != "" && !slices.Contains(out, ref.table) {
			out = append(out, ref.table)
		}
	}
	return out
}
