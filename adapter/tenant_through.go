package adapter

import (
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// Tenants through a membership table (users.tenant_through): a user row is
// global, and the token's tenant holds it by a row of the membership
// table. A create adds that row; DELETE (and, with deactivate: membership,
// active=false) removes it and leaves the user row, which other tenants
// may hold, as it is.

// joinExisting serves a POST under existing_users: join whose userName is
// held by a user in the scope but outside the token's tenant: it adds the
// membership and returns that user as the tenant now sees it. ok is false
// when there is no such user (the POST creates one).
func (s *Server) joinExisting(rq *scimRequest, tx *legacy.Tx, r *mapping.Resource, ch *mapping.Change) (out mapping.Row, ok bool, err error) {
	a := r.UserNameAttr()
	if a == nil || ch.Value(a) == nil {
		return nil, false, nil
	}
	q, err := r.OutsiderQuery(a, ch.Value(a), rq.tenant)
	if err != nil {
		return nil, false, err
	}
	rows, err := tx.Query(rq.ctx, q)
	if err != nil || len(rows) == 0 {
		return nil, false, err
	}
	key := keyArg(rows[0][0])
	if _, err := tx.Write(rq.ctx, r.JoinTenant(key, rq.tenant)); err != nil {
		return nil, false, err
	}
	id := mapping.KeyString(rows[0][0])
	if legacy.DryRunOf(rq.ctx) != nil {
		return nil, true, s.audit(rq, tx, r, id, "join", map[string]string{"tenant": rq.tenant})
	}
	t, _ := r.Target(id, rq.tenant)
	if out, err = tx.Get(rq.ctx, t.Read(mapping.Projection{})); err != nil {
		return nil, false, err
	}
	return out, true, s.audit(rq, tx, r, id, "join", map[string]string{"tenant": rq.tenant})
}

// joinCreated adds the membership of a user just inserted, before it is
// read back through the tenant's EXISTS.
func joinCreated(rq *scimRequest, tx *legacy.Tx, r *mapping.Resource, id string, lastID int64) error {
	if r.TenantThrough == nil {
		return nil
	}
	var key any = id
	if id == "" {
		key = lastID
	}
	_, err := tx.Write(rq.ctx, r.JoinTenant(key, rq.tenant))
	return err
}

// leaveTenant removes the user's membership of the token's tenant in one
// transaction: 404 when the tenant does not hold the user.
func (s *Server) leaveTenant(rq *scimRequest, r *mapping.Resource, id string) error {
	t, ok := r.Target(id, rq.tenant)
	if !ok {
		return notFound(r, id)
	}
	return s.writeTx(rq, func(tx *legacy.Tx) error {
		row, err := lockRow(rq, tx, r, t, id)
		if err != nil {
			return err
		}
		if _, err := tx.Write(rq.ctx, r.LeaveTenant(keyArg(row[0]), rq.tenant)); err != nil {
			return err
		}
		return s.audit(rq, tx, r, id, "leave", r.Identity(row))
	})
}
