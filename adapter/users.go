package adapter

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/mapping"
)

// The /Users endpoints: each parses its HTTP form, applies the mapping's
// policies (users.create, users.delete) and runs the shared read or write
// path.

// listUsers serves GET /Users.
func (s *Server) listUsers(c echo.Context) error { return s.list(c, s.conf(c).Users) }

// getUser serves GET /Users/{id}.
func (s *Server) getUser(c echo.Context) error { return s.get(c, s.conf(c).Users) }

// patchUser serves PATCH /Users/{id}.
func (s *Server) patchUser(c echo.Context) error {
	ops, err := s.readPatch(c)
	if err != nil {
		return err
	}
	return s.updateUser(c, func(d *mapping.Draft) error { return d.ApplyPatch(ops) })
}

// putUser serves PUT /Users/{id}.
func (s *Server) putUser(c echo.Context) error {
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	return s.updateUser(c, func(d *mapping.Draft) error { return d.ReplaceWith(body) })
}

// updateUser runs a PATCH or PUT and answers with the resource as it now
// is (as it was, with active false, when deactivation deleted the row).
func (s *Server) updateUser(c echo.Context, apply func(*mapping.Draft) error) error {
	r := s.conf(c).Users
	row, deleted, err := s.update(s.request(c), r, pathParam(c, "id"), apply, mapping.MemberOps{}, true)
	if err != nil {
		return err
	}
	res := r.Render(row, s.baseURL(c))
	if deleted {
		res.Set("active", false)
	} else {
		c.Response().Header().Set("ETag", r.Version(row))
	}
	return writeJSON(c, http.StatusOK, res)
}

// createUser serves POST /Users according to users.create.
func (s *Server) createUser(c echo.Context) error {
	r := s.conf(c).Users
	if r.Create != mapping.CreateAllow {
		return errorf(http.StatusForbidden, "", "users are created by the application when they first sign in through SSO; this server does not create them (users.create: deny). Assign the user to the app in the identity provider and have them sign in once, then their profile can be updated over SCIM")
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	row, err := s.create(s.request(c), r, body, nil)
	if err != nil {
		return err
	}
	return s.created(c, r, row)
}

// deleteUser serves DELETE /Users/{id} according to users.delete.
func (s *Server) deleteUser(c echo.Context) error {
	r := s.conf(c).Users
	id := pathParam(c, "id")
	switch r.Delete {
	case mapping.DeleteDeny:
		if r.Active == nil {
			return errorf(http.StatusForbidden, "", "deleting users is turned off (users.delete: deny), and this mapping cannot deactivate them either (users has no active key)")
		}
		return errorf(http.StatusForbidden, "", "deleting users is turned off (users.delete: deny); deactivate them instead with PATCH active=false")
	case mapping.DeleteDeactivate:
		return s.deactivate(c, r, id)
	}
	if err := s.remove(s.request(c), r, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// deactivate is DELETE under users.delete: deactivate: the user stays,
// inactive, and can be reactivated.
func (s *Server) deactivate(c echo.Context, r *mapping.Resource, id string) error {
	_, _, err := s.update(s.request(c), r, id, func(d *mapping.Draft) error {
		return d.ApplyPatch([]mapping.PatchOp{{Op: "replace", Path: "active", Value: false, HasValue: true}})
	}, mapping.MemberOps{}, false)
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
