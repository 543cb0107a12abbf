package legacy

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// TableDefinition is how the server defines a table: each column's
// definition as SHOW CREATE TABLE prints it, and how long an index key may
// be, for DDL that check proposes and retroscim never runs.
type TableDefinition struct {
	// Columns maps each column's lower-case name to its definition after
	// the name, exactly as the server prints it: "varchar(100) NOT NULL
	// DEFAULT ''", "timestamp NOT NULL DEFAULT current_timestamp() ON
	// UPDATE current_timestamp()".
	Columns map[string]string
	// Engine and RowFormat are from INFORMATION_SCHEMA.TABLES.
	Engine, RowFormat string
	// KeyBytes bounds a whole index key and ColumnBytes one column of it
	// (its prefix, for a long column), in bytes.
	KeyBytes, ColumnBytes int
}

// TableDefinition reads the definition of table ("name" or "db.name").
func (s *Store) TableDefinition(ctx context.Context, table string) (TableDefinition, error) {
	schema, name := "", table
	if i := strings.IndexByte(table, '.'); i >= 0 {
		schema, name = table[:i], table[i+1:]
	}
	var def TableDefinition
	err := s.do(ctx, "table definition", true, func(ctx context.Context) error {
		var n, create string
		if err := s.db.QueryRowxContext(ctx, "SHOW CREATE TABLE "+sqlstmt.Ident(table)).Scan(&n, &create); err != nil {
			return s.wrap(ctx, err)
		}
		def.Columns = columnDefinitions(create)
		var engine, rowFormat *string
		var page int
		if err := s.db.QueryRowxContext(ctx, `SELECT ENGINE, ROW_FORMAT, @@innodb_page_size FROM information_schema.TABLES
			WHERE TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND TABLE_NAME = ?`, schema, name).Scan(&engine, &rowFormat, &page); err != nil {
			return s.wrap(ctx, err)
		}
		if engine != nil {
			def.Engine = *engine
		}
		if rowFormat != nil {
			def.RowFormat = *rowFormat
		}
		def.KeyBytes, def.ColumnBytes = keyLimits(def.Engine, def.RowFormat, page)
		return nil
	})
	if err != nil {
		return TableDefinition{}, fmt.Errorf("definition of %s: %w", table, err)
	}
	return def, nil
}

// keyLimits are the index key limits of an engine, in bytes: InnoDB takes
// 3072 bytes per key with 16 KiB pages (1536 with 8 KiB, 768 with 4 KiB),
// and 767 per column in the COMPACT and REDUNDANT row formats; MyISAM takes
// 1000; Aria about 2000 (MariaDB cut a VARCHAR(600) utf8mb4 key to 575
// characters, 2300 bytes: 2000 leaves room). Other engines get MyISAM's.
func keyLimits(engine, rowFormat string, page int) (key, column int) {
	switch strings.ToLower(engine) {
	case "innodb":
		key = 3072
		switch {
		case page > 0 && page <= 4096:
			key = 768
		case page > 0 && page <= 8192:
			key = 1536
		}
		switch strings.ToLower(rowFormat) {
		case "compact", "redundant":
			return key, min(key, 767)
		}
		return key, key
	case "aria":
		return 2000, 2000
	}
	return 1000, 1000
}

// columnDefinitions reads the column lines of SHOW CREATE TABLE: each
// starts with two spaces and the backquoted name, holds the whole
// definition on one line (the server escapes newlines in comments), and
// ends with a comma unless it is the last line before the closing
// parenthesis. Key and constraint lines do not start with a backquote.
func columnDefinitions(create string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(create, "\n") {
		if !strings.HasPrefix(line, "  `") {
			continue
		}
		rest := line[3:]
		var name strings.Builder
		for {
			i := strings.IndexByte(rest, '`')
			if i < 0 {
				rest = ""
				break
			}
			name.WriteString(rest[:i])
			rest = rest[i+1:]
			if strings.HasPrefix(rest, "`") { // `` is one backquote
				name.WriteByte('`')
				rest = rest[1:]
				continue
			}
			break
		}
		def := strings.TrimSuffix(strings.TrimSpace(rest), ",")
		if def != "" {
			out[strings.ToLower(name.String())] = def
		}
	}
	return out
}

// Charset is one character set of the server: the most bytes one
// character takes, and its collations.
type Charset struct {
	MaxLen           int
	DefaultCollation string
	Collations       []string
}

// Charsets lists the server's character sets by name.
func (s *Store) Charsets(ctx context.Context) (map[string]Charset, error) {
	var rows [][]any
	err := s.do(ctx, "charsets", true, func(ctx context.Context) (err error) {
		rows, err = s.query(ctx, `SELECT cs.CHARACTER_SET_NAME, cs.MAXLEN, cs.DEFAULT_COLLATE_NAME, co.COLLATION_NAME
			FROM information_schema.CHARACTER_SETS cs
			JOIN information_schema.COLLATIONS co ON co.CHARACTER_SET_NAME = cs.CHARACTER_SET_NAME
			ORDER BY cs.CHARACTER_SET_NAME, co.COLLATION_NAME`, nil, 4)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list character sets: %w", err)
	}
	out := map[string]Charset{}
	for _, r := range rows {
		name := asString(r[0])
		cs := out[name]
		cs.MaxLen, _ = strconv.Atoi(asString(r[1]))
		cs.DefaultCollation = asString(r[2])
		cs.Collations = append(cs.Collations, asString(r[3]))
		out[name] = cs
	}
	return out, nil
}
