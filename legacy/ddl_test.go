package legacy

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTableDefinition reads back the server's own definition of each
// column, with an empty DEFAULT, ON UPDATE, COMMENT, INVISIBLE and a generated
// column, and the key limits of the table's row format.
func TestTableDefinition(t *testing.T) {
	s, _ := openStore(t, "CREATE TABLE `we``ird` (\n"+
		"  id INT UNSIGNED NOT NULL PRIMARY KEY,\n"+
		"  login VARCHAR(100) COLLATE utf8mb4_bin NOT NULL DEFAULT '' COMMENT 'it''s, (the) login',\n"+
		"  `a``b` VARBINARY(10) NULL,\n"+
		"  updated TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,\n"+
		"  hid INT INVISIBLE DEFAULT 3,\n"+
		"  low VARCHAR(100) AS (LOWER(login)) VIRTUAL,\n"+
		"  KEY ix_login (login)\n"+
		") ENGINE=InnoDB ROW_FORMAT=COMPACT DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci")
	def, err := s.TableDefinition(context.Background(), "we`ird")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"id":      "int(10) unsigned NOT NULL",
		"login":   "varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '' COMMENT 'it''s, (the) login'",
		"a`b":     "varbinary(10) DEFAULT NULL",
		"updated": "timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()",
		"hid":     "int(11) INVISIBLE DEFAULT 3",
		"low":     "varchar(100) GENERATED ALWAYS AS (lcase(`login`)) VIRTUAL",
	}
	if diff := cmp.Diff(want, def.Columns); diff != "" {
		t.Errorf("columns mismatch (-want +got):\n%s", diff)
	}
	if def.Engine != "InnoDB" || def.RowFormat != "Compact" || def.KeyBytes != 3072 || def.ColumnBytes != 767 {
		t.Errorf("engine %s, row format %s, limits %d/%d; want InnoDB Compact 3072/767", def.Engine, def.RowFormat, def.KeyBytes, def.ColumnBytes)
	}
	cs, err := s.Charsets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if u := cs["utf8mb4"]; u.MaxLen != 4 || len(u.Collations) < 2 {
		t.Errorf("utf8mb4 = %+v", u)
	}
}

func TestKeyLimits(t *testing.T) {
	tests := []struct {
		engine, format string
		page           int
		key, col       int
	}{
		{"InnoDB", "Dynamic", 16384, 3072, 3072},
		{"InnoDB", "Compressed", 16384, 3072, 3072},
		{"InnoDB", "Redundant", 16384, 3072, 767},
		{"InnoDB", "Dynamic", 8192, 1536, 1536},
		{"InnoDB", "Compact", 4096, 768, 767},
		{"MyISAM", "Dynamic", 16384, 1000, 1000},
		{"Aria", "Page", 16384, 2000, 2000},
	}
	for _, tt := range tests {
		if k, c := keyLimits(tt.engine, tt.format, tt.page); k != tt.key || c != tt.col {
			t.Errorf("keyLimits(%s, %s, %d) = %d, %d; want %d, %d", tt.engine, tt.format, tt.page, k, c, tt.key, tt.col)
		}
	}
}
