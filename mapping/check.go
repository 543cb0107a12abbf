package mapping

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// Severity ranks a check finding.
type Severity string

// Severities of findings. Errors stop retroscim from serving correctly;
// warnings are likely mistakes or slow paths; notes are facts a DBA
// should know.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevNote    Severity = "note"
)

// Finding is one result of checking a mapping against the live schema.
type Finding struct {
	Severity Severity `json:"severity"`
	// Check names the rule: table, column, type, create, max_length,
	// collation, index, scope, privileges.
	Check   string `json:"check"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Key     string `json:"key"`
	Message string `json:"message"`
	// Fix is SQL the DBA could run, when there is one; retroscim never
	// runs it.
	Fix string `json:"fix,omitempty"`
}

// Index describes one index of a table, for index advice.
type Index struct {
	Name    string
	Unique  bool
	Columns []string
}

// RowCount is how many rows of a resource's table SCIM sees, of all.
type RowCount struct {
	InScope int64
	Total   int64
}

// SchemaFacts is what check reads from the database: the columns of every
// table the configuration names (a missing table has none), their
// indexes, and per resource type ("User", "Group") the rows in scope.
type SchemaFacts struct {
	// Tables names every table of the database, to suggest for typos.
	Tables  []string
	Columns map[string][]Column
	Indexes map[string][]Index
	Rows    map[string]RowCount
	// Privileges, when set, are the grants of the account check connects
	// with (the one retroscim serve uses); Account names it for a GRANT
	// ('retroscim'@'%') and Database is the connection's database.
	Privileges Privileges
	Account    string
	Database   string
	// Own describes retroscim's own tables.
	Own OwnTableFacts
	// Definitions are the tables' definitions and Charsets the server's
	// character sets, for the DDL of fixes; a fix that needs what is not
	// known is not proposed.
	Definitions map[string]TableDefinition
	Charsets    map[string]Charset
}

// Scope advice applies from this many rows, when at most 1/selectiveScope
// of them are in scope: below that, reading past the others costs little.
const (
	scopeAdviceRows = 1000
	selectiveScope  = 5
)

// Count advice applies from this many rows in scope: a COUNT(*) that
// tests the scope row by row costs about 0.7-1.4 us a row on the bench machine
// (0.65-1.43 s for 980,005 rows), so 35-70 ms here.
const countAdviceRows = 50000

// Check verifies the configuration against the live schema and reports
// findings in file order: missing tables and columns, type mismatches,
// what POST would need, lengths, collations and case folding, and indexes
// for what Okta filters on and for paging. It binds the configuration as
// a side effect (as serve does).
func (c *Config) Check(facts SchemaFacts) []Finding {
	var out []Finding
	add := func(sev Severity, check string, line int, key, format string, args ...any) *Finding {
		out = append(out, Finding{Severity: sev, Check: check, File: c.File, Line: line, Key: key, Message: fmt.Sprintf(format, args...)})
		return &out[len(out)-1]
	}
	bindErr := c.bindKnowing(facts.Columns, facts.Tables)
	if err := bindErr; err != nil {
		var ces ConfigErrors
		if errors.As(err, &ces) {
			for _, e := range ces {
				check := "column"
				switch {
				case strings.HasPrefix(e.Msg, "table "):
					check = "table"
				case strings.Contains(e.Msg, "create: allow"), strings.Contains(e.Msg, "NOT NULL"):
					check = "create"
				}
				add(SevError, check, e.Line, e.Key, "%s", e.Msg)
			}
		}
	}
	// Grants first: a table or column the account may not read is
	// invisible, and the binding above reports it missing.
	c.checkPrivileges(facts, add)
	if bindErr != nil && (c.Users == nil || c.Users.columns == nil) {
		return sortFindings(out)
	}
	fx := newFixer(&facts)
	for _, r := range []*Resource{c.Users, c.Groups} {
		if r == nil || r.columns == nil {
			continue
		}
		r.keysetIndex = r.chooseKeysetIndex(facts.Indexes[r.Table])
		r.checkTypes(add)
		r.checkLengths(add)
		r.checkCollations(add, fx)
		r.checkEquality(facts.Indexes, add)
		r.checkUniqueWithin(facts.Indexes, add)
		r.checkDeactivation(add)
		r.checkIndexes(facts.Indexes, facts.Rows[r.Type], add, fx)
		r.checkThroughIndex(facts.Indexes, add, fx) // tenant_through.go
		r.checkRelated(facts.Indexes, add, fx)
		r.checkScopeExists(facts.Indexes, add, fx)
	}
	if c.Members != nil && c.Members.Join != nil {
		c.Members.checkIndexes(facts.Indexes, add, fx)
	}
	return sortFindings(out)
}

type addFunc func(sev Severity, check string, line int, key, format string, args ...any) *Finding

func sortFindings(f []Finding) []Finding {
	sort.SliceStable(f, func(i, j int) bool { return f[i].Line < f[j].Line })
	return f
}

func (r *Resource) attrKey(a *Attribute) string { return r.key + ".attributes." + a.Key }

// checkTypes compares each SCIM type with its column's type.
func (r *Resource) checkTypes(add addFunc) {
	if a := r.Active; a != nil && a.Column != "" && r.hasColumn(a.Column) {
		col := r.column(a.Column)
		if col.kind() == kindText && !a.Explicit {
			add(SevError, "type", r.activeLine, r.key+".active", "%s is %s, but no true/false values are given: the defaults 1 and 0 would not match its values; add true: and false: (for example true: [Y] false: N)", a.Column, col.ColumnType)
		}
		if col.kind() != kindText && col.kind() != kindInteger {
			add(SevError, "type", r.activeLine, r.key+".active", "%s is %s: an active flag needs a number or text column", a.Column, col.ColumnType)
		}
	}
	for _, m := range []struct{ col, key string }{{r.CreatedColumn, "created"}, {r.LastModifiedColumn, "last_modified"}} {
		if m.col != "" && r.hasColumn(m.col) && r.column(m.col).kind() != kindTemporal && r.epochOf(m.col) == EpochNone {
			add(SevError, "type", r.line, r.key+".meta."+m.key, "%s is %s: meta.%s needs a DATETIME or TIMESTAMP column", m.col, r.column(m.col).ColumnType, m.key)
		}
	}
	if v := r.VersionColumn; v != "" && r.hasColumn(v) {
		col := r.column(v)
		switch {
		case r.epochOf(v) == EpochSeconds:
			add(SevNote, "type", r.line, r.key+".meta.version", "%s counts whole seconds: two writes in one second would share a version, so the ETag is a digest of the row instead (epoch milliseconds or an integer counter would be used directly)", v)
		case col.kind() == kindTemporal && !strings.HasSuffix(col.ColumnType, "(6)"):
			add(SevNote, "type", r.line, r.key+".meta.version", "%s is %s, with whole seconds: two writes in one second would share a version, so the ETag is a digest of the row instead (DATETIME(6) or an integer counter would be used directly)", v, col.ColumnType)
		case col.kind() != kindTemporal && col.kind() != kindInteger:
			add(SevWarning, "type", r.line, r.key+".meta.version", "%s is %s: versions come from an integer counter or a DATETIME(6); this one is used as is and written as a random token", v, col.ColumnType)
		}
	}
	for _, a := range r.Attributes {
		col, name, ok := r.storedColumn(a)
		if !ok {
			continue
		}
		k := col.kind()
		var problem string
		sev := SevWarning
		switch a.Def.Type {
		case TypeString, TypeReference:
			if k == kindInteger || k == kindDecimal {
				problem = "a string attribute on a number column: values that are not numbers are refused with 400"
			}
			if k == kindTemporal {
				problem = "a string attribute on a date column"
				sev = SevError
			}
		case TypeBoolean:
			if k != kindInteger && k != kindText {
				problem = "a boolean attribute needs a number (0/1) or text column"
				sev = SevError
			}
		case TypeInteger, TypeDecimal:
			if k != kindInteger && k != kindDecimal {
				problem = "a number attribute on a non-number column"
			}
		case TypeDateTime:
			if k != kindTemporal {
				problem = "a dateTime attribute needs a DATETIME or TIMESTAMP column"
				sev = SevError
			}
		case TypeBinary:
			if k != kindBinary && k != kindText {
				problem = "a binary attribute needs a BLOB or VARBINARY column"
				sev = SevError
			}
		}
		if problem != "" {
			add(sev, "type", a.Line, r.attrKey(a), "%s is %s: %s", name, col.ColumnType, problem)
		}
	}
}

// checkLengths compares max_length with what the column holds.
func (r *Resource) checkLengths(add addFunc) {
	for _, a := range r.Attributes {
		col, name, ok := r.storedColumn(a)
		if !ok || a.Hash != "" || (a.Def.Type != TypeString && a.Def.Type != TypeReference) || a.Mutability == ReadOnly || (a.Composed != nil && a.part > 0) {
			continue
		}
		if col.kind() != kindText || col.MaxChars == 0 {
			continue
		}
		switch {
		case a.MaxLength > 0 && int64(a.MaxLength) > col.MaxChars:
			add(SevWarning, "max_length", a.Line, r.attrKey(a)+".max_length", "max_length %d is more than %s holds (%s): values over %d characters are refused anyway", a.MaxLength, name, col.ColumnType, col.MaxChars)
		case a.MaxLength == 0 && col.MaxChars < 1<<16:
			add(SevNote, "max_length", a.Line, r.attrKey(a), "no max_length: %s is %s, so values over %d characters are refused with 400", name, col.ColumnType, col.MaxChars)
		}
	}
}

// checkCollations says how each string attribute will be compared in
// filters, and when case folding costs the index.
func (r *Resource) checkCollations(add addFunc, fx *fixer) {
	for _, a := range r.Attributes {
		if a.Lookup != nil || !r.hasColumn(a.Column) || a.Mutability == WriteOnly || (a.Def.Type != TypeString && a.Def.Type != TypeReference) {
			continue
		}
		col := r.column(a.Column)
		if col.kind() != kindText && col.kind() != kindBinary {
			continue
		}
		coll := col.Collation
		if coll == "" {
			coll = "binary"
		}
		switch {
		case !a.CaseExact && col.CaseInsensitive():
			// checkEquality says what equality does on such a column.
		case !a.CaseExact:
			f := add(SevWarning, "collation", a.Line, r.attrKey(a), "%s uses %s, which is case-sensitive: retroscim folds case with LOWER() on both sides so that %s matches case-insensitively, and LOWER(%s) cannot use an index on the column", a.Column, coll, a.Path(), a.Column)
			if f.Fix = fx.modifyCollation(r.Table, col); f.Fix != "" {
				f.Message += "; the fix gives the column a case-insensitive collation and keeps the rest of its definition (check first that the app does not rely on case-sensitive values"
				if col.kind() == kindBinary {
					f.Message += "; it also turns the bytes column into text of the same size, so every stored value must be valid UTF-8: in strict mode the ALTER fails on the first that is not"
				}
				f.Message += ")"
			}
		}
	}
}

// checkIndexes advises an index for every attribute Okta and Entra filter
// on, for the tenant and for keyset paging.
func (r *Resource) checkIndexes(all map[string][]Index, rows RowCount, add addFunc, fx *fixer) {
	idx := all[r.Table]
	prefix := []string{}
	if r.TenantColumn != "" {
		prefix = append(prefix, r.TenantColumn)
	}
	// Columns every statement binds to one value: the tenant and
	// single-valued scope terms. An index may lead with any of them.
	bound := r.boundColumns()
	// Proposed indexes lead with the columns every statement fixes (the
	// tenant, then the single-valued scope terms): (org_id, type, login)
	// serves WHERE org_id = ? AND type = ? AND login = ? better than
	// (org_id, login), and indexAfter accepts either.
	lead := func(col string) []string { return append(append([]string{}, bound...), col) }
	// Keyset paging: WHERE tenant = ? AND id > ? ORDER BY id, read
	// through the index chooseKeysetIndex finds (see keyset.go); without
	// one, each page reads the tenant's index entries from the start.
	// Each of the proposals below leads with every bound column, so that
	// one of them serves the count as well (see countIndex).
	proposed := false
	if r.TenantColumn != "" && r.chooseKeysetIndex(idx) == "" {
		f := add(SevWarning, "index", r.tenantLine, r.key+".tenant", "no index starts with (%s, %s), so no index can serve the keyset walk of a tenant's list: every page reads past other tenants' rows, or past the tenant's rows before it (measured on 1M rows: 3-4x slower per page)", r.TenantColumn, r.IDColumn)
		fx.indexFix(f, r.Table, lead(r.IDColumn)...)
		proposed = true
	}
	// A selective scope: paging in id order reads past every row out of
	// scope unless an index leads with the scope's single-valued columns.
	if len(r.Scope) > 0 && rows.Total >= scopeAdviceRows && rows.InScope*selectiveScope <= rows.Total {
		cols := bound
		if keyset := append(cols, r.IDColumn); len(cols) > len(prefix) && !hasIndexPrefix(idx, keyset) {
			f := add(SevWarning, "index", r.scopeLine, r.key+".scope", "%d of %d rows are in scope: without an index on (%s), every page of the list reads past the rows out of scope", rows.InScope, rows.Total, strings.Join(keyset, ", "))
			fx.indexFix(f, r.Table, keyset...)
			proposed = true
		}
	}
	if !proposed {
		r.checkCountIndex(idx, bound, prefix, rows, add, fx)
	}
	var filtered []*Attribute
	for _, name := range []string{"userName", "externalId", "displayName"} {
		schema := r.Schema.ID
		if name == "externalId" {
			schema = ""
		}
		if a := r.find(schema, name, "", ""); a != nil && (name != "displayName" || r.Type == "Group") {
			filtered = append(filtered, a)
		}
	}
	if a := r.find(UserSchema, "emails", "value", "work"); a != nil {
		filtered = append(filtered, a)
	} else {
		for _, x := range r.Attributes {
			if x.Name == "emails" && x.Sub == "value" {
				filtered = append(filtered, x)
				break
			}
		}
	}
	for _, a := range filtered {
		if a.Lookup != nil || !r.hasColumn(a.Column) {
			continue
		}
		if indexAfter(idx, bound, "", a.Column) {
			continue
		}
		after := ""
		if len(bound) > 0 {
			after = ", alone or after " + strings.Join(bound, ", ") + " (which every lookup fixes)"
		}
		f := add(SevWarning, "index", a.Line, r.attrKey(a), "%s is looked up by Okta or Entra (%s eq \"...\"), but no index starts with %s%s: each lookup scans the table", a.Path(), a.Path(), a.Column, after)
		fx.indexFix(f, r.Table, lead(a.Column)...)
	}
	for _, a := range r.Attributes {
		if a.Lookup == nil {
			continue
		}
		l := a.Lookup
		cols := []string{l.Match}
		if l.Tenant != "" {
			cols = []string{l.Tenant, l.Match}
		}
		if !hasIndexPrefix(all[l.Table], cols) && !hasIndexPrefix(all[l.Table], []string{l.Match}) {
			f := add(SevWarning, "index", a.Line, r.attrKey(a)+".lookup", "%s.%s is how values are looked up, but no index starts with %s", l.Table, l.Match, strings.Join(cols, ", "))
			fx.indexFix(f, l.Table, cols...)
		}
	}
}

// checkIndexes advises indexes for reading a group's members and a user's
// groups through the join table.
func (m *Membership) checkIndexes(all map[string][]Index, add addFunc, fx *fixer) {
	j := m.Join
	idx := all[j.Table]
	// The condition's columns go between the two keys: (roleid, contextid,
	// userid) finds a role's system-context holders in order.
	cond := columnNames(j.Where)
	for _, c := range cond {
		if _, ok := m.Users.tableColumns[j.Table][strings.ToLower(c)]; !ok {
			return // reported as a missing column; no index to propose on it
		}
	}
	for _, cols := range [][]string{append(append([]string{j.Group}, cond...), j.User), append(append([]string{j.User}, cond...), j.Group)} {
		if lead := cols[:1+len(cond)]; !hasIndexPrefix(idx, lead) {
			cost := "scans the table"
			if hasIndexPrefix(idx, cols[:1]) {
				cost = "also reads the rows outside the where condition"
			}
			f := add(SevWarning, "index", m.line, "groups.members.join", "no index on %s starts with %s: listing %s %s", j.Table, strings.Join(lead, ", "), map[bool]string{true: "a group's members", false: "a user's groups"}[cols[0] == j.Group], cost)
			fx.indexFix(f, j.Table, cols...)
		}
	}
}

// indexAfter reports whether some index leads with columns of bound (in
// any order, including need when it is set) and then col: with those
// columns fixed by equality, such an index finds col's values in order.
func indexAfter(idx []Index, bound []string, need, col string) bool {
	for _, ix := range idx {
		found := need == ""
		for _, c := range ix.Columns {
			if strings.EqualFold(c, col) {
				if found {
					return true
				}
				break
			}
			if !slices.ContainsFunc(bound, func(b string) bool { return strings.EqualFold(b, c) }) {
				break
			}
			found = found || strings.EqualFold(c, need)
		}
	}
	return false
}

// checkCountIndex advises the counting index: totalResults of a list
// whose page does not end it is a COUNT(*) over the rows in scope (see
// legacy/counts.go). With an index that leads with every column the
// scope binds (the tenant and the single-valued scope terms), the count
// is a range scan of that index; without one it reads each of the
// tenant's rows to test the scope. On the 1M-user bench database (980,005
// rows in scope): 0.65-1.43 s without, 0.10-0.20 s through (org_id,
// auth_source, id), under load 3-6. The proposed index ends with the id, so that
// it serves the keyset walk too (chooseKeysetIndex prefers it).
func (r *Resource) checkCountIndex(idx []Index, bound, prefix []string, rows RowCount, add addFunc, fx *fixer) {
	if len(bound) <= len(prefix) || rows.InScope < countAdviceRows || leadsWithAll(idx, bound) {
		return
	}
	cols := append(slices.Clip(bound), r.IDColumn)
	f := add(SevWarning, "index", r.scopeLine, r.key+".scope", "%d rows are in scope: without an index on (%s), each COUNT(*) for totalResults reads every one of them to test the scope (0.65-1.43 s for 980,005 rows; a range scan of the index, 0.10-0.20 s)", rows.InScope, strings.Join(cols, ", "))
	fx.indexFix(f, r.Table, cols...)
}

// leadsWithAll reports whether an index's first len(cols) columns are
// cols, in any order.
func leadsWithAll(idx []Index, cols []string) bool {
	for _, ix := range idx {
		if len(ix.Columns) < len(cols) {
			continue
		}
		ok := true
		for _, c := range ix.Columns[:len(cols)] {
			if !slices.ContainsFunc(cols, func(b string) bool { return strings.EqualFold(b, c) }) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// hasIndexPrefix reports whether some index starts with cols, in order.
func hasIndexPrefix(idx []Index, cols []string) bool {
	for _, ix := range idx {
		if len(ix.Columns) < len(cols) {
			continue
		}
		ok := true
		for i, c := range cols {
			if !strings.EqualFold(ix.Columns[i], c) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// ScopeCountQuery counts, per tenant, the rows SCIM sees and all rows: one
// row per tenant of (tenant, in scope, total).
func (r *Resource) ScopeCountQuery() sqlstmt.Select {
	sc := r.scopeCond("", nil, "")
	if r.TenantColumn != "" {
		// scopeCond adds the tenant for a value; count every tenant instead.
		sc = sqlstmt.True
		for _, t := range r.Scope {
			in := sqlstmt.In(sqlstmt.Ident(t.Column), t.Values)
			if t.Negate {
				in = sqlstmt.And(sqlstmt.Cond(sqlstmt.Ident(t.Column)+" IS NOT NULL"), sqlstmt.Not(in))
			}
			sc = sqlstmt.And(sc, in)
		}
		sc = sqlstmt.And(sc, r.scopeExistsCond(""))
	}
	scope := "1"
	if sc.IsFalse() {
		scope = "0"
	} else if !sc.IsTrue() {
		scope = "CASE WHEN " + sc.SQL() + " THEN 1 ELSE 0 END"
	}
	q := sqlstmt.Select{Columns: []string{"''", "SUM(" + scope + ")", "COUNT(*)"}, ColumnArgs: sc.Args(), From: sqlstmt.Ident(r.Table)}
	if r.TenantColumn != "" {
		q.Columns[0] = "CAST(" + sqlstmt.Ident(r.TenantColumn) + " AS CHAR)"
		q.GroupBy = []string{"1"}
		q.Order = []sqlstmt.OrderKey{{Expr: "1"}}
	}
	return q
}
