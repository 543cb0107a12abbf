package adapter

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// writeRecord is what one write request has recorded: the audit entries
// of its transaction's current attempt, and whether a transaction of it
// committed.
type writeRecord struct {
	pending   []legacy.AuditEntry
	committed bool
	// dry are the entries of transactions that a dry run rolled back
	// where they would have committed.
	dry []legacy.AuditEntry
}

const writeRecordKey = "write_record"

func recordOf(c echo.Context) *writeRecord {
	w, _ := c.Get(writeRecordKey).(*writeRecord)
	if w == nil {
		w = &writeRecord{}
		c.Set(writeRecordKey, w)
	}
	return w
}

// writeTx runs the transaction of a write request. The audit entries fn
// records (audit) are written inside it; their "write" log lines only once
// it has committed, so no line claims a write that was rolled back.
//
// Whatever the outcome, the cached totals of the caller's tenant are
// forgotten afterwards: the write may have changed them (and a COMMIT
// whose answer was lost may have happened), so the next list counts again
// rather than answer a total lower than what the client can page to.
func (s *Server) writeTx(rq *scimRequest, fn func(*legacy.Tx) error) error {
	w := rq.record
	defer s.store.ForgetCounts(rq.tenant)
	err := s.store.InTx(rq.ctx, func(tx *legacy.Tx) error {
		w.pending = w.pending[:0] // a deadlock victim runs again from the start
		return fn(tx)
	})
	if err != nil {
		w.pending = nil
		return err
	}
	w.committed = true
	if legacy.DryRunOf(rq.ctx) != nil {
		w.dry = append(w.dry, w.pending...)
		w.pending = nil
		return nil
	}
	for _, e := range w.pending {
		s.logWrite(rq.ctx, e)
	}
	w.pending = nil
	return nil
}

// audit records a write inside its transaction: in the audit table when
// retroscim's tables exist, and as a "write" log line once the
// transaction commits. changes is encoded as JSON; it never holds a
// secret (passwords show as "(set)").
func (s *Server) audit(rq *scimRequest, tx *legacy.Tx, r *mapping.Resource, id, op string, changes any) error {
	b, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	e := rq.auditEntry(r.Type, id, op, rq.success)
	e.Changes = string(b)
	rq.record.pending = append(rq.record.pending, e)
	if s.own == nil || legacy.DryRunOf(rq.ctx) != nil {
		return nil // a dry run keeps the entry for its own record
	}
	return tx.Audit(rq.ctx, *s.own, e)
}

// auditEntry starts the audit entry of a request.
func (rq *scimRequest) auditEntry(resourceType, id, op string, status int) legacy.AuditEntry {
	p := rq.who
	return legacy.AuditEntry{RequestID: rq.id, ClientRequestID: rq.clientID, TokenPrefix: p.TokenPrefix,
		TokenName: p.TokenName, Tenant: p.Tenant, ResourceType: resourceType, ResourceID: id, Operation: op, Status: status}
}

// successStatus is what a write answers once its transaction commits.
// The entry of a committed write is written inside the transaction,
// before the answer, so this is where its status comes from.
func successStatus(c echo.Context) int {
	switch c.Request().Method {
	case http.MethodPost:
		return http.StatusCreated
	case http.MethodDelete:
		return http.StatusNoContent
	case http.MethodPatch:
		if strings.HasSuffix(c.Path(), "/Groups/:id") {
			return http.StatusNoContent // see patchGroup
		}
	}
	return http.StatusOK
}

// attemptedOp names the operation a write request that failed attempted.
func attemptedOp(method string) string {
	switch method {
	case http.MethodPost:
		return "create"
	case http.MethodDelete:
		return "delete"
	}
	return "update"
}

// statusClientGone is the status recorded for a write whose client went
// away before the answer (nginx's 499): nothing was written, and nobody
// was answered.
const statusClientGone = 499

// auditRefusals wraps the handler of a write (POST, PUT, PATCH, DELETE of
// a User or Group): a write that ends in an error before any transaction
// of it committed is recorded with its outcome (status, scimType, detail)
// and no changes, as a "write not applied" log line and, with retroscim's
// tables, an audit entry.
//
// That entry cannot share the write's transaction, which was rolled back
// (or never began), so it is written on its own, after the answer has
// gone out: the client never waits for it, and a failure to write it
// fails nothing. It is then logged at error level, and the log line is
// the refusal's only record. Requests refused before they could write
// anything (401, 429) are not writes and leave no entry.
func (s *Server) auditRefusals(resourceType string, next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if legacy.DryRunOf(c.Request().Context()) != nil {
			return next(c) // dryRunWrites records it
		}
		w := recordOf(c)
		err := next(c)
		if err == nil || w.committed {
			return err
		}
		se := toSCIMError(err)
		e := s.request(c).auditEntry(resourceType, pathParam(c, "id"), attemptedOp(c.Request().Method), se.Status)
		e.Changes, e.SCIMType, e.Detail = "[]", string(se.SCIMType), se.Detail
		ctx := c.Request().Context()
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			e.Status, e.Detail = statusClientGone, "the client went away before the answer; nothing was written"
		}
		c.Error(err)
		_ = http.NewResponseController(c.Response().Writer).Flush()
		s.logWrite(ctx, e)
		if s.own != nil {
			if aerr := s.store.Audit(context.WithoutCancel(ctx), *s.own, e); aerr != nil {
				s.log.Error("could not record a write that was not applied in the audit table; the log line above is its only record",
					"request_id", e.RequestID, "error", aerr.Error())
			}
		}
		return nil
	}
}

// logWrite writes the log line of an audit entry: "write" for a committed
// write, "write not applied" for one refused or failed.
func (s *Server) logWrite(ctx context.Context, e legacy.AuditEntry) {
	attrs := []any{"request_id", e.RequestID, "client_request_id", e.ClientRequestID, "token", e.TokenPrefix, "token_name", e.TokenName,
		"tenant", e.Tenant, "resource", e.ResourceType, "id", e.ResourceID, "op", e.Operation, "outcome", e.Outcome(), "status", e.Status}
	if e.Outcome() == "committed" {
		s.log.Info("write", append(attrs, "changes", e.Changes)...)
		return
	}
	level := slog.LevelInfo
	if e.Status >= 500 {
		level = slog.LevelWarn
	}
	s.log.Log(ctx, level, "write not applied", append(attrs, "scim_type", e.SCIMType, "detail", e.Detail)...)
}
