package adapter

import (
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping"
)

// leaveGroups ends the memberships of a user about to be deleted in the
// groups the mapping serves (mapping/membership_leave.go), in the
// delete's transaction: the join rows go (or are soft-deleted), and each
// group's when_removed counters drop by the rows the user had in it.
func (s *Server) leaveGroups(rq *scimRequest, tx *legacy.Tx, r *mapping.Resource, userKey any) error {
	m := rq.conf.Members
	if r != rq.conf.Users || !m.LeavesGroups() {
		return nil
	}
	var groups []any
	var removed []int64
	if len(m.WhenRemoved) > 0 {
		rows, err := tx.Query(rq.ctx, m.UserGroups(userKey, rq.tenant))
		if err != nil {
			return err
		}
		at := map[string]int{}
		for _, row := range rows {
			g := keyArg(row[0])
			k := mapping.KeyString(g)
			i, ok := at[k]
			if !ok {
				i = len(groups)
				at[k] = i
				groups, removed = append(groups, g), append(removed, 0)
			}
			removed[i]++
		}
	}
	return runAll(rq, tx, append([]sqlstmt.Statement{m.LeaveGroups(userKey, rq.tenant)}, m.LeftSteps(groups, removed)...))
}
