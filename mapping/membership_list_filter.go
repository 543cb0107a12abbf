package mapping

import (
	"fmt"
	"strings"

	"github.com/retroscim/retroscim/mapping/filter"
)

// RoleListQuery is what a filter on declared groups asks: which of the
// declared groups, and, for Entra's membership check (members.value eq
// "U"), whether a given user must be in them.
type RoleListQuery struct {
	Names []string
	// Member is the user a group must hold, when HasMember.
	Member    string
	HasMember bool
}

// Query reads a GET /Groups filter on declared groups: comparisons with
// eq of id, displayName and members (or members.value), joined by and,
// as Okta and Entra send them. The groups are the mapping's, so they are
// picked in Go; only the member test needs the database.
func (l *RoleList) Query(src string) (RoleListQuery, error) {
	q := RoleListQuery{Names: l.Names}
	if strings.TrimSpace(src) == "" {
		return q, nil
	}
	e, err := filter.Parse(src)
	if err != nil {
		return q, &FilterError{Msg: err.Error()}
	}
	if err := l.narrow(e, &q); err != nil {
		return q, err
	}
	return q, nil
}

func (l *RoleList) narrow(e filter.Expr, q *RoleListQuery) error {
	switch x := e.(type) {
	case *filter.And:
		if err := l.narrow(x.Left, q); err != nil {
			return err
		}
		return l.narrow(x.Right, q)
	case *filter.Compare:
		if x.Op != filter.Eq || x.Value.Kind != filter.String {
			break
		}
		if x.Attr.URI != "" && !strings.EqualFold(x.Attr.URI, GroupSchema) {
			break
		}
		name, sub, v := strings.ToLower(x.Attr.Name), strings.ToLower(x.Attr.Sub), x.Value.Str
		switch {
		case name == "id" && sub == "":
			q.Names = keepNames(q.Names, func(n string) bool { return n == v })
			return nil
		case name == "displayname" && sub == "":
			q.Names = keepNames(q.Names, func(n string) bool { return strings.EqualFold(n, v) })
			return nil
		case name == "members" && (sub == "" || sub == "value"):
			if q.HasMember && q.Member != v {
				q.Names = nil // one user cannot be two
			}
			q.Member, q.HasMember = v, true
			return nil
		}
	}
	return &FilterError{Msg: fmt.Sprintf("the groups here are the names declared in groups.names (kept in %s): filter them with eq on id, displayName or members.value, joined by and", l.Storage())}
}

func keepNames(names []string, ok func(string) bool) []string {
	var out []string
	for _, n := range names {
		if ok(n) {
			out = append(out, n)
		}
	}
	return out
}
