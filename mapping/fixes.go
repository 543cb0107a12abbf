package mapping

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// TableDefinition is how the server defines a table, for the DDL check
// proposes: each column's definition as SHOW CREATE TABLE prints it (after
// the name, by lower-case name), and the index key limits in bytes.
type TableDefinition struct {
	Columns               map[string]string
	KeyBytes, ColumnBytes int
}

// Charset is one character set of the server: the most bytes a character
// takes, and its collations.
type Charset struct {
	MaxLen           int
	DefaultCollation string
	Collations       []string
}

// fixer writes the DDL of check's fixes. Every statement keeps what it does
// not mean to change: an ALTER TABLE ... MODIFY starts from the server's
// own definition of the column (type, NULL, DEFAULT, ON UPDATE, COMMENT,
// CHECK, INVISIBLE, generation) and replaces only its character set and
// collation; a CREATE INDEX gives a long column a prefix that fits the
// table's key limit, and a name no index of the table has.
//
// The SQL stays within what MariaDB 10.11 and MySQL 8 both accept: no
// functional index ((LOWER(col))), which MariaDB lacks; no CREATE INDEX IF
// NOT EXISTS or MODIFY IF EXISTS, which MySQL lacks; no collation only one
// of them has (utf8mb4_0900_ai_ci, utf8mb4_uca1400_ai_ci); and no
// ALGORITHM or LOCK clause, which would make the statement fail where the
// server cannot honour it.
type fixer struct {
	facts *SchemaFacts
	// proposed maps a table and column list to the statement proposed for
	// it, so that two findings wanting one index propose one statement.
	proposed map[string]string
	// names are index names taken, by lower-case table and name.
	names map[string]bool
}

func newFixer(facts *SchemaFacts) *fixer {
	fx := &fixer{facts: facts, proposed: map[string]string{}, names: map[string]bool{}}
	for t, idx := range facts.Indexes {
		for _, ix := range idx {
			fx.names[strings.ToLower(t)+"\x00"+strings.ToLower(ix.Name)] = true
		}
	}
	return fx
}

// definition is the server's definition of a column, or "".
func (fx *fixer) definition(table, column string) string {
	return fx.facts.Definitions[table].Columns[strings.ToLower(column)]
}

// charset is what the server says of a character set; MaxLen defaults to
// 4 (utf8mb4, the widest common one) when the server was not asked.
func (fx *fixer) charset(name string) Charset {
	if cs, ok := fx.facts.Charsets[name]; ok && cs.MaxLen > 0 {
		return cs
	}
	if name == "binary" {
		return Charset{MaxLen: 1}
	}
	return Charset{MaxLen: 4}
}

// caseInsensitiveCollation picks a case-insensitive collation of charset
// that MariaDB and MySQL 8 both have: <charset>_general_ci when the server
// has it (utf8mb4, utf8mb3, latin1, ascii and most others), else the
// charset's default when that is case-insensitive; "" when there is none.
func (fx *fixer) caseInsensitiveCollation(charset string) string {
	want := charset + "_general_ci"
	cs, known := fx.facts.Charsets[charset]
	switch {
	case !known:
		return want
	case slices.Contains(cs.Collations, want):
		return want
	case strings.HasSuffix(cs.DefaultCollation, "_ci"):
		return cs.DefaultCollation
	}
	return ""
}

// textTypes are the text types that hold what each binary type holds.
var textTypes = map[string]string{
	"binary": "char", "varbinary": "varchar",
	"tinyblob": "tinytext", "blob": "text", "mediumblob": "mediumtext", "longblob": "longtext",
}

// modifyCollation is ALTER TABLE ... MODIFY giving column a
// case-insensitive collation and nothing else new; "" when the server's
// definition of the column is not known or the character set has no such
// collation. A binary column becomes the text type of the same size in
// utf8mb4 (binary types have no character set).
func (fx *fixer) modifyCollation(table string, col *Column) string {
	def := fx.definition(table, col.Name)
	if def == "" {
		return ""
	}
	charset := col.Charset
	if col.kind() == kindBinary || charset == "" || charset == "binary" {
		charset = "utf8mb4"
	}
	collation := fx.caseInsensitiveCollation(charset)
	if collation == "" {
		return ""
	}
	newDef, ok := withCollation(def, charset, collation)
	if !ok {
		return ""
	}
	return "ALTER TABLE " + sqlstmt.Ident(table) + " MODIFY " + sqlstmt.Ident(col.Name) + " " + newDef + ";"
}

// withCollation rewrites a column definition as SHOW CREATE TABLE prints
// it ("varchar(100) COLLATE utf8mb4_bin NOT NULL DEFAULT 'x'") so that it
// has charset and collation right after the type and nowhere else, and
// is otherwise the same text. A binary type becomes its text type. ok is
// false when the definition does not start with a type that can have a
// collation.
func withCollation(def, charset, collation string) (string, bool) {
	toks := ddlTokens(def)
	if len(toks) == 0 {
		return "", false
	}
	typ := toks[0]
	base := strings.ToLower(typ)
	args := ""
	if i := strings.IndexByte(typ, '('); i >= 0 {
		base, args = strings.ToLower(typ[:i]), typ[i:]
	}
	switch base {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set":
	default:
		t, ok := textTypes[base]
		if !ok {
			return "", false
		}
		typ = t + args
	}
	out := []string{typ, "CHARACTER SET", charset, "COLLATE", collation}
	rest := toks[1:]
	for i := 0; i < len(rest); i++ {
		switch w := strings.ToUpper(rest[i]); {
		case w == "CHARACTER" && i+2 < len(rest) && strings.EqualFold(rest[i+1], "SET"):
			i += 2
		case (w == "CHARSET" || w == "COLLATE") && i+1 < len(rest):
			i++
		case w == "BINARY" || w == "ASCII" || w == "UNICODE":
			// MySQL's old type attributes (varchar(10) BINARY): a collation
			// by another name.
		default:
			out = append(out, rest[i])
		}
	}
	return strings.Join(out, " "), true
}

// ddlTokens splits a column definition at the spaces outside quotes,
// parentheses and /* */ comments: "varchar(100)", "DEFAULT", "'a b'",
// "(lcase(`x`))", "/*!80023 INVISIBLE */" are one token each.
func ddlTokens(s string) []string {
	var out []string
	start, depth := -1, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if start < 0 {
			if c == ' ' || c == '\t' {
				continue
			}
			start = i
		}
		switch {
		case c == '\'' || c == '"' || c == '`':
			for i++; i < len(s); i++ {
				if s[i] == '\\' && c != '`' {
					i++
					continue
				}
				if s[i] == c {
					if i+1 < len(s) && s[i+1] == c {
						i++
						continue
					}
					break
				}
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			if j := strings.Index(s[i+2:], "*/"); j >= 0 {
				i += j + 3
			} else {
				i = len(s)
			}
		case c == '(':
			depth++
		case c == ')':
			depth--
		case (c == ' ' || c == '\t') && depth == 0:
			out = append(out, s[start:i])
			start = -1
		}
	}
	if start >= 0 && start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// prefixBytes is the prefix check gives a long column in an index: 767
// bytes, InnoDB's limit per column in the COMPACT and REDUNDANT row
// formats, so the index fits every row format and MyISAM's 1000 bytes, and
// leaves most of the 3072-byte key for the other columns. That is 191
// characters of utf8mb4, 255 of utf8mb3, 767 of latin1: more than any login
// or e-mail address an index narrows by. A lookup through a prefix is still
// exact, because the server compares the whole value on the row.
const prefixBytes = 767

// indexPart is one column of a proposed index.
type indexPart struct {
	name   string
	bytes  int  // what the key holds of it
	maxLen int  // bytes per character; 1 for binary
	prefix int  // characters (bytes for binary) of a prefix; 0: whole
	chars  int  // its length in characters (bytes for binary); 0: unbounded
	text   bool // a string type, which may take a prefix
	binary bool // its lengths count bytes
	// blob marks TEXT and BLOB types, which an index takes only by a
	// prefix (MySQL refuses them whole).
	blob bool
}

// indexFix sets f.Fix to the CREATE INDEX of table on cols, and says in the
// message which columns get a prefix and why.
func (fx *fixer) indexFix(f *Finding, table string, cols ...string) {
	stmt, note := fx.createIndex(table, cols...)
	f.Fix = stmt
	if note != "" {
		f.Message += " (" + note + ")"
	}
}

// createIndex proposes CREATE INDEX on cols of table: a name that no index
// of the table has (ix_<table>_<columns>, at most 64 characters), and a
// prefix for each column the key cannot hold whole (TEXT and BLOB always,
// as MySQL requires; a long VARCHAR when it passes the table's limits).
func (fx *fixer) createIndex(table string, cols ...string) (stmt, note string) {
	key := strings.ToLower(table + "\x00" + strings.Join(cols, "\x00"))
	if s, ok := fx.proposed[key]; ok {
		return s, ""
	}
	def := fx.facts.Definitions[table]
	keyLimit, colLimit := def.KeyBytes, def.ColumnBytes
	if keyLimit == 0 {
		keyLimit, colLimit = 3072, prefixBytes // not known: the narrowest InnoDB
	}
	parts := make([]indexPart, len(cols))
	for i, c := range cols {
		parts[i] = fx.part(table, c)
	}
	fit := func(p *indexPart, bytes int) {
		p.prefix = bytes / p.maxLen
		if p.chars > 0 && p.prefix >= p.chars {
			p.prefix = 0
			if p.blob {
				p.prefix = p.chars
			}
		}
		p.bytes = max(p.prefix, p.chars) * p.maxLen
		if p.prefix > 0 {
			p.bytes = p.prefix * p.maxLen
		}
	}
	for i := range parts {
		if p := &parts[i]; p.blob || (p.text && p.bytes > colLimit) {
			fit(p, min(prefixBytes, colLimit))
		}
	}
	total := func() int {
		n := 0
		for _, p := range parts {
			n += p.bytes
		}
		return n
	}
	// Still too long: prefix the widest whole string columns, then share
	// what the other columns leave among the prefixes.
	for total() > keyLimit {
		w := -1
		for i, p := range parts {
			if p.text && p.prefix == 0 && (w < 0 || p.bytes > parts[w].bytes) {
				w = i
			}
		}
		if w < 0 {
			break
		}
		fit(&parts[w], min(prefixBytes, colLimit))
	}
	if total() > keyLimit {
		fixed, n := 0, 0
		for _, p := range parts {
			if p.prefix > 0 {
				n++
			} else {
				fixed += p.bytes
			}
		}
		if n == 0 || keyLimit-fixed < n {
			return "", ""
		}
		for i := range parts {
			if parts[i].prefix > 0 {
				fit(&parts[i], (keyLimit-fixed)/n)
				if parts[i].prefix == 0 && parts[i].blob {
					return "", ""
				}
			}
		}
	}
	q := make([]string, len(parts))
	var notes []string
	for i, p := range parts {
		q[i] = sqlstmt.Ident(p.name)
		if p.prefix > 0 {
			q[i] += "(" + strconv.Itoa(p.prefix) + ")"
			size := fmt.Sprintf("%d characters (%d bytes)", p.prefix, p.bytes)
			if p.binary {
				size = fmt.Sprintf("%d bytes", p.prefix)
			}
			notes = append(notes, fmt.Sprintf("%s is indexed by its first %s, which fits the table's index key limit; a lookup still compares the whole value", p.name, size))
		}
	}
	stmt = "CREATE INDEX " + sqlstmt.Ident(fx.indexName(table, cols)) + " ON " + sqlstmt.Ident(table) + " (" + strings.Join(q, ", ") + ");"
	fx.proposed[key] = stmt
	return stmt, strings.Join(notes, "; ")
}

func (fx *fixer) column(table, column string) *Column {
	for i, c := range fx.facts.Columns[table] {
		if strings.EqualFold(c.Name, column) {
			return &fx.facts.Columns[table][i]
		}
	}
	return nil
}

// part sizes one column for an index key.
func (fx *fixer) part(table, column string) indexPart {
	p := indexPart{name: column, maxLen: 1}
	c := fx.column(table, column)
	if c == nil {
		p.bytes = 8
		return p
	}
	switch c.DataType {
	case "char", "varchar":
		p.text, p.maxLen, p.chars = true, fx.charset(c.Charset).MaxLen, int(c.MaxChars)
		p.bytes = p.chars * p.maxLen
	case "binary", "varbinary":
		p.text, p.binary, p.chars = true, true, int(c.MaxChars)
		p.bytes = p.chars
	case "tinytext", "text", "mediumtext", "longtext":
		// CHARACTER_MAXIMUM_LENGTH of a TEXT type counts bytes.
		p.text, p.blob, p.maxLen = true, true, fx.charset(c.Charset).MaxLen
		p.chars = int(c.MaxChars) / p.maxLen
	case "tinyblob", "blob", "mediumblob", "longblob":
		p.text, p.blob, p.binary, p.chars = true, true, true, int(c.MaxChars)
	case "tinyint", "year":
		p.bytes = 1
	case "smallint", "enum":
		p.bytes = 2
	case "mediumint", "date", "time":
		p.bytes = 3
	case "int", "integer", "timestamp", "float":
		p.bytes = 4
	case "decimal", "numeric":
		p.bytes = 32
	default:
		p.bytes = 8
	}
	return p
}

// indexName is ix_<table>_<columns>, cut to MySQL's 64 characters, with _2,
// _3, ... when the table has (or check has proposed) an index of that name.
func (fx *fixer) indexName(table string, cols []string) string {
	base := "ix_" + strings.ReplaceAll(table, ".", "_") + "_" + strings.Join(cols, "_")
	name := cutRunes(base, 64)
	for n := 2; fx.names[strings.ToLower(table)+"\x00"+strings.ToLower(name)]; n++ {
		suffix := "_" + strconv.Itoa(n)
		name = cutRunes(base, 64-len(suffix)) + suffix
	}
	fx.names[strings.ToLower(table)+"\x00"+strings.ToLower(name)] = true
	return name
}

// cutRunes cuts s to at most n characters.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
