package main

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
)

// fixSchemas are real apps' user tables, each with what check proposes to
// fix: a case-sensitive login with an empty default and a COMMENT next to an ON
// UPDATE timestamp (Zabbix), bytes columns (MediaWiki: VARBINARY, TINYBLOB,
// a binary table charset), a LONGTEXT key (WordPress user meta), a VARCHAR
// too long for a COMPACT row format's index, and a scope the index should
// lead with.
var fixSchemas = []struct {
	name, schema, config string
	want                 []string // the fixes, in file order
}{
	{
		name: "zabbix",
		schema: `CREATE TABLE users (
  userid          BIGINT UNSIGNED NOT NULL,
  username        VARCHAR(100) COLLATE utf8mb4_bin NOT NULL DEFAULT '' COMMENT 'login name, it''s "unique"',
  name            VARCHAR(100) NOT NULL DEFAULT '',
  surname         VARCHAR(100) NOT NULL DEFAULT '',
  userdirectoryid BIGINT UNSIGNED NULL,
  updated         TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  hidden_flag     INT INVISIBLE DEFAULT 3,
  PRIMARY KEY (userid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
INSERT INTO users (userid, username, name, surname, userdirectoryid) VALUES
  (1, 'Admin', 'Zabbix', 'Administrator', NULL), (2, 'ann@x.test', 'Ann', 'A', 1), (3, '', '', '', 1), (4, 'Ben@x.test', 'Ben', '', 1);`,
		config: `users:
  table: users
  id: userid
  scope: { userdirectoryid: 1 }
  attributes:
    userName: { column: username }
    name.givenName: { column: name }
    name.familyName: { column: surname }
`,
		want: []string{
			"ALTER TABLE `users` MODIFY `username` varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL DEFAULT '' COMMENT 'login name, it''s \"unique\"';",
			"CREATE INDEX `ix_users_userdirectoryid_username` ON `users` (`userdirectoryid`, `username`);",
		},
	},
	{
		name: "mediawiki",
		schema: `CREATE TABLE user (
  user_id        INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_name      VARBINARY(255) NOT NULL DEFAULT '',
  user_real_name VARBINARY(255) NOT NULL DEFAULT '',
  user_email     TINYBLOB NOT NULL,
  user_touched   BINARY(14) NOT NULL,
  user_token     BINARY(32) NOT NULL DEFAULT '',
  user_ext       BLOB NULL,
  KEY user_touched (user_touched)
) ENGINE=InnoDB DEFAULT CHARSET=binary;
INSERT INTO user (user_name, user_real_name, user_email, user_touched, user_ext) VALUES
  ('Ann', 'Ann A', 'ann@x.test', '20240101000000', '00u1'), ('Ben', '', 'ben@x.test', '20240101000000', NULL);`,
		config: `users:
  table: user
  id: user_id
  scope: all
  attributes:
    userName: { column: user_name }
    displayName: { column: user_real_name }
    'emails[type eq "work"].value': { column: user_email }
    externalId: { column: user_ext }
`,
		want: []string{
			"ALTER TABLE `user` MODIFY `user_name` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL DEFAULT '';",
			"CREATE INDEX `ix_user_user_name` ON `user` (`user_name`);",
			"ALTER TABLE `user` MODIFY `user_real_name` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL DEFAULT '';",
			"ALTER TABLE `user` MODIFY `user_email` tinytext CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL;",
			"CREATE INDEX `ix_user_user_email` ON `user` (`user_email`(255));",
			"CREATE INDEX `ix_user_user_ext` ON `user` (`user_ext`(767));",
		},
	},
	{
		name: "wordpress",
		schema: `CREATE TABLE wp_users (
  ID            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_login    VARCHAR(60) NOT NULL DEFAULT '',
  user_email    VARCHAR(100) NOT NULL DEFAULT '',
  display_name  VARCHAR(250) NOT NULL DEFAULT '',
  meta_value    LONGTEXT COLLATE utf8mb4_unicode_ci,
  user_status   INT NOT NULL DEFAULT 0,
  PRIMARY KEY (ID),
  KEY user_login_key (user_login),
  KEY user_email (user_email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO wp_users (user_login, user_email, display_name, meta_value) VALUES ('ann', 'ann@x.test', 'Ann', '00u1'), ('ben', 'ben@x.test', '', NULL);`,
		config: `users:
  table: wp_users
  id: ID
  scope: { user_status: 0 }
  attributes:
    userName: { column: user_login }
    'emails[type eq "work"].value': { column: user_email }
    externalId: { column: meta_value }
`,
		want: []string{
			"CREATE INDEX `ix_wp_users_user_status_meta_value` ON `wp_users` (`user_status`, `meta_value`(191));",
		},
	},
	{
		name: "compact row format",
		schema: `CREATE TABLE members (
  id      INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org     INT UNSIGNED NOT NULL,
  kind    VARCHAR(10) NOT NULL DEFAULT 'sso',
  email   VARCHAR(255) NOT NULL,
  ix_members_org_kind_email INT NULL,
  KEY ix_members_org_kind_email (org)
) ENGINE=InnoDB ROW_FORMAT=COMPACT DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
INSERT INTO members (org, kind, email) VALUES (1, 'sso', 'ann@x.test'), (1, 'local', 'root@x.test');`,
		config: `auth:
  bearer_tokens:
    - { name: okta, token: "${RETROSCIM_TOKEN}", tenant: "1" }
users:
  table: members
  id: id
  tenant: org
  scope: { kind: sso }
  attributes:
    userName: { column: email }
`,
		// KEY (org) is (org, id) in InnoDB: it serves the tenant's keyset
		// walk, so no index for it is proposed.
		want: []string{
			"CREATE INDEX `ix_members_org_kind_email_2` ON `members` (`org`, `kind`, `email`(191));",
		},
	},
}

// TestCheckFixesRunOnCopy runs check on real apps' tables and then every
// statement it proposes, each on a copy of its table (CREATE TABLE ...
// LIKE, INSERT ... SELECT) on the real server: each must succeed, and
// SHOW CREATE TABLE before and after must differ only by what the
// statement means to change: an ALTER ... MODIFY changes the column's
// character set and collation (and a bytes type into its text type) and
// keeps its NULL, DEFAULT, COMMENT and every other column; a CREATE INDEX
// adds one key and changes no column. The rows are the same bytes after.
func TestCheckFixesRunOnCopy(t *testing.T) {
	for _, tt := range fixSchemas {
		t.Run(tt.name, func(t *testing.T) {
			config := "database: { dsn: \"${RETROSCIM_DSN}\" }\n" + tt.config
			if !strings.Contains(config, "bearer_tokens") {
				config = strings.Replace(config, "\n", "\nauth:\n  bearer_tokens:\n    - { name: okta, token: \"${RETROSCIM_TOKEN}\" }\n", 1)
			}
			_, rep, _ := runCheck(t, tt.schema, config)
			dsn := mustEnv(t)
			var fixes []string
			for _, f := range rep.Findings {
				if f.Fix != "" && !slices.Contains(fixes, f.Fix) {
					fixes = append(fixes, f.Fix)
				}
			}
			if strings.Join(fixes, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("fixes:\n%s\nwant:\n%s\nfindings:\n%s", strings.Join(fixes, "\n"), strings.Join(tt.want, "\n"), describeFindings(rep.Findings))
			}
			for _, fix := range fixes {
				runFixOnCopy(t, dsn, fix)
			}
		})
	}
}

// mustEnv is the DSN runCheck gave check.
func mustEnv(t *testing.T) string {
	t.Helper()
	for _, kv := range strings.Split(strings.Join(envList(), "\n"), "\n") {
		if v, ok := strings.CutPrefix(kv, "RETROSCIM_DSN="); ok {
			return v
		}
	}
	t.Fatal("RETROSCIM_DSN is not set")
	return ""
}

var (
	fixTarget = regexp.MustCompile("^(ALTER TABLE|CREATE INDEX `[^`]+` ON) `([^`]+)`")
	// collationWords are what an ALTER ... MODIFY means to change.
	collationWords = regexp.MustCompile(` (CHARACTER SET|COLLATE) \w+`)
	textOfBinary   = strings.NewReplacer("varbinary(", "varchar(", "binary(", "char(", "tinyblob", "tinytext", "mediumblob", "mediumtext", "longblob", "longtext", "blob", "text")
)

// runFixOnCopy runs stmt on a copy of the table it names and compares the
// copy's definition and rows with the table's.
func runFixOnCopy(t *testing.T, dsn, stmt string) {
	t.Helper()
	m := fixTarget.FindStringSubmatch(stmt)
	if m == nil {
		t.Fatalf("not an ALTER TABLE or CREATE INDEX: %s", stmt)
	}
	table := m[2]
	cp := table + "_fixcopy"
	legacytest.MustExec(t, dsn, "DROP TABLE IF EXISTS `"+cp+"`", "CREATE TABLE `"+cp+"` LIKE `"+table+"`", "INSERT INTO `"+cp+"` SELECT * FROM `"+table+"`")
	before := showCreate(t, dsn, cp)
	onCopy := m[1] + " `" + cp + "`" + stmt[len(m[0]):]
	legacytest.MustExec(t, dsn, onCopy)
	after := showCreate(t, dsn, cp)

	cols := func(lines []string) map[string]string {
		out := map[string]string{}
		for _, l := range lines {
			if strings.HasPrefix(l, "  `") {
				name := l[3 : 3+strings.IndexByte(l[3:], '`')]
				out[name] = strings.TrimSuffix(l, ",")
			}
		}
		return out
	}
	keys := func(lines []string) []string {
		var out []string
		for _, l := range lines {
			if strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "  `") {
				out = append(out, strings.TrimSuffix(l, ","))
			}
		}
		return out
	}
	bc, ac := cols(before), cols(after)
	changed := ""
	if strings.HasPrefix(stmt, "ALTER TABLE") {
		changed = stmt[strings.Index(stmt, "MODIFY `")+8:]
		changed = changed[:strings.IndexByte(changed, '`')]
		want, got := collationWords.ReplaceAllString(bc[changed], ""), collationWords.ReplaceAllString(ac[changed], "")
		if textOfBinary.Replace(want) != got {
			t.Errorf("%s\nchanged more of %s than its collation:\n before %s\n after  %s", stmt, changed, bc[changed], ac[changed])
		}
		coll := legacytest.Row(t, dsn, "SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?", cp, changed)
		if !strings.HasSuffix(coll[0], "_ci") || !strings.Contains(stmt, "COLLATE "+coll[0]) {
			t.Errorf("%s: the column's collation is %s", stmt, coll)
		}
		if b, a := fmt.Sprint(keys(before)), fmt.Sprint(keys(after)); b != a {
			t.Errorf("%s changed the keys:\n before %s\n after  %s", stmt, b, a)
		}
	} else {
		bk, ak := keys(before), keys(after)
		var added []string
		for _, k := range ak {
			if !slices.Contains(bk, k) {
				added = append(added, k)
			}
		}
		name := stmt[len("CREATE INDEX `"):]
		name = name[:strings.IndexByte(name, '`')]
		if len(ak) != len(bk)+1 || len(added) != 1 || !strings.HasPrefix(added[0], "  KEY `"+name+"` ") {
			t.Errorf("%s: keys before %v, after %v", stmt, bk, ak)
		}
	}
	for name, def := range bc {
		if name != changed && ac[name] != def {
			t.Errorf("%s changed column %s:\n before %s\n after  %s", stmt, name, def, ac[name])
		}
	}
	if len(ac) != len(bc) {
		t.Errorf("%s: %d columns before, %d after", stmt, len(bc), len(ac))
	}
	if b, a := rowsHex(t, dsn, table), rowsHex(t, dsn, cp); b != a {
		t.Errorf("%s changed the rows:\n before %s\n after  %s", stmt, b, a)
	}
}

func showCreate(t *testing.T, dsn, table string) []string {
	t.Helper()
	row := legacytest.Row(t, dsn, "SHOW CREATE TABLE `"+table+"`")
	return strings.Split(row[1], "\n")
}

// rowsHex is every row of table as hex, in a fixed order, to compare bytes.
func rowsHex(t *testing.T, dsn, table string) string {
	t.Helper()
	var cols []string
	for _, l := range showCreate(t, dsn, table) {
		if strings.HasPrefix(l, "  `") {
			cols = append(cols, "HEX(`"+l[3:3+strings.IndexByte(l[3:], '`')]+"`)")
		}
	}
	expr := "CONCAT_WS(',', " + strings.Join(cols, ", ") + ")"
	return legacytest.Row(t, dsn, "SELECT GROUP_CONCAT("+expr+" ORDER BY "+expr+" SEPARATOR ';') FROM `"+table+"`")[0]
}

func envList() []string { return os.Environ() }
