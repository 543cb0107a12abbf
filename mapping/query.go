package mapping

import (
	"strconv"
	"strings"

	"github.com/retroscim/retroscim/mapping/filter"
)

// And joins predicates with AND, skipping empty ones. Predicates from this
// package are always safe to join this way (see cond.predicate).
func And(preds ...Predicate) Predicate {
	var parts []string
	var args []any
	for _, p := range preds {
		if p.SQL == "" || p.SQL == "TRUE" {
			continue
		}
		parts = append(parts, p.SQL)
		args = append(args, p.Args...)
	}
	switch len(parts) {
	case 0:
		return Predicate{SQL: "TRUE"}
	case 1:
		return Predicate{SQL: parts[0], Args: args}
	}
	return Predicate{SQL: strings.Join(parts, " AND "), Args: args}
}

// ScopePredicate restricts a statement to the rows SCIM may see and change:
// the mapping's scope and, when the mapping has tenants, the caller's
// tenant. It is part of every statement retroscim runs on the table.
func (r *Resource) ScopePredicate(tenant string) Predicate {
	return r.scopeCond("", r.tenantArg(tenant), "").predicate()
}

// scopeCond is the scope and tenant condition with columns qualified by
// alias (unqualified when empty). The tenant column is compared with
// tenantExpr when set (a correlated column such as `users`.`org_id`),
// otherwise with the tenant value.
func (r *Resource) scopeCond(alias string, tenant any, tenantExpr string) cond {
	c := condTrue
	for _, t := range r.Scope {
		col := qcol(alias, t.Column)
		in := inList(col, t.Values)
		if t.Negate {
			in = notCond(in)
			// A NULL column is outside a negated scope too: unknown is not "allowed".
			in = andCond(sqlCond(col+" IS NOT NULL"), in)
		}
		c = andCond(c, in)
	}
	if r.TenantColumn != "" {
		if tenantExpr != "" {
			c = andCond(c, sqlCond(qcol(alias, r.TenantColumn)+" = "+tenantExpr))
		} else {
			c = andCond(c, sqlCond(qcol(alias, r.TenantColumn)+" = ?", tenant))
		}
	}
	return c
}

// qcol quotes a column, qualified by a table alias when one is given.
func qcol(alias, column string) string {
	if alias == "" {
		return quoteIdent(column)
	}
	return quoteIdent(alias) + "." + quoteIdent(column)
}

// TenantArg is the tenant as a value of the tenant column: an integer for
// an integer column.
func (r *Resource) TenantArg(tenant string) any { return r.tenantArg(tenant) }

func (r *Resource) tenantArg(tenant string) any {
	if r.column(r.TenantColumn).kind() == kindInteger {
		if n, err := strconv.ParseInt(tenant, 10, 64); err == nil {
			return n
		}
	}
	return tenant
}

// IDPredicate matches the row whose SCIM id is id. ok is false when id
// cannot be a key of this table (not a canonical integer for an integer
// key), so the caller can answer 404 without a query.
func (r *Resource) IDPredicate(id string) (p Predicate, ok bool) {
	col := r.column(r.IDColumn)
	switch col.kind() {
	case kindInteger:
		if n, err := strconv.ParseInt(id, 10, 64); err == nil && strconv.FormatInt(n, 10) == id {
			return Predicate{SQL: quoteIdent(r.IDColumn) + " = ?", Args: []any{n}}, true
		}
		if n, err := strconv.ParseUint(id, 10, 64); err == nil && strconv.FormatUint(n, 10) == id {
			return Predicate{SQL: quoteIdent(r.IDColumn) + " = ?", Args: []any{n}}, true
		}
		return Predicate{}, false
	case kindText, kindBinary:
		if id == "" || (col.MaxChars > 0 && int64(len([]rune(id))) > col.MaxChars) {
			return Predicate{}, false
		}
		return compareText(target{column: r.IDColumn, caseExact: true}, col, filter.Eq, id).predicate(), true
	}
	return Predicate{SQL: quoteIdent(r.IDColumn) + " = ?", Args: []any{id}}, true
}

// OrderKey is one ORDER BY key: a SQL expression over the table's columns.
// Nullable says, from the live schema, that the expression can be NULL: the
// list then sorts those rows last ascending and first descending (RFC 7644
// §3.4.2.3). Keys of NOT NULL columns stay bare so an index gives the order.
type OrderKey struct {
	SQL      string
	Desc     bool
	Nullable bool
}

// Order returns the sort keys for a list: the sortBy attribute, if any,
// then the id column, which makes the order total so that pages can
// continue from the last row seen (keyset pagination).
func (r *Resource) Order(sortBy string, descending bool) ([]OrderKey, error) {
	idKey := OrderKey{SQL: quoteIdent(r.IDColumn), Desc: descending}
	if sortBy == "" {
		return []OrderKey{idKey}, nil
	}
	p, err := filter.ParseAttrPath(sortBy)
	if err != nil {
		return nil, requestErr(ScimInvalidValue, "sortBy: %v", err)
	}
	targets, err := r.resolve(p, 0, nil, false)
	if err != nil {
		msg := err.Error()
		if fe, ok := err.(*FilterError); ok {
			msg = fe.Msg
		}
		return nil, requestErr(ScimInvalidValue, "sortBy: %s", msg)
	}
	if len(targets) == 0 {
		return nil, requestErr(ScimInvalidValue, "sortBy: %s has no value to sort by", sortBy)
	}
	t := targets[0] // a multi-valued attribute sorts by its primary (first) entry
	switch {
	case t.isConst || t.absent || (t.active && r.Active.Column == ""):
		return []OrderKey{idKey}, nil
	case t.column == r.IDColumn:
		return []OrderKey{idKey}, nil
	case t.lookup != nil:
		return []OrderKey{{SQL: "(" + r.lookupValueSQL(t.lookup) + ")", Desc: descending, Nullable: true}, idKey}, nil
	}
	col := r.column(t.column)
	expr := quoteIdent(t.column)
	if col.kind() == kindText && !t.active {
		switch {
		case !t.caseExact && !col.CaseInsensitive():
			expr = "LOWER(" + expr + ")"
		case t.caseExact && col.CaseInsensitive():
			expr += " COLLATE " + col.binCollation()
		}
	}
	return []OrderKey{{SQL: expr, Desc: descending, Nullable: col.Nullable}, idKey}, nil
}
