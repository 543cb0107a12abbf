package mapping

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Column describes a live table column as INFORMATION_SCHEMA reports it.
// The compiler uses it to decide how to compare values: whether the
// collation already ignores case, whether a value must be a number.
type Column struct {
	Name string
	// DataType is INFORMATION_SCHEMA.COLUMNS.DATA_TYPE, lower case: varchar,
	// int, datetime, enum, ...
	DataType string
	// ColumnType is the full type, as tinyint(1) or enum('local','saml').
	ColumnType string
	Nullable   bool
	// MaxChars is the character length of string columns; 0 otherwise.
	MaxChars int64
	// Charset and Collation are empty for non-string columns.
	Charset   string
	Collation string
	// Default is the column default as INFORMATION_SCHEMA renders it; nil
	// when the column has none.
	Default       *string
	AutoIncrement bool
	Generated     bool
}

type colKind int

const (
	kindText colKind = iota
	kindBinary
	kindInteger
	kindDecimal
	kindTemporal
	kindOther
)

func (c *Column) kind() colKind {
	switch c.DataType {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json":
		return kindText
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return kindBinary
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year", "bit":
		return kindInteger
	case "decimal", "numeric", "float", "double", "real":
		return kindDecimal
	case "date", "datetime", "timestamp", "time":
		return kindTemporal
	}
	return kindOther
}

// CaseInsensitive reports whether comparisons on the column ignore case by
// its collation (a *_ci collation). Such columns are compared as they are,
// so their indexes stay usable.
func (c *Column) CaseInsensitive() bool {
	return c.kind() == kindText && strings.HasSuffix(strings.ToLower(c.Collation), "_ci")
}

// binCollation is the binary collation of the column's character set, used
// to compare case-exact attributes on a case-insensitive column.
func (c *Column) binCollation() string {
	cs := c.Charset
	if cs == "" {
		cs = "utf8mb4"
	}
	return cs + "_bin"
}

// defaultColumn stands in for a column before Bind: a nullable varchar with
// a case-insensitive collation, the most common shape of a user table.
func defaultColumn(name string) *Column {
	return &Column{Name: name, DataType: "varchar", ColumnType: "varchar(255)", Nullable: true, MaxChars: 255, Charset: "utf8mb4", Collation: "utf8mb4_general_ci"}
}

// column returns the live facts of a column, or a default before Bind.
func (r *Resource) column(name string) *Column {
	if c, ok := byName(r.columns, name); ok {
		return c
	}
	return defaultColumn(name)
}

// byName looks name up in a map keyed by lower-case column names. Names in
// a mapping are nearly always lower case already, so the name is tried as
// it is first: rendering a row looks up a dozen columns, and lower-casing
// each one first was about 1% of a GET's CPU.
func byName[V any](m map[string]V, name string) (V, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	v, ok := m[strings.ToLower(name)]
	return v, ok
}

// hasColumn reports whether the bound table has the column.
func (r *Resource) hasColumn(name string) bool {
	_, ok := r.columns[strings.ToLower(name)]
	return ok
}

// Bound reports whether the resource has been bound to the live schema.
func (r *Resource) Bound() bool { return r.columns != nil }

// columnOf returns the live facts of a column of another table (a lookup
// table), or a default before Bind.
func (r *Resource) columnOf(table, name string) *Column {
	if c, ok := r.tableColumns[table][strings.ToLower(name)]; ok {
		return c
	}
	return defaultColumn(name)
}

// Tables lists the tables the configuration maps, lookup tables included.
func (c *Config) Tables() []string {
	if c.Users == nil {
		return nil
	}
	out := c.Users.tables()
	if c.Groups != nil {
		for _, t := range c.Groups.tables() {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// Bind checks the mapping against the live schema and records column facts
// for the compiler. tables maps each name from Tables to its columns; a
// missing entry means the table does not exist.
func (c *Config) Bind(tables map[string][]Column) error {
	return c.bindKnowing(tables, nil)
}

// bindKnowing is Bind, with the names of every table in the database
// (when known) to suggest for a table that does not exist.
func (c *Config) bindKnowing(tables map[string][]Column, known []string) error {
	p := &problems{file: c.File}
	if c.Users != nil {
		c.Users.bind(tables, known, p)
	}
	if c.Groups != nil {
		c.Groups.bind(tables, known, p)
	}
	if c.Members != nil && len(p.list) == 0 {
		c.Members.check(p)
		c.Members.checkThroughTenant(p) // tenant_through.go
	}
	if c.RoleList != nil && len(p.list) == 0 {
		c.RoleList.checkTenantRole(p) // membership_tenant_role.go
	}
	if l := c.RoleList; l != nil && l.Rows != nil && l.Rows.Expiry != nil && len(p.list) == 0 {
		l.Rows.Expiry.check(l.Rows.Table, c.Users.tableColumns[l.Rows.Table], p)
	}
	return p.err()
}

func (r *Resource) bind(tables map[string][]Column, known []string, p *problems) {
	r.filters = nil // until the facts are all in
	byTable := map[string]map[string]*Column{}
	names := map[string][]string{}
	for _, t := range r.tables() {
		cols, ok := tables[t]
		if !ok || len(cols) == 0 {
			continue
		}
		m := make(map[string]*Column, len(cols))
		for i := range cols {
			m[strings.ToLower(cols[i].Name)] = &cols[i]
			names[t] = append(names[t], cols[i].Name)
		}
		sort.Strings(names[t])
		byTable[t] = m
	}
	if byTable[r.Table] == nil {
		p.add(r.line, r.key+".table", "%s", missingTable(r.Table, tables, known))
		return
	}
	r.columns = byTable[r.Table]
	r.tableColumns = byTable
	reported := map[string]bool{}
	for _, ref := range r.refs {
		t := ref.table
		if t == "" {
			t = r.Table
		}
		if byTable[t] == nil {
			if !reported[t] {
				reported[t] = true
				p.add(ref.line, ref.key, "%s", missingTable(t, tables, known))
			}
			continue
		}
		if _, ok := byTable[t][strings.ToLower(ref.column)]; ok {
			continue
		}
		msg := fmt.Sprintf("column %q does not exist in table %q", ref.column, t)
		if s := suggest(ref.column, names[t]); s != "" {
			msg += fmt.Sprintf(", did you mean %q?", s)
		} else {
			msg += fmt.Sprintf(" (it has %s)", strings.Join(names[t], ", "))
		}
		p.add(ref.line, ref.key, "%s", msg)
	}
	if len(p.list) == 0 {
		r.checkEpochColumns(p)
		r.checkCreatable(p)
		r.checkScopeExistsInsert(p)
		r.bindRelated(p)
		r.bindTenantThrough(p)
	}
	r.version = versionSource{}
	if r.VersionColumn != "" {
		r.version = r.versionSource() // after bindRelated, which may rebuild the select
	}
	r.tenantInteger = r.TenantColumn != "" && r.column(r.TenantColumn).kind() == kindInteger
	// Shapes compiled without these facts are stale.
	r.filters = newFilterCache()
}

func missingTable(name string, tables map[string][]Column, known []string) string {
	names := append([]string(nil), known...)
	for t, cols := range tables {
		if len(cols) > 0 {
			names = append(names, t)
		}
	}
	msg := fmt.Sprintf("table %q does not exist in the database", name)
	if s := suggest(name, names); s != "" {
		msg += fmt.Sprintf(", did you mean %q?", s)
	}
	return msg
}

// checkCreatable verifies, when POST may create rows, that every NOT NULL
// column without a default gets a value and that new rows land in scope.
func (r *Resource) checkCreatable(p *problems) {
	if r.Create != CreateAllow {
		return
	}
	id := r.column(r.IDColumn)
	if !id.AutoIncrement && id.kind() != kindText {
		p.add(r.createLine, r.key+".id", "create: allow needs an id column that is AUTO_INCREMENT or text (retroscim then generates UUIDs); %q is %s", r.IDColumn, id.ColumnType)
	}
	r.checkIDFormat(p)
	written := map[string]bool{strings.ToLower(r.IDColumn): true}
	if !id.AutoIncrement {
		for _, c := range r.IDCopyTo {
			written[strings.ToLower(c)] = true
		}
	}
	for _, c := range r.insertedColumns() {
		written[strings.ToLower(c)] = true
	}
	var missing []string
	for name, c := range r.columns {
		if written[name] || c.Nullable || c.Default != nil || c.AutoIncrement || c.Generated {
			continue
		}
		missing = append(missing, c.Name)
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		p.add(r.createLine, r.key+".defaults", "create: allow inserts rows, but NOT NULL columns without a default get no value: %s; map them or give them values in %s.defaults", strings.Join(missing, ", "), r.key)
	}
	for _, t := range r.Scope {
		if !written[strings.ToLower(t.Column)] {
			p.add(r.createLine, r.key+".defaults", "create: allow would insert rows without %s, which %s.scope tests; set it in %s.defaults so created rows are inside the scope", t.Column, r.key, r.key)
		}
	}
}
