package mapping

import (
	"strconv"
	"strings"
	"testing"
)

// moodleYAML maps Moodle's users and roles (lib/db/install.xml names):
// a role held at the system context (contextid 1) is a group membership;
// the same role in a course context is not.
const moodleYAML = `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "0123456789abcdef" } ] }
users:
  table: mdl_user
  scope: { auth: saml, deleted: 0 }
  create: deny
  delete: deactivate
  active: { column: suspended, true: 0, false: 1 }
  attributes:
    userName: { column: username }
    name.givenName: { column: firstname }
    name.familyName: { column: lastname }
groups:
  table: mdl_role
  scope: all
  create: deny
  delete: deny
  attributes:
    displayName: { column: shortname }
  members:
    join:
`

// moodleColumns is Moodle's schema as INFORMATION_SCHEMA describes it
// (the columns these tests use).
func moodleColumns() map[string][]Column {
	zero, empty := "0", ""
	bigint := func(name string) Column {
		return Column{Name: name, DataType: "bigint", ColumnType: "bigint(10)", Default: &zero}
	}
	return map[string][]Column{
		"mdl_user": {{Name: "id", DataType: "bigint", AutoIncrement: true}, ci("auth", 20, false), ci("username", 100, false),
			ci("firstname", 100, false), ci("lastname", 100, false), bigint("suspended"), bigint("deleted")},
		"mdl_role": {{Name: "id", DataType: "bigint", AutoIncrement: true}, ci("shortname", 100, false), ci("name", 255, false), bigint("sortorder")},
		"mdl_role_assignments": {{Name: "id", DataType: "bigint", AutoIncrement: true}, bigint("roleid"), bigint("contextid"), bigint("userid"),
			bigint("timemodified"), bigint("modifierid"), {Name: "component", DataType: "varchar", MaxChars: 100, Default: &empty}, bigint("itemid"), bigint("sortorder")},
	}
}

func moodleConfig(t *testing.T, join string) *Config {
	t.Helper()
	cfg, err := Parse("moodle.yaml", []byte(moodleYAML+join))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(moodleColumns()); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestMoodleRoleAssignments: only system-context rows are memberships, so
// every statement on mdl_role_assignments carries contextid = 1, and a
// member holding the role in several contexts is listed once.
func TestMoodleRoleAssignments(t *testing.T) {
	m := moodleConfig(t, "      table: mdl_role_assignments\n      user: userid\n      group: roleid\n      where: { contextid: 1 }\n").Members
	const inScope = "`auth` = ? AND `deleted` = ?"
	tests := []struct {
		name     string
		got      []string
		want     string
		wantArgs int
	}{
		{"members", sqlOf(m.MembersQuery(int64(5), "")),
			"SELECT `rs_u`.`id`, `rs_u`.`username` FROM `mdl_user` `rs_u` WHERE `rs_u`.`id` IN (SELECT `rs_m`.`userid` FROM `mdl_role_assignments` `rs_m` WHERE `rs_m`.`roleid` = ? AND `rs_m`.`contextid` = ?) AND `rs_u`.`auth` = ? AND `rs_u`.`deleted` = ? ORDER BY `rs_u`.`id`", 4},
		{"current", sqlOf(m.CurrentMembers(int64(5), []any{int64(2)}, "")),
			"SELECT `rs_u`.`id` FROM `mdl_user` `rs_u` WHERE `rs_u`.`id` IN (SELECT `rs_m`.`userid` FROM `mdl_role_assignments` `rs_m` WHERE `rs_m`.`roleid` = ? AND `rs_m`.`contextid` = ?) AND `rs_u`.`auth` = ? AND `rs_u`.`deleted` = ? AND `rs_u`.`id` IN (?)", 5},
		{"add", sqlOf(m.AddMembers(int64(5), []any{int64(2), int64(3)}, "")...),
			"INSERT INTO `mdl_role_assignments` (`userid`, `roleid`, `contextid`) VALUES (?,?,?), (?,?,?)", 6},
		{"remove", sqlOf(m.RemoveMembers(int64(5), []any{int64(2)}, "")...),
			"DELETE FROM `mdl_role_assignments` WHERE `roleid` = ? AND `contextid` = ? AND `userid` IN (?) AND `userid` IN (SELECT `id` FROM `mdl_user` WHERE " + inScope + ")", 5},
		{"outside holders", sqlOf(m.OutsideHolders(int64(5), "")),
			"SELECT COUNT(*) FROM `mdl_role_assignments` `rs_m` LEFT JOIN `mdl_user` `rs_u` ON `rs_u`.`id` = `rs_m`.`userid` WHERE `rs_m`.`roleid` = ? AND (`rs_m`.`contextid` = ? AND `rs_u`.`auth` = ? AND `rs_u`.`deleted` = ?) IS NOT TRUE", 4},
		{"delete memberships", sqlOf(m.DeleteMemberships(int64(5), "")...),
			"DELETE FROM `mdl_role_assignments` WHERE `roleid` = ? AND `contextid` = ?", 2},
	}
	for _, tt := range tests {
		if len(tt.got) != 2 || tt.got[0] != tt.want {
			t.Errorf("%s:\n got %q\nwant %s", tt.name, tt.got, tt.want)
			continue
		}
		if n := strings.Count(tt.got[0], "?"); tt.got[1] != strconv.Itoa(n) || n != tt.wantArgs {
			t.Errorf("%s: %d placeholders, %s args, want %d", tt.name, n, tt.got[1], tt.wantArgs)
		}
	}
	if got := args(m.AddMembers(int64(5), []any{int64(2)}, "")[0]); len(got) != 3 || got[2] != int64(1) {
		t.Errorf("add writes contextid: args %v, want [2 5 1]", got)
	}
	u := moodleConfig(t, "      table: mdl_role_assignments\n      user: userid\n      group: roleid\n      where: { contextid: 1 }\n").Users
	p, err := u.CompileFilter(`groups[value eq "5"]`)
	if want := "EXISTS (SELECT 1 FROM `mdl_role_assignments` `rs_m` JOIN `mdl_role` `rs_g` ON `rs_g`.`id` = `rs_m`.`roleid` WHERE `rs_m`.`userid` = `mdl_user`.`id` AND `rs_m`.`contextid` = ? AND `rs_g`.`id` = ?)"; err != nil || p.SQL() != want {
		t.Errorf("groups filter = %s, %v\nwant %s", p.SQL(), err, want)
	}
}

// sqlOf renders statements for comparison: the SQL of one statement (or
// of several, joined with "; ") and its argument count.
func sqlOf[S interface{ SQL() (string, []any) }](sts ...S) []string {
	var sqls []string
	n := 0
	for _, st := range sts {
		s, a := st.SQL()
		sqls = append(sqls, s)
		n += len(a)
	}
	return []string{strings.Join(sqls, "; "), strconv.Itoa(n)}
}

// TestMembershipRowsConfig: the membership condition, values and removal
// are validated when the file is read and against the live schema.
func TestMembershipRowsConfig(t *testing.T) {
	const base = "      table: mdl_role_assignments\n      user: userid\n      group: roleid\n"
	for _, tt := range []struct{ join, want string }{
		{"      where: { contextid: now }\n", "a membership condition compares with a constant"},
		{"      where: { contextid: { group: id } }\n", "a membership condition compares with a constant"},
		{"      where: [ contextid ]\n", "expected column: value pairs"},
		{"      where: { contextid: 1 }\n      defaults: { contextid: 2 }\n", "contextid is in where"},
		{"      on_remove: { timemodified: epoch_seconds }\n", "say which value a live membership has, as where: { timemodified: 0 }"},
		{"      on_remove: soft\n", `"soft": on_remove is delete (the default) or the columns a removal sets`},
		{"      where: { sortorder: 0 }\n      on_remove: { sortorder: { group: id } }\n", "a removal writes a constant or the time"},
		{"      defaults: { timemodified: [1] }\n", "{ group: column } to copy the group row's column, or { next_id: ... }"},
		{"      defaults: { \"bad col\": 1 }\n", `"bad col" is not a valid column name`},
	} {
		_, err := Parse("moodle.yaml", []byte(moodleYAML+base+tt.join))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.join, err, tt.want)
		}
	}
	// Against the schema: a condition column that does not exist, a clock
	// its column cannot hold.
	for _, tt := range []struct{ join, want string }{
		{"      where: { context_id: 1 }\n", "context_id"},
		{"      where: { contextid: 1 }\n      defaults: { timemodified: now }\n", "mdl_role_assignments.timemodified is bigint, which cannot hold now"},
		{"      where: { contextid: 1 }\n      defaults: { component: epoch_ms }\n", "cannot hold epoch_ms"},
	} {
		cfg, err := Parse("moodle.yaml", []byte(moodleYAML+base+tt.join))
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Bind(moodleColumns()); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: Bind = %v, want %q", tt.join, err, tt.want)
		}
	}
	// check proposes indexes that include the condition's columns.
	cfg, err := Parse("moodle.yaml", []byte(moodleYAML+base+"      where: { contextid: 1 }\n"))
	if err != nil {
		t.Fatal(err)
	}
	var fixes []string
	for _, f := range cfg.Check(SchemaFacts{Columns: moodleColumns()}) {
		if f.Key == "groups.members.join" && f.Check == "index" {
			fixes = append(fixes, f.Fix)
		}
	}
	want := []string{"CREATE INDEX `ix_mdl_role_assignments_roleid_contextid_userid` ON `mdl_role_assignments` (`roleid`, `contextid`, `userid`);",
		"CREATE INDEX `ix_mdl_role_assignments_userid_contextid_roleid` ON `mdl_role_assignments` (`userid`, `contextid`, `roleid`);"}
	if strings.Join(fixes, "\n") != strings.Join(want, "\n") {
		t.Errorf("index fixes = %q, want %q", fixes, want)
	}
	// An index on roleid alone reads a role's rows in every context.
	single := SchemaFacts{Columns: moodleColumns(), Indexes: map[string][]Index{"mdl_role_assignments": {
		{Name: "mdl_roleassi_rol_ix", Columns: []string{"roleid"}}, {Name: "mdl_roleassi_use_ix", Columns: []string{"userid"}}}}}
	var msgs []string
	for _, f := range cfg.Check(single) {
		if f.Key == "groups.members.join" && f.Check == "index" {
			msgs = append(msgs, f.Message)
		}
	}
	if len(msgs) != 2 || !strings.Contains(msgs[0], "no index on mdl_role_assignments starts with roleid, contextid") {
		t.Errorf("with single-column indexes: %q", msgs)
	}
	// With Moodle's own indexes there is nothing to add.
	facts := SchemaFacts{Columns: moodleColumns(), Indexes: map[string][]Index{"mdl_role_assignments": {
		{Name: "mdl_roleassi_rolcon_ix", Columns: []string{"roleid", "contextid"}}, {Name: "mdl_roleassi_useconrol_ix", Columns: []string{"userid", "contextid", "roleid"}}}}}
	for _, f := range cfg.Check(facts) {
		if f.Key == "groups.members.join" && f.Check == "index" {
			t.Errorf("with Moodle's indexes: %s", f.Message)
		}
	}
}

// mattermostConfig maps Mattermost's teams (server/channels/db/migrations:
// TeamMembers keeps removed members with DeleteAt > 0, in epoch ms).
func mattermostConfig(t *testing.T) *Config {
	t.Helper()
	src := `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "0123456789abcdef" } ] }
users:
  table: Users
  id: Id
  scope: { AuthService: saml }
  create: deny
  delete: deny
  attributes:
    userName: { column: Username }
groups:
  table: Teams
  id: Id
  scope: all
  create: deny
  delete: deny
  attributes:
    displayName: { column: DisplayName }
  members:
    join:
      table: TeamMembers
      user: UserId
      group: TeamId
      where: { DeleteAt: 0 }
      on_remove: { DeleteAt: epoch_ms }
      defaults: { SchemeUser: 1, CreateAt: epoch_ms }
`
	cfg, err := Parse("mattermost.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	id := func(name string) Column { return Column{Name: name, DataType: "varchar", MaxChars: 26} }
	bigint := func(name string) Column { return Column{Name: name, DataType: "bigint", Nullable: true} }
	if err := cfg.Bind(map[string][]Column{
		"Users":       {id("Id"), ci("Username", 64, true), ci("AuthService", 32, true), bigint("DeleteAt")},
		"Teams":       {id("Id"), ci("DisplayName", 64, true), bigint("DeleteAt")},
		"TeamMembers": {id("TeamId"), id("UserId"), bigint("DeleteAt"), {Name: "SchemeUser", DataType: "tinyint", Nullable: true}, bigint("CreateAt")},
	}); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestSoftDeletedMemberships: live rows are DeleteAt = 0; removal stamps
// DeleteAt; an add first looks for removed rows (locking them) and revives
// them, then inserts the others.
func TestSoftDeletedMemberships(t *testing.T) {
	m := mattermostConfig(t).Members
	const ms = "ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000)"
	team, user := "teameng0000000000000000000", []any{"bob00000000000000000000000"}
	removed, ok := m.Removed(team, user)
	if !ok {
		t.Fatal("Removed: not asked")
	}
	tests := []struct {
		name string
		got  []string
		want string
	}{
		{"members", sqlOf(m.MembersQuery(team, "")),
			"SELECT `rs_u`.`Id`, `rs_u`.`Username` FROM `Users` `rs_u` WHERE `rs_u`.`Id` IN (SELECT `rs_m`.`UserId` FROM `TeamMembers` `rs_m` WHERE `rs_m`.`TeamId` = ? AND `rs_m`.`DeleteAt` = ?) AND `rs_u`.`AuthService` = ? ORDER BY `rs_u`.`Id`"},
		{"removed", sqlOf(removed),
			"SELECT `UserId` FROM `TeamMembers` WHERE `TeamId` = ? AND `UserId` IN (?) FOR UPDATE"},
		{"revive", sqlOf(m.ReviveMembers(team, user)...),
			"UPDATE `TeamMembers` SET `DeleteAt` = ? WHERE `TeamId` = ? AND `UserId` IN (?)"},
		{"insert", sqlOf(m.AddMembers(team, user, "")...),
			"INSERT INTO `TeamMembers` (`UserId`, `TeamId`, `DeleteAt`, `SchemeUser`, `CreateAt`) VALUES (?,?,?,?," + ms + ")"},
		{"remove", sqlOf(m.RemoveMembers(team, user, "")...),
			"UPDATE `TeamMembers` SET `DeleteAt` = " + ms + " WHERE `TeamId` = ? AND `DeleteAt` = ? AND `UserId` IN (?) AND `UserId` IN (SELECT `Id` FROM `Users` WHERE `AuthService` = ?)"},
		{"outside holders", sqlOf(m.OutsideHolders(team, "")),
			"SELECT COUNT(*) FROM `TeamMembers` `rs_m` LEFT JOIN `Users` `rs_u` ON `rs_u`.`Id` = `rs_m`.`UserId` WHERE `rs_m`.`TeamId` = ? AND (`rs_u`.`AuthService` = ?) IS NOT TRUE"},
		{"delete memberships (removed rows too)", sqlOf(m.DeleteMemberships(team, "")...),
			"DELETE FROM `TeamMembers` WHERE `TeamId` = ?"},
	}
	for _, tt := range tests {
		if tt.got[0] != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, tt.got[0], tt.want)
		}
		if n := strconv.Itoa(strings.Count(tt.got[0], "?")); n != tt.got[1] {
			t.Errorf("%s: %s placeholders, %s args", tt.name, n, tt.got[1])
		}
	}
	if a := args(m.ReviveMembers(team, user)[0]); a[0] != int64(0) {
		t.Errorf("revive sets DeleteAt = %v, want 0", a[0])
	}
	// Without on_remove nothing is asked and nothing revived.
	plain := moodleConfig(t, "      table: mdl_role_assignments\n      user: userid\n      group: roleid\n").Members
	if _, ok := plain.Removed(int64(5), []any{int64(2)}); ok || plain.ReviveMembers(int64(5), []any{int64(2)}) != nil {
		t.Error("a join without on_remove revives rows")
	}
}

// TestMembershipValues: a new membership row's values may be constants,
// the time in the column's format, or a column of the group's row (Gitea's
// team_user.org_id = team.org_id), read in the same INSERT.
func TestMembershipValues(t *testing.T) {
	m := moodleConfig(t, "      table: mdl_role_assignments\n      user: userid\n      group: roleid\n      where: { contextid: 1 }\n"+
		"      defaults: { component: \"\", timemodified: epoch_seconds, itemid: { group: sortorder }, sortorder: \"now\" }\n").Members
	sts := m.AddMembers(int64(5), []any{int64(2), int64(3)}, "")
	want := "INSERT INTO `mdl_role_assignments` (`userid`, `roleid`, `contextid`, `component`, `timemodified`, `itemid`, `sortorder`) VALUES " +
		"(?,?,?,?,UNIX_TIMESTAMP(),(SELECT `sortorder` FROM `mdl_role` WHERE `id` = ?),?), (?,?,?,?,UNIX_TIMESTAMP(),(SELECT `sortorder` FROM `mdl_role` WHERE `id` = ?),?)"
	if got := sqlOf(sts...); got[0] != want || got[1] != "12" {
		t.Errorf("insert:\n got %s (%s args)\nwant %s (12 args)", got[0], got[1], want)
	}
	// A quoted "now" is the string, not the time; the group copy takes the
	// group's id.
	if a := args(sts[0]); a[3] != "" || a[4] != int64(5) || a[5] != "now" {
		t.Errorf("first row's args = %v, want [2 5 1  5 now]", a)
	}
	for _, tt := range []struct{ clock, want string }{{"now", "NOW(6)"}, {"epoch_seconds", "UNIX_TIMESTAMP()"}, {"epoch_ms", "ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000)"}} {
		cfg, err := Parse("moodle.yaml", []byte(moodleYAML+"      table: mdl_role_assignments\n      user: userid\n      group: roleid\n      defaults: { timemodified: "+tt.clock+" }\n"))
		if err != nil {
			t.Fatal(err)
		}
		if sql, _ := cfg.Members.AddMembers(int64(5), []any{int64(2)}, "")[0].SQL(); !strings.HasSuffix(sql, "VALUES (?,?,"+tt.want+")") {
			t.Errorf("%s: %s", tt.clock, sql)
		}
	}
}

// TestSoftDeleteByNull: a deleted_at column that is NULL while the row is
// live (Laravel's soft deletes) is stamped on removal and set back to NULL
// by a revival.
func TestSoftDeleteByNull(t *testing.T) {
	cfg, err := Parse("g.yaml", []byte(groupsYAML+"    join: { table: user_roles, user: user_id, group: role_id, where: { deleted_at: null }, on_remove: { deleted_at: now } }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(map[string][]Column{
		"users":      {{Name: "id", DataType: "bigint"}, {Name: "org_id", DataType: "int"}, ci("auth_source", 10, false), ci("login", 50, false), ci("display_name", 50, true)},
		"roles":      {{Name: "id", DataType: "int"}, {Name: "org_id", DataType: "int"}, ci("name", 50, false)},
		"user_roles": {{Name: "user_id", DataType: "bigint"}, {Name: "role_id", DataType: "int"}, {Name: "deleted_at", DataType: "datetime", Nullable: true}},
	}); err != nil {
		t.Fatal(err)
	}
	m := cfg.Members
	for _, tt := range []struct{ got, want string }{
		{sqlOf(m.RemoveMembers(int64(3), []any{int64(7)}, "1")...)[0],
			"UPDATE `user_roles` SET `deleted_at` = NOW(6) WHERE `role_id` = ? AND `deleted_at` IS NULL AND `user_id` IN (?) AND `user_id` IN (SELECT `id` FROM `users` WHERE `auth_source` = ? AND `org_id` = ?)"},
		{sqlOf(m.ReviveMembers(int64(3), []any{int64(7)})...)[0],
			"UPDATE `user_roles` SET `deleted_at` = ? WHERE `role_id` = ? AND `user_id` IN (?)"},
		{sqlOf(m.AddMembers(int64(3), []any{int64(7)}, "1")...)[0],
			"INSERT INTO `user_roles` (`user_id`, `role_id`, `deleted_at`) VALUES (?,?,?)"},
	} {
		if tt.got != tt.want {
			t.Errorf("\n got %s\nwant %s", tt.got, tt.want)
		}
	}
	if a := args(m.ReviveMembers(int64(3), []any{int64(7)})[0]); a[0] != nil {
		t.Errorf("revival writes deleted_at = %v, want NULL", a[0])
	}
}
