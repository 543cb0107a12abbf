package adapter

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// /Groups when the mapping declares its groups by name (groups.names) and
// keeps a user's groups as a list in a column of her row (Mattermost
// Users.Roles). A group's id is its name. Reads find members with one
// condition in SQL and confirm each row with the list's codec; writes read
// the lists of the users named with the row lock, edit them in Go without
// touching entries the mapping does not declare, and write the changed
// ones back in one statement.

// listDeclared serves GET /Groups: the declared groups the filter picks,
// with their members unless the request leaves them out. Entra's
// membership check (id eq "G" and members.value eq "U") costs one
// statement, whatever the size of the group.
func (s *Server) listDeclared(c echo.Context, l *mapping.RoleList) error {
	q, err := l.Query(c.QueryParam("filter"))
	if err != nil {
		return err
	}
	rq := s.request(c)
	names := q.Names
	if q.HasMember {
		names, err = s.declaredHolding(rq, l, names, q.Member)
		if err != nil {
			return err
		}
	}
	total := len(names)
	start := 1
	if v := c.QueryParam("startIndex"); v != "" {
		n, err := parseCount(v, maxStartIndex)
		if err != nil {
			return errorf(http.StatusBadRequest, mapping.SCIMInvalidValue, "startIndex must be an integer, got %q", truncate(v, 40))
		}
		start = max(n, 1)
	}
	count := rq.conf.Pagination.DefaultCount
	if v := c.QueryParam("count"); v != "" {
		n, err := parseCount(v, rq.conf.Pagination.MaxCount)
		if err != nil {
			return errorf(http.StatusBadRequest, mapping.SCIMInvalidValue, "count must be an integer, got %q", truncate(v, 40))
		}
		count = min(max(n, 0), rq.conf.Pagination.MaxCount)
	}
	names = names[min(start-1, len(names)):]
	names = names[:min(count, len(names))]
	resources := make([]mapping.Object, len(names))
	for i, n := range names {
		resources[i] = s.renderDeclared(c, rq, l, n)
	}
	return s.respond(c, http.StatusOK, listResponse(total, start, len(resources), resources))
}

// declaredHolding keeps the names of groups that hold user id: one
// statement per group asked about (Entra asks about one).
func (s *Server) declaredHolding(rq *scimRequest, l *mapping.RoleList, names []string, id string) ([]string, error) {
	keys, _ := l.UserKeys([]string{id})
	if len(keys) == 0 {
		return nil, nil
	}
	var out []string
	for _, n := range names {
		held := false
		err := s.store.Each(rq.ctx, l.MembersQuery(n, keys, rq.tenant), func(r []any) error {
			held = held || l.Holds(r[2], n)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if held {
			out = append(out, n)
		}
	}
	return out, nil
}

// getDeclared serves GET /Groups/{id}.
func (s *Server) getDeclared(c echo.Context, l *mapping.RoleList) error {
	name := pathParam(c, "id")
	if !l.Declared(name) {
		return notDeclared(l, name)
	}
	c.Response().Header().Set("ETag", l.Version(name))
	return s.respond(c, http.StatusOK, s.renderDeclared(c, s.request(c), l, name))
}

func notDeclared(l *mapping.RoleList, name string) error {
	return errorf(http.StatusNotFound, "", "no group %q: the groups here are the names declared in groups.names (%s)", truncate(name, 64), strings.Join(l.Names, ", "))
}

// renderDeclared is a declared group as SCIM shows it; members are
// streamed, and left out as the attributes and excludedAttributes
// parameters ask (Entra's attributes=id, excludedAttributes=members).
func (s *Server) renderDeclared(c echo.Context, rq *scimRequest, l *mapping.RoleList, name string) mapping.Object {
	attrs := lowerList(c.QueryParam("attributes"))
	excluded := lowerList(c.QueryParam("excludedAttributes"))
	shown := func(a string) bool {
		return !slices.Contains(excluded, a) && (len(attrs) == 0 || slices.Contains(attrs, a))
	}
	var o mapping.Object
	o.Set("schemas", []string{mapping.GroupSchema})
	o.Set("id", name)
	if shown("displayname") {
		o.Set("displayName", name)
	}
	if shown("members") {
		o.Set("members", s.declaredMembers(rq, l, name))
	}
	if shown("meta") {
		var meta mapping.Object
		meta.Set("resourceType", "Group")
		meta.Set("location", rq.baseURL+"/Groups/"+url.PathEscape(name))
		meta.Set("version", l.Version(name))
		o.Set("meta", meta)
	}
	return o
}

func lowerList(v string) []string {
	var out []string
	for _, a := range strings.Split(v, ",") {
		if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
			out = append(out, strings.TrimPrefix(a, strings.ToLower(mapping.GroupSchema)+":"))
		}
	}
	return out
}

// declaredMembers streams the in-scope users whose list holds name, as
// rows arrive; a row the SQL test matched but the codec does not read as
// holding name (another case, an unreadable value) is not a member.
func (s *Server) declaredMembers(rq *scimRequest, l *mapping.RoleList, name string) mapping.Stream {
	q := l.MembersQuery(name, nil, rq.tenant)
	base := rq.baseURL + rq.conf.Users.Endpoint + "/"
	return func(w io.Writer) error {
		return writeMembers(w, base, func(emit func(id, display string) error) error {
			last := ""
			return s.store.Each(rq.ctx, q, func(row []any) error {
				id := mapping.KeyString(row[0])
				if !l.Holds(row[2], name) || (last != "" && id == last) {
					return nil // not held, or a second related row of the same user
				}
				last = id
				return emit(id, mapping.KeyString(row[1]))
			})
		})
	}
}

// refuseDeclaredCreate answers POST /Groups: the groups are the mapping's.
func refuseDeclaredCreate(l *mapping.RoleList) error {
	return errorf(http.StatusForbidden, "", "this server does not create groups: they are the names declared in groups.names (%s), kept in %s. Link the identity provider's group to one of them instead (Okta: Push Groups, Link Group)", strings.Join(l.Names, ", "), l.Storage())
}

// refuseDeclaredDelete answers DELETE /Groups/{id}.
func refuseDeclaredDelete(l *mapping.RoleList) error {
	return errorf(http.StatusForbidden, "", "this server does not delete groups: they are the names declared in groups.names (%s); remove the members instead", strings.Join(l.Names, ", "))
}

// patchDeclared serves PATCH /Groups/{id}: member changes, and Okta's
// rename on link when it repeats the name. 204 on success.
func (s *Server) patchDeclared(c echo.Context, l *mapping.RoleList) error {
	name := pathParam(c, "id")
	if !l.Declared(name) {
		return notDeclared(l, name)
	}
	ops, err := s.readPatch(c)
	if err != nil {
		return err
	}
	rest, mo, err := mapping.SplitMemberOps(ops)
	if err != nil {
		return err
	}
	for _, op := range rest {
		if err := fixedName(op, name); err != nil {
			return err
		}
	}
	rq := s.request(c)
	if err := rq.checkIfMatch(l.Version(name)); err != nil {
		return err
	}
	if err := s.editDeclared(rq, l, name, mo); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// putDeclared serves PUT /Groups/{id}: members in the body replace all
// members (Okta's Push Now); the name must stay the same.
func (s *Server) putDeclared(c echo.Context, l *mapping.RoleList) error {
	name := pathParam(c, "id")
	if !l.Declared(name) {
		return notDeclared(l, name)
	}
	mo, rest, err := s.readGroup(c)
	if err != nil {
		return err
	}
	if d, ok := rest["displayName"]; ok && d != name {
		return errorf(http.StatusBadRequest, mapping.SCIMMutability, "displayName of a declared group is its name, %q; rename it in groups.names", name)
	}
	rq := s.request(c)
	if err := rq.checkIfMatch(l.Version(name)); err != nil {
		return err
	}
	if mo != nil {
		if err := s.editDeclared(rq, l, name, mapping.MemberOps{Replace: true, Set: mo.Add}); err != nil {
			return err
		}
	}
	c.Response().Header().Set("ETag", l.Version(name))
	return s.respond(c, http.StatusOK, s.renderDeclared(c, rq, l, name))
}

// fixedName accepts the non-member operations Okta sends on link (the id
// and displayName repeated) and refuses any change of the name.
func fixedName(op mapping.PatchOp, name string) error {
	vals := map[string]any{}
	if op.Path == "" {
		if m, ok := op.Value.(map[string]any); ok {
			vals = m
		}
	} else {
		vals[op.Path] = op.Value
	}
	for k, v := range vals {
		switch strings.ToLower(k) {
		case "id", "displayname", "externalid", "schemas":
			if s, ok := v.(string); ok && s == name || strings.EqualFold(k, "externalid") || strings.EqualFold(k, "schemas") {
				continue
			}
		}
		return errorf(http.StatusBadRequest, mapping.SCIMMutability, "%s of a declared group cannot change: the group is the name %q in groups.names; nothing was changed", k, name)
	}
	return nil
}

// editDeclared applies member operations to the lists of the users they
// name, in one transaction: one locking read of those users' lists (for a
// replace, also of the current holders), one UPDATE of the lists that
// change, and nothing written when none does.
func (s *Server) editDeclared(rq *scimRequest, l *mapping.RoleList, name string, mo mapping.MemberOps) error {
	if mo.Empty() {
		return nil
	}
	named := slices.Concat(mo.Set, mo.Add, mo.Remove)
	keys, invalid := l.UserKeys(named)
	return s.writeTx(rq, func(tx *legacy.Tx) error {
		lists := map[string]any{}
		missingRow := map[string]bool{}
		var order []string
		read := func(keys []any) error {
			rows, err := tx.Query(rq.ctx, l.LockLists(name, keys, rq.tenant))
			if err != nil {
				return err
			}
			for _, r := range rows {
				id := mapping.KeyString(r[0])
				if _, ok := lists[id]; !ok {
					order = append(order, id)
				}
				lists[id] = r[1]
				missingRow[id] = mapping.KeyString(r[2]) != "1"
			}
			return nil
		}
		if mo.Replace {
			if err := read(nil); err != nil {
				return err
			}
		}
		if len(keys) > 0 {
			if err := read(keys); err != nil {
				return err
			}
		}
		var bad []string
		for _, id := range slices.Concat(mo.Set, mo.Add) {
			if _, ok := lists[id]; !ok || slices.Contains(invalid, id) {
				bad = append(bad, id)
			}
		}
		if len(bad) > 0 {
			mapping.SortIDs(bad)
			return &mapping.RequestError{SCIMType: mapping.SCIMInvalidValue, Msg: fmt.Sprintf("members not found: %s (no such user, or a user this server does not manage); nothing was changed", strings.Join(quoteAll(bad), ", "))}
		}
		var edits []mapping.ListEdit
		added, removed := []string{}, []string{}
		for _, id := range order {
			want := slices.Contains(mo.Add, id) || slices.Contains(mo.Set, id)
			if !want && !slices.Contains(mo.Remove, id) && !(mo.Replace && l.Holds(lists[id], name)) {
				continue
			}
			if !want && l.FallbackGroup(name) && l.Holds(lists[id], name) {
				return l.FallbackRemoval(name) // leaving it would write it again
			}
			out, changed, err := l.EditList(lists[id], name, want)
			if err != nil {
				return &mapping.RequestError{SCIMType: mapping.SCIMInvalidValue, Msg: fmt.Sprintf("user %q: %v; nothing was changed", id, err)}
			}
			if !changed {
				continue
			}
			key, _ := l.UserKeys([]string{id})
			edits = append(edits, mapping.ListEdit{Key: key[0], Value: out, Insert: missingRow[id]})
			if want {
				added = append(added, id)
			} else {
				removed = append(removed, id)
			}
		}
		writes := l.WriteLists(name, edits, rq.tenant)
		if len(writes) == 0 {
			return nil // the lists already say so: nothing is written
		}
		for _, st := range writes {
			if _, err := tx.Write(rq.ctx, st); err != nil {
				return err
			}
		}
		return s.auditDeclared(rq, tx, name, map[string][]string{"added": added, "removed": removed})
	})
}

// auditDeclared records a change of a declared group's members.
func (s *Server) auditDeclared(rq *scimRequest, tx *legacy.Tx, name string, changes map[string][]string) error {
	b, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	e := rq.auditEntry("Group", name, "members", rq.success)
	e.Changes = string(b)
	rq.record.pending = append(rq.record.pending, e)
	if s.own == nil || legacy.DryRunOf(rq.ctx) != nil {
		return nil
	}
	return tx.Audit(rq.ctx, *s.own, e)
}
