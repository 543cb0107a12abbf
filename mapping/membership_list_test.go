package mapping

import (
	"fmt"
	"strings"
	"testing"
)

// mattermostRolesYAML declares Mattermost's system roles as groups, kept
// in the space-separated Users.Roles column (server/channels/db/migrations/mysql).
const mattermostRolesYAML = `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "0123456789abcdef" } ] }
users:
  table: Users
  id: Id
  scope: { AuthService: saml }
  attributes:
    userName: { column: Username }
groups:
  names: [system_admin, system_user_manager]
  list: { column: Roles, format: %s }
`

func roleListConfig(t *testing.T, format string) *RoleList {
	t.Helper()
	cfg, err := Parse("mm.yaml", []byte(strings.Replace(mattermostRolesYAML, "%s", format, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(map[string][]Column{
		"Users": {ci("Id", 26, false), ci("Username", 64, false), ci("AuthService", 32, true), {Name: "Roles", DataType: "text", Nullable: true}},
	}); err != nil {
		t.Fatal(err)
	}
	if cfg.RoleList == nil || cfg.Groups != nil {
		t.Fatalf("declared groups compiled as %+v / %+v", cfg.RoleList, cfg.Groups)
	}
	return cfg.RoleList
}

// TestRoleListSQL: each list format finds a name with one condition in
// SQL, confirmed by the codec in Go; the write back is one UPDATE.
func TestRoleListSQL(t *testing.T) {
	tests := []struct {
		format, wantCond string
		wantArg          any
	}{
		{"space_separated", "CONCAT(' ', `rs_u`.`Roles`, ' ') LIKE ? ESCAPE '!'", "% system!_admin %"},
		{"comma_separated", "CONCAT(',', REPLACE(`rs_u`.`Roles`, ' ', ''), ',') LIKE ? ESCAPE '!'", "%,system!_admin,%"},
		{"json_array", "JSON_CONTAINS(IF(JSON_VALID(`rs_u`.`Roles`), `rs_u`.`Roles`, '[]'), ?)", `"system_admin"`},
		{"php_array_keys", "LOCATE(?, `rs_u`.`Roles`) > 0", `s:12:"system_admin";`},
	}
	for _, tt := range tests {
		l := roleListConfig(t, tt.format)
		q := l.MembersQuery("system_admin", []any{"u1"}, "")
		got, a := q.SQL()
		want := "SELECT `rs_u`.`Id`, `rs_u`.`Username`, `rs_u`.`Roles` FROM `Users` `rs_u` WHERE `rs_u`.`AuthService` = ? AND " + tt.wantCond + " AND `rs_u`.`Id` IN (?) ORDER BY `rs_u`.`Id`"
		if got != want {
			t.Errorf("%s MembersQuery:\n got %s\nwant %s", tt.format, got, want)
		}
		if len(a) != 3 || a[1] != tt.wantArg {
			t.Errorf("%s MembersQuery args = %q, want pattern %q", tt.format, a, tt.wantArg)
		}
	}
	l := roleListConfig(t, "space_separated")
	if got := sqlOf(l.LockLists("system_admin", []any{"u1", "u2"}, "")); got[0] != "SELECT `rs_u`.`Id`, `rs_u`.`Roles`, 1 FROM `Users` `rs_u` WHERE `rs_u`.`AuthService` = ? AND `rs_u`.`Id` IN (?,?) ORDER BY `rs_u`.`Id` FOR UPDATE" {
		t.Errorf("LockLists(keys) = %s", got[0])
	}
	if got := sqlOf(l.LockLists("system_admin", nil, "")); got[0] != "SELECT `rs_u`.`Id`, `rs_u`.`Roles`, 1 FROM `Users` `rs_u` WHERE `rs_u`.`AuthService` = ? AND CONCAT(' ', `rs_u`.`Roles`, ' ') LIKE ? ESCAPE '!' ORDER BY `rs_u`.`Id` FOR UPDATE" {
		t.Errorf("LockLists(all) = %s", got[0])
	}
	ws := l.WriteLists("system_admin", []ListEdit{{Key: "u1", Value: "system_user system_admin"}, {Key: "u2", Value: "system_user"}}, "")
	if len(ws) != 1 {
		t.Fatalf("WriteLists = %d statements, want 1", len(ws))
	}
	got, a := ws[0].SQL()
	if want := "UPDATE `Users` SET `Roles` = CASE `Id` WHEN ? THEN ? WHEN ? THEN ? END WHERE `AuthService` = ? AND `Id` IN (?,?)"; got != want {
		t.Errorf("WriteLists:\n got %s\nwant %s", got, want)
	}
	if len(a) != 7 || a[1] != "system_user system_admin" || a[4] != "saml" {
		t.Errorf("WriteLists args = %q", a)
	}
	if len(l.WriteLists("system_admin", nil, "")) != 0 {
		t.Error("WriteLists(nil) is a statement; a no-op must write nothing")
	}
}

// TestRoleListEdit: adding and removing keeps the entries SCIM does not
// manage; a no-op reports no change; an unreadable value is refused.
func TestRoleListEdit(t *testing.T) {
	l := roleListConfig(t, "space_separated")
	if out, changed, err := l.EditList([]byte("system_user"), "system_admin", true); err != nil || !changed || out != "system_user system_admin" {
		t.Errorf("add = %q %v %v", out, changed, err)
	}
	if out, changed, err := l.EditList("system_user system_admin", "system_admin", false); err != nil || !changed || out != "system_user" {
		t.Errorf("remove = %q %v %v", out, changed, err)
	}
	if _, changed, _ := l.EditList("system_user system_admin", "system_admin", true); changed {
		t.Error("adding a held role reports a change")
	}
	if !l.Holds("system_user system_admin", "system_admin") || l.Holds("system_user system_admin_x", "system_admin") {
		t.Error("Holds")
	}
	p := roleListConfig(t, "php_array_keys")
	if _, _, err := p.EditList(`a:1:{s:13:"administrator";b:1;`, "system_admin", true); err == nil || !strings.Contains(err.Error(), "leaves it as it is") {
		t.Errorf("unreadable value: %v", err)
	}
}

// TestRoleListConfigErrors: the declared groups are validated when the
// file is read.
func TestRoleListConfigErrors(t *testing.T) {
	base := strings.Replace(mattermostRolesYAML, "%s", "space_separated", 1)
	for name, tt := range map[string]struct{ from, to, want string }{
		"format":    {"format: space_separated", "format: yaml", `"yaml" is not a list format`},
		"column":    {"column: Roles", "column: \"Ro les\"", "is not a valid column name"},
		"name":      {"system_user_manager]", "\"system admin\"]", "cannot be stored in a space_separated list"},
		"twice":     {"system_user_manager]", "system_admin]", `"system_admin" is listed twice`},
		"no names":  {"[system_admin, system_user_manager]", "[]", "list the groups SCIM manages"},
		"table key": {"  names:", "  table: Roles\n  names:", "table"},
	} {
		_, err := Parse("mm.yaml", []byte(strings.Replace(base, tt.from, tt.to, 1)))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", name, err, tt.want)
		}
	}
}

// TestRoleListRelatedSQL: WordPress keeps the list in the wp_usermeta row
// whose meta_key is wp_capabilities; the locked read sees users without
// the row, and the write updates existing rows and inserts missing ones.
func TestRoleListRelatedSQL(t *testing.T) {
	cfg, err := Parse("wp.yaml", []byte(`database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "0123456789abcdef" } ] }
users:
  table: wp_users
  id: ID
  scope: all
  attributes:
    userName: { column: user_login }
groups:
  names: [administrator, editor]
  list:
    column: meta_value
    format: php_array_keys
    related: { table: wp_usermeta, key: user_id, where: { meta_key: wp_capabilities } }
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(map[string][]Column{"wp_users": {{Name: "ID", DataType: "bigint"}, ci("user_login", 60, false)},
		"wp_usermeta": {{Name: "umeta_id", DataType: "bigint"}, {Name: "user_id", DataType: "bigint"}, ci("meta_key", 255, true), {Name: "meta_value", DataType: "longtext", Nullable: true}}}); err != nil {
		t.Fatal(err)
	}
	l := cfg.RoleList
	tests := []struct{ name, got, want string }{
		{"members", sqlOf(l.MembersQuery("editor", nil, ""))[0],
			"SELECT `rs_u`.`ID`, `rs_u`.`user_login`, `rs_m`.`meta_value` FROM `wp_users` `rs_u` JOIN `wp_usermeta` `rs_m` ON `rs_m`.`user_id` = `rs_u`.`ID` AND `rs_m`.`meta_key` = 'wp_capabilities' WHERE LOCATE(?, `rs_m`.`meta_value`) > 0 ORDER BY `rs_u`.`ID`"},
		{"lock", sqlOf(l.LockLists("editor", []any{int64(2)}, ""))[0],
			"SELECT `rs_u`.`ID`, `rs_m`.`meta_value`, `rs_m`.`user_id` IS NOT NULL FROM `wp_users` `rs_u` LEFT JOIN `wp_usermeta` `rs_m` ON `rs_m`.`user_id` = `rs_u`.`ID` AND `rs_m`.`meta_key` = 'wp_capabilities' WHERE `rs_u`.`ID` IN (?) ORDER BY `rs_u`.`ID` FOR UPDATE"},
		{"write", sqlOf(l.WriteLists("system_admin", []ListEdit{{Key: int64(2), Value: "a:0:{}"}, {Key: int64(4), Value: `a:1:{s:6:"editor";b:1;}`, Insert: true}}, "")...)[0],
			"UPDATE `wp_usermeta` SET `meta_value` = CASE `user_id` WHEN ? THEN ? END WHERE `meta_key` = ? AND `user_id` IN (?); INSERT INTO `wp_usermeta` (`user_id`, `meta_key`, `meta_value`) VALUES (?,?,?)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, tt.got, tt.want)
		}
	}
}

// TestRoleListRowsSQL: MediaWiki keeps each membership as a user_groups
// row naming the group; the statements name the group and the users only.
func TestRoleListRowsSQL(t *testing.T) {
	cfg, err := Parse("mw.yaml", []byte(`database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "0123456789abcdef" } ] }
users:
  table: user
  id: user_id
  scope: all
  attributes:
    userName: { column: user_name }
groups:
  names: [sysop, bureaucrat]
  rows: { table: user_groups, user: ug_user, name: ug_group }
`))
	if err != nil {
		t.Fatal(err)
	}
	mw := map[string][]Column{"user": {{Name: "user_id", DataType: "int"}, ci("user_name", 255, false)}}
	if err := cfg.Bind(mw); err == nil || !strings.Contains(err.Error(), "user_groups") {
		t.Errorf("Bind without user_groups = %v, want the missing table named", err)
	}
	mw["user_groups"] = []Column{{Name: "ug_user", DataType: "int"}, {Name: "ug_grp", DataType: "varbinary"}}
	if err := cfg.Bind(mw); err == nil || !strings.Contains(err.Error(), `column "ug_group" does not exist in table "user_groups"`) {
		t.Errorf("Bind with a misnamed column = %v", err)
	}
	mw["user_groups"] = []Column{{Name: "ug_user", DataType: "int"}, {Name: "ug_group", DataType: "varbinary"}}
	if err := cfg.Bind(mw); err != nil {
		t.Fatal(err)
	}
	l := cfg.RoleList
	exists := "EXISTS (SELECT 1 FROM `user_groups` `rs_m` WHERE `rs_m`.`ug_user` = `rs_u`.`user_id` AND `rs_m`.`ug_group` = ?)"
	tests := []struct{ name, got, want string }{
		{"members", sqlOf(l.MembersQuery("sysop", []any{int64(3)}, ""))[0],
			"SELECT `rs_u`.`user_id`, `rs_u`.`user_name`, 1 FROM `user` `rs_u` WHERE " + exists + " AND `rs_u`.`user_id` IN (?) ORDER BY `rs_u`.`user_id`"},
		{"lock", sqlOf(l.LockLists("sysop", []any{int64(2), int64(3)}, ""))[0],
			"SELECT `rs_u`.`user_id`, " + exists + ", " + exists + " FROM `user` `rs_u` WHERE `rs_u`.`user_id` IN (?,?) ORDER BY `rs_u`.`user_id` FOR UPDATE"},
		{"write", sqlOf(l.WriteLists("sysop", []ListEdit{{Key: int64(2), Value: "1"}, {Key: int64(3), Value: "0"}}, "")...)[0],
			"DELETE FROM `user_groups` WHERE `ug_group` = ? AND `ug_user` IN (?); INSERT INTO `user_groups` (`ug_user`, `ug_group`) VALUES (?,?)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, tt.got, tt.want)
		}
	}
	if _, err := Parse("mw.yaml", []byte(strings.Replace(mattermostRolesYAML, "%s", "space_separated", 1)+"  rows: { table: user_groups, user: ug_user, name: ug_group }\n")); err == nil || !strings.Contains(err.Error(), "one of them") {
		t.Errorf("list and rows: %v", err)
	}
}

// mediawikiExpiryYAML maps MediaWiki's user_groups with its ug_expiry.
const mediawikiExpiryYAML = `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "0123456789abcdef" } ] }
users:
  table: user
  id: user_id
  scope: all
  attributes:
    userName: { column: user_name }
groups:
  names: [sysop, bureaucrat]
  rows: { table: user_groups, user: ug_user, name: ug_group, expiry: { column: ug_expiry, format: %s } }
`

// TestRoleListRowsExpiry: with groups.rows.expiry, only rows that have not
// expired are memberships (every read goes through the one condition), an
// add revives an expired row, and Bind checks the live column.
func TestRoleListRowsExpiry(t *testing.T) {
	cfg, err := Parse("mw.yaml", []byte(fmt.Sprintf(mediawikiExpiryYAML, "yyyymmddhhmmss")))
	if err != nil {
		t.Fatal(err)
	}
	users := []Column{{Name: "user_id", DataType: "int"}, ci("user_name", 255, false)}
	ugUser, ugGroup := Column{Name: "ug_user", DataType: "int"}, Column{Name: "ug_group", DataType: "varbinary", MaxChars: 255}
	binds := []struct {
		name   string
		expiry Column
		want   string
	}{
		{"MediaWiki's column", Column{Name: "ug_expiry", DataType: "varbinary", ColumnType: "varbinary(14)", MaxChars: 14, Nullable: true}, ""},
		{"NOT NULL", Column{Name: "ug_expiry", DataType: "varbinary", ColumnType: "varbinary(14)", MaxChars: 14}, "user_groups.ug_expiry is NOT NULL"},
		{"too short", Column{Name: "ug_expiry", DataType: "varchar", ColumnType: "varchar(8)", MaxChars: 8, Nullable: true}, "cannot hold yyyymmddhhmmss"},
		{"an integer", Column{Name: "ug_expiry", DataType: "int", ColumnType: "int(11)", Nullable: true}, "cannot hold yyyymmddhhmmss"},
	}
	for _, b := range binds {
		err := cfg.Bind(map[string][]Column{"user": users, "user_groups": {ugUser, ugGroup, b.expiry}})
		if b.want == "" && err != nil || b.want != "" && (err == nil || !strings.Contains(err.Error(), b.want)) {
			t.Errorf("Bind with %s = %v, want %q", b.name, err, b.want)
		}
	}
	if err := cfg.Bind(map[string][]Column{"user": users, "user_groups": {ugUser, ugGroup}}); err == nil || !strings.Contains(err.Error(), `column "ug_expiry" does not exist`) {
		t.Errorf("Bind without ug_expiry = %v", err)
	}
	if err := cfg.Bind(map[string][]Column{"user": users, "user_groups": {ugUser, ugGroup, binds[0].expiry}}); err != nil {
		t.Fatal(err)
	}
	l := cfg.RoleList
	row := "SELECT 1 FROM `user_groups` `rs_m` WHERE `rs_m`.`ug_user` = `rs_u`.`user_id` AND `rs_m`.`ug_group` = ?"
	live := "EXISTS (" + row + " AND (`rs_m`.`ug_expiry` IS NULL OR `rs_m`.`ug_expiry` >= DATE_FORMAT(UTC_TIMESTAMP(), '%Y%m%d%H%i%s')))"
	tests := []struct{ name, got, want string }{
		{"members", sqlOf(l.MembersQuery("sysop", nil, ""))[0],
			"SELECT `rs_u`.`user_id`, `rs_u`.`user_name`, 1 FROM `user` `rs_u` WHERE " + live + " ORDER BY `rs_u`.`user_id`"},
		{"lock", sqlOf(l.LockLists("sysop", []any{int64(2)}, ""))[0],
			"SELECT `rs_u`.`user_id`, " + live + ", EXISTS (" + row + ") FROM `user` `rs_u` WHERE `rs_u`.`user_id` IN (?) ORDER BY `rs_u`.`user_id` FOR UPDATE"},
		{"write", sqlOf(l.WriteLists("sysop", []ListEdit{{Key: int64(2), Value: "1"}, {Key: int64(3), Value: "0"}, {Key: int64(4), Value: "1", Insert: true}}, "")...)[0],
			"DELETE FROM `user_groups` WHERE `ug_group` = ? AND `ug_user` IN (?); UPDATE `user_groups` SET `ug_expiry` = ? WHERE `ug_group` = ? AND `ug_user` IN (?) AND `ug_expiry` < DATE_FORMAT(UTC_TIMESTAMP(), '%Y%m%d%H%i%s'); INSERT INTO `user_groups` (`ug_user`, `ug_group`, `ug_expiry`) VALUES (?,?,?)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, tt.got, tt.want)
		}
	}
	if _, err := Parse("mw.yaml", []byte(fmt.Sprintf(mediawikiExpiryYAML, "mediawiki"))); err == nil || !strings.Contains(err.Error(), "yyyymmddhhmmss") {
		t.Errorf("an unknown format: %v", err)
	}
}
