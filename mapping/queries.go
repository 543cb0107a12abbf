package mapping

import (
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// The statements a SCIM request becomes. adapter asks for them, legacy runs
// them; neither writes SQL.

// ListRequest is what a list request asks for (RFC 7644 §3.4.2), parsed
// from its query parameters.
type ListRequest struct {
	Filter     string
	SortBy     string
	Descending bool
	Projection Projection
}

// ListQuery is the statement that selects, in order, every row of the list
// a request asks for inside the caller's scope and tenant, with the
// columns its projection needs; legacy pages through it. Errors are
// *FilterError or *RequestError.
func (r *Resource) ListQuery(req ListRequest, tenant string) (sqlstmt.Select, error) {
	where, err := r.listWhere(req.Filter, tenant)
	if err != nil {
		return sqlstmt.Select{}, err
	}
	order, err := r.Order(req.SortBy, req.Descending)
	if err != nil {
		return sqlstmt.Select{}, err
	}
	q := r.selectWhere(where, req.Projection, tenant)
	q.Order = order
	if r.walksKeysetIndex(req.Filter, order) {
		q.Index = r.keysetIndex
	}
	return q, nil
}

// listWhere is the predicate of a list: the scope and tenant, and the
// filter. A filter whose shape the cache holds takes the whole predicate
// from it, built once (see filterTemplate).
func (r *Resource) listWhere(src, tenant string) (sqlstmt.Pred, error) {
	if strings.TrimSpace(src) == "" {
		return r.ScopePredicate(tenant), nil
	}
	if shape, lit, ok := splitShape(src); ok {
		if t, ok := r.filters.get(shape); ok {
			if where, ok := t.bindWhere(lit, r.tenantArg(tenant)); ok {
				return where, nil
			}
		}
	}
	f, err := r.CompileFilter(src)
	if err != nil {
		return sqlstmt.Pred{}, err
	}
	return sqlstmt.And(r.ScopePredicate(tenant), r.bindTenant(f, tenant)), nil
}

// selectWhere selects the rows where matches with the columns a read of the
// resource renders from, and those the projection adds (a user's groups).
func (r *Resource) selectWhere(where sqlstmt.Pred, p Projection, tenant string) sqlstmt.Select {
	from := r.fromTable
	if from == "" {
		from = sqlstmt.Ident(r.Table)
	}
	q := sqlstmt.Select{Columns: r.selectExprs, From: from, Where: where}
	if r.groupsExpr != "" && p.Includes("groups") {
		q.Columns, q.ColumnArgs = r.SelectExprsFor(p, tenant)
	}
	return q
}

// Target is one row of a resource inside the caller's scope and tenant,
// and the statements a request runs on it: every read and write of it is
// confined to the scope.
type Target struct {
	r     *Resource
	where sqlstmt.Pred
	// key is the row's key value and plain how it is compared (idValue),
	// kept for locked.
	key   any
	plain bool
	// tenant is the caller's, for a user's groups under tenant_through.
	tenant string
}

// Target is the row whose SCIM id is id, as the caller may see it. ok is
// false when id cannot be a key of the table (not a canonical integer for
// an integer key): the answer is 404 without a query.
func (r *Resource) Target(id, tenant string) (t Target, ok bool) {
	key, plain, ok := r.idValue(id)
	if !ok {
		return Target{}, false
	}
	t = Target{r: r, key: key, plain: plain, tenant: tenant}
	if plain && r.targetTmpl != nil {
		// The same statement as the And below, its text built once.
		t.where = r.targetTmpl.Bind(tenantMarker, r.tenantArg(tenant)).Bind(idMarker, key)
	} else {
		t.where = sqlstmt.And(r.ScopePredicate(tenant), r.idPredicate(key, plain))
	}
	return t, true
}

// locked is where without scope.exists, for the delete of a row already
// locked inside the scope, whose required rows go first. Only that delete
// needs it, so a read does not build it.
func (t Target) locked() sqlstmt.Pred {
	return sqlstmt.And(t.r.scopeColumnsPredicate(t.tenant), t.r.idPredicate(t.key, t.plain))
}

// Read selects the row with what the projection asks for.
func (t Target) Read(p Projection) sqlstmt.Select { return t.r.selectWhere(t.where, p, t.tenant) }

// Lock selects the row as a locking read (FOR UPDATE): concurrent writers
// of the row queue up behind the transaction that holds it.
func (t Target) Lock() sqlstmt.Select {
	q := t.r.selectWhere(t.where, Projection{}, t.tenant)
	q.Lock = true
	return q
}

// Delete removes the row.
func (t Target) Delete() sqlstmt.Delete { return sqlstmt.Delete{Table: t.r.Table, Where: t.where} }

// InsertStmt is the INSERT of a create (see InsertSet); id is the generated
// id, empty when the database assigns one.
func (r *Resource) InsertStmt(ch *Change, tenant string) (in sqlstmt.Insert, id string) {
	set, id := r.InsertSet(ch, tenant)
	return sqlstmt.Insert{Table: r.Table, Set: assignments(set)}, id
}

// UniqueQuery selects a row of the caller's tenant, other than exceptID,
// where attribute a equals v the way the filter `a eq v` compares (so
// "Alice@X.com" collides with "alice@x.com" for a case-insensitive
// userName). It is not limited to the scope unless the attribute says
// unique_within: scope: a local account holding the same login collides
// too, as the app's own unique key would say.
func (r *Resource) UniqueQuery(a *Attribute, v any, tenant, exceptID string) (sqlstmt.Select, error) {
	u, err := r.uniquePredicate(a, v, tenant, exceptID)
	if err != nil {
		return sqlstmt.Select{}, err
	}
	return sqlstmt.Select{Columns: []string{"1"}, From: sqlstmt.Ident(r.Table), Where: u}, nil
}

// TakenBy selects the key of the row inside the caller's scope and tenant
// that already holds value v of unique attribute a (the way UniqueQuery
// compares), as a locking read. It selects nothing when the row holding it
// is one SCIM does not manage, whose id must not be told. A client
// retrying a POST whose first attempt did commit (its answer was lost)
// learns the id of what it created this way.
func (r *Resource) TakenBy(a *Attribute, v any, tenant, exceptID string) (sqlstmt.Select, error) {
	u, err := r.uniquePredicate(a, v, tenant, exceptID)
	if err != nil {
		return sqlstmt.Select{}, err
	}
	return sqlstmt.Select{Columns: []string{sqlstmt.Ident(r.IDColumn)}, From: sqlstmt.Ident(r.Table), Where: sqlstmt.And(r.ScopePredicate(tenant), u), Limit: 1, Lock: true}, nil
}

// LookupQuery selects the key a lookup attribute stores for a value (a
// role's id by its name), in the caller's tenant when the lookup table
// has one.
func (r *Resource) LookupQuery(need LookupNeed, tenant string) sqlstmt.Select {
	l := need.Attr.Lookup
	return sqlstmt.Select{Columns: []string{sqlstmt.Ident(l.Key)}, From: sqlstmt.Ident(l.Table), Where: sqlstmt.And(sqlstmt.Eq(sqlstmt.Ident(l.Match), need.Value), r.lookupTenant(l, tenant))}
}

// KnownValuesQuery selects up to limit values a lookup attribute can take,
// sorted, for an error message that tells the client which exist.
func (r *Resource) KnownValuesQuery(a *Attribute, tenant string, limit int) sqlstmt.Select {
	l := a.Lookup
	return sqlstmt.Select{Columns: []string{sqlstmt.Ident(l.Match)}, From: sqlstmt.Ident(l.Table), Where: r.lookupTenant(l, tenant), Order: []sqlstmt.OrderKey{{Expr: "1"}}, Limit: limit}
}

// lookupTenant confines a lookup table to the caller's tenant when it has
// a tenant column.
func (r *Resource) lookupTenant(l *Lookup, tenant string) sqlstmt.Pred {
	if l.Tenant == "" {
		return sqlstmt.True
	}
	return sqlstmt.Eq(sqlstmt.Ident(l.Tenant), r.tenantArg(tenant))
}
