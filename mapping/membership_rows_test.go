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
	zero := "0"
	bigint := func(name string) Column {
		return Column{Name: name, DataType: "bigint", ColumnType: "bigint(10)", Default: &zero}
	}
	return map[string][]Column{
		"mdl_user": {{Name: "id", DataType: "bigint", AutoIncrement: true}, ci("auth", 20, false), ci("username", 100, false),
			ci("firstname", 100, false), ci("lastname", 100, false), bigint("suspended"), bigint("deleted")},
		"mdl_role": {{Name: "id", DataType: "bigint", AutoIncrement: true}, ci("shortname", 100, false), ci("name", 255, false)},
		"mdl_role_assignments": {{Name: "id", DataType: "bigint", AutoIncrement: true}, bigint("roleid"), bigint("contextid"), bigint("userid"),
			bigint("timemodified"), bigint("modifierid"), ci("component", 100, false), bigint("itemid"), bigint("sortorder")},
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
