package adapter

import (
	"net/http"
	"strings"
	"testing"
)

// TestGroupColumnMoveInOnePatch: Entra's PATCH that adds some users to a
// group kept in a users column and removes others writes them in one
// UPDATE. Each user ends where the rule says: the added in the group (or,
// under first_wins, in the group she already had), the removed with what
// a removal writes (NULL, the column's DEFAULT, the on_remove fallback),
// a named non-member untouched, not even her updated_at. A PATCH that
// also adds a user SCIM does not manage is refused and changes nothing.
func TestGroupColumnMoveInOnePatch(t *testing.T) {
	const notNull = "UPDATE users SET role_id = 1 WHERE role_id IS NULL; ALTER TABLE users MODIFY role_id INT UNSIGNED NOT NULL DEFAULT 1"
	sampleRoles := "SELECT GROUP_CONCAT(COALESCE(role_id, 'NULL') ORDER BY id) FROM users"
	cases := []struct {
		name, src, group string
		extra            []string
		zabbix           bool
		// add and remove are the ids the PATCH names; bad is a user out of
		// the scope; untouched is a named non-member whose row stays.
		add, remove         []string
		bad, untouched      string
		before, after, list string
	}{
		{name: "last_wins, NULL", src: singleColumnConfig(t, "last_wins"), group: "2", add: []string{"4", "5"}, remove: []string{"7", "2"}, bad: "6", untouched: "2",
			before: "1,1,2,3,NULL,NULL,2,4,4", after: "1,1,2,2,2,NULL,NULL,4,4"},
		{name: "first_wins, NULL", src: singleColumnConfig(t, "first_wins"), group: "2", add: []string{"4", "5"}, remove: []string{"7", "2"}, bad: "6", untouched: "2",
			before: "1,1,2,3,NULL,NULL,2,4,4", after: "1,1,2,3,2,NULL,NULL,4,4"},
		{name: "last_wins, NOT NULL DEFAULT", src: singleColumnConfig(t, "last_wins"), extra: []string{notNull}, group: "2", add: []string{"4", "5"}, remove: []string{"7", "2"}, bad: "6", untouched: "2",
			before: "1,1,2,3,1,1,2,4,4", after: "1,1,2,2,2,1,1,4,4"},
		{name: "zabbix fallback, first_wins", src: zabbixYAML + "    rule: first_wins\n", zabbix: true, group: "2", add: []string{"4"}, remove: []string{"3"}, bad: "1",
			before: "3,4,2,1", after: "3,4,1,2"},
		{name: "zabbix fallback, last_wins", src: zabbixYAML + "    rule: last_wins\n", zabbix: true, group: "2", add: []string{"4"}, remove: []string{"3"}, bad: "1",
			before: "3,4,2,1", after: "3,4,1,2"},
	}
	values := func(ids []string) string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = `{"value":"` + id + `"}`
		}
		return strings.Join(out, ",")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var e *env
			roles := sampleRoles
			if c.zabbix {
				e, roles = newZabbixEnv(t, c.src), "SELECT GROUP_CONCAT(roleid ORDER BY userid) FROM users"
			} else {
				e = newEnvYAML(t, c.src, c.extra...)
			}
			if got := e.query(roles)[0]; got != c.before {
				t.Fatalf("roles before = %s, want %s", got, c.before)
			}
			refused := memberPatch(`{"op":"Add","path":"members","value":[`+values(append(append([]string{}, c.add...), c.bad))+`]}`, `{"op":"Remove","path":"members","value":[`+values(c.remove)+`]}`)
			r := e.do(http.MethodPatch, "/Groups/"+c.group, refused)
			if r.Status != http.StatusBadRequest || r.json(t)["scimType"] != "invalidValue" || !strings.Contains(r.json(t)["detail"].(string), `members not found: "`+c.bad+`"`) {
				t.Errorf("PATCH adding user %s = %d %s, want 400 invalidValue naming her", c.bad, r.Status, r.Body)
			}
			if got := e.query(roles)[0]; got != c.before {
				t.Errorf("roles after the refused PATCH = %s, want %s (unchanged)", got, c.before)
			}
			var stamp string
			if c.untouched != "" {
				stamp = e.query("SELECT updated_at FROM users WHERE id = ?", c.untouched)[0]
			}
			entra := memberPatch(`{"op":"Add","path":"members","value":[`+values(c.add)+`]}`, `{"op":"Remove","path":"members","value":[`+values(c.remove)+`]}`)
			if r := e.do(http.MethodPatch, "/Groups/"+c.group, entra); r.Status != http.StatusNoContent {
				t.Fatalf("PATCH = %d %s", r.Status, r.Body)
			}
			if got := e.query(roles)[0]; got != c.after {
				t.Errorf("roles after the PATCH = %s, want %s", got, c.after)
			}
			if c.untouched != "" {
				if got := e.query("SELECT updated_at FROM users WHERE id = ?", c.untouched)[0]; got != stamp {
					t.Errorf("user %s, not a member, was written: updated_at %s -> %s", c.untouched, stamp, got)
				}
			}
		})
	}
}
