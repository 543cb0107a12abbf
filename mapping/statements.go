package mapping

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping/filter"
)

// UpdateSet returns the assignments of the UPDATE for a change, with the
// bookkeeping columns the mapping names: last_modified becomes NOW(6) and
// an integer version is incremented.
func (r *Resource) UpdateSet(ch *Change) []Assignment {
	set := dedupe(ch.Set)
	return append(set, r.bump(set)...)
}

func (r *Resource) bump(set []Assignment) []Assignment {
	var out []Assignment
	has := func(col string) bool {
		for _, a := range set {
			if strings.EqualFold(a.Column, col) {
				return true
			}
		}
		for _, a := range out {
			if strings.EqualFold(a.Column, col) {
				return true
			}
		}
		return false
	}
	if c := r.LastModifiedColumn; c != "" && !has(c) {
		out = append(out, Assignment{Column: c, SQL: r.nowSQL(c)})
	}
	if c := r.VersionColumn; c != "" && !has(c) {
		switch {
		case r.epochOf(c) != EpochNone:
			out = append(out, Assignment{Column: c, SQL: r.nowSQL(c)})
		case r.column(c).kind() == kindInteger, r.column(c).kind() == kindDecimal:
			out = append(out, Assignment{Column: c, SQL: "COALESCE(" + sqlstmt.Ident(c) + ", 0) + 1"})
		case r.column(c).kind() == kindTemporal:
			out = append(out, Assignment{Column: c, SQL: "NOW(6)"})
		default:
			out = append(out, Assignment{Column: c, Value: randomHex(8)})
		}
	}
	return out
}

// dedupe drops repeated writes of one column (two attributes sharing it
// with the same value; checkShared has refused different values).
func dedupe(set []Assignment) []Assignment {
	out := make([]Assignment, 0, len(set))
	for _, a := range set {
		dup := false
		for _, b := range out {
			if strings.EqualFold(a.Column, b.Column) {
				dup = true
			}
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

// InsertSet returns the assignments of the INSERT for a create: the
// change's, then users.defaults, the scope's values (so the row is inside
// it), the tenant, a generated id for text keys, and the meta columns. id
// is the generated id, empty when the database assigns one.
func (r *Resource) InsertSet(ch *Change, tenant string) (set []Assignment, id string) {
	set = dedupe(ch.Set)
	has := func(col string) bool {
		for _, a := range set {
			if strings.EqualFold(a.Column, col) {
				return true
			}
		}
		return false
	}
	for _, d := range r.Defaults {
		if !has(d.Column) {
			set = append(set, Assignment{Column: d.Column, Value: d.Value})
		}
	}
	for _, t := range r.Scope {
		if v, ok := t.single(); ok && !has(t.Column) {
			set = append(set, Assignment{Column: t.Column, Value: v})
		}
	}
	if r.TenantColumn != "" {
		for i := range set {
			if strings.EqualFold(set[i].Column, r.TenantColumn) {
				set = append(set[:i], set[i+1:]...)
				break
			}
		}
		set = append(set, Assignment{Column: r.TenantColumn, Value: r.tenantArg(tenant)})
	}
	if idc := r.column(r.IDColumn); !idc.AutoIncrement && idc.kind() == kindText && !has(r.IDColumn) {
		id = r.idFormat().New()
		set = append(set, Assignment{Column: r.IDColumn, Value: id})
		for _, c := range r.IDCopyTo {
			if !has(c) {
				set = append(set, Assignment{Column: c, Value: id})
			}
		}
	}
	for _, c := range []string{r.CreatedColumn, r.LastModifiedColumn} {
		if c != "" && !has(c) {
			set = append(set, Assignment{Column: c, SQL: r.nowSQL(c)})
		}
	}
	if c := r.VersionColumn; c != "" && !has(c) {
		col := r.column(c)
		switch {
		case r.epochOf(c) != EpochNone:
			set = append(set, Assignment{Column: c, SQL: r.nowSQL(c)})
		case col.kind() == kindTemporal:
			set = append(set, Assignment{Column: c, SQL: "NOW(6)"})
		case col.Default == nil && (col.kind() == kindInteger || col.kind() == kindDecimal):
			set = append(set, Assignment{Column: c, Value: int64(1)})
		case col.Default == nil:
			set = append(set, Assignment{Column: c, Value: randomHex(8)})
		}
	}
	return set, id
}

// single returns the one value (possibly NULL) an unnegated scope term
// allows.
func (t ScopeTerm) single() (any, bool) {
	if t.Negate || len(t.Values) != 1 {
		return nil, false
	}
	return t.Values[0], true
}

// insertedColumns lists the columns a create writes, for checkCreatable.
func (r *Resource) insertedColumns() []string {
	var cols []string
	for _, a := range r.Attributes {
		cols = append(cols, a.Column)
	}
	for _, d := range r.Defaults {
		cols = append(cols, d.Column)
	}
	for _, t := range r.Scope {
		if _, ok := t.single(); ok {
			cols = append(cols, t.Column)
		}
	}
	if r.TenantColumn != "" {
		cols = append(cols, r.TenantColumn)
	}
	if r.Active != nil && r.Active.Column != "" {
		cols = append(cols, r.Active.Column)
	}
	for _, c := range []string{r.CreatedColumn, r.LastModifiedColumn, r.VersionColumn} {
		if c != "" {
			cols = append(cols, c)
		}
	}
	return cols
}

// uniquePredicate matches rows of the caller's tenant, other than exceptID,
// where attribute a equals v the way the filter `a eq v` compares (so
// "Alice@X.com" collides with "alice@x.com" for a case-insensitive
// userName). It is not limited to the scope: a local account holding the
// same login collides too, as the app's own unique key would say.
func (r *Resource) uniquePredicate(a *Attribute, v any, tenant, exceptID string) (sqlstmt.Pred, error) {
	val := filter.Value{Kind: filter.String, Str: fmt.Sprint(v)}
	c, err := r.compare(attrTarget(a), &filter.Compare{Attr: filter.AttrPath{Name: a.Name}, Op: filter.Eq, Value: val})
	if err != nil {
		return sqlstmt.Pred{}, err
	}
	switch {
	case a.UniqueInScope:
		c = sqlstmt.And(r.ScopePredicate(tenant), c) // the scope's conditions carry the tenant's
	case r.TenantColumn != "":
		c = sqlstmt.And(sqlstmt.Cond(sqlstmt.Ident(r.TenantColumn)+" = ?", r.tenantArg(tenant)), c)
	}
	if exceptID != "" {
		if idp, ok := r.IDPredicate(exceptID); ok {
			c = sqlstmt.And(c, sqlstmt.Cond("NOT ("+idp.SQL()+")", idp.Args()...))
		}
	}
	return c, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
