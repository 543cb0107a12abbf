package mapping

import (
	"errors"
	"fmt"
	"testing"
)

const managerYAML = `database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "0123456789abcdef", tenant: "1" } ] }
users:
  table: staff
  tenant: org_id
  scope: { auth_source: saml }
  attributes:
    userName: { column: login }
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value': { column: manager_id }
`

func managerResource(t *testing.T) *Resource {
	t.Helper()
	cfg, err := Parse("manager.yaml", []byte(managerYAML))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(map[string][]Column{"staff": {
		{Name: "id", DataType: "int", AutoIncrement: true}, {Name: "org_id", DataType: "int"},
		ci("login", 60, false), ci("auth_source", 10, false), {Name: "manager_id", DataType: "int", Nullable: true},
	}}); err != nil {
		t.Fatal(err)
	}
	return cfg.Users
}

func TestManagerQuery(t *testing.T) {
	r := managerResource(t)
	change := func(ops string) *Change {
		t.Helper()
		d := r.NewDraft(Row{int64(1), "alice", nil})
		if err := d.ApplyPatch(ops2(t, ops)); err != nil {
			t.Fatal(err)
		}
		ch, err := d.Changes()
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	// Entra's bare string: the manager's row, inside the scope and the
	// tenant, locked for the write.
	q, id, err := r.ManagerQuery(change(`{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"2"}`), "1", "1")
	if err != nil || id != "2" {
		t.Fatalf("ManagerQuery = %q, %v", id, err)
	}
	sql, args := q.SQL()
	const want = "SELECT `id`, `login`, `manager_id` FROM `staff` WHERE `auth_source` = ? AND `org_id` = ? AND `id` = ? FOR UPDATE"
	if sql != want || len(args) != 3 || args[2] != int64(2) {
		t.Errorf("ManagerQuery SQL = %s %v\nwant %s", sql, args, want)
	}
	// A removal needs no check.
	if _, id, err := r.ManagerQuery(change(`{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}`), "1", "1"); id != "" || err != nil {
		t.Errorf("remove: %q %v", id, err)
	}
	// Its own manager.
	_, _, err = r.ManagerQuery(change(`{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"1"}}`), "1", "1")
	var re *RequestError
	if !errors.As(err, &re) || re.SCIMType != SCIMInvalidValue {
		t.Errorf("own manager: %v", err)
	}
}

func TestManagerRef(t *testing.T) {
	r := managerResource(t)
	o := r.Render(Row{int64(2), "bob", int64(1)}, "https://h/scim/v2")
	ext, _ := o.Get(EnterpriseUserSchema)
	m, _ := ext.(Object).Get("manager")
	ref, _ := m.(Object).Get("$ref")
	if ref != "https://h/scim/v2/Users/1" {
		t.Errorf("manager $ref = %v", ref)
	}
}

func TestManagerSchema(t *testing.T) {
	r := managerResource(t)
	var subs []string
	for _, e := range r.Extensions {
		if m := e.Attr("manager"); m != nil {
			for _, s := range m.SubAttributes {
				subs = append(subs, s.Name+":"+string(s.Mutability))
			}
		}
	}
	if got := fmt.Sprint(subs); got != "[value:readWrite $ref:readOnly]" {
		t.Errorf("/Schemas manager sub-attributes %s", got)
	}
}

func ops2(t *testing.T, op string) []PatchOp {
	t.Helper()
	return ops(t, `{"Operations":[`+op+`]}`)
}
