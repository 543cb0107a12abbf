package adapter

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping"
)

// The one write path of users and groups: update, create and remove a row
// in one transaction each. A group's membership step is the only
// difference between the two (see members.go).

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
		return nil, errorf(http.StatusBadRequest, mapping.SCIMInvalidSyntax, "could not read the request body: %v", err)
	}
	if int64(len(data)) > limit {
		return nil, errorf(http.StatusRequestEntityTooLarge, "", "the request body is larger than %d bytes", limit)
	}
	return mapping.DecodeJSON(data)
}

// readPatch reads a PATCH body (RFC 7644 §3.5.2) into its operations.
func (s *Server) readPatch(c echo.Context) ([]mapping.PatchOp, error) {
	body, err := s.readBody(c)
	if err != nil {
		return nil, err
	}
	return mapping.ParsePatch(body)
}

func (s *Server) maxBody(c echo.Context) int64 {
	if n := s.conf(c).Server.MaxBodyBytes; n > 0 {
		return n
	}
	return DefaultMaxBodyBytes
}

// checkIfMatch enforces If-Match (RFC 7644 §3.14): a write based on an
// older version of the resource is refused with 412.
func (rq *scimRequest) checkIfMatch(version string) error {
	if rq.ifMatch == "" || etagMatches(rq.ifMatch, version) {
		return nil
	}
	return errorf(http.StatusPreconditionFailed, "", "the resource has changed since it was read (its version is now %s); read it again and retry", version)
}

// lockRow reads the target row with a locking read, as 404 when the scope,
// the tenant or the id rule it out, and checks the request's If-Match
// against its version. The row stays locked until tx ends.
func lockRow(rq *scimRequest, tx *legacy.Tx, r *mapping.Resource, t mapping.Target, id string) (mapping.Row, error) {
	row, err := tx.Get(rq.ctx, t.Lock())
	if errors.Is(err, legacy.ErrNotFound) {
		return nil, notFound(r, id)
	}
	if err != nil {
		return nil, err
	}
	if err := rq.checkIfMatch(r.Version(row)); err != nil {
		return nil, err
	}
	return row, nil
}

// update applies a request to one row in one transaction: lock the row
// (inside the scope and tenant), check If-Match, apply and validate,
// resolve lookups, check uniqueness, write, apply a group's member
// operations, and read the row back when the answer shows it (readBack:
// a group PATCH answers 204 and is returned the row as locked). Any error
// rolls everything back; a request that changes nothing writes nothing.
// deleted says the change was a deactivation that deletes the row
// (active: delete_on_false); the row is then returned as it was.
func (s *Server) update(rq *scimRequest, r *mapping.Resource, id string, apply func(*mapping.Draft) error, mo mapping.MemberOps, readBack bool) (out mapping.Row, deleted bool, err error) {
	t, ok := r.Target(id, rq.tenant)
	if !ok {
		return nil, false, notFound(r, id)
	}
	err = s.writeTx(rq, func(tx *legacy.Tx) error {
		out, deleted = nil, false
		row, err := lockRow(rq, tx, r, t, id)
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
		redactSecrets(rq.ctx, ch)
		if ch.Delete {
			deletes := t.Deletes(row)
			if r.TenantThrough != nil { // the user leaves the tenant; other tenants keep the row
				deletes = []sqlstmt.Statement{r.LeaveTenant(keyArg(row[0]), rq.tenant)}
			} else if err := s.leaveGroups(rq, tx, r, keyArg(row[0])); err != nil {
				return err
			}
			if err := runAll(rq, tx, deletes); err != nil {
				return err
			}
			out, deleted = row, true
			return s.audit(rq, tx, r, id, "deactivate-delete", ch.Diff)
		}
		wrote := false
		if !ch.Empty() {
			if err := s.prepare(rq, tx, r, ch, id); err != nil {
				return err
			}
			r.DropUnchanged(ch, row)
		}
		if !ch.Empty() {
			if err := runAll(rq, tx, t.Writes(ch, row)); err != nil {
				return err
			}
			if err := s.audit(rq, tx, r, id, "update", ch.Diff); err != nil {
				return err
			}
			wrote = true
		}
		if rq.isGroups(r) {
			changed, err := s.applyMembers(rq, tx, keyArg(row[0]), id, mo)
			if err != nil {
				return err
			}
			wrote = wrote || changed
		}
		if !wrote || !readBack {
			out = row // the request changes nothing (nothing is written), or its answer has no body
			return nil
		}
		if out, err = tx.Get(rq.ctx, t.Read(mapping.Projection{})); err != nil {
			return err
		}
		if legacy.DryRunOf(rq.ctx) != nil {
			out = r.Preview(out, ch) // the row was not changed: show it as it would be
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return out, deleted, nil
}

// create inserts the resource a POST body describes, with a group's
// members when mo is set, in one transaction, and returns its row.
func (s *Server) create(rq *scimRequest, r *mapping.Resource, body map[string]any, mo *mapping.MemberOps) (mapping.Row, error) {
	d := r.NewDraft(nil)
	if err := d.ReplaceWith(body); err != nil {
		return nil, err
	}
	ch, err := d.Changes()
	if err != nil {
		return nil, err
	}
	redactSecrets(rq.ctx, ch)
	var out mapping.Row
	err = s.writeTx(rq, func(tx *legacy.Tx) error {
		ch := ch.Clone()
		if r.TenantThrough != nil && r.TenantThrough.JoinExisting {
			joined, ok, err := s.joinExisting(rq, tx, r, ch)
			if ok || err != nil {
				out = joined
				return err
			}
		}
		if err := s.prepare(rq, tx, r, ch, ""); err != nil {
			return err
		}
		if err := r.CheckScopeRows(ch); err != nil {
			return err
		}
		in, id := r.InsertStmt(ch, rq.tenant)
		lastID, err := tx.Insert(rq.ctx, in)
		if err != nil {
			return err
		}
		if err := joinCreated(rq, tx, r, id, lastID); err != nil {
			return err
		}
		if legacy.DryRunOf(rq.ctx) != nil {
			return s.audit(rq, tx, r, id, "create", ch.Diff) // no row to read back
		}
		var key any = id
		if id == "" {
			id, key = strconv.FormatInt(lastID, 10), lastID
		}
		// The rows scope.exists requires come before the read back: without
		// them the created row is outside the scope.
		ins, err := r.ScopeInserts(ch, key)
		if err != nil {
			return err
		}
		if err := runAll(rq, tx, ins); err != nil {
			return err
		}
		t, ok := r.Target(id, rq.tenant)
		if !ok {
			return fmt.Errorf("created row has an unusable id %q", id)
		}
		out, err = tx.Get(rq.ctx, t.Read(mapping.Projection{}))
		if errors.Is(err, legacy.ErrNotFound) {
			return &Error{Status: http.StatusInternalServerError, Detail: fmt.Sprintf("the created %s would be outside %s.scope, so it was not kept; the operator must set %[2]s.defaults so created %[2]s are inside the scope", strings.ToLower(r.Type), r.Section()), Err: err}
		}
		if err != nil {
			return err
		}
		if ins := r.RelatedInserts(ch, keyArg(out[0])); len(ins) > 0 {
			if err := runAll(rq, tx, ins); err != nil {
				return err
			}
			if out, err = tx.Get(rq.ctx, t.Read(mapping.Projection{})); err != nil {
				return err
			}
		}
		if mo != nil && rq.isGroups(r) {
			if _, err := s.applyMembers(rq, tx, keyArg(out[0]), id, *mo); err != nil {
				return err
			}
		}
		return s.audit(rq, tx, r, id, "create", ch.Diff)
	})
	if err == nil && out == nil {
		return nil, errDryRunCreate(r)
	}
	return out, err
}

// remove deletes one row in one transaction; a group's memberships go
// first (an archived group keeps them), and a group still held by
// accounts outside the scope stays; a user's memberships in the groups
// the mapping serves go first too.
func (s *Server) remove(rq *scimRequest, r *mapping.Resource, id string) error {
	if r.TenantThrough != nil {
		return s.leaveTenant(rq, r, id) // other tenants may hold the user row
	}
	t, ok := r.Target(id, rq.tenant)
	if !ok {
		return notFound(r, id)
	}
	err := s.writeTx(rq, func(tx *legacy.Tx) error {
		row, err := lockRow(rq, tx, r, t, id)
		if err != nil {
			return err
		}
		if rq.isGroups(r) {
			if err := s.releaseGroup(rq, tx, r, keyArg(row[0])); err != nil {
				return err
			}
		}
		if err := s.leaveGroups(rq, tx, r, keyArg(row[0])); err != nil {
			return err
		}
		if r.Delete == mapping.DeleteOutOfScope {
			// The row stays, outside the scope: gone for every later request.
			if err := runAll(rq, tx, []sqlstmt.Statement{t.MoveOut()}); err != nil {
				return err
			}
			return s.audit(rq, tx, r, id, "delete", r.Identity(row))
		}
		if err := runAll(rq, tx, t.Deletes(row)); err != nil {
			return err
		}
		return s.audit(rq, tx, r, id, "delete", r.Identity(row))
	})
	if errors.Is(err, legacy.ErrReferenced) {
		return &Error{Status: http.StatusConflict, Detail: referencedDetail(rq, r), Err: err}
	}
	return err
}

// runAll runs the statements of one write in order, in tx.
func runAll(rq *scimRequest, tx *legacy.Tx, stmts []sqlstmt.Statement) error {
	for _, st := range stmts {
		if _, err := tx.Write(rq.ctx, st); err != nil {
			return err
		}
	}
	return nil
}

// referencedDetail says why a row that other rows of the application
// refer to (a foreign key) cannot be deleted, and what to do instead.
func referencedDetail(rq *scimRequest, r *mapping.Resource) string {
	if r == rq.conf.Groups {
		return "other rows of the application refer to this group (a foreign key, such as a user's primary role), so it cannot be deleted"
	}
	detail := "other rows of the application refer to this user, so it cannot be deleted"
	if r.Active != nil && (r.Active.Column != "" || r.Active.Life != nil) && !r.Active.DeleteOnFalse {
		return detail + "; deactivate it instead (PATCH active=false)"
	}
	return detail + "; " + releaseHint
}

// prepare resolves lookup values to keys and checks unique attributes,
// inside the write's transaction. exceptID is the row being updated.
func (s *Server) prepare(rq *scimRequest, tx *legacy.Tx, r *mapping.Resource, ch *mapping.Change, exceptID string) error {
	for _, need := range ch.Lookups {
		key, err := s.store.Lookup(rq.ctx, r.LookupQuery(need, rq.tenant))
		if errors.Is(err, legacy.ErrNotFound) {
			known, _ := s.store.Values(rq.ctx, r.KnownValuesQuery(need.Attr, rq.tenant, 20))
			msg := fmt.Sprintf("%s: %q is not a known value", need.Attr.Path(), need.Value)
			if len(known) > 0 {
				msg += "; known values: " + strings.Join(known, ", ")
			}
			return &mapping.RequestError{SCIMType: mapping.SCIMInvalidValue, Msg: msg + "; nothing was changed"}
		}
		if err != nil {
			return err
		}
		ch.Resolve(need.Attr, key)
	}
	// The manager must be a user the caller may see, now and at the commit.
	q, manager, err := r.ManagerQuery(ch, exceptID, rq.tenant)
	if err != nil {
		return err
	}
	if manager != "" {
		if _, err := tx.Get(rq.ctx, q); errors.Is(err, legacy.ErrNotFound) {
			return mapping.ManagerNotFound(manager)
		} else if err != nil {
			return err
		}
	}
	for _, a := range ch.Unique {
		q, err := r.UniqueQuery(a, ch.Value(a), rq.tenant, exceptID)
		if err != nil {
			return err
		}
		taken, err := tx.Exists(rq.ctx, q)
		if err != nil {
			return err
		}
		if taken {
			msg := fmt.Sprintf("%s %q is already taken", a.Path(), fmt.Sprint(ch.Value(a)))
			id, err := takenBy(rq, tx, r, a, ch.Value(a), exceptID)
			if err != nil {
				return err
			}
			if id != "" {
				msg += fmt.Sprintf(" by %s %q", r.Type, id)
			}
			return &mapping.RequestError{SCIMType: mapping.SCIMUniqueness, Msg: msg}
		}
	}
	return nil
}

// takenBy is the SCIM id of the resource the caller can see that already
// holds v, or "" when the row holding it is outside the scope or tenant:
// the client may learn the id of what it may read, nothing more. A POST
// retried after an answer was lost (a 503 whose COMMIT in fact went
// through) finds the resource it created this way.
func takenBy(rq *scimRequest, tx *legacy.Tx, r *mapping.Resource, a *mapping.Attribute, v any, exceptID string) (string, error) {
	q, err := r.TakenBy(a, v, rq.tenant, exceptID)
	if err != nil {
		return "", err
	}
	rows, err := tx.Query(rq.ctx, q)
	if err != nil || len(rows) == 0 {
		return "", err
	}
	return mapping.KeyString(rows[0][0]), nil
}

// created answers a create: 201 with the resource, its Location and ETag.
func (s *Server) created(c echo.Context, r *mapping.Resource, row mapping.Row) error {
	res := s.rendering(c).render(r, row, mapping.Projection{})
	if m, ok := res.Get("meta"); ok {
		if l, ok := m.(mapping.Object).Get("location"); ok {
			c.Response().Header().Set(echo.HeaderLocation, l.(string))
		}
	}
	c.Response().Header().Set("ETag", r.Version(row))
	return s.respond(c, http.StatusCreated, res)
}
