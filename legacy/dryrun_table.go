package legacy

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DryRun is the table of would-be changes recorded in dry-run mode.
func (o OwnTables) DryRun() string { return o.table("dry_run") }

// dryRunDDL creates the dry-run table (the table name is left as %s).
// Like the audit table it is retroscim's own; the app's tables and the
// audit trail never see a dry run.
const dryRunDDL = `CREATE TABLE IF NOT EXISTS %s (
  id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at                DATETIME(6)  NOT NULL,
  request_id        VARCHAR(64)  NOT NULL COMMENT 'the request id retroscim assigned (X-Request-Id of its answer)',
  client_request_id VARCHAR(64)  NOT NULL DEFAULT '' COMMENT 'X-Request-Id the client sent, if any',
  token_prefix      VARCHAR(32)  NOT NULL,
  token_name        VARCHAR(100) NOT NULL,
  tenant            VARCHAR(64)  NOT NULL DEFAULT '',
  method            VARCHAR(8)   NOT NULL,
  path              VARCHAR(255) NOT NULL,
  resource_type     VARCHAR(16)  NOT NULL,
  resource_id       VARCHAR(255) NOT NULL,
  kind              VARCHAR(32)  NOT NULL COMMENT 'create, update, deactivate, reactivate, members, delete, unchanged or refused',
  status            SMALLINT UNSIGNED NOT NULL COMMENT 'HTTP status answered to the client',
  scim_type         VARCHAR(32)  NOT NULL DEFAULT '' COMMENT 'scimType of a refused request',
  detail            VARCHAR(1024) NOT NULL DEFAULT '' COMMENT 'why a request was refused, as the client was told',
  changes           MEDIUMTEXT   NOT NULL COMMENT 'JSON: attribute, columns, before, after; or added and removed members',
  statements        MEDIUMTEXT   NOT NULL COMMENT 'JSON: the statements the request would have run, credentials redacted',
  KEY ix_at (at),
  KEY ix_tenant_at (tenant, at),
  KEY ix_resource (resource_type, resource_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT='retroscim dry run: what would have been written, and was not'`

// DryRunEntry is one would-be change (or refused request) of a request
// served in dry-run mode.
type DryRunEntry struct {
	ID              int64
	At              time.Time
	RequestID       string
	ClientRequestID string
	TokenPrefix     string
	TokenName       string
	Tenant          string
	Method          string
	Path            string
	ResourceType    string
	ResourceID      string
	// Kind is create, update, deactivate, reactivate, members, delete,
	// unchanged (the request would write nothing) or refused.
	Kind string
	// Status is what the client was answered; SCIMType and Detail say why
	// a request was refused.
	Status   int
	SCIMType string
	Detail   string
	// Changes is JSON, as the audit trail's changes with the columns each
	// attribute is stored in.
	Changes string
	// Statements are the statements the request would have run.
	Statements []DryRunStatement
}

// DryRunStatement is one recorded statement: its transaction, kind
// (begin, write, commit, rollback), SQL text and its arguments as
// retroscim explain prints them.
type DryRunStatement struct {
	Tx   int      `json:"tx"`
	Kind string   `json:"kind"`
	SQL  string   `json:"sql,omitempty"`
	Args []string `json:"args,omitempty"`
}

// DryRunStatements turns a log's statements (credentials redacted) into
// their recorded form.
func DryRunStatements(stmts []Statement) []DryRunStatement {
	out := make([]DryRunStatement, 0, len(stmts))
	for _, st := range stmts {
		d := DryRunStatement{Tx: st.Tx, Kind: st.Kind, SQL: st.SQL}
		for _, a := range st.Args {
			d.Args = append(d.Args, FormatArg(a))
		}
		out = append(out, d)
	}
	return out
}

// FormatArg renders a statement argument as retroscim explain prints it:
// strings quoted, NULL, times in RFC 3339 UTC, numbers as they are.
func FormatArg(a any) string {
	switch x := a.(type) {
	case nil:
		return "NULL"
	case string:
		return strconv.Quote(x)
	case []byte:
		return strconv.Quote(string(x))
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(a)
}

const insertDryRun = " (at, request_id, client_request_id, token_prefix, token_name, tenant, method, path, resource_type, resource_id, kind, status, scim_type, detail, changes, statements)" +
	" VALUES (NOW(6), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

// RecordDryRun writes the entries of one dry-run request, in one
// statement, on a live context: it is the one write a dry run makes.
func (s *Store) RecordDryRun(ctx context.Context, own OwnTables, entries []DryRunEntry) error {
	if len(entries) == 0 {
		return nil
	}
	var b strings.Builder
	var args []any
	b.WriteString("INSERT INTO " + own.DryRun() + insertDryRun)
	row := insertDryRun[strings.Index(insertDryRun, " VALUES ")+len(" VALUES "):]
	for i, e := range entries {
		if i > 0 {
			b.WriteString(", " + row)
		}
		stmts, err := json.Marshal(e.Statements)
		if err != nil {
			return err
		}
		changes := e.Changes
		if changes == "" {
			changes = "[]"
		}
		args = append(args, e.RequestID, e.ClientRequestID, e.TokenPrefix, truncateRunes(e.TokenName, 100), e.Tenant, e.Method,
			truncateRunes(e.Path, 255), e.ResourceType, truncateRunes(e.ResourceID, 255), e.Kind, e.Status, e.SCIMType,
			truncateRunes(e.Detail, 1024), changes, string(stmts))
	}
	err := s.doAside(WithDryRun(ctx, nil), "dry_run", func(ctx context.Context) error {
		_, err := s.db.ExecContext(ctx, b.String(), args...)
		return s.wrap(ctx, err)
	})
	if err != nil {
		return fmt.Errorf("record dry run: %w", err)
	}
	return nil
}

// DryRunQuery selects dry-run entries.
type DryRunQuery struct {
	Since  time.Time
	Tenant string
	// Limit bounds the entries read; default 100000.
	Limit int
}

// DryRunEntries returns the matching entries, oldest first.
func (s *Store) DryRunEntries(ctx context.Context, own OwnTables, q DryRunQuery) ([]DryRunEntry, error) {
	where, args := []string{"at >= ?"}, []any{q.Since.UTC()}
	if q.Tenant != "" {
		where, args = append(where, "tenant = ?"), append(args, q.Tenant)
	}
	if q.Limit <= 0 {
		q.Limit = 100000
	}
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, "SELECT id, at, request_id, client_request_id, token_prefix, token_name, tenant, method, path, resource_type, resource_id,"+
		" kind, status, scim_type, detail, changes, statements FROM "+own.DryRun()+" WHERE "+strings.Join(where, " AND ")+" ORDER BY at, id LIMIT ?", append(args, q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("read dry run: %w", s.wrap(ctx, err))
	}
	defer rows.Close()
	var out []DryRunEntry
	for rows.Next() {
		var e DryRunEntry
		var stmts string
		if err := rows.Scan(&e.ID, &e.At, &e.RequestID, &e.ClientRequestID, &e.TokenPrefix, &e.TokenName, &e.Tenant, &e.Method, &e.Path,
			&e.ResourceType, &e.ResourceID, &e.Kind, &e.Status, &e.SCIMType, &e.Detail, &e.Changes, &stmts); err != nil {
			return nil, fmt.Errorf("read dry run: %w", err)
		}
		if err := json.Unmarshal([]byte(stmts), &e.Statements); err != nil {
			return nil, fmt.Errorf("read dry run entry %d: statements: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, s.wrap(ctx, rows.Err())
}

// DryRunTableExists reports whether retroscim migrate has created the
// dry-run table.
func (s *Store) DryRunTableExists(ctx context.Context, own OwnTables) (bool, error) {
	return s.tableExists(ctx, own, own.DryRun())
}
