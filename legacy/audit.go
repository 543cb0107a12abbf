package legacy

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// auditColumn is one column of the audit table that a later version
// added: Migrate adds it to a table an earlier version created.
type auditColumn struct{ name, def string }

// auditColumnsAdded are the audit table's columns added since its first
// version, in order. A fresh table gets them in the same place, so a
// fresh and an upgraded table are alike.
var auditColumnsAdded = []auditColumn{
	{"client_request_id", "VARCHAR(64) NOT NULL DEFAULT '' COMMENT 'X-Request-Id the client sent, if any'"},
	{"status", "SMALLINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'HTTP status answered: 2xx committed, 4xx refused and 5xx failed (nothing written); 0: recorded before this column existed (committed)'"},
	{"scim_type", "VARCHAR(32) NOT NULL DEFAULT '' COMMENT 'scimType of a refused write'"},
	{"detail", "VARCHAR(1024) NOT NULL DEFAULT '' COMMENT 'why a write was refused or failed, as the client was told'"},
}

// auditDDL creates the audit table (the table name is left as %s).
func auditDDL() string {
	var added strings.Builder
	for _, c := range auditColumnsAdded {
		fmt.Fprintf(&added, "  %s %s,\n", c.name, c.def)
	}
	return `CREATE TABLE IF NOT EXISTS %s (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at            DATETIME(6)  NOT NULL,
  request_id    VARCHAR(64)  NOT NULL COMMENT 'the request id retroscim assigned (X-Request-Id of its answer)',
  token_prefix  VARCHAR(32)  NOT NULL,
  token_name    VARCHAR(100) NOT NULL,
  tenant        VARCHAR(64)  NOT NULL DEFAULT '',
  resource_type VARCHAR(16)  NOT NULL,
  resource_id   VARCHAR(255) NOT NULL,
  operation     VARCHAR(32)  NOT NULL,
  changes       MEDIUMTEXT   NOT NULL COMMENT 'JSON: attribute, before, after',
` + added.String() + `  KEY ix_at (at),
  KEY ix_tenant_at (tenant, at),
  KEY ix_resource (resource_type, resource_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT='retroscim audit trail'`
}

// missingAuditColumns returns the added columns an existing audit table
// lacks (none when the table does not exist).
func (s *Store) missingAuditColumns(ctx context.Context, own OwnTables) ([]auditColumn, error) {
	name := strings.Trim(own.Audit()[strings.LastIndex(own.Audit(), ".")+1:], "`")
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT COLUMN_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND TABLE_NAME = ?`, own.Schema, name)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", own.Audit(), s.wrap(ctx, err))
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, s.wrap(ctx, err)
		}
		have[strings.ToLower(c)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(ctx, err)
	}
	if len(have) == 0 {
		return nil, nil
	}
	var missing []auditColumn
	for _, c := range auditColumnsAdded {
		if !have[c.name] {
			missing = append(missing, c)
		}
	}
	return missing, nil
}

// AuditEntry is one recorded write, committed or not.
type AuditEntry struct {
	At time.Time
	// RequestID is the id retroscim gave the request; ClientRequestID the
	// X-Request-Id the client sent, if any. They are never the same field:
	// a client's id is whatever the client says.
	RequestID       string
	ClientRequestID string
	TokenPrefix     string
	TokenName       string
	Tenant          string
	ResourceType    string
	ResourceID      string
	Operation       string
	// Changes is JSON: [{"attribute": ..., "before": ..., "after": ...}];
	// "[]" for a write that changed nothing.
	Changes string
	// Status is the HTTP status answered: 2xx for a committed write, 4xx
	// for a refused one, 5xx for one that failed; 0 for entries recorded
	// before retroscim kept it (all committed). SCIMType and Detail say
	// why a write was refused, as the client was told.
	Status   int
	SCIMType string
	Detail   string
}

// Outcome names what became of the write: "committed" (2xx, and entries
// from before the status was kept), "refused" (4xx) or "failed" (5xx).
func (e AuditEntry) Outcome() string {
	switch {
	case e.Status >= 500:
		return "failed"
	case e.Status >= 300:
		return "refused"
	}
	return "committed"
}

const insertAudit = " (at, request_id, client_request_id, token_prefix, token_name, tenant, resource_type, resource_id, operation, changes, status, scim_type, detail)" +
	" VALUES (NOW(6), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

func (e AuditEntry) args() []any {
	return []any{e.RequestID, e.ClientRequestID, e.TokenPrefix, truncateRunes(e.TokenName, 100), e.Tenant, e.ResourceType,
		truncateRunes(e.ResourceID, 255), e.Operation, e.Changes, e.Status, e.SCIMType, truncateRunes(e.Detail, 1024)}
}

// Audit records a write in the same transaction as the write itself, so a
// write is never recorded without happening, or the other way round.
func (t *Tx) Audit(ctx context.Context, own OwnTables, e AuditEntry) error {
	_, err := t.exec(ctx, "record audit entry", "INSERT INTO "+own.Audit()+insertAudit, e.args(), false)
	return err
}

// Audit records a write that did not happen (refused or failed), on its
// own: the write's transaction, if it had one, was rolled back.
func (s *Store) Audit(ctx context.Context, own OwnTables, e AuditEntry) error {
	err := s.doAside(ctx, "audit", func(ctx context.Context) error {
		_, err := s.db.ExecContext(ctx, "INSERT INTO "+own.Audit()+insertAudit, e.args()...)
		return s.wrap(ctx, err)
	})
	if err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	return nil
}

// truncateRunes cuts s to at most n characters, for a VARCHAR(n).
func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// AuditQuery selects audit entries.
type AuditQuery struct {
	Since        time.Time
	Tenant       string
	ResourceType string
	ResourceID   string
	// Outcome keeps the entries with this Outcome only; empty: all.
	Outcome string
	Limit   int
}

// AuditEntries returns matching entries, oldest first.
func (s *Store) AuditEntries(ctx context.Context, own OwnTables, q AuditQuery) ([]AuditEntry, error) {
	where, args := []string{"at >= ?"}, []any{q.Since.UTC()}
	if q.Tenant != "" {
		where, args = append(where, "tenant = ?"), append(args, q.Tenant)
	}
	if q.ResourceType != "" {
		where, args = append(where, "resource_type = ?"), append(args, q.ResourceType)
	}
	if q.ResourceID != "" {
		where, args = append(where, "resource_id = ?"), append(args, q.ResourceID)
	}
	switch q.Outcome {
	case "":
	case "committed":
		where = append(where, "status < 300")
	case "refused":
		where = append(where, "status >= 300 AND status < 500")
	case "failed":
		where = append(where, "status >= 500")
	default:
		return nil, fmt.Errorf("unknown outcome %q: use committed, refused or failed", q.Outcome)
	}
	if q.Limit <= 0 {
		q.Limit = 1000
	}
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, "SELECT at, request_id, client_request_id, token_prefix, token_name, tenant, resource_type, resource_id, operation, changes, status, scim_type, detail FROM "+
		own.Audit()+" WHERE "+strings.Join(where, " AND ")+" ORDER BY at, id LIMIT ?", append(args, q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", s.wrap(ctx, err))
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.At, &e.RequestID, &e.ClientRequestID, &e.TokenPrefix, &e.TokenName, &e.Tenant, &e.ResourceType, &e.ResourceID,
			&e.Operation, &e.Changes, &e.Status, &e.SCIMType, &e.Detail); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, s.wrap(ctx, rows.Err())
}
