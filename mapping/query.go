package mapping

import (
	"strconv"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping/filter"
)

// ScopePredicate restricts a statement to the rows SCIM may see and change:
// the mapping's scope and, when the mapping has tenants, the caller's
// tenant. It is part of every statement retroscim runs on the table.
func (r *Resource) ScopePredicate(tenant string) sqlstmt.Pred {
	if r.scopeTmpl != nil {
		return r.scopeTmpl.Bind(tenantMarker, r.tenantArg(tenant))
	}
	return r.scopeCond("", r.tenantArg(tenant), "")
}

// scopeColumnsPredicate is ScopePredicate without scope.exists.
func (r *Resource) scopeColumnsPredicate(tenant string) sqlstmt.Pred {
	if r.scopeColsTmpl != nil {
		return r.scopeColsTmpl.Bind(tenantMarker, r.tenantArg(tenant))
	}
	return r.scopeColumnsCond("", r.tenantArg(tenant), "")
}

// tenantMarker stands for the caller's tenant in the scope templates.
var tenantMarker = sqlstmt.NewMarker("tenant")

// buildScopeTemplates builds the scope predicates once per configuration:
// their SQL text depends on the mapping alone, and building it (quoting,
// IN lists, AND chains) was about a sixth of a GET's CPU when it ran per
// request. The tenant is bound per request. tenant_through is left to
// scopeCond: its condition is not built when there is no tenant.
func (r *Resource) buildScopeTemplates() {
	if r.TenantThrough != nil {
		return
	}
	all := r.scopeCond("", tenantMarker, "")
	cols := r.scopeColumnsCond("", tenantMarker, "")
	target := sqlstmt.And(all, sqlstmt.Eq(sqlstmt.Ident(r.IDColumn), idMarker))
	r.scopeTmpl, r.scopeColsTmpl, r.targetTmpl = &all, &cols, &target
}

// idMarker stands for the row's key in targetTmpl.
var idMarker = sqlstmt.NewMarker("id")

// scopeCond is the scope and tenant condition with columns qualified by
// alias (unqualified when empty). The tenant column is compared with
// tenantExpr when set (a correlated column such as `users`.`org_id`),
// otherwise with the tenant value.
func (r *Resource) scopeCond(alias string, tenant any, tenantExpr string) sqlstmt.Pred {
	return sqlstmt.And(r.scopeColumnsCond(alias, tenant, tenantExpr), r.scopeExistsCond(alias))
}

// scopeColumnsCond is scopeCond without scope.exists: the conditions on
// the row's own columns.
func (r *Resource) scopeColumnsCond(alias string, tenant any, tenantExpr string) sqlstmt.Pred {
	c := sqlstmt.True
	for _, t := range r.Scope {
		col := sqlstmt.Col(alias, t.Column)
		in := sqlstmt.In(col, t.Values)
		if t.Negate {
			in = sqlstmt.Not(in)
			// A NULL column is outside a negated scope too: unknown is not "allowed".
			in = sqlstmt.And(sqlstmt.Cond(col+" IS NOT NULL"), in)
		}
		c = sqlstmt.And(c, in)
	}
	if r.TenantColumn != "" {
		if tenantExpr != "" {
			c = sqlstmt.And(c, sqlstmt.Cond(sqlstmt.Col(alias, r.TenantColumn)+" = "+tenantExpr))
		} else {
			c = sqlstmt.And(c, sqlstmt.Cond(sqlstmt.Col(alias, r.TenantColumn)+" = ?", tenant))
		}
	}
	if r.TenantThrough != nil {
		switch {
		case tenantExpr != "":
			c = sqlstmt.And(c, r.throughCorrelated(alias, tenantExpr)) // tenant_through.go
		case tenant != nil:
			c = sqlstmt.And(c, r.throughCond(alias, tenant))
		}
	}
	return c
}

// TenantArg is the tenant as a value of the tenant column: an integer for
// an integer column.
func (r *Resource) TenantArg(tenant string) any { return r.tenantArg(tenant) }

func (r *Resource) tenantArg(tenant string) any {
	if r.TenantThrough != nil {
		return r.throughArg(tenant)
	}
	integer := r.tenantInteger
	if r.columns == nil {
		integer = r.column(r.TenantColumn).kind() == kindInteger // not bound yet
	}
	if integer {
		if n, err := strconv.ParseInt(tenant, 10, 64); err == nil {
			return n
		}
	}
	return tenant
}

// IDPredicate matches the row whose SCIM id is id. ok is false when id
// cannot be a key of this table (not a canonical integer for an integer
// key), so the caller can answer 404 without a query.
func (r *Resource) IDPredicate(id string) (p sqlstmt.Pred, ok bool) {
	v, plain, ok := r.idValue(id)
	if !ok {
		return sqlstmt.Pred{}, false
	}
	return r.idPredicate(v, plain), true
}

// idValue is id as the key column's value. plain is true when the key is
// compared with =: for a text key the comparison is compareText's, exact
// in case and trailing spaces. ok is false when id cannot be a key.
func (r *Resource) idValue(id string) (v any, plain, ok bool) {
	col := r.column(r.IDColumn)
	switch col.kind() {
	case kindInteger:
		var canonical [20]byte // the digits of an int64 or uint64
		if n, err := strconv.ParseInt(id, 10, 64); err == nil && string(strconv.AppendInt(canonical[:0], n, 10)) == id {
			return n, true, true
		}
		if n, err := strconv.ParseUint(id, 10, 64); err == nil && string(strconv.AppendUint(canonical[:0], n, 10)) == id {
			return n, true, true
		}
		return nil, false, false
	case kindText, kindBinary:
		if id == "" || (col.MaxChars > 0 && int64(len([]rune(id))) > col.MaxChars) {
			return nil, false, false
		}
		return id, false, true
	}
	return id, true, true
}

func (r *Resource) idPredicate(v any, plain bool) sqlstmt.Pred {
	if !plain {
		return compareText(target{column: r.IDColumn, caseExact: true}, r.column(r.IDColumn), filter.Eq, v.(string))
	}
	return sqlstmt.Eq(sqlstmt.Ident(r.IDColumn), v)
}

// Order returns the sort keys for a list: the sortBy attribute, if any,
// then the id column, which makes the order total so that pages can
// continue from the last row seen (keyset pagination).
//
// The keys are shared with other callers: do not modify them.
func (r *Resource) Order(sortBy string, descending bool) ([]sqlstmt.OrderKey, error) {
	if sortBy == "" && r.idOrders[0] != nil {
		o := r.idOrders[0]
		if descending {
			o = r.idOrders[1]
		}
		return o[:1:1], nil
	}
	idKey := sqlstmt.OrderKey{Expr: sqlstmt.Ident(r.IDColumn), Desc: descending}
	if sortBy == "" {
		return []sqlstmt.OrderKey{idKey}, nil
	}
	p, err := filter.ParseAttrPath(sortBy)
	if err != nil {
		return nil, requestErr(SCIMInvalidValue, "sortBy: %v", err)
	}
	targets, err := r.resolve(p, 0, nil, false)
	if err != nil {
		msg := err.Error()
		if fe, ok := err.(*FilterError); ok {
			msg = fe.Msg
		}
		return nil, requestErr(SCIMInvalidValue, "sortBy: %s", msg)
	}
	if len(targets) == 0 {
		return nil, requestErr(SCIMInvalidValue, "sortBy: %s has no value to sort by", sortBy)
	}
	t := targets[0] // a multi-valued attribute sorts by its primary (first) entry
	if t.composed != nil {
		return nil, requestErr(SCIMInvalidValue, "sortBy: %s", composedFilterErr(t.composed, 0).(*FilterError).Msg)
	}
	switch {
	case t.isConst || t.absent || (t.active && r.Active.Column == ""):
		return []sqlstmt.OrderKey{idKey}, nil
	case t.column == r.IDColumn:
		return []sqlstmt.OrderKey{idKey}, nil
	case t.lookup != nil:
		return []sqlstmt.OrderKey{{Expr: "(" + r.lookupValueSQL(t.lookup) + ")", Desc: descending, Nullable: true}, idKey}, nil
	case t.related != nil:
		return []sqlstmt.OrderKey{{Expr: "(" + r.relatedValueSQL(t.related) + ")", Desc: descending, Nullable: true}, idKey}, nil
	}
	col := r.column(t.column)
	expr := sqlstmt.Ident(t.column)
	if col.kind() == kindText && !t.active {
		switch {
		case !t.caseExact && !col.CaseInsensitive():
			expr = "LOWER(" + expr + ")"
		case t.caseExact && col.CaseInsensitive():
			expr += " COLLATE " + col.binCollation()
		}
	}
	return []sqlstmt.OrderKey{{Expr: expr, Desc: descending, Nullable: col.Nullable}, idKey}, nil
}
