package adapter

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping"
)

// A group's membership: the step that sets a group's write apart from a
// user's, and the member list that is streamed with a group.

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
func (s *Server) membersStream(rq *scimRequest, groupKey any) mapping.Stream {
	q := rq.conf.Members.MembersQuery(keyArg(groupKey), rq.tenant)
	base := rq.baseURL + rq.conf.Users.Endpoint + "/"
	return func(w io.Writer) error {
		return writeMembers(w, base, func(emit func(id, display string) error) error {
			return s.store.Each(rq.ctx, q, func(row []any) error {
				return emit(mapping.KeyString(row[0]), mapping.KeyString(row[1]))
			})
		})
	}
}

// writeMembers writes a group's members as a JSON array, one member as
// each calls emit, so that a 10,000-member group is never held in memory.
// base is the Users endpoint's URL with a trailing slash.
func writeMembers(w io.Writer, base string, each func(emit func(id, display string) error) error) error {
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	n := 0
	buf := make([]byte, 0, 256)
	err := each(func(id, display string) error {
		var o mapping.Object
		o.Set("value", id)
		o.Set("$ref", base+url.PathEscape(id))
		if display != "" {
			o.Set("display", display)
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

// keyArg turns a key read from the database into a statement argument.
func keyArg(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

// userIDs runs q, which selects user keys, and returns them as SCIM ids.
func userIDs(rq *scimRequest, tx *legacy.Tx, q sqlstmt.Select) (map[string]bool, []string, error) {
	rows, err := tx.Query(rq.ctx, q)
	if err != nil {
		return nil, nil, err
	}
	set := make(map[string]bool, len(rows))
	list := make([]string, 0, len(rows))
	for _, r := range rows {
		id := mapping.KeyString(r[0])
		set[id] = true
		list = append(list, id)
	}
	return set, list, nil
}

// applyMembers validates and applies member operations to one group: all
// added members must be users SCIM manages (else 400 naming them, nothing
// applied); removing a non-member does nothing; users outside the scope
// keep their memberships whatever the request says. changed says a
// membership was written.
func (s *Server) applyMembers(rq *scimRequest, tx *legacy.Tx, groupKey any, groupID string, mo mapping.MemberOps) (changed bool, err error) {
	if mo.Empty() {
		return false, nil
	}
	m := rq.conf.Members
	wanted := append(append([]string{}, mo.Add...), mo.Set...)
	if len(wanted) > 0 {
		keys, invalid := m.UserKeys(wanted)
		found := map[string]bool{}
		if len(keys) > 0 {
			if found, _, err = userIDs(rq, tx, m.InScopeUsers(keys, rq.tenant)); err != nil {
				return false, err
			}
		}
		bad := invalid
		for _, id := range wanted {
			if !found[id] && !slices.Contains(invalid, id) {
				bad = append(bad, id)
			}
		}
		if len(bad) > 0 {
			mapping.SortIDs(bad)
			return false, &mapping.RequestError{SCIMType: mapping.SCIMInvalidValue, Msg: fmt.Sprintf("members not found: %s (no such user, or a user this server does not manage); nothing was changed", strings.Join(quoteAll(bad), ", "))}
		}
	}
	var restrict []any
	if !mo.Replace {
		restrict, _ = m.UserKeys(append(append([]string{}, mo.Add...), mo.Remove...))
	}
	var current []string
	if mo.Replace || len(restrict) > 0 {
		if _, current, err = userIDs(rq, tx, m.CurrentMembers(groupKey, restrict, rq.tenant)); err != nil {
			return false, err
		}
	}
	add, remove := mapping.DiffMembers(mo, current)
	if len(remove) > 0 && m.FallbackGroup(groupID) {
		return false, m.FallbackRemoval(groupID)
	}
	if keys, _ := m.UserKeys(add); len(keys) > 0 {
		// Under first_wins a user who has another group stays there: that
		// add changes nothing and must not be recorded as a change.
		if q, ok := m.Unclaimed(keys, rq.tenant); ok {
			free, _, err := userIDs(rq, tx, q)
			if err != nil {
				return false, err
			}
			add = slices.DeleteFunc(add, func(id string) bool { return !free[id] })
		}
	}
	removeKeys, _ := m.UserKeys(remove)
	addKeys, _ := m.UserKeys(add)
	var reviveKeys []any
	if q, ok := m.Removed(groupKey, addKeys); ok {
		// A removed (soft-deleted) row is made live again, not doubled.
		removed, _, err := userIDs(rq, tx, q)
		if err != nil {
			return false, err
		}
		reviveKeys, _ = m.UserKeys(slices.DeleteFunc(slices.Clone(add), func(id string) bool { return !removed[id] }))
		addKeys, _ = m.UserKeys(slices.DeleteFunc(slices.Clone(add), func(id string) bool { return removed[id] }))
	}
	removals := m.RemoveMembers(groupKey, removeKeys, rq.tenant)
	adds := m.ReviveMembers(groupKey, reviveKeys)
	inserts, err := s.newMemberRows(rq, tx, groupKey, addKeys)
	if err != nil {
		return false, err
	}
	// The rows each statement wrote feed the counters the app keeps in
	// step (members.when_added / when_removed).
	var added, removed int64
	for i, st := range append(append(removals, adds...), inserts...) {
		n, err := tx.Write(rq.ctx, st)
		if err != nil {
			return false, err
		}
		switch {
		case i < len(removals):
			removed += n
		case i < len(removals)+len(adds) || m.Join == nil:
			added += n // revived rows; the column model's UPDATE
		}
	}
	if m.Join != nil {
		added += int64(len(addKeys)) // a plain INSERT writes every row or fails (its statements may advance an id counter too)
	}
	if err := runAll(rq, tx, m.StepsAfter(groupKey, append(addKeys, reviveKeys...), added, removed)); err != nil {
		return false, err
	}
	if len(add)+len(remove) == 0 {
		return false, nil
	}
	return true, s.audit(rq, tx, rq.conf.Groups, groupID, "members", map[string][]string{"added": nonNil(add), "removed": nonNil(remove)})
}

// newMemberRows returns the statements that add members: with ids the
// app allocates (Zabbix users_groups.id), the counter is read under lock
// and advanced first.
func (s *Server) newMemberRows(rq *scimRequest, tx *legacy.Tx, groupKey any, keys []any) ([]sqlstmt.Statement, error) {
	m := rq.conf.Members
	q, ok := m.ReserveIDs()
	if !ok || len(keys) == 0 {
		return m.AddMembers(groupKey, keys, rq.tenant), nil
	}
	rows, err := tx.Query(rq.ctx, q)
	if err != nil {
		return nil, err
	}
	var last int64
	if len(rows) == 1 {
		last, err = strconv.ParseInt(mapping.KeyString(rows[0][0]), 10, 64)
	}
	if len(rows) != 1 || err != nil {
		return nil, errorf(http.StatusInternalServerError, "", "the id counter named in groups.members.join.defaults has %d rows, or no number: it must be one row holding the last id handed out; nothing was changed", len(rows))
	}
	return append(m.AdvanceIDs(len(keys)), m.AddMembersAfter(groupKey, keys, last)...), nil
}

// removeMemberships takes every member out of a group about to be deleted,
// unless accounts outside the scope hold it (409: SCIM does not change what
// it cannot see).
func (s *Server) removeMemberships(rq *scimRequest, tx *legacy.Tx, groupKey any) error {
	m := rq.conf.Members
	if id := mapping.KeyString(groupKey); m.FallbackGroup(id) {
		return errorf(http.StatusConflict, "", "%s", m.FallbackDelete(id))
	}
	rows, err := tx.Query(rq.ctx, m.OutsideHolders(groupKey, rq.tenant))
	if err != nil {
		return err
	}
	if n := mapping.KeyString(rows[0][0]); n != "0" {
		return errorf(http.StatusConflict, "", "the group is still held by %s account(s) this server does not manage (such as local accounts); remove them from it in the application first", n)
	}
	for _, st := range m.DeleteMemberships(groupKey, rq.tenant) {
		if _, err := tx.Write(rq.ctx, st); err != nil {
			return err
		}
	}
	return nil
}

func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

func quoteAll(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.Quote(truncate(id, 64))
	}
	return out
}
