package mapping

import (
	"fmt"
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
	if c, ok := r.columns[strings.ToLower(name)]; ok {
		return c
	}
	return defaultColumn(name)
}

// Tables lists the tables the configuration maps.
func (c *Config) Tables() []string {
	if c.Users == nil {
		return nil
	}
	return []string{c.Users.Table}
}

// Bind checks the mapping against the live schema and records column facts
// for the compiler. tables maps each name from Tables to its columns; a
// missing entry means the table does not exist.
func (c *Config) Bind(tables map[string][]Column) error {
	p := &problems{file: c.File}
	if c.Users != nil {
		c.Users.bind(tables, p)
	}
	return p.err()
}

func (r *Resource) bind(tables map[string][]Column, p *problems) {
	cols, ok := tables[r.Table]
	if !ok || len(cols) == 0 {
		var names []string
		for t := range tables {
			names = append(names, t)
		}
		msg := fmt.Sprintf("table %q does not exist in the database", r.Table)
		if s := suggest(r.Table, names); s != "" {
			msg += fmt.Sprintf(", did you mean %q?", s)
		}
		p.add(r.line, r.key+".table", "%s", msg)
		return
	}
	r.columns = make(map[string]*Column, len(cols))
	var names []string
	for i := range cols {
		r.columns[strings.ToLower(cols[i].Name)] = &cols[i]
		names = append(names, cols[i].Name)
	}
	sort.Strings(names)
	for _, ref := range r.refs {
		if _, ok := r.columns[strings.ToLower(ref.column)]; ok {
			continue
		}
		msg := fmt.Sprintf("column %q does not exist in table %q", ref.column, r.Table)
		if s := suggest(ref.column, names); s != "" {
			msg += fmt.Sprintf(", did you mean %q?", s)
		} else {
			msg += fmt.Sprintf(" (it has %s)", strings.Join(names, ", "))
		}
		p.add(ref.line, ref.key, "%s", msg)
	}
}
