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
//
// Adds and removes (Entra's PATCH) read what they need of the named users
// in one statement (memberStates); a replace reads the whole member list,
// which it replaces.
func (s *Server) applyMembers(rq *scimRequest, tx *legacy.Tx, groupKey any, groupID string, mo mapping.MemberOps) (changed bool, err error) {
	if mo.Empty() {
		return false, nil
	}
	m := rq.conf.Members
	var add, remove []string
	if mo.Replace {
		add, remove, err = replaceDiff(rq, tx, groupKey, mo)
	} else {
		add, remove, err = memberStates(rq, tx, groupKey, mo)
	}
	if err != nil {
		return false, err
	}
	if len(remove) > 0 && m.FallbackGroup(groupID) {
		return false, m.FallbackRemoval(groupID)
	}
	removeKeys, _ := m.UserKeys(remove)
	addKeys, _ := m.UserKeys(add)
	var added, removed int64
	var reviveKeys []any
	if m.Join == nil {
		// The user rows were read locked: the one UPDATE writes exactly
		// the users found to add and to remove.
		if err := runAll(rq, tx, m.MoveMembers(groupKey, addKeys, removeKeys, rq.tenant)); err != nil {
			return false, err
		}
		added, removed = int64(len(addKeys)), int64(len(removeKeys))
	} else {
		if q, ok := m.Removed(groupKey, addKeys); ok {
			// A removed (soft-deleted) row is made live again, not doubled.
			gone, _, err := userIDs(rq, tx, q)
			if err != nil {
				return false, err
			}
			reviveKeys, _ = m.UserKeys(slices.DeleteFunc(slices.Clone(add), func(id string) bool { return !gone[id] }))
			addKeys, _ = m.UserKeys(slices.DeleteFunc(slices.Clone(add), func(id string) bool { return gone[id] }))
		}
		removals := m.RemoveMembers(groupKey, removeKeys, rq.tenant)
		revivals := m.ReviveMembers(groupKey, reviveKeys)
		inserts, err := s.newMemberRows(rq, tx, groupKey, addKeys)
		if err != nil {
			return false, err
		}
		// The rows each statement wrote feed the counters the app keeps in
		// step (members.when_added / when_removed).
		for i, st := range append(append(removals, revivals...), inserts...) {
			n, err := tx.Write(rq.ctx, st)
			if err != nil {
				return false, err
			}
			switch {
			case i < len(removals):
				removed += n
			case i < len(removals)+len(revivals):
				added += n
			}
		}
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

// memberStates turns adds and removes into the users to add and to remove
// with one read of the users they name (mapping.MemberStates): whether
// each is a user SCIM manages, a member already, and free to join. An add
// of anyone else is refused, naming them, before anything is written.
func memberStates(rq *scimRequest, tx *legacy.Tx, groupKey any, mo mapping.MemberOps) (add, remove []string, err error) {
	m := rq.conf.Members
	named := append(append([]string{}, mo.Add...), mo.Remove...)
	keys, _ := m.UserKeys(named)
	type state struct{ member, free bool }
	found := map[string]state{}
	if len(keys) > 0 {
		rows, err := tx.Query(rq.ctx, m.MemberStates(groupKey, keys, rq.tenant))
		if err != nil {
			return nil, nil, err
		}
		for _, r := range rows {
			found[mapping.KeyString(r[0])] = state{member: mapping.KeyString(r[1]) == "1", free: mapping.KeyString(r[2]) == "1"}
		}
	}
	if err := refuseUnknown(mo.Add, func(id string) bool { _, ok := found[id]; return ok }); err != nil {
		return nil, nil, err
	}
	for _, id := range mo.Add {
		// Under first_wins a user who has another group stays there: that
		// add changes nothing and must not be recorded as a change.
		if st := found[id]; !st.member && st.free {
			add = append(add, id)
		}
	}
	for _, id := range mo.Remove {
		if found[id].member {
			remove = append(remove, id)
		}
	}
	return add, remove, nil
}

// replaceDiff turns a replace of the member list into the users to add
// and to remove: the new members must be users SCIM manages, and every
// current in-scope member not among them goes.
func replaceDiff(rq *scimRequest, tx *legacy.Tx, groupKey any, mo mapping.MemberOps) (add, remove []string, err error) {
	m := rq.conf.Members
	free := map[string]bool{}
	if keys, _ := m.UserKeys(mo.Set); len(keys) > 0 {
		rows, err := tx.Query(rq.ctx, m.MemberStates(groupKey, keys, rq.tenant))
		if err != nil {
			return nil, nil, err
		}
		for _, r := range rows {
			free[mapping.KeyString(r[0])] = mapping.KeyString(r[1]) == "1" || mapping.KeyString(r[2]) == "1"
		}
	}
	if err := refuseUnknown(mo.Set, func(id string) bool { _, ok := free[id]; return ok }); err != nil {
		return nil, nil, err
	}
	q := m.CurrentMembers(groupKey, nil, rq.tenant)
	q.Lock = m.Join == nil // the user rows are the memberships
	_, current, err := userIDs(rq, tx, q)
	if err != nil {
		return nil, nil, err
	}
	add, remove = mapping.DiffMembers(mo, current)
	add = slices.DeleteFunc(add, func(id string) bool { return !free[id] })
	return add, remove, nil
}

// refuseUnknown is the 400 naming every id of ids that known says is not
// a user SCIM manages (or no id at all); nil when there is none.
func refuseUnknown(ids []string, known func(string) bool) error {
	var bad []string
	for _, id := range ids {
		if !known(id) {
			bad = append(bad, id)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	mapping.SortIDs(bad)
	return &mapping.RequestError{SCIMType: mapping.SCIMInvalidValue, Msg: fmt.Sprintf("members not found: %s (no such user, or a user this server does not manage); nothing was changed", strings.Join(quoteAll(bad), ", "))}
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
	if err := s.refuseOutsideHolders(rq, tx, groupKey); err != nil {
		return err
	}
	m := rq.conf.Members
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
