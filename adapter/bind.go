package adapter

import (
	"context"
	"errors"
	"strings"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// BindSchema reads the live definition of every mapped table and checks
// the configuration against it: a missing table or column fails here,
// naming the mapping key and line, before anything is served. The column
// facts it records (collations, nullability, types) drive the SQL the
// filter compiler writes; the index facts, the index lists walk.
func BindSchema(ctx context.Context, cfg *mapping.Config, store Database) error {
	tables := map[string][]mapping.Column{}
	for _, t := range cfg.Tables() {
		cols, err := store.Columns(ctx, t)
		if errors.Is(err, legacy.ErrNotFound) {
			continue // Bind reports the missing table with its line
		}
		if err != nil {
			return err
		}
		tables[t] = MappingColumns(cols)
	}
	if err := cfg.Bind(tables); err != nil {
		return err
	}
	// Index facts choose the index keyset pages walk (mapping.KeysetIndex).
	indexes := map[string][]mapping.Index{}
	for t := range tables {
		idx, err := store.Indexes(ctx, t)
		if err != nil {
			return err
		}
		indexes[t] = MappingIndexes(idx)
	}
	cfg.BindIndexes(indexes)
	return nil
}

// MappingIndexes converts index descriptions from the database into the
// mapping's terms.
func MappingIndexes(idx []legacy.Index) []mapping.Index {
	out := make([]mapping.Index, len(idx))
	for i, ix := range idx {
		out[i] = mapping.Index{Name: ix.Name, Unique: ix.Unique, Columns: ix.Columns}
	}
	return out
}

// MappingColumns converts column descriptions from the database into the
// mapping's terms.
func MappingColumns(cols []legacy.Column) []mapping.Column {
	out := make([]mapping.Column, len(cols))
	for i, c := range cols {
		extra := strings.ToLower(c.Extra)
		mc := mapping.Column{
			Name:          c.Name,
			DataType:      c.DataType,
			ColumnType:    c.ColumnType,
			Nullable:      c.IsNullable == "YES",
			MaxChars:      c.MaxChars.Int64,
			Charset:       c.Charset.String,
			Collation:     c.Collation.String,
			AutoIncrement: strings.Contains(extra, "auto_increment"),
			Generated:     strings.Contains(extra, "generated") || strings.Contains(extra, "virtual") || strings.Contains(extra, "persistent"),
		}
		// MariaDB reports a NULL default as the word NULL; MySQL as SQL NULL.
		if c.Default.Valid && !(c.Default.String == "NULL" && mc.Nullable) {
			d := c.Default.String
			mc.Default = &d
		}
		out[i] = mc
	}
	return out
}
