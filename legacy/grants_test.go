package legacy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/retroscim/retroscim/legacy/legacytest"
)

// TestGrants logs in as an account with a few grants of every kind and
// asks what it may do: direct grants on the database, a table and columns,
// a default role (and a role granted to that role), a role that is granted
// but not enabled at login, and a wildcard database grant.
func TestGrants(t *testing.T) {
	dsn := legacytest.NewDatabase(t, `
CREATE TABLE users (id INT PRIMARY KEY, login VARCHAR(50), title VARCHAR(50), secret VARCHAR(50));
CREATE TABLE roles (id INT PRIMARY KEY, name VARCHAR(50));
CREATE TABLE user_roles (user_id INT, role_id INT);
CREATE TABLE audit (id INT PRIMARY KEY);`)
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	role, inner, idle := "rs_role_"+hex.EncodeToString(suffix), "rs_inner_"+hex.EncodeToString(suffix), "rs_idle_"+hex.EncodeToString(suffix)
	t.Cleanup(func() {
		legacytest.MustExec(t, dsn, "DROP ROLE IF EXISTS "+role, "DROP ROLE IF EXISTS "+inner, "DROP ROLE IF EXISTS "+idle)
	})
	cfg, _ := mysql.ParseDSN(dsn)
	other := "rs_other_" + hex.EncodeToString(suffix)
	pattern := strings.ReplaceAll(other[:len(other)-4], "_", `\_`) + "%" // rs\_other\_ab%: matches other
	account := legacytest.NewAccount(t, dsn,
		"GRANT SELECT (`id`, `login`, `title`), UPDATE (`title`) ON {db}.`users` TO {account}",
		"GRANT SELECT ON {db}.`roles` TO {account}",
		"CREATE ROLE "+role, "CREATE ROLE "+inner, "CREATE ROLE "+idle,
		"GRANT SELECT, INSERT ON {db}.`user_roles` TO "+role,
		"GRANT DELETE ON {db}.`user_roles` TO "+inner,
		"GRANT "+inner+" TO "+role,
		"GRANT UPDATE ON {db}.`roles` TO "+idle,
		"GRANT "+role+" TO {account}", "GRANT "+idle+" TO {account}",
		setDefaultRole(t, dsn, role),
		"GRANT ALL PRIVILEGES ON `"+pattern+"`.* TO {account}",
	)
	s, err := Open(context.Background(), account, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g, err := s.Grants(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(g.Account, "'rs_") || !strings.HasSuffix(g.Account, "'@'%'") || g.Database != cfg.DBName {
		t.Errorf("Account, Database = %s, %s", g.Account, g.Database)
	}
	tests := []struct {
		priv, table, column string
		want                bool
	}{
		{"SELECT", "users", "login", true},
		{"SELECT", "users", "LOGIN", true}, // column names ignore case
		{"SELECT", "users", "secret", false},
		{"SELECT", "users", "", false}, // only some columns
		{"UPDATE", "users", "title", true},
		{"UPDATE", "users", "login", false},
		{"DELETE", "users", "", false},
		{"SELECT", "roles", "name", true}, // a table grant covers its columns
		{"SELECT", "roles", "", true},
		{"UPDATE", "roles", "name", false}, // the idle role is not enabled at login
		{"INSERT", "user_roles", "role_id", true},
		{"DELETE", "user_roles", "", true}, // through the role granted to the default role
		{"SELECT", "audit", "", false},
		{"SELECT", cfg.DBName + ".roles", "", true},
		{"CREATE", other + ".tokens", "", true},                        // the wildcard database grant
		{"CREATE", other[:8] + "X" + other[9:] + ".tokens", "", false}, // \_ is a literal underscore
		{"CREATE", "users", "", false},
	}
	for _, tt := range tests {
		if got := g.Allows(tt.priv, tt.table, tt.column); got != tt.want {
			t.Errorf("Allows(%s, %s, %q) = %v, want %v", tt.priv, tt.table, tt.column, got, tt.want)
		}
	}
}

// TestParseGrant reads the lines SHOW GRANTS prints on MariaDB and MySQL 8.
func TestParseGrant(t *testing.T) {
	tests := []struct {
		line string
		want []grantRule
	}{
		{"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION", []grantRule{{priv: "ALL", db: "*"}}},
		{"GRANT USAGE ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD '*D821'", []grantRule{{priv: "USAGE", db: "*"}}},
		{"GRANT SELECT, INSERT, UPDATE (`a`, `b``c`) ON `app`.`users` TO `u`@`%`", []grantRule{{priv: "SELECT", db: "app", table: "users"}, {priv: "INSERT", db: "app", table: "users"}, {priv: "UPDATE", db: "app", table: "users", columns: []string{"a", "b`c"}}}},
		{"GRANT SELECT (`id`), REFERENCES (`id`) ON `app`.`t` TO 'u'@'%'", []grantRule{{priv: "SELECT", db: "app", table: "t", columns: []string{"id"}}, {priv: "REFERENCES", db: "app", table: "t", columns: []string{"id"}}}},
		{"GRANT CREATE TEMPORARY TABLES, LOCK TABLES ON `app\\_db`.* TO `u`@`%`", []grantRule{{priv: "CREATE TEMPORARY TABLES", db: `app\_db`}, {priv: "LOCK TABLES", db: `app\_db`}}},
		{"GRANT APPLICATION_PASSWORD_ADMIN,AUDIT_ADMIN ON *.* TO `root`@`localhost`", []grantRule{{priv: "APPLICATION_PASSWORD_ADMIN", db: "*"}, {priv: "AUDIT_ADMIN", db: "*"}}},
		{"REVOKE INSERT ON `mysql`.* FROM `u`@`%`", []grantRule{{priv: "INSERT", db: "mysql", revoke: true}}},
		{"GRANT `r1`@`%`,`r2`@`%` TO `u`@`%`", nil},
		{"GRANT `role` TO `u`@`%`", nil},
		{"GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION", nil},
		{"GRANT EXECUTE ON PROCEDURE `app`.`p` TO `u`@`%`", nil},
		{"SET DEFAULT ROLE `role` FOR `u`@`%`", nil},
	}
	for _, tt := range tests {
		got := parseGrant(tt.line)
		if len(got) != len(tt.want) {
			t.Errorf("parseGrant(%q) = %+v, want %+v", tt.line, got, tt.want)
			continue
		}
		for i := range got {
			if got[i].priv != tt.want[i].priv || got[i].db != tt.want[i].db || got[i].table != tt.want[i].table || strings.Join(got[i].columns, "|") != strings.Join(tt.want[i].columns, "|") || got[i].revoke != tt.want[i].revoke {
				t.Errorf("parseGrant(%q)[%d] = %+v, want %+v", tt.line, i, got[i], tt.want[i])
			}
		}
	}
}

// setDefaultRole is SET DEFAULT ROLE in the server's dialect: MariaDB's
// ... FOR account, MySQL 8's ... TO account.
func setDefaultRole(t *testing.T, dsn, role string) string {
	if v := legacytest.Row(t, dsn, "SELECT VERSION()"); !strings.Contains(strings.ToLower(v[0]), "mariadb") {
		return "SET DEFAULT ROLE " + role + " TO {account}"
	}
	return "SET DEFAULT ROLE " + role + " FOR {account}"
}
