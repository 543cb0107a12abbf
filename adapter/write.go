package adapter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// DefaultMaxBodyBytes bounds a request body unless server.max_body_bytes
// says otherwise.
const DefaultMaxBodyBytes = 1 << 20

// readBody reads and decodes a JSON request body. application/scim+json
// and application/json are accepted (Okta and Entra send the latter), and
// so is a body without a Content-Type.
func (s *Server) readBody(c echo.Context) (map[string]any, error) {
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/scim+json" && mt != "application/json") {
			return nil, errorf(http.StatusUnsupportedMediaType, "", "send the body as application/scim+json or application/json, not %q", truncate(ct, 60))
		}
	}
	limit := s.maxBody(c)
	data, err := io.ReadAll(io.LimitReader(c.Request().Body, limit+1))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, InvalidSyntax, "could not read the request body: %v", err)
	}
	if int64(len(data)) > limit {
		return nil, errorf(http.StatusRequestEntityTooLarge, "", "the request body is larger than %d bytes", limit)
	}
	return mapping.DecodeJSON(data)
}

func (s *Server) maxBody(c echo.Context) int64 {
	if n := s.conf(c).Server.MaxBodyBytes; n > 0 {
		return n
	}
	return DefaultMaxBodyBytes
}

// checkIfMatch enforces If-Match (RFC 7644 §3.14): a write based on an
// older version of the resource is refused with 412.
func checkIfMatch(c echo.Context, version string) error {
	h := c.Request().Header.Get("If-Match")
	if h == "" || etagMatches(h, version) {
		return nil
	}
	return errorf(http.StatusPreconditionFailed, "", "the resource has changed since it was read (its version is now %s); read it again and retry", version)
}

// lockRow reads the row sel selects with a locking read, as 404 when the
// scope, the tenant or the id rule it out, and checks the request's
// If-Match against its version. The row stays locked until tx ends.
func lockRow(ctx context.Context, c echo.Context, tx *legacy.Tx, r *mapping.Resource, sel legacy.Select, id string) (mapping.Row, error) {
	row, err := tx.Get(ctx, sel, true)
	if errors.Is(err, legacy.ErrNotFound) {
		return nil, notFound(r, id)
	}
	if err != nil {
		return nil, err
	}
	if err := checkIfMatch(c, r.Version(row)); err != nil {
		return nil, err
	}
	return row, nil
}

// patchUser serves PATCH /Users/{id}.
func (s *Server) patchUser(c echo.Context) error {
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	ops, err := mapping.ParsePatch(body)
	if err != nil {
		return err
	}
	r := s.conf(c).Users
	row, deleted, err := s.update(c, r, pathParam(c, "id"), func(d *mapping.Draft) error { return d.ApplyPatch(ops) })
	if err != nil {
		return err
	}
	return s.respondUpdated(c, r, row, deleted)
}

// putUser serves PUT /Users/{id}.
func (s *Server) putUser(c echo.Context) error {
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	r := s.conf(c).Users
	row, deleted, err := s.update(c, r, pathParam(c, "id"), func(d *mapping.Draft) error { return d.ReplaceWith(body) })
	if err != nil {
		return err
	}
	return s.respondUpdated(c, r, row, deleted)
}

// respondUpdated answers a PATCH or PUT with the resource as it now is
// (as it was, with active false, when deactivation deleted the row).
func (s *Server) respondUpdated(c echo.Context, r *mapping.Resource, row mapping.Row, deleted bool) error {
	res := r.Render(row, s.baseURL(c))
	if deleted {
		res.Set("active", false)
	} else {
		c.Response().Header().Set("ETag", r.Version(row))
	}
	return writeJSON(c, http.StatusOK, res)
}

// update applies a request to one row in one transaction: lock the row
// (inside the scope and tenant), check If-Match, apply and validate,
// resolve lookups, check uniqueness, write, and read the row back. Any
// error rolls everything back.
func (s *Server) update(c echo.Context, r *mapping.Resource, id string, apply func(*mapping.Draft) error) (mapping.Row, bool, error) {
	tenant := principal(c).Tenant
	pred, ok := r.RowPredicate(id, tenant)
	if !ok {
		return nil, false, notFound(r, id)
	}
	ctx := c.Request().Context()
	sel := legacy.Select{Table: r.Table, Columns: r.SelectExprs(), Where: pred.SQL, Args: pred.Args}
	var out mapping.Row
	var deleted bool
	err := s.writeTx(c, func(tx *legacy.Tx) error {
		deleted = false
		row, err := lockRow(ctx, c, tx, r, sel, id)
		if err != nil {
			return err
		}
		d := r.NewDraft(row)
		if err := apply(d); err != nil {
			return err
		}
		ch, err := d.Changes()
		if err != nil {
			return err
		}
		redactSecrets(ctx, ch)
		if ch.Empty() {
			out = row
			return nil
		}
		if ch.Delete {
			if _, err := tx.Delete(ctx, r.Table, pred.SQL, pred.Args); err != nil {
				return err
			}
			out, deleted = row, true
			return s.audit(ctx, c, tx, r, id, "deactivate-delete", ch.Diff)
		}
		if err := s.prepare(ctx, tx, r, ch, tenant, id); err != nil {
			return err
		}
		if r.DropUnchanged(ch, row); ch.Empty() {
			out = row // the request changes nothing: nothing is written
			return nil
		}
		if _, err := tx.Update(ctx, legacy.Update{Table: r.Table, Set: legacyAssignments(r.UpdateSet(ch)), Where: pred.SQL, Args: pred.Args}); err != nil {
			return err
		}
		if out, err = tx.Get(ctx, sel, false); err != nil {
			return err
		}
		if legacy.DryRunOf(ctx) != nil {
			out = r.Preview(out, ch) // the row was not changed: show it as it would be
		}
		return s.audit(ctx, c, tx, r, id, "update", ch.Diff)
	})
	if err != nil {
		return nil, false, err
	}
	return out, deleted, nil
}

// prepare resolves lookup values to keys and checks unique attributes,
// inside the write's transaction. exceptID is the row being updated.
func (s *Server) prepare(ctx context.Context, tx *legacy.Tx, r *mapping.Resource, ch *mapping.Change, tenant, exceptID string) error {
	for _, need := range ch.Lookups {
		l := need.Attr.Lookup
		q := legacy.Lookup{Table: l.Table, Key: l.Key, Match: l.Match, Value: need.Value}
		if l.Tenant != "" {
			q.TenantCol, q.TenantValue = l.Tenant, r.TenantArg(tenant)
		}
		key, err := s.store.Lookup(ctx, q)
		if errors.Is(err, legacy.ErrNotFound) {
			known, _ := s.store.Values(ctx, l.Table, l.Match, q.TenantCol, q.TenantValue, 20)
			msg := fmt.Sprintf("%s: %q is not a known value", need.Attr.Path(), need.Value)
			if len(known) > 0 {
				msg += "; known values: " + strings.Join(known, ", ")
			}
			return &mapping.RequestError{SCIMType: InvalidValue, Msg: msg + "; nothing was changed"}
		}
		if err != nil {
			return err
		}
		ch.Resolve(need.Attr, key)
	}
	for _, a := range ch.Unique {
		pred, err := r.UniquePredicate(a, ch.Value(a), tenant, exceptID)
		if err != nil {
			return err
		}
		taken, err := tx.Exists(ctx, r.Table, pred.SQL, pred.Args)
		if err != nil {
			return err
		}
		if taken {
			msg := fmt.Sprintf("%s %q is already taken", a.Path(), fmt.Sprint(ch.Value(a)))
			id, err := takenBy(ctx, tx, r, a, ch.Value(a), tenant, exceptID)
			if err != nil {
				return err
			}
			if id != "" {
				msg += fmt.Sprintf(" by %s %q", r.Type, id)
			}
			return &mapping.RequestError{SCIMType: Uniqueness, Msg: msg}
		}
	}
	return nil
}

// takenBy is the SCIM id of the resource the caller can see that already
// holds v, or "" when the row holding it is outside the scope or tenant:
// the client may learn the id of what it may read, nothing more. A POST
// retried after an answer was lost (a 503 whose COMMIT in fact went
// through) finds the resource it created this way.
func takenBy(ctx context.Context, tx *legacy.Tx, r *mapping.Resource, a *mapping.Attribute, v any, tenant, exceptID string) (string, error) {
	q, err := r.TakenBy(a, v, tenant, exceptID)
	if err != nil {
		return "", err
	}
	rows, err := tx.Query(ctx, q.SQL, q.Args, 1)
	if err != nil || len(rows) == 0 {
		return "", err
	}
	return mapping.KeyString(rows[0][0]), nil
}

func legacyAssignments(set []mapping.Assignment) []legacy.Assignment {
	out := make([]legacy.Assignment, len(set))
	for i, a := range set {
		out[i] = legacy.Assignment{Column: a.Column, Value: a.Value, Expr: a.SQL}
	}
	return out
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
	d := r.NewDraft(nil)
	if err := d.ReplaceWith(body); err != nil {
		return err
	}
	ch, err := d.Changes()
	if err != nil {
		return err
	}
	tenant := principal(c).Tenant
	ctx := c.Request().Context()
	var out mapping.Row
	var id string
	redactSecrets(ctx, ch)
	err = s.writeTx(c, func(tx *legacy.Tx) error {
		ch := ch.Clone()
		if err := s.prepare(ctx, tx, r, ch, tenant, ""); err != nil {
			return err
		}
		set, generated := r.InsertSet(ch, tenant)
		lastID, err := tx.Insert(ctx, legacy.Insert{Table: r.Table, Set: legacyAssignments(set)})
		if err != nil {
			return err
		}
		if legacy.DryRunOf(ctx) != nil {
			return s.audit(ctx, c, tx, r, generated, "create", ch.Diff) // no row to read back
		}
		id = generated
		if id == "" {
			id = strconv.FormatInt(lastID, 10)
		}
		pred, ok := r.RowPredicate(id, tenant)
		if !ok {
			return fmt.Errorf("created row has an unusable id %q", id)
		}
		out, err = tx.Get(ctx, legacy.Select{Table: r.Table, Columns: r.SelectExprs(), Where: pred.SQL, Args: pred.Args}, false)
		if errors.Is(err, legacy.ErrNotFound) {
			return &Error{Status: http.StatusInternalServerError, Detail: "the created row would be outside users.scope, so it was not kept; the operator must set users.defaults so created users are inside the scope", Err: err}
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, c, tx, r, id, "create", ch.Diff)
	})
	if err != nil {
		return err
	}
	if out == nil {
		return errDryRunCreate(r)
	}
	res := r.Render(out, s.baseURL(c))
	loc, _ := res.Get("meta")
	if m, ok := loc.(mapping.Object); ok {
		if l, ok := m.Get("location"); ok {
			c.Response().Header().Set(echo.HeaderLocation, l.(string))
		}
	}
	c.Response().Header().Set("ETag", r.Version(out))
	return writeJSON(c, http.StatusCreated, res)
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
	tenant := principal(c).Tenant
	pred, ok := r.RowPredicate(id, tenant)
	if !ok {
		return notFound(r, id)
	}
	ctx := c.Request().Context()
	err := s.writeTx(c, func(tx *legacy.Tx) error {
		row, err := lockRow(ctx, c, tx, r, legacy.Select{Table: r.Table, Columns: r.SelectExprs(), Where: pred.SQL, Args: pred.Args}, id)
		if err != nil {
			return err
		}
		if _, err := tx.Delete(ctx, r.Table, pred.SQL, pred.Args); err != nil {
			return err
		}
		return s.audit(ctx, c, tx, r, id, "delete", r.Identity(row))
	})
	if errors.Is(err, legacy.ErrReferenced) {
		detail := "other rows of the application refer to this user, so it cannot be deleted"
		if r.Active != nil && r.Active.Column != "" && !r.Active.DeleteOnFalse {
			detail += "; deactivate it instead (PATCH active=false)"
		} else {
			detail += "; " + releaseHint
		}
		return &Error{Status: http.StatusConflict, Detail: detail, Err: err}
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// deactivate is DELETE under users.delete: deactivate: the user stays,
// inactive, and can be reactivated.
func (s *Server) deactivate(c echo.Context, r *mapping.Resource, id string) error {
	_, _, err := s.update(c, r, id, func(d *mapping.Draft) error {
		return d.ApplyPatch([]mapping.PatchOp{{Op: "replace", Path: "active", Value: false, HasValue: true}})
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
