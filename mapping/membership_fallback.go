package mapping

import "fmt"

// A single group column (Zabbix users.roleid) may take no NULL: every user
// has a role. Removing a user from her group then writes the mapping's
// fallback group (members: { column: roleid, on_remove: 1 }), and the
// fallback group itself can be neither left nor deleted.

// FallbackGroup reports whether groupID is the group that removal writes.
func (m *Membership) FallbackGroup(groupID string) bool {
	if m.Fallback == nil {
		return false
	}
	s, _ := textOf(m.Fallback.Value)
	return s == groupID
}

// FallbackRemoval is the error for removing members from the fallback
// group: leaving it would write it again.
func (m *Membership) FallbackRemoval(groupID string) error {
	return requestErr(SCIMMutability, "members cannot be removed from group %q: removing a user from her group sets %s.%s to %s (groups.members.on_remove), this group; add her to another group instead; nothing was changed", groupID, m.Users.Table, m.Column, m.fallbackText())
}

// FallbackDelete is the message for deleting the fallback group.
func (m *Membership) FallbackDelete(groupID string) string {
	return fmt.Sprintf("group %q is where users go when they leave a group (groups.members.on_remove: %s); it cannot be deleted", groupID, m.fallbackText())
}

func (m *Membership) fallbackText() string {
	s, _ := textOf(m.Fallback.Value)
	return s
}
