package mapping

import (
	"strings"
	"testing"
)

// TestAllocatedIDs: membership row ids the app allocates come from its
// counter row (read under lock, then advanced) or after the largest id.
func TestAllocatedIDs(t *testing.T) {
	cols := map[string][]Column{
		"users":        {{Name: "id", DataType: "bigint"}, {Name: "org_id", DataType: "int"}, ci("auth_source", 10, false), ci("login", 50, false), ci("display_name", 50, true)},
		"roles":        {{Name: "id", DataType: "int"}, {Name: "org_id", DataType: "int"}, ci("name", 50, false)},
		"users_groups": {{Name: "id", DataType: "bigint"}, {Name: "userid", DataType: "bigint"}, {Name: "usrgrpid", DataType: "bigint"}},
		"ids":          {ci("table_name", 64, false), ci("field_name", 64, false), {Name: "nextid", DataType: "bigint"}},
	}
	bind := func(def string) *Membership {
		t.Helper()
		cfg, err := Parse("g.yaml", []byte(groupsYAML+"    join:\n      table: users_groups\n      user: userid\n      group: usrgrpid\n      defaults: { id: "+def+" }\n"))
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Bind(cols); err != nil {
			t.Fatal(err)
		}
		return cfg.Members
	}
	counter := bind("{ next_id: { table: ids, column: nextid, where: { table_name: users_groups, field_name: id } } }")
	reserve, ok := counter.ReserveIDs()
	if !ok {
		t.Fatal("ReserveIDs: not asked")
	}
	max := bind("{ next_id: max }")
	reserveMax, _ := max.ReserveIDs()
	for _, tt := range []struct{ name, got, want string }{
		{"reserve", sqlOf(reserve)[0], "SELECT `nextid` FROM `ids` WHERE `table_name` = ? AND `field_name` = ? FOR UPDATE"},
		{"advance", sqlOf(counter.AdvanceIDs(2)...)[0], "UPDATE `ids` SET `nextid` = `nextid` + 2 WHERE `table_name` = ? AND `field_name` = ?"},
		{"insert", sqlOf(counter.AddMembersAfter(int64(7), []any{int64(3), int64(4)}, 10)...)[0], "INSERT INTO `users_groups` (`userid`, `usrgrpid`, `id`) VALUES (?,?,?), (?,?,?)"},
		{"reserve max", sqlOf(reserveMax)[0], "SELECT COALESCE(MAX(`id`), 0) FROM `users_groups` FOR UPDATE"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, tt.got, tt.want)
		}
	}
	if a := args(counter.AddMembersAfter(int64(7), []any{int64(3), int64(4)}, 10)[0]); a[2] != int64(11) || a[5] != int64(12) {
		t.Errorf("allocated ids = %v, %v, want 11, 12", a[2], a[5])
	}
	if max.AdvanceIDs(2) != nil {
		t.Error("max advances a counter")
	}
	if _, ok := groupsConfig(t, "    join: { table: user_roles, user: user_id, group: role_id }\n").Members.ReserveIDs(); ok {
		t.Error("a join without allocated ids reserves some")
	}
	for def, want := range map[string]string{
		"{ next_id: sequence }":                    "next_id is max (after the largest id) or the app's counter row",
		"{ next_id: { table: ids } }":              "next_id is max (after the largest id) or the app's counter row",
		"{ next_id: { table: ids, col: nextid } }": `unknown key "col"`,
	} {
		if _, err := Parse("g.yaml", []byte(groupsYAML+"    join: { table: users_groups, user: userid, group: usrgrpid, defaults: { id: "+def+" } }\n")); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", def, err, want)
		}
	}
}
