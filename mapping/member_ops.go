package mapping

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/retroscim/retroscim/mapping/filter"
)

// MemberOps is what the member operations of a group PATCH (or a PUT with
// members) ask for, in order: a replace resets the set, adds and removes
// change it.
type MemberOps struct {
	// Replace says the members become exactly Set.
	Replace bool
	Set     []string
	Add     []string
	Remove  []string
}

// Empty reports whether there is nothing to do.
func (o *MemberOps) Empty() bool {
	return !o.Replace && len(o.Add) == 0 && len(o.Remove) == 0
}

func (o *MemberOps) add(ids []string) {
	if o.Replace {
		o.Set = union(o.Set, ids)
		return
	}
	o.Add = union(o.Add, ids)
	o.Remove = minus(o.Remove, ids)
}

func (o *MemberOps) remove(ids []string) {
	if o.Replace {
		o.Set = minus(o.Set, ids)
		return
	}
	o.Remove = union(o.Remove, ids)
	o.Add = minus(o.Add, ids)
}

func (o *MemberOps) replace(ids []string) {
	*o = MemberOps{Replace: true, Set: union(nil, ids)}
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func minus(a, b []string) []string {
	drop := map[string]bool{}
	for _, s := range b {
		drop[s] = true
	}
	var out []string
	for _, s := range a {
		if !drop[s] {
			out = append(out, s)
		}
	}
	return out
}

// SplitMemberOps separates the operations on members from the others, in
// the forms Okta and Entra send: add members [{value}], remove
// members[value eq "id"], remove members with a value array, replace
// members, and path-less values with a members key.
func SplitMemberOps(ops []PatchOp) (rest []PatchOp, mo MemberOps, err error) {
	for i, op := range ops {
		if op.Path == "" {
			obj, ok := op.Value.(map[string]any)
			v, has := getFold(obj, "members")
			if !ok || !has {
				rest = append(rest, op)
				continue
			}
			ids, err := memberIDs(v)
			if err != nil {
				return nil, mo, fmt.Errorf("operation %d: %w", i+1, err)
			}
			if op.Op == "replace" {
				mo.replace(ids)
			} else {
				mo.add(ids)
			}
			others := map[string]any{}
			for k, x := range obj {
				if !strings.EqualFold(k, "members") {
					others[k] = x
				}
			}
			if len(others) > 0 {
				rest = append(rest, PatchOp{Op: op.Op, Value: others, HasValue: true})
			}
			continue
		}
		p, perr := filter.ParsePath(op.Path)
		if perr != nil || !strings.EqualFold(p.Attr.Name, "members") || (p.Attr.URI != "" && !strings.EqualFold(p.Attr.URI, GroupSchema)) {
			rest = append(rest, op)
			continue
		}
		if p.Attr.Sub != "" || p.Sub != "" {
			return nil, mo, requestErr(SCIMInvalidPath, "operation %d: members are added, removed or replaced whole; %q names a sub-attribute", i+1, op.Path)
		}
		var ids []string
		if p.Filter != nil {
			if op.Op != "remove" {
				return nil, mo, requestErr(SCIMInvalidPath, "operation %d: a members[...] filter is for remove", i+1)
			}
			if ids, err = filterMemberIDs(p.Filter); err != nil {
				return nil, mo, fmt.Errorf("operation %d: %w", i+1, err)
			}
		} else if op.HasValue && op.Value != nil {
			if ids, err = memberIDs(op.Value); err != nil {
				return nil, mo, fmt.Errorf("operation %d: %w", i+1, err)
			}
		}
		switch {
		case op.Op == "add":
			mo.add(ids)
		case op.Op == "replace":
			mo.replace(ids)
		case p.Filter == nil && !op.HasValue:
			mo.replace(nil) // remove all members
		default:
			mo.remove(ids)
		}
	}
	return rest, mo, nil
}

// memberIDs reads [{"value": "id"}, ...] (a single object is accepted too).
func memberIDs(v any) ([]string, error) {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case map[string]any:
		items = []any{x}
	case nil:
		return nil, nil
	default:
		return nil, requestErr(SCIMInvalidValue, "members must be an array of {\"value\": \"<user id>\"}")
	}
	var ids []string
	for _, it := range items {
		obj, ok := it.(map[string]any)
		if !ok {
			return nil, requestErr(SCIMInvalidValue, "each member must be an object {\"value\": \"<user id>\"}")
		}
		v, _ := getFold(obj, "value")
		switch x := v.(type) {
		case string:
			ids = append(ids, x)
		case json.Number:
			ids = append(ids, x.String())
		default:
			return nil, requestErr(SCIMInvalidValue, "each member needs a value, the user's id")
		}
	}
	return ids, nil
}

// filterMemberIDs reads the ids of members[value eq "a" or value eq "b"].
func filterMemberIDs(e filter.Expr) ([]string, error) {
	switch x := e.(type) {
	case *filter.Or:
		l, err := filterMemberIDs(x.Left)
		if err != nil {
			return nil, err
		}
		r, err := filterMemberIDs(x.Right)
		return append(l, r...), err
	case *filter.Compare:
		if strings.EqualFold(x.Attr.Name, "value") && x.Op == filter.Eq && (x.Value.Kind == filter.String || x.Value.Kind == filter.Number) {
			return []string{x.Value.Str}, nil
		}
	}
	return nil, requestErr(SCIMInvalidPath, "members[...] supports value eq \"<id>\", combined with or; got %s", e)
}

// DiffMembers turns the member operations into the keys to add and to
// remove, given the group's current in-scope members.
func DiffMembers(mo MemberOps, current []string) (add, remove []string) {
	cur := map[string]bool{}
	for _, c := range current {
		cur[c] = true
	}
	if mo.Replace {
		want := map[string]bool{}
		for _, s := range mo.Set {
			want[s] = true
			if !cur[s] {
				add = append(add, s)
			}
		}
		for _, c := range current {
			if !want[c] {
				remove = append(remove, c)
			}
		}
		return add, remove
	}
	for _, a := range mo.Add {
		if !cur[a] {
			add = append(add, a)
		}
	}
	for _, r := range mo.Remove {
		if cur[r] {
			remove = append(remove, r)
		}
	}
	return add, remove
}

// KeyString renders a key value read from the database as a SCIM id.
func KeyString(v any) string {
	s, _ := textOf(v)
	return s
}

// SortIDs orders ids numerically when they are numbers, for stable
// messages.
func SortIDs(ids []string) {
	sort.Slice(ids, func(i, j int) bool {
		a, errA := strconv.ParseInt(ids[i], 10, 64)
		b, errB := strconv.ParseInt(ids[j], 10, 64)
		if errA == nil && errB == nil {
			return a < b
		}
		return ids[i] < ids[j]
	})
}
