package mapping

import (
	"fmt"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"gopkg.in/yaml.v3"
)

// DeleteOutOfScope keeps the row on DELETE and writes Resource.DeleteSet,
// which moves it out of the scope: the resource is gone for every later
// request (RFC 7644 §3.6), the app keeps its row (deleted_at = NOW()).
const DeleteOutOfScope DeletePolicy = "out_of_scope"

// compileDeleteSet reads users.delete or groups.delete: { set: { column:
// value } } and checks, against the scope, that the writes move the row
// out of it (Mattermost archives a team with Teams.DeleteAt = now in ms,
// keeping its TeamMembers rows; so does a group here).
func (r *Resource) compileDeleteSet(n *yaml.Node, p *problems) {
	key := r.key + ".delete"
	before := len(p.list)
	var spec DeleteSpec
	decodeStrict(n, key, &spec, p)
	if len(p.list) > before {
		return
	}
	if spec.Set.Kind == 0 {
		p.add(n.Line, key+".set", "missing: name the writes that move the row out of the scope, as in delete: { set: { deleted_at: now } } with scope: { deleted_at: null }")
		return
	}
	set := r.compileSets(&spec.Set, key+".set", true, p)
	if len(p.list) > before {
		return
	}
	r.Delete, r.DeleteSet = DeleteOutOfScope, set
}

// checkDeleteLeavesScope refuses delete: { set } writes that would leave
// the row inside the scope, where the deleted user would still be found.
// It runs once the scope is compiled.
func (r *Resource) checkDeleteLeavesScope(p *problems) {
	if r.Delete != DeleteOutOfScope {
		return
	}
	key := r.key + ".delete.set"
	if r.ScopeAll {
		p.add(r.deleteLine, key, "scope: all keeps every row visible, so these writes cannot hide a deleted resource: add the column to the scope (scope: { deleted_at: null }) or use delete: delete")
		return
	}
	var scoped []string
	for _, t := range r.Scope {
		scoped = append(scoped, t.Column)
		for _, s := range r.DeleteSet {
			if strings.EqualFold(s.Column, t.Column) && !termHolds(LifeTerm{Values: t.Values, Negate: t.Negate}, s) {
				return
			}
		}
	}
	var writes []string
	for _, s := range r.DeleteSet {
		v := fmt.Sprint(s.Value)
		if s.Now {
			v = "the current time"
		}
		writes = append(writes, s.Column+" = "+v)
	}
	p.add(r.deleteLine, key, "%s leaves the row inside the scope (on %s), so a deleted %s would still be found: write a value the scope excludes (scope: { deleted_at: null } with set: { deleted_at: now }), or add the column to the scope", strings.Join(writes, ", "), strings.Join(scoped, ", "), strings.ToLower(r.Type))
}

// MoveOut is the UPDATE that moves the row out of the scope on DELETE
// (users.delete: { set }).
func (t Target) MoveOut() sqlstmt.Update {
	set := make([]sqlstmt.Assignment, 0, len(t.r.DeleteSet))
	for _, s := range t.r.DeleteSet {
		set = append(set, s.assignment())
	}
	return sqlstmt.Update{Table: t.r.Table, Set: set, Where: t.where}
}
