package adapter

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// respond sends a resource or list, streaming it when it holds streamed
// members (a large group) so memory stays bounded.
func (s *Server) respond(c echo.Context, status int, body mapping.Object) error {
	if !body.Streams() {
		return writeJSON(c, status, body)
	}
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, ContentType)
	w.WriteHeader(status)
	bw := bufio.NewWriterSize(w, 32<<10)
	if err := body.WriteJSON(bw); err != nil {
		// The status is sent: abort the connection so the client sees a
		// broken response rather than a complete-looking, wrong one.
		s.log.Error("streaming response failed", "request_id", requestID(c), "error", err.Error())
		panic(http.ErrAbortHandler)
	}
	return bw.Flush()
}

// membersStream writes a group's in-scope members as rows arrive.
func (s *Server) membersStream(c echo.Context, groupKey any) mapping.Stream {
	m := s.conf(c).Members
	q := m.MembersQuery(keyArg(groupKey), principal(c).Tenant)
	base := s.baseURL(c) + s.conf(c).Users.Endpoint + "/"
	ctx := c.Request().Context()
	return func(w io.Writer) error {
		if _, err := io.WriteString(w, "["); err != nil {
			return err
		}
		n := 0
		buf := make([]byte, 0, 256)
		err := s.store.Each(ctx, q.SQL, q.Args, 2, func(row []any) error {
			id := mapping.KeyString(row[0])
			var o mapping.Object
			o.Set("value", id)
			o.Set("$ref", base+url.PathEscape(id))
			if d := mapping.KeyString(row[1]); d != "" {
				o.Set("display", d)
			}
			o.Set("type", "User")
			buf = buf[:0]
			if n > 0 {
				buf = append(buf, ',')
			}
			n++
			var err error
			if buf, err = o.AppendJSON(buf); err != nil {
				return err
			}
			_, err = w.Write(buf)
			return err
		})
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, "]")
		return err
	}
}

// keyArg turns a key read from the database into a statement argument.
func keyArg(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

// needGroups answers every /Groups request with 404 when the
// configuration maps no groups (Panther's SCIM has no /Groups).
func (s *Server) needGroups(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.conf(c).Groups == nil {
			return errorf(http.StatusNotFound, "", "this server does not serve groups: its configuration has no groups section")
		}
		return h(c)
	}
}

func (s *Server) listGroups(c echo.Context) error { return s.list(c, s.conf(c).Groups) }

func (s *Server) getGroup(c echo.Context) error { return s.get(c, s.conf(c).Groups) }

// patchGroup serves PATCH /Groups/{id}: attribute changes (Okta's rename
// on link, with the id repeated) and member changes, in one transaction.
// It answers 204, as Okta and Entra expect, rather than re-sending a
// possibly large member list.
func (s *Server) patchGroup(c echo.Context) error {
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	ops, err := mapping.ParsePatch(body)
	if err != nil {
		return err
	}
	rest, mo, err := mapping.SplitMemberOps(ops)
	if err != nil {
		return err
	}
	if _, err := s.updateGroup(c, pathParam(c, "id"), func(d *mapping.Draft) error { return d.ApplyPatch(rest) }, mo); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// putGroup serves PUT /Groups/{id}. Members are replaced when the body has
// them and left alone when it does not.
func (s *Server) putGroup(c echo.Context) error {
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	mo, rest, err := membersOfBody(body)
	if err != nil {
		return err
	}
	if mo != nil {
		mo = &mapping.MemberOps{Replace: true, Set: mo.Add}
	}
	g := s.conf(c).Groups
	row, err := s.updateGroup(c, pathParam(c, "id"), func(d *mapping.Draft) error { return d.ReplaceWith(rest) }, deref(mo))
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", g.Version(row))
	return s.respond(c, http.StatusOK, s.render(c, g, row, mapping.Projection{}))
}

func deref(mo *mapping.MemberOps) mapping.MemberOps {
	if mo == nil {
		return mapping.MemberOps{}
	}
	return *mo
}

// membersOfBody splits a group body into its members (nil when absent)
// and the other attributes.
func membersOfBody(body map[string]any) (*mapping.MemberOps, map[string]any, error) {
	rest := map[string]any{}
	var mo *mapping.MemberOps
	for k, v := range body {
		if !strings.EqualFold(k, "members") {
			rest[k] = v
			continue
		}
		_, ops, err := mapping.SplitMemberOps([]mapping.PatchOp{{Op: "add", Path: "members", Value: v, HasValue: true}})
		if err != nil {
			return nil, nil, err
		}
		mo = &ops
	}
	return mo, rest, nil
}

// updateGroup applies attribute changes and member operations to a group
// in one transaction and returns the group's row as it now is.
func (s *Server) updateGroup(c echo.Context, id string, apply func(*mapping.Draft) error, mo mapping.MemberOps) (mapping.Row, error) {
	g := s.conf(c).Groups
	tenant := principal(c).Tenant
	pred, ok := g.RowPredicate(id, tenant)
	if !ok {
		return nil, notFound(g, id)
	}
	ctx := c.Request().Context()
	sel := legacy.Select{Table: g.Table, Columns: g.SelectExprs(), Where: pred.SQL, Args: pred.Args}
	var out mapping.Row
	err := s.writeTx(c, func(tx *legacy.Tx) error {
		row, err := lockRow(ctx, c, tx, g, sel, id)
		if err != nil {
			return err
		}
		d := g.NewDraft(row)
		if err := apply(d); err != nil {
			return err
		}
		ch, err := d.Changes()
		if err != nil {
			return err
		}
		if !ch.Empty() {
			if err := s.prepare(ctx, tx, g, ch, tenant, id); err != nil {
				return err
			}
			g.DropUnchanged(ch, row)
		}
		if !ch.Empty() {
			if _, err := tx.Update(ctx, legacy.Update{Table: g.Table, Set: legacyAssignments(g.UpdateSet(ch)), Where: pred.SQL, Args: pred.Args}); err != nil {
				return err
			}
			if err := s.audit(ctx, c, tx, g, id, "update", ch.Diff); err != nil {
				return err
			}
		}
		if err := s.applyMembers(ctx, c, tx, keyArg(row[0]), id, mo); err != nil {
			return err
		}
		out, err = tx.Get(ctx, sel, false)
		return err
	})
	return out, err
}

// applyMembers validates and applies member operations to one group: all
// added members must be users SCIM manages (else 400 naming them, nothing
// applied); removing a non-member does nothing; users outside the scope
// keep their memberships whatever the request says.
func (s *Server) applyMembers(ctx context.Context, c echo.Context, tx *legacy.Tx, groupKey any, groupID string, mo mapping.MemberOps) error {
	if mo.Empty() {
		return nil
	}
	m := s.conf(c).Members
	tenant := principal(c).Tenant
	wanted := append(append([]string{}, mo.Add...), mo.Set...)
	if len(wanted) > 0 {
		keys, invalid := m.UserKeys(wanted)
		found := map[string]bool{}
		if len(keys) > 0 {
			q := m.InScopeUsers(keys, tenant)
			rows, err := tx.Query(ctx, q.SQL, q.Args, 1)
			if err != nil {
				return err
			}
			for _, r := range rows {
				found[mapping.KeyString(r[0])] = true
			}
		}
		bad := invalid
		for _, id := range wanted {
			if !found[id] && !contains(invalid, id) {
				bad = append(bad, id)
			}
		}
		if len(bad) > 0 {
			mapping.SortIDs(bad)
			return &mapping.RequestError{SCIMType: InvalidValue, Msg: fmt.Sprintf("members not found: %s (no such user, or a user this server does not manage); nothing was changed", strings.Join(quoteAll(bad), ", "))}
		}
	}
	var restrict []any
	if !mo.Replace {
		restrict, _ = m.UserKeys(append(append([]string{}, mo.Add...), mo.Remove...))
	}
	var current []string
	if mo.Replace || len(restrict) > 0 {
		q := m.CurrentMembers(groupKey, restrict, tenant)
		rows, err := tx.Query(ctx, q.SQL, q.Args, 1)
		if err != nil {
			return err
		}
		for _, r := range rows {
			current = append(current, mapping.KeyString(r[0]))
		}
	}
	add, remove := mapping.DiffMembers(mo, current)
	if keys, _ := m.UserKeys(add); len(keys) > 0 {
		// Under first_wins a user who has another group stays there: that
		// add changes nothing and must not be recorded as a change.
		if q, ok := m.Unclaimed(keys, tenant); ok {
			rows, err := tx.Query(ctx, q.SQL, q.Args, 1)
			if err != nil {
				return err
			}
			free := map[string]bool{}
			for _, r := range rows {
				free[mapping.KeyString(r[0])] = true
			}
			add = slices.DeleteFunc(add, func(id string) bool { return !free[id] })
		}
	}
	removeKeys, _ := m.UserKeys(remove)
	addKeys, _ := m.UserKeys(add)
	for _, st := range append(m.RemoveMembers(groupKey, removeKeys, tenant), m.AddMembers(groupKey, addKeys, tenant)...) {
		if _, err := tx.Exec(ctx, st.SQL, st.Args); err != nil {
			return err
		}
	}
	if len(add)+len(remove) == 0 {
		return nil
	}
	return s.audit(ctx, c, tx, s.conf(c).Groups, groupID, "members", map[string][]string{"added": nonNil(add), "removed": nonNil(remove)})
}

func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteAll(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.Quote(truncate(id, 64))
	}
	return out
}

// createGroup serves POST /Groups according to groups.create.
func (s *Server) createGroup(c echo.Context) error {
	g := s.conf(c).Groups
	if g.Create != mapping.CreateAllow {
		return errorf(http.StatusForbidden, "", "this server does not create groups (groups.create: deny): they are the application's roles. Link the identity provider's group to an existing one instead (Okta: Push Groups, Link Group)")
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	mo, rest, err := membersOfBody(body)
	if err != nil {
		return err
	}
	d := g.NewDraft(nil)
	if err := d.ReplaceWith(rest); err != nil {
		return err
	}
	ch, err := d.Changes()
	if err != nil {
		return err
	}
	tenant := principal(c).Tenant
	ctx := c.Request().Context()
	var out mapping.Row
	err = s.writeTx(c, func(tx *legacy.Tx) error {
		ch := ch.Clone()
		if err := s.prepare(ctx, tx, g, ch, tenant, ""); err != nil {
			return err
		}
		set, generated := g.InsertSet(ch, tenant)
		lastID, err := tx.Insert(ctx, legacy.Insert{Table: g.Table, Set: legacyAssignments(set)})
		if err != nil {
			return err
		}
		if legacy.DryRunOf(ctx) != nil {
			return s.audit(ctx, c, tx, g, generated, "create", ch.Diff) // no row to read back
		}
		id := generated
		if id == "" {
			id = strconv.FormatInt(lastID, 10)
		}
		pred, _ := g.RowPredicate(id, tenant)
		sel := legacy.Select{Table: g.Table, Columns: g.SelectExprs(), Where: pred.SQL, Args: pred.Args}
		if out, err = tx.Get(ctx, sel, false); err != nil {
			if errors.Is(err, legacy.ErrNotFound) {
				return &Error{Status: http.StatusInternalServerError, Detail: "the created group would be outside groups.scope, so it was not kept; the operator must set groups.defaults so created groups are inside the scope", Err: err}
			}
			return err
		}
		if mo != nil {
			if err := s.applyMembers(ctx, c, tx, keyArg(out[0]), id, deref(mo)); err != nil {
				return err
			}
		}
		return s.audit(ctx, c, tx, g, id, "create", ch.Diff)
	})
	if err != nil {
		return err
	}
	if out == nil {
		return errDryRunCreate(g)
	}
	res := s.render(c, g, out, mapping.Projection{})
	if m, ok := res.Get("meta"); ok {
		if l, ok := m.(mapping.Object).Get("location"); ok {
			c.Response().Header().Set(echo.HeaderLocation, l.(string))
		}
	}
	c.Response().Header().Set("ETag", g.Version(out))
	return s.respond(c, http.StatusCreated, res)
}

// deleteGroup serves DELETE /Groups/{id} according to groups.delete. A
// group still held by accounts outside the scope (a local admin keeping
// the Admin role) is not deleted: SCIM does not change what it cannot see.
func (s *Server) deleteGroup(c echo.Context) error {
	g := s.conf(c).Groups
	id := pathParam(c, "id")
	if g.Delete != mapping.DeleteRow {
		return errorf(http.StatusForbidden, "", "this server does not delete groups (groups.delete: deny): they are the application's roles")
	}
	tenant := principal(c).Tenant
	pred, ok := g.RowPredicate(id, tenant)
	if !ok {
		return notFound(g, id)
	}
	ctx := c.Request().Context()
	m := s.conf(c).Members
	err := s.writeTx(c, func(tx *legacy.Tx) error {
		row, err := lockRow(ctx, c, tx, g, legacy.Select{Table: g.Table, Columns: g.SelectExprs(), Where: pred.SQL, Args: pred.Args}, id)
		if err != nil {
			return err
		}
		key := keyArg(row[0])
		q := m.OutsideHolders(key, tenant)
		rows, err := tx.Query(ctx, q.SQL, q.Args, 1)
		if err != nil {
			return err
		}
		if n := mapping.KeyString(rows[0][0]); n != "0" {
			return errorf(http.StatusConflict, "", "the group is still held by %s account(s) this server does not manage (such as local accounts); remove them from it in the application first", n)
		}
		for _, st := range m.DeleteMemberships(key, tenant) {
			if _, err := tx.Exec(ctx, st.SQL, st.Args); err != nil {
				return err
			}
		}
		if _, err := tx.Delete(ctx, g.Table, pred.SQL, pred.Args); err != nil {
			return err
		}
		return s.audit(ctx, c, tx, g, id, "delete", g.Identity(row))
	})
	if errors.Is(err, legacy.ErrReferenced) {
		return &Error{Status: http.StatusConflict, Detail: "other rows of the application refer to this group (a foreign key, such as a user's primary role), so it cannot be deleted", Err: err}
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
