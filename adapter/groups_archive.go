package adapter

import (
	"net/http"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// A group whose DELETE keeps the row and moves it out of the scope
// (groups.delete: { set: { DeleteAt: now_ms } }, Mattermost's archived
// team) keeps its membership rows as they are, as the app's own archive
// does: the group is gone for SCIM, and the app can restore it with its
// members. Like a deletion, it is refused while accounts SCIM does not
// manage hold the group.

// refuseOutsideHolders answers 409 when accounts outside the scope (or the
// fallback role's holders) hold the group, so that deleting or archiving
// it would change what SCIM cannot see.
func (s *Server) refuseOutsideHolders(rq *scimRequest, tx *legacy.Tx, groupKey any) error {
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
	return nil
}

// releaseGroup is what a group's DELETE does to its memberships first:
// removes them when the row goes, keeps them when it is archived.
func (s *Server) releaseGroup(rq *scimRequest, tx *legacy.Tx, r *mapping.Resource, groupKey any) error {
	if r.Delete == mapping.DeleteOutOfScope {
		return s.refuseOutsideHolders(rq, tx, groupKey)
	}
	return s.removeMemberships(rq, tx, groupKey)
}
