package adapter

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// DryRunWarning is the Warning header of every answer given in dry-run
// mode (server.dry_run): the request was served by the real code, and
// nothing was written.
const DryRunWarning = `199 - "dry run: nothing was written"`

// dryRun reports whether the request is served in dry-run mode, as the
// configuration it started with says.
func (s *Server) dryRun(c echo.Context) bool { return s.conf(c).Server.DryRun }

// warnDryRun marks every answer of a dry-run configuration.
func (s *Server) warnDryRun(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.dryRun(c) {
			c.Response().Header().Set("Warning", DryRunWarning)
		}
		return next(c)
	}
}

// dryRunWrites serves a write request in dry-run mode: its context
// records every write statement instead of running it (legacy.WithDryRun),
// every transaction rolls back, and what it would have changed, or why it
// was refused, goes to retroscim's dry-run table and a "dry run" log line.
// The audit trail, the app's tables and the tokens' use times are left
// alone.
func (s *Server) dryRunWrites(resourceType string, next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.dryRun(c) {
			return next(c)
		}
		log := &legacy.DryRunLog{}
		req := c.Request()
		c.SetRequest(req.WithContext(legacy.WithDryRun(req.Context(), log)))
		err := next(c)
		w := recordOf(c)
		base := s.dryRunEntry(c, resourceType, log)
		var entries []legacy.DryRunEntry
		if err != nil {
			se := toSCIMError(err)
			base.Status, base.SCIMType, base.Detail = se.Status, string(se.SCIMType), se.Detail
			if errors.Is(err, context.Canceled) && req.Context().Err() != nil {
				base.Status, base.Detail = statusClientGone, "the client went away before the answer"
			}
			c.Error(err)
			_ = http.NewResponseController(c.Response().Writer).Flush()
		} else {
			base.Status = c.Response().Status
		}
		for _, e := range w.dry {
			entries = append(entries, s.dryRunChange(c, base, e))
		}
		if len(entries) == 0 {
			base.Kind = "unchanged"
			if err != nil {
				base.Kind = "refused"
			}
			entries = append(entries, base)
		}
		ctx := context.WithoutCancel(req.Context())
		for _, e := range entries {
			s.log.Info("dry run", "request_id", e.RequestID, "token", e.TokenPrefix, "tenant", e.Tenant, "resource", e.ResourceType,
				"id", e.ResourceID, "kind", e.Kind, "status", e.Status, "scim_type", e.SCIMType, "detail", e.Detail, "changes", e.Changes,
				"statements", len(e.Statements))
		}
		if s.own != nil {
			if rerr := s.store.RecordDryRun(ctx, *s.own, entries); rerr != nil {
				s.log.Error("could not record a dry-run request in the dry-run table; the log line above is its only record",
					"request_id", base.RequestID, "error", rerr.Error())
			}
		}
		return nil
	}
}

// dryRunEntry starts the record of a dry-run request.
func (s *Server) dryRunEntry(c echo.Context, resourceType string, log *legacy.DryRunLog) legacy.DryRunEntry {
	p := principal(c)
	return legacy.DryRunEntry{RequestID: requestID(c), ClientRequestID: clientRequestID(c), TokenPrefix: p.TokenPrefix,
		TokenName: p.TokenName, Tenant: p.Tenant, Method: c.Request().Method, Path: c.Request().URL.Path,
		ResourceType: resourceType, ResourceID: pathParam(c, "id"), Changes: "[]",
		Statements: legacy.DryRunStatements(log.Statements())}
}

// dryRunChange is the record of one would-be change of a request: its
// kind, and each changed attribute with the columns it is stored in.
func (s *Server) dryRunChange(c echo.Context, base legacy.DryRunEntry, e legacy.AuditEntry) legacy.DryRunEntry {
	d := base
	d.ResourceType, d.ResourceID, d.Kind, d.Changes = e.ResourceType, e.ResourceID, e.Operation, e.Changes
	r := s.conf(c).Users
	if e.ResourceType == "Group" {
		r = s.conf(c).Groups
	}
	var diff []mapping.AttrChange
	if e.Operation == "members" || json.Unmarshal([]byte(e.Changes), &diff) != nil || r == nil {
		return d
	}
	type change struct {
		mapping.AttrChange
		Columns []string `json:"columns"`
	}
	out := make([]change, 0, len(diff))
	for _, a := range diff {
		ch := change{AttrChange: a, Columns: columnsOf(r, a.Attribute)}
		if a.Attribute == "active" && e.Operation != "create" {
			switch {
			case a.Before == true && a.After == false:
				d.Kind = "deactivate"
			case a.Before == false && a.After == true:
				d.Kind = "reactivate"
			}
		}
		out = append(out, ch)
	}
	if e.Operation == "deactivate-delete" {
		d.Kind = "deactivate"
	}
	if b, err := json.Marshal(out); err == nil {
		d.Changes = string(b)
	}
	return d
}

// columnsOf names the columns an attribute is stored in.
func columnsOf(r *mapping.Resource, attr string) []string {
	if attr == "active" && r.Active != nil {
		if r.Active.Life != nil {
			return []string{"(active.deactivate / active.reactivate)"}
		}
		if r.Active.Column == "" {
			return []string{"(the row: deactivation deletes it)"}
		}
		return []string{r.Active.Column}
	}
	for _, a := range r.Attributes {
		if a.Path() == attr && a.Related != nil {
			return []string{a.Related.Table + "." + a.Related.Column}
		}
		if a.Path() == attr && a.Column != "" {
			return []string{a.Column}
		}
	}
	return []string{}
}

// redactSecrets keeps the values of write-only attributes (a password
// and its hash) out of a dry run's recorded statements.
func redactSecrets(ctx context.Context, ch *mapping.Change) {
	log := legacy.DryRunOf(ctx)
	if log == nil || ch == nil {
		return
	}
	for _, a := range ch.Set {
		if a.Attr != nil && a.Attr.Mutability == mapping.WriteOnly {
			log.Redact(a.Value)
		}
	}
	for _, w := range ch.Related {
		if w.Attr.Mutability == mapping.WriteOnly {
			log.Redact(w.Value)
		}
	}
}

// errDryRunCreate answers a create in dry-run mode. Every check ran (the
// request is valid, its unique values are free) and its INSERT was
// recorded; but the new resource's id and values come from the row the
// database would have made, so there is nothing true to answer with.
func errDryRunCreate(r *mapping.Resource) error {
	return errorf(http.StatusForbidden, "", "dry run: this %s would have been created (every check passed; its INSERT is recorded, see retroscim report), but nothing was written, so there is no new %s to answer with", r.Type, r.Type)
}
