package mapping

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The three shapes of users.active as a condition: Mattermost's epoch
// DeleteAt, Redmine's status with two inactive values, Nextcloud's
// preferences row.
const (
	lifeHead = "database: { dsn: x }\nusers:\n  table: users\n  scope: all\n  create: allow\n"
	lifeAttr = "  attributes:\n    userName: { column: login }\n"

	mattermostActive = lifeHead + `  active:
    when: { DeleteAt: 0 }
    deactivate: [ { set: { DeleteAt: now_ms } } ]
    reactivate: [ { set: { DeleteAt: 0 } } ]
` + lifeAttr
	redmineActive = lifeHead + `  active:
    when: { status: 1 }
    deactivate: [ { set: { status: 3 } } ]
    reactivate: [ { set: { status: 1 } } ]
` + lifeAttr
	nextcloudActive = lifeHead + `  active:
    when:
      no_row: { table: oc_preferences, key: userid, where: { appid: core, configkey: enabled, configvalue: "false" } }
    deactivate:
      - write_row: { table: oc_preferences, key: userid, where: { appid: core, configkey: enabled }, set: { configvalue: "false" } }
    reactivate:
      - delete_row: { table: oc_preferences, key: userid, where: { appid: core, configkey: enabled } }
` + lifeAttr
)

func lifeColumns() map[string][]Column {
	one := "1"
	return map[string][]Column{
		"users": {
			{Name: "id", DataType: "int", ColumnType: "int(11)", AutoIncrement: true},
			ci("login", 255, false),
			{Name: "DeleteAt", DataType: "bigint", ColumnType: "bigint(20)", Nullable: true},
			{Name: "status", DataType: "int", ColumnType: "int(11)", Default: &one},
			{Name: "deleted_at", DataType: "datetime", ColumnType: "datetime", Nullable: true},
		},
		"oc_preferences": {
			ci("userid", 64, false), ci("appid", 32, false), ci("configkey", 64, false),
			{Name: "configvalue", DataType: "longtext", ColumnType: "longtext", Nullable: true, Charset: "utf8mb4", Collation: "utf8mb4_bin"},
		},
	}
}

func lifeResource(t *testing.T, src string) *Resource {
	t.Helper()
	cfg, err := Parse("life.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(lifeColumns()); err != nil {
		t.Fatal(err)
	}
	return cfg.Users
}

// lifeRow is a row of r with the condition's value and each write_row's
// "the row exists" flag.
func lifeRow(r *Resource, active, rowExists bool) Row {
	row := make(Row, len(r.selectExprs))
	row[0], row[r.colIndex["login"]] = int64(7), "al"
	flag := map[bool]int64{true: 1, false: 0}
	row[r.Active.Life.idx] = flag[active]
	for _, a := range r.Active.Life.Deactivate {
		if a.Row != nil && !a.Delete {
			row[a.existsIdx] = flag[rowExists]
		}
	}
	return row
}

func TestLifecycleReadAndFilter(t *testing.T) {
	for _, tc := range []struct {
		name, src, selectExpr, isTrue, isFalse string
	}{
		{"mattermost", mattermostActive,
			"(`DeleteAt` = 0) IS TRUE",
			"SELECT `id`, `login`, (`DeleteAt` = 0) IS TRUE FROM `users` WHERE `DeleteAt` = ? ORDER BY `id` | 0",
			"SELECT `id`, `login`, (`DeleteAt` = 0) IS TRUE FROM `users` WHERE (`DeleteAt` = ?) IS NOT TRUE ORDER BY `id` | 0"},
		{"redmine", redmineActive,
			"(`status` = 1) IS TRUE",
			"SELECT `id`, `login`, (`status` = 1) IS TRUE FROM `users` WHERE `status` = ? ORDER BY `id` | 1",
			"SELECT `id`, `login`, (`status` = 1) IS TRUE FROM `users` WHERE (`status` = ?) IS NOT TRUE ORDER BY `id` | 1"},
		{"nextcloud", nextcloudActive,
			"((EXISTS (SELECT 1 FROM `oc_preferences` WHERE `oc_preferences`.`userid` = `users`.`id` AND `oc_preferences`.`appid` = 'core' AND `oc_preferences`.`configkey` = 'enabled' AND `oc_preferences`.`configvalue` = 'false')) IS NOT TRUE) IS TRUE",
			"SELECT `id`, `login`, ((EXISTS (SELECT 1 FROM `oc_preferences` WHERE `oc_preferences`.`userid` = `users`.`id` AND `oc_preferences`.`appid` = 'core' AND `oc_preferences`.`configkey` = 'enabled' AND `oc_preferences`.`configvalue` = 'false')) IS NOT TRUE) IS TRUE, (EXISTS (SELECT 1 FROM `oc_preferences` WHERE `oc_preferences`.`userid` = `users`.`id` AND `oc_preferences`.`appid` = 'core' AND `oc_preferences`.`configkey` = 'enabled')) IS TRUE FROM `users` WHERE (EXISTS (SELECT 1 FROM `oc_preferences` WHERE `oc_preferences`.`userid` = `users`.`id` AND `oc_preferences`.`appid` = ? AND `oc_preferences`.`configkey` = ? AND `oc_preferences`.`configvalue` = ?)) IS NOT TRUE ORDER BY `id` | \"core\" | \"enabled\" | \"false\"",
			"SELECT `id`, `login`, ((EXISTS (SELECT 1 FROM `oc_preferences` WHERE `oc_preferences`.`userid` = `users`.`id` AND `oc_preferences`.`appid` = 'core' AND `oc_preferences`.`configkey` = 'enabled' AND `oc_preferences`.`configvalue` = 'false')) IS NOT TRUE) IS TRUE, (EXISTS (SELECT 1 FROM `oc_preferences` WHERE `oc_preferences`.`userid` = `users`.`id` AND `oc_preferences`.`appid` = 'core' AND `oc_preferences`.`configkey` = 'enabled')) IS TRUE FROM `users` WHERE ((EXISTS (SELECT 1 FROM `oc_preferences` WHERE `oc_preferences`.`userid` = `users`.`id` AND `oc_preferences`.`appid` = ? AND `oc_preferences`.`configkey` = ? AND `oc_preferences`.`configvalue` = ?)) IS NOT TRUE) IS NOT TRUE ORDER BY `id` | \"core\" | \"enabled\" | \"false\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := lifeResource(t, tc.src)
			if got := r.selectExprs[r.Active.Life.idx]; got != tc.selectExpr {
				t.Errorf("select expression\n got %s\nwant %s", got, tc.selectExpr)
			}
			for f, want := range map[string]string{"active eq true": tc.isTrue, "active eq false": tc.isFalse} {
				q, err := r.ListQuery(ListRequest{Filter: f}, "")
				if err != nil {
					t.Fatal(err)
				}
				if got := render(q); got != want {
					t.Errorf("%s\n got %s\nwant %s", f, got, want)
				}
			}
			if !r.isActiveRow(lifeRow(r, true, false)) || r.isActiveRow(lifeRow(r, false, true)) {
				t.Error("the condition's value is not what active reads")
			}
		})
	}
}

func TestLifecycleWrites(t *testing.T) {
	const (
		off = `{"Operations":[{"op":"replace","value":{"active":false}}]}`
		on  = `{"Operations":[{"op":"replace","path":"active","value":true}]}`
		// Entra's shape: a string.
		offEntra = `{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`
	)
	for _, tc := range []struct {
		name, src, ops string
		active, exists bool
		want           []string
	}{
		{"mattermost deactivate: DeleteAt = now in ms", mattermostActive, off, true, false, []string{
			"UPDATE `users` SET `DeleteAt` = ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) WHERE `id` = ?| 7"}},
		{"mattermost reactivate: DeleteAt = 0", mattermostActive, on, false, false, []string{
			"UPDATE `users` SET `DeleteAt` = ? WHERE `id` = ?| 0 | 7"}},
		{"mattermost deactivate an inactive user: nothing", mattermostActive, offEntra, false, false, nil},
		{"mattermost reactivate an active user: nothing", mattermostActive, on, true, false, nil},
		{"redmine lock: status = 3", redmineActive, offEntra, true, false, []string{
			"UPDATE `users` SET `status` = ? WHERE `id` = ?| 3 | 7"}},
		{"redmine: a registered (status 2) user reactivated", redmineActive, on, false, false, []string{
			"UPDATE `users` SET `status` = ? WHERE `id` = ?| 1 | 7"}},
		{"nextcloud disable without a row: insert it", nextcloudActive, off, true, false, []string{
			"INSERT INTO `oc_preferences` (`userid`, `appid`, `configkey`, `configvalue`) VALUES (?, ?, ?, ?)| 7 | \"core\" | \"enabled\" | \"false\""}},
		{"nextcloud disable with a 'true' row: update it", nextcloudActive, offEntra, true, true, []string{
			"UPDATE `oc_preferences` SET `configvalue` = ? WHERE `userid` = ? AND `appid` = ? AND `configkey` = ?| \"false\" | 7 | \"core\" | \"enabled\""}},
		{"nextcloud enable: delete the row", nextcloudActive, on, false, true, []string{
			"DELETE FROM `oc_preferences` WHERE `userid` = ? AND `appid` = ? AND `configkey` = ?| 7 | \"core\" | \"enabled\""}},
		{"nextcloud disable a disabled user: nothing", nextcloudActive, off, false, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := lifeResource(t, tc.src)
			tg, _ := r.Target("7", "")
			row := lifeRow(r, tc.active, tc.exists)
			d := r.NewDraft(row)
			if err := d.ApplyPatch(ops(t, tc.ops)); err != nil {
				t.Fatal(err)
			}
			ch, err := d.Changes()
			if err != nil {
				t.Fatal(err)
			}
			r.DropUnchanged(ch, row)
			var got []string
			if !ch.Empty() {
				for _, st := range tg.Writes(ch, row) {
					got = append(got, strings.Replace(render(st), " | ", "| ", 1))
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if ch.Empty() != (len(ch.Diff) == 0) {
				t.Errorf("audit diff %v for a change that is empty=%v", ch.Diff, ch.Empty())
			}
		})
	}
}

func TestLifecycleCreate(t *testing.T) {
	r := lifeResource(t, nextcloudActive)
	d := r.NewDraft(nil)
	if err := d.ReplaceWith(map[string]any{"schemas": []any{UserSchema}, "userName": "bo", "active": false}); err != nil {
		t.Fatal(err)
	}
	ch, err := d.Changes()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range r.RelatedInserts(ch, int64(9)) {
		got = append(got, render(st))
	}
	want := []string{"INSERT INTO `oc_preferences` (`userid`, `appid`, `configkey`, `configvalue`) VALUES (?, ?, ?, ?) | 9 | \"core\" | \"enabled\" | \"false\""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("a user created inactive (-want +got):\n%s", diff)
	}
	r = lifeResource(t, redmineActive)
	d = r.NewDraft(nil)
	if err := d.ReplaceWith(map[string]any{"schemas": []any{UserSchema}, "userName": "bo"}); err != nil {
		t.Fatal(err)
	}
	if ch, err = d.Changes(); err != nil {
		t.Fatal(err)
	}
	in, _ := r.InsertStmt(ch, "")
	if got, want := render(in), "INSERT INTO `users` (`login`, `status`) VALUES (?, ?) | \"bo\" | 1"; got != want {
		t.Errorf("a user created active\n got %s\nwant %s", got, want)
	}
}

func TestDeleteOutOfScope(t *testing.T) {
	src := strings.Replace(redmineActive, "scope: all", "scope: { deleted_at: null }", 1) + "  delete: { set: { deleted_at: now } }\n"
	r := lifeResource(t, src)
	if r.Delete != DeleteOutOfScope {
		t.Fatalf("delete policy %q", r.Delete)
	}
	tg, _ := r.Target("7", "")
	if got, want := render(tg.MoveOut()), "UPDATE `users` SET `deleted_at` = NOW(6) WHERE `deleted_at` IS NULL AND `id` = ? | 7"; got != want {
		t.Errorf("DELETE\n got %s\nwant %s", got, want)
	}
	src = strings.Replace(strings.Replace(redmineActive, "scope: all", "scope: { status: [1, 2, 3] }", 1), "create: allow", "create: deny", 1) + "  delete: { set: { status: 9 } }\n"
	if r := lifeResource(t, src); render(mustTarget(r).MoveOut()) != "UPDATE `users` SET `status` = ? WHERE `status` IN (?,?,?) AND `id` = ? | 9 | 1 | 2 | 3 | 7" {
		t.Errorf("status out of scope: %s", render(mustTarget(r).MoveOut()))
	}
}

func mustTarget(r *Resource) Target { t, _ := r.Target("7", ""); return t }

func TestLifecycleConfigErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{strings.Replace(redmineActive, "    reactivate: [ { set: { status: 1 } } ]\n", "", 1), "when, deactivate and reactivate go together"},
		{strings.Replace(redmineActive, "when: { status: 1 }", "when: { status: 1 }\n    column: status", 1), "give either column (with true and false) or when"},
		{strings.Replace(redmineActive, "set: { status: 3 }", "set: { status: 1 }", 1), "these writes leave the user active by when"},
		{strings.Replace(redmineActive, "set: { status: 1 }", "set: { status: 2 }", 1), "reactivate writes status a value that when: reads as inactive"},
		{strings.Replace(redmineActive, "[ { set: { status: 3 } } ]", "[ { sett: { status: 3 } } ]", 1), `unknown key "sett"`},
		{strings.Replace(redmineActive, "[ { set: { status: 1 } } ]", "[ { set: { status: 1 }, delete_row: { table: t, key: k } } ]", 1), "each action is exactly one of"},
		{strings.Replace(redmineActive, "when: { status: 1 }", "when: { status: \"it's\" }", 1), "expected an integer, a plain word"},
		{strings.Replace(nextcloudActive, "no_row: { table: oc_preferences", "no_row: { table: users", 1), "is the users table itself"},
		{strings.Replace(nextcloudActive, "delete_row: { table: oc_preferences, key: userid", "delete_row: { table: oc_preferences", 1), "needs table and key"},
		{strings.Replace(nextcloudActive, `set: { configvalue: "false" }`, `set: { configkey: x }`, 1), "configkey is the row's key or one of its where columns"},
		{strings.Replace(nextcloudActive, "- write_row: { table: oc_preferences,", "- write_row: { tabel: oc_preferences,", 1), `unknown key "tabel"`},
		{strings.Replace(nextcloudActive, "- delete_row: { table: oc_preferences,", "- delete_row: { tabel: oc_preferences,", 1), `unknown key "tabel"`},
		{strings.Replace(nextcloudActive, "no_row: { table: oc_preferences,", "no_row: { tabel: oc_preferences,", 1), `unknown key "tabel"`},
		{strings.Replace(strings.Replace(redmineActive, "scope: all", "scope: { status: [1, 2, 3] }", 1), "create: allow", "create: deny", 1) + "  delete: { set: { status: 2 } }\n", "status = 2 leaves the row inside the scope (on status)"},
		{redmineActive + "  delete: { set: { deleted_at: now } }\n", "scope: all keeps every row visible"},
		{strings.Replace(redmineActive, "scope: all", "scope: { deleted_at: null }", 1) + "  delete: { sett: 1 }\n", `unknown key "sett"`},
		{strings.Replace(redmineActive, "scope: all", "scope: { deleted_at: null }", 1) + "  delete: [ x ]\n", "expected deactivate, delete, deny or { set: { column: value } }"},
	} {
		_, err := Parse("t.yaml", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q", tc.src, err, tc.want)
		}
	}
	// The old one-column form is untouched.
	cfg, err := Parse("t.yaml", []byte(lifeHead+"  active: { column: status, true: [1], false: 3, deactivate: update }\n"+lifeAttr))
	if err != nil || cfg.Users.Active.Life != nil || cfg.Users.Active.Column != "status" {
		t.Errorf("one-column active: %v", err)
	}
	// A column the table lacks is found by Bind.
	cfg, err = Parse("t.yaml", []byte(strings.Replace(mattermostActive, "DeleteAt: now_ms", "DeletedAt: now_ms", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(lifeColumns()); err == nil || !strings.Contains(err.Error(), "DeletedAt") {
		t.Errorf("Bind with a missing column: %v", err)
	}
}

func TestLifecyclePrivileges(t *testing.T) {
	src := strings.Replace(nextcloudActive, "create: allow", "create: deny\n  delete: delete", 1)
	cfg, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range cfg.privilegeNeeds(OwnTableFacts{}) {
		if n.priv != "SELECT" && n.key != "store" {
			got = append(got, n.priv+" "+n.table+" "+n.column)
		}
	}
	want := []string{
		"UPDATE users login",
		"INSERT oc_preferences userid", "INSERT oc_preferences appid", "INSERT oc_preferences configkey", "INSERT oc_preferences configvalue",
		"UPDATE oc_preferences configvalue",
		"DELETE oc_preferences ",
		"DELETE users ",
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("privileges %v lack %q", got, w)
		}
	}
	src = strings.Replace(strings.Replace(mattermostActive, "scope: all", "scope: { deleted_at: null }", 1), "create: allow", "create: deny", 1) + "  delete: { set: { deleted_at: now } }\n"
	if cfg, err = Parse("t.yaml", []byte(src)); err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, n := range cfg.privilegeNeeds(OwnTableFacts{}) {
		got = append(got, n.priv+" "+n.table+" "+n.column)
	}
	for _, w := range []string{"UPDATE users DeleteAt", "UPDATE users deleted_at"} {
		if !slices.Contains(got, w) {
			t.Errorf("privileges %v lack %q", got, w)
		}
	}
	if slices.Contains(got, "DELETE users ") {
		t.Errorf("a delete out of the scope asks for DELETE: %v", got)
	}
}

// TestLifecycleRowExistsOnce: deactivate and reactivate writing the same
// row (Nextcloud's 'false' and 'true') share one EXISTS in the select list,
// and each write picks UPDATE or INSERT by it.
func TestLifecycleRowExistsOnce(t *testing.T) {
	src := strings.Replace(nextcloudActive, `- delete_row: { table: oc_preferences, key: userid, where: { appid: core, configkey: enabled } }`,
		`- write_row: { table: oc_preferences, key: userid, where: { appid: core, configkey: enabled }, set: { configvalue: "true" } }`, 1)
	r := lifeResource(t, src)
	l := r.Active.Life
	if len(r.selectExprs) != 4 || l.Deactivate[0].existsIdx != 3 || l.Reactivate[0].existsIdx != 3 {
		t.Fatalf("select list %v, exists at %d and %d", r.selectExprs, l.Deactivate[0].existsIdx, l.Reactivate[0].existsIdx)
	}
	row := lifeRow(r, false, true)
	d := r.NewDraft(row)
	if err := d.ApplyPatch(ops(t, `{"Operations":[{"op":"replace","path":"active","value":true}]}`)); err != nil {
		t.Fatal(err)
	}
	ch, err := d.Changes()
	if err != nil {
		t.Fatal(err)
	}
	tg, _ := r.Target("7", "")
	var got []string
	for _, st := range tg.Writes(ch, row) {
		got = append(got, render(st))
	}
	want := []string{"UPDATE `oc_preferences` SET `configvalue` = ? WHERE `userid` = ? AND `appid` = ? AND `configkey` = ? | \"true\" | 7 | \"core\" | \"enabled\""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reactivate (-want +got):\n%s", diff)
	}
}
