package mapping

import (
	"net/url"
	"slices"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// The enterprise manager (RFC 7643 §4.3) is a reference to another user:
// map its value to the column holding the manager's id,
//
//	'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value': { column: manager_id }
//
// It renders as {"value": id, "$ref": <base>/Users/<id>}, accepts Entra's
// bare-string form ("value": "<id>") next to the object, clears on remove,
// null or "", and a new value must be a user this server manages (inside
// the scope and the caller's tenant), checked in the write's transaction.

// managerAttr is the mapped manager.value, or nil.
func (r *Resource) managerAttr() *Attribute {
	if r.Schema == nil || r.Schema.ID != UserSchema {
		return nil
	}
	return r.find(EnterpriseUserSchema, "manager", "value", "")
}

// managerShorthand turns Entra's bare-string manager ("value": "<id>")
// into the object RFC 7643 defines, so that both forms mean the same.
func managerShorthand(def *AttrDef, value any) any {
	if s, ok := value.(string); ok && def.Name == "manager" && !def.MultiValued {
		return map[string]any{"value": s}
	}
	return value
}

// managerRef is the $ref of a rendered manager with a value.
func managerRef(va *viewAttr, row Row, baseURL string) (string, bool) {
	if va.def.Name != "manager" || va.def.MultiValued {
		return "", false
	}
	for _, a := range va.subs {
		if a.Hidden() || !strings.EqualFold(a.Sub, "value") {
			continue
		}
		if v, ok := scimValue(a.Def.Type, a.columnValue(row)); ok {
			if id, ok := textOf(v); ok && id != "" {
				return baseURL + "/Users/" + url.PathEscape(id), true
			}
		}
	}
	return "", false
}

// ManagerQuery is the read that proves a change's new manager is a user
// the caller may reference: the manager's row inside the scope and the
// tenant, locked for the write's transaction so that it cannot leave the
// scope before the commit. id is empty when the change sets no manager.
// A manager id that cannot be a key is an invalidValue at once, and so is
// the user itself as its own manager.
func (r *Resource) ManagerQuery(ch *Change, selfID, tenant string) (q sqlstmt.Select, id string, err error) {
	a := r.managerAttr()
	if a == nil || !slices.Contains(ch.Changed, a.Path()) {
		return q, "", nil
	}
	id, isText := ch.Value(a).(string)
	if !isText || id == "" {
		return q, "", nil // cleared
	}
	if selfID != "" && id == selfID {
		return q, "", requestErr(SCIMInvalidValue, "manager: a user cannot be its own manager (%q); nothing was changed", id)
	}
	t, valid := r.Target(id, tenant)
	if !valid {
		return q, "", ManagerNotFound(id)
	}
	return t.Lock(), id, nil
}

// ManagerNotFound is the refusal of a manager that is not a user this
// server manages.
func ManagerNotFound(id string) error {
	return requestErr(SCIMInvalidValue, "manager: %q is not a user this server manages (no such user, or one outside the scope or tenant); nothing was changed", id)
}

// managerRefDef is manager.$ref as /Schemas lists it: computed from the
// value, so read-only.
func managerRefDef(s *AttrDef) *AttrDef {
	d := *s
	d.Mutability = ReadOnly
	return &d
}
