package legacy

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// The live schema: the columns, indexes and tables retroscim binds a
// mapping to, and the value counts introspect drafts from.

// Column describes one column of a table, from INFORMATION_SCHEMA.
type Column struct {
	Name       string         `db:"COLUMN_NAME"`
	DataType   string         `db:"DATA_TYPE"`
	ColumnType string         `db:"COLUMN_TYPE"`
	IsNullable string         `db:"IS_NULLABLE"`
	MaxChars   sql.NullInt64  `db:"CHARACTER_MAXIMUM_LENGTH"`
	Charset    sql.NullString `db:"CHARACTER_SET_NAME"`
	Collation  sql.NullString `db:"COLLATION_NAME"`
	Default    sql.NullString `db:"COLUMN_DEFAULT"`
	Extra      string         `db:"EXTRA"`
}

// Columns describes the columns of table ("name" in the connection's
// database, or "database.name"). A table that does not exist has no
// columns and is ErrNotFound.
func (s *Store) Columns(ctx context.Context, table string) ([]Column, error) {
	schema, name := "", table
	if i := strings.IndexByte(table, '.'); i >= 0 {
		schema, name = table[:i], table[i+1:]
	}
	var cols []Column
	const q = `SELECT COLUMN_NAME, LOWER(DATA_TYPE) AS DATA_TYPE, COLUMN_TYPE, IS_NULLABLE,
		CHARACTER_MAXIMUM_LENGTH, CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_DEFAULT, EXTRA
		FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND TABLE_NAME = ?
		ORDER BY ORDINAL_POSITION`
	err := s.do(ctx, "columns", true, func(ctx context.Context) error {
		return s.wrap(ctx, s.db.SelectContext(ctx, &cols, q, schema, name))
	})
	if err != nil {
		return nil, fmt.Errorf("describe table %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("describe table %s: %w", table, ErrNotFound)
	}
	return cols, nil
}

// Index is one index of a table, from INFORMATION_SCHEMA.STATISTICS.
type Index struct {
	Name   string
	Unique bool
	// Columns in index order; an expression part (MySQL functional index)
	// is the expression in parentheses.
	Columns []string
}

// Indexes lists the indexes of table.
func (s *Store) Indexes(ctx context.Context, table string) ([]Index, error) {
	schema, name := "", table
	if i := strings.IndexByte(table, '.'); i >= 0 {
		schema, name = table[:i], table[i+1:]
	}
	var rows [][]any
	err := s.do(ctx, "indexes", true, func(ctx context.Context) (err error) {
		rows, err = s.query(ctx, `SELECT INDEX_NAME, NON_UNIQUE, COALESCE(COLUMN_NAME, '')
			FROM information_schema.STATISTICS
			WHERE TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND TABLE_NAME = ?
			ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`, []any{schema, name}, 3)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("indexes of %s: %w", table, err)
	}
	var out []Index
	for _, r := range rows {
		idx, nonUnique, col := asString(r[0]), asString(r[1]), asString(r[2])
		if len(out) == 0 || out[len(out)-1].Name != idx {
			out = append(out, Index{Name: idx, Unique: nonUnique == "0"})
		}
		if col == "" {
			col = "(expression)"
		}
		out[len(out)-1].Columns = append(out[len(out)-1].Columns, col)
	}
	return out, nil
}

func asString(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// Tables lists the base tables and views of the connection's database.
func (s *Store) Tables(ctx context.Context) ([]string, error) {
	var rows [][]any
	err := s.do(ctx, "tables", true, func(ctx context.Context) (err error) {
		rows, err = s.query(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME", nil, 1)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = asString(r[0])
	}
	return out, nil
}

// ValueCount is one value of a column and how many rows hold it.
type ValueCount struct {
	Value string // "NULL" for NULL
	Rows  int64
}

// TopValues lists a column's most common values, most common first.
func (s *Store) TopValues(ctx context.Context, table, column string, limit int) ([]ValueCount, error) {
	rows, err := s.Query(ctx, sqlstmt.Select{
		Columns: []string{"CAST(" + sqlstmt.Ident(column) + " AS CHAR)", "COUNT(*)"},
		From:    sqlstmt.Ident(table),
		GroupBy: []string{"1"},
		Order:   []sqlstmt.OrderKey{{Expr: "2", Desc: true}, {Expr: "1"}},
		Limit:   limit,
	})
	if err != nil {
		return nil, fmt.Errorf("values of %s.%s: %w", table, column, err)
	}
	out := make([]ValueCount, len(rows))
	for i, r := range rows {
		out[i].Value = asString(r[0])
		if r[0] == nil {
			out[i].Value = "NULL"
		}
		out[i].Rows, _ = strconv.ParseInt(asString(r[1]), 10, 64)
	}
	return out, nil
}
