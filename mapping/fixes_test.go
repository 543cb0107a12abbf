package mapping

import (
	"strings"
	"testing"
)

// TestWithCollation rewrites column definitions as MariaDB and MySQL 8
// print them: the character set and collation change, the rest stays.
func TestWithCollation(t *testing.T) {
	tests := []struct{ def, want string }{
		{"varchar(100) NOT NULL DEFAULT ''", "varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL DEFAULT ''"},
		// MariaDB names the charset when it differs from the table's.
		{"varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '' COMMENT 'it''s \"the\" login'", "varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL DEFAULT '' COMMENT 'it''s \"the\" login'"},
		// MySQL 8 often prints the collation alone, and comments of its own.
		{"varchar(64) COLLATE utf8mb4_bin DEFAULT NULL /*!80023 INVISIBLE */", "varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci DEFAULT NULL /*!80023 INVISIBLE */"},
		{"char(10) CHARSET latin1 COLLATE latin1_bin NOT NULL", "char(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL"},
		// Words inside quotes and parentheses are not clauses.
		{"varchar(20) DEFAULT 'COLLATE x' COMMENT 'CHARACTER SET y'", "varchar(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci DEFAULT 'COLLATE x' COMMENT 'CHARACTER SET y'"},
		{"varchar(100) GENERATED ALWAYS AS (lcase(`a` COLLATE utf8mb4_bin)) VIRTUAL", "varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci GENERATED ALWAYS AS (lcase(`a` COLLATE utf8mb4_bin)) VIRTUAL"},
		{"enum('a','b c') NOT NULL DEFAULT 'a'", "enum('a','b c') CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL DEFAULT 'a'"},
		{"longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`js`))", "longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci DEFAULT NULL CHECK (json_valid(`js`))"},
		{"varchar(10) BINARY NOT NULL", "varchar(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL"},
		{"varchar(10) DEFAULT 'a\\'b' NOT NULL", "varchar(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci DEFAULT 'a\\'b' NOT NULL"},
		// Bytes become text of the same size; binary types have no charset.
		{"varbinary(255) NOT NULL DEFAULT ''", "varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL DEFAULT ''"},
		{"binary(14) NOT NULL", "char(14) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL"},
		{"tinyblob NOT NULL", "tinytext CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL"},
		{"blob DEFAULT NULL", "text CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci DEFAULT NULL"},
		{"mediumblob", "mediumtext CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"},
		{"longblob NOT NULL", "longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL"},
	}
	for _, tt := range tests {
		got, ok := withCollation(tt.def, "utf8mb4", "utf8mb4_general_ci")
		if !ok || got != tt.want {
			t.Errorf("withCollation(%q) =\n %q, %v\nwant %q", tt.def, got, ok, tt.want)
		}
	}
	for _, def := range []string{"int(11) NOT NULL", "datetime(6) DEFAULT NULL", "timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()", ""} {
		if got, ok := withCollation(def, "utf8mb4", "utf8mb4_general_ci"); ok {
			t.Errorf("withCollation(%q) = %q, want no rewrite of a type without a collation", def, got)
		}
	}
}

// FuzzWithCollation: no definition makes the rewrite panic, and what it
// returns starts with a type and names the collation once.
func FuzzWithCollation(f *testing.F) {
	for _, s := range []string{"varchar(100) NOT NULL DEFAULT ''", "varbinary(3) COMMENT 'a''b'", "text /* x", "char('", "enum('a)','b'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, def string) {
		got, ok := withCollation(def, "utf8mb4", "utf8mb4_general_ci")
		if ok && strings.Count(got, "COLLATE utf8mb4_general_ci") < 1 {
			t.Errorf("withCollation(%q) = %q", def, got)
		}
	})
}

// TestCreateIndex sizes index keys: whole columns where they fit, a prefix
// for TEXT and BLOB and for what a row format's limit cannot hold, names
// no index of the table has.
func TestCreateIndex(t *testing.T) {
	cols := []Column{
		{Name: "org", DataType: "int"},
		{Name: "login", DataType: "varchar", MaxChars: 255, Charset: "utf8mb4"},
		{Name: "code", DataType: "varchar", MaxChars: 1000, Charset: "latin1"},
		{Name: "note", DataType: "text", MaxChars: 65535, Charset: "utf8mb4"},
		{Name: "tiny", DataType: "tinytext", MaxChars: 255, Charset: "utf8mb4"},
		{Name: "raw", DataType: "blob", MaxChars: 65535},
		{Name: "big", DataType: "varchar", MaxChars: 2000, Charset: "utf8mb4"},
		{Name: "big2", DataType: "varchar", MaxChars: 700, Charset: "utf8mb4"},
	}
	charsets := map[string]Charset{"utf8mb4": {MaxLen: 4}, "latin1": {MaxLen: 1}}
	dynamic := TableDefinition{KeyBytes: 3072, ColumnBytes: 3072}
	compact := TableDefinition{KeyBytes: 3072, ColumnBytes: 767}
	myisam := TableDefinition{KeyBytes: 1000, ColumnBytes: 1000}
	tests := []struct {
		def  TableDefinition
		cols []string
		want string
	}{
		{dynamic, []string{"org", "login"}, "(`org`, `login`)"},
		{compact, []string{"org", "login"}, "(`org`, `login`(191))"},
		{compact, []string{"code"}, "(`code`(767))"},
		{dynamic, []string{"org", "note"}, "(`org`, `note`(191))"},
		{dynamic, []string{"tiny"}, "(`tiny`(63))"},
		{dynamic, []string{"raw"}, "(`raw`(767))"},
		{dynamic, []string{"big"}, "(`big`(191))"},
		{myisam, []string{"org", "login"}, "(`org`, `login`(191))"},
		{dynamic, []string{"org", "big2", "login"}, "(`org`, `big2`(191), `login`)"},
		{myisam, []string{"org", "big2", "login"}, "(`org`, `big2`(124), `login`(124))"},
	}
	for _, tt := range tests {
		fx := newFixer(&SchemaFacts{Columns: map[string][]Column{"t": cols}, Definitions: map[string]TableDefinition{"t": tt.def}, Charsets: charsets})
		got, _ := fx.createIndex("t", tt.cols...)
		if !strings.HasSuffix(got, " ON `t` "+tt.want+";") {
			t.Errorf("createIndex(%v) with limits %d/%d = %s, want ... %s", tt.cols, tt.def.KeyBytes, tt.def.ColumnBytes, got, tt.want)
		}
	}
	fx := newFixer(&SchemaFacts{Columns: map[string][]Column{"t": cols}, Indexes: map[string][]Index{"t": {{Name: "ix_t_login"}, {Name: "IX_T_LOGIN_2"}}}})
	if got, _ := fx.createIndex("t", "login"); !strings.HasPrefix(got, "CREATE INDEX `ix_t_login_3` ") {
		t.Errorf("a taken name: %s", got)
	}
	if a, b := fx.indexName("t", []string{strings.Repeat("ä", 70)}), fx.indexName("t", []string{strings.Repeat("ä", 70)}); len([]rune(a)) != 64 || len([]rune(b)) != 64 || a == b {
		t.Errorf("long names: %q %q", a, b)
	}
}
