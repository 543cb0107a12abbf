package adapter

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/mapping"
)

// The /Groups endpoints: each parses its HTTP form (members apart from the
// other attributes), applies the mapping's policies (groups.create,
// groups.delete) and runs the shared read or write path.

// needGroups answers every /Groups request with 404 when the
// configuration maps no groups (Panther's SCIM has no /Groups).
func (s *Server) needGroups(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.conf(c).Groups == nil && s.conf(c).RoleList == nil {
			return errorf(http.StatusNotFound, "", "this server does not serve groups: its configuration has no groups section")
		}
		return h(c)
	}
}

func (s *Server) listGroups(c echo.Context) error {
	if l := s.conf(c).RoleList; l != nil {
		return s.listDeclared(c, l)
	}
	return s.list(c, s.conf(c).Groups)
}

func (s *Server) getGroup(c echo.Context) error {
	if l := s.conf(c).RoleList; l != nil {
		return s.getDeclared(c, l)
	}
	return s.get(c, s.conf(c).Groups)
}

// patchGroup serves PATCH /Groups/{id}: attribute changes (Okta's rename
// on link, with the id repeated) and member changes, in one transaction.
// It answers 204, as Okta and Entra expect, rather than re-sending a
// possibly large member list.
func (s *Server) patchGroup(c echo.Context) error {
	if l := s.conf(c).RoleList; l != nil {
		return s.patchDeclared(c, l)
	}
	ops, err := s.readPatch(c)
	if err != nil {
		return err
	}
	rest, mo, err := mapping.SplitMemberOps(ops)
	if err != nil {
		return err
	}
	if _, _, err := s.update(s.request(c), s.conf(c).Groups, pathParam(c, "id"), func(d *mapping.Draft) error { return d.ApplyPatch(rest) }, mo, false); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// putGroup serves PUT /Groups/{id}. Members are replaced when the body has
// them and left alone when it does not.
func (s *Server) putGroup(c echo.Context) error {
	if l := s.conf(c).RoleList; l != nil {
		return s.putDeclared(c, l)
	}
	mo, rest, err := s.readGroup(c)
	if err != nil {
		return err
	}
	var replace mapping.MemberOps
	if mo != nil {
		replace = mapping.MemberOps{Replace: true, Set: mo.Add}
	}
	g := s.conf(c).Groups
	row, _, err := s.update(s.request(c), g, pathParam(c, "id"), func(d *mapping.Draft) error { return d.ReplaceWith(rest) }, replace, true)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", g.Version(row))
	return s.respond(c, http.StatusOK, s.rendering(c).render(g, row, mapping.Projection{}))
}

// readGroup reads a group body (POST, PUT) and splits it into its members
// (nil when absent) and the other attributes.
func (s *Server) readGroup(c echo.Context) (*mapping.MemberOps, map[string]any, error) {
	body, err := s.readBody(c)
	if err != nil {
		return nil, nil, err
	}
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

// createGroup serves POST /Groups according to groups.create.
func (s *Server) createGroup(c echo.Context) error {
	if l := s.conf(c).RoleList; l != nil {
		return refuseDeclaredCreate(l)
	}
	g := s.conf(c).Groups
	if g.Create != mapping.CreateAllow {
		return errorf(http.StatusForbidden, "", "this server does not create groups (groups.create: deny): they are the application's roles. Link the identity provider's group to an existing one instead (Okta: Push Groups, Link Group)")
	}
	mo, rest, err := s.readGroup(c)
	if err != nil {
		return err
	}
	row, err := s.create(s.request(c), g, rest, mo)
	if err != nil {
		return err
	}
	return s.created(c, g, row)
}

// deleteGroup serves DELETE /Groups/{id} according to groups.delete
// (delete the row, or { set } to move it out of the scope). A
// group still held by accounts outside the scope (a local admin keeping
// the Admin role) is not deleted: SCIM does not change what it cannot see.
func (s *Server) deleteGroup(c echo.Context) error {
	if l := s.conf(c).RoleList; l != nil {
		return refuseDeclaredDelete(l)
	}
	g := s.conf(c).Groups
	if g.Delete != mapping.DeleteRow && g.Delete != mapping.DeleteOutOfScope {
		return errorf(http.StatusForbidden, "", "this server does not delete groups (groups.delete: deny): they are the application's roles")
	}
	if err := s.remove(s.request(c), g, pathParam(c, "id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
