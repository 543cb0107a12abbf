package mapping

import (
	"slices"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// The keyset walk. legacy pages through a list by continuing after the
// last key it returned: WHERE <scope> AND id > ? ORDER BY id LIMIT n. With
// a tenant, MariaDB 10.11 plans that as `ref` access on an index (org_id,
// id) with only org_id as the key part, checking id > ? row by row, so it
// reads the tenant's index entries from the start on every page: 27-33 ms
// at id 306,000 on the 1M-user bench database, growing with depth. Forced
// to that index it is a `range` on (org_id, id), which starts at the key:
// 0.18 ms. The row comparison (org_id, id) > (?, ?) is worse (546 ms), and
// without a tenant `id > ?` is already a range on the primary key. So the
// list statement names the index its walk reads, when the binding knows
// one (BindIndexes), and check says when no index can serve it.

// BindIndexes records the live indexes of the mapped tables (by table
// name, as Tables lists them): each resource's keyset walk reads through
// the index KeysetIndex chooses from them. Call it after Bind; without it
// lists are left to the optimizer.
func (c *Config) BindIndexes(all map[string][]Index) {
	for _, r := range []*Resource{c.Users, c.Groups} {
		if r != nil {
			r.keysetIndex = r.chooseKeysetIndex(all[r.Table])
		}
	}
}

// KeysetIndex is the index that unfiltered lists of the resource, in id
// order, are read through (FORCE INDEX), or "" when they are left to the
// optimizer: the primary key serves when the scope fixes no column, and
// no index may fit.
func (r *Resource) KeysetIndex() string { return r.keysetIndex }

// boundColumns are the columns every statement of the resource binds to
// one value: the tenant first, then the single-valued scope terms.
func (r *Resource) boundColumns() []string {
	var bound []string
	if r.TenantColumn != "" {
		bound = append(bound, r.TenantColumn)
	}
	for _, t := range r.Scope {
		if !t.Negate && len(t.Values) == 1 && t.Values[0] != nil {
			bound = append(bound, t.Column)
		}
	}
	return bound
}

// chooseKeysetIndex picks, of a table's indexes, the one whose columns are
// some of the bound columns (the tenant among them, when there is one),
// in any order, and then the id column: with those columns fixed by
// equality, it holds the rows in scope in id order, so that id > ? is a
// range on it. InnoDB appends the primary key to every secondary index,
// so an index on (org_id) alone is (org_id, id) when id is the primary
// key. Of several, the one with the most bound columns before the id
// wins (it reads past the fewest rows out of scope); the first of equals
// in the order given. None is chosen when nothing is bound: id > ? is a
// range on the primary key already.
func (r *Resource) chooseKeysetIndex(idx []Index) string {
	bound := r.boundColumns()
	if len(bound) == 0 {
		return ""
	}
	var primary []string
	for _, ix := range idx {
		if ix.Name == "PRIMARY" {
			primary = ix.Columns
		}
	}
	isBound := func(c string) bool {
		return slices.ContainsFunc(bound, func(b string) bool { return strings.EqualFold(b, c) })
	}
	best, bestLen := "", 0
	for _, ix := range idx {
		cols := ix.Columns
		if ix.Name != "PRIMARY" {
			cols = append(slices.Clip(cols), primary...)
		}
		n, tenant := 0, r.TenantColumn == ""
		for _, c := range cols {
			if strings.EqualFold(c, r.IDColumn) {
				if n > bestLen && tenant {
					best, bestLen = ix.Name, n
				}
				break
			}
			if !isBound(c) {
				break
			}
			tenant = tenant || strings.EqualFold(c, r.TenantColumn)
			n++
		}
	}
	return best
}

// walksKeysetIndex reports whether a list with this filter and order is
// the walk KeysetIndex serves: no filter (a filter's own index may find
// its rows faster than any walk in id order) and the id as the only order
// key, in either direction.
func (r *Resource) walksKeysetIndex(filter string, order []sqlstmt.OrderKey) bool {
	if r.keysetIndex == "" || strings.TrimSpace(filter) != "" || len(order) != 1 {
		return false
	}
	if r.idOrders[0] != nil {
		return order[0].Expr == r.idOrders[0][0].Expr
	}
	return order[0].Expr == sqlstmt.Ident(r.IDColumn)
}
