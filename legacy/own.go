package legacy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// OwnTables names retroscim's own tables: tokens and audit. They live in
// the app's database (Schema empty) or in a schema of their own, and
// nothing else of retroscim writes outside the app's mapped tables.
type OwnTables struct {
	Schema string
	Prefix string // default "retroscim_"
}

func (o OwnTables) table(name string) string {
	prefix := o.Prefix
	if prefix == "" {
		prefix = "retroscim_"
	}
	if o.Schema != "" {
		return quoteIdent(o.Schema) + "." + quoteIdent(prefix+name)
	}
	return quoteIdent(prefix + name)
}

// Tokens is the table of bearer tokens.
func (o OwnTables) Tokens() string { return o.table("tokens") }

// Audit is the table of recorded writes.
func (o OwnTables) Audit() string { return o.table("audit") }

// Migrate creates retroscim's own tables (and their schema) when missing.
// It never touches the app's tables. It returns what it created.
func (s *Store) Migrate(ctx context.Context, own OwnTables) ([]string, error) {
	var done []string
	if own.Schema != "" {
		if _, err := s.db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(own.Schema)+" CHARACTER SET utf8mb4"); err != nil {
			return done, fmt.Errorf("create schema %s: %w", own.Schema, safeErr(err))
		}
	}
	stmts := []struct{ table, ddl string }{
		{own.Tokens(), `CREATE TABLE IF NOT EXISTS %s (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  prefix        VARCHAR(32)  NOT NULL COMMENT 'public part, shown in lists and logs',
  secret_sha256 BINARY(32)   NOT NULL COMMENT 'SHA-256 of the whole token; the token itself is never stored',
  name          VARCHAR(100) NOT NULL,
  tenant        VARCHAR(64)  NOT NULL DEFAULT '',
  created_at    DATETIME(6)  NOT NULL,
  last_used_at  DATETIME(6)  NULL,
  expires_at    DATETIME(6)  NULL,
  revoked_at    DATETIME(6)  NULL,
  UNIQUE KEY uq_prefix (prefix),
  KEY ix_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT='retroscim bearer tokens'`},
		{own.Audit(), `CREATE TABLE IF NOT EXISTS %s (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at            DATETIME(6)  NOT NULL,
  request_id    VARCHAR(64)  NOT NULL,
  token_prefix  VARCHAR(32)  NOT NULL,
  token_name    VARCHAR(100) NOT NULL,
  tenant        VARCHAR(64)  NOT NULL DEFAULT '',
  resource_type VARCHAR(16)  NOT NULL,
  resource_id   VARCHAR(255) NOT NULL,
  operation     VARCHAR(32)  NOT NULL,
  changes       MEDIUMTEXT   NOT NULL COMMENT 'JSON: attribute, before, after',
  KEY ix_at (at),
  KEY ix_tenant_at (tenant, at),
  KEY ix_resource (resource_type, resource_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT='retroscim audit trail'`},
	}
	for _, st := range stmts {
		exists, err := s.tableExists(ctx, own, st.table)
		if err != nil {
			return done, err
		}
		if exists {
			continue
		}
		if _, err := s.db.ExecContext(ctx, fmt.Sprintf(st.ddl, st.table)); err != nil {
			return done, fmt.Errorf("create %s: %w", st.table, safeErr(err))
		}
		done = append(done, st.table)
	}
	return done, nil
}

// OwnTablesExist reports whether retroscim migrate has created the tables.
func (s *Store) OwnTablesExist(ctx context.Context, own OwnTables) (bool, error) {
	for _, t := range []string{own.Tokens(), own.Audit()} {
		ok, err := s.tableExists(ctx, own, t)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func (s *Store) tableExists(ctx context.Context, own OwnTables, quoted string) (bool, error) {
	name := quoted
	if i := strings.LastIndex(quoted, "`.`"); i >= 0 {
		name = quoted[i+2:]
	}
	name = strings.Trim(name, "`")
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND TABLE_NAME = ?`, own.Schema, name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for %s: %w", quoted, s.wrap(ctx, err))
	}
	return n > 0, nil
}

// Token is one stored bearer token, without its secret.
type Token struct {
	ID         int64
	Prefix     string
	Name       string
	Tenant     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
}

// Status says whether a token is usable at t: "active", "expired" or
// "revoked".
func (t Token) Status(at time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case t.ExpiresAt != nil && !at.Before(*t.ExpiresAt):
		return "expired"
	}
	return "active"
}

// Token errors. A token that does not exist and one whose secret does not
// match are the same ErrTokenUnknown.
var (
	ErrTokenUnknown = errors.New("unknown token")
	ErrTokenExpired = errors.New("token expired")
	ErrTokenRevoked = errors.New("token revoked")
)

// TokenPrefix marks tokens retroscim issued: rsk_<8 hex>_<43 base64url>.
const TokenPrefix = "rsk_"

// newToken returns a fresh token and its public prefix: 32 random bytes
// (256 bits) of secret, and 4 random bytes shown as the prefix.
func newToken() (token, prefix string, err error) {
	var pub [4]byte
	var secret [32]byte
	if _, err := rand.Read(pub[:]); err != nil {
		return "", "", err
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return "", "", err
	}
	prefix = TokenPrefix + hex.EncodeToString(pub[:])
	return prefix + "_" + base64.RawURLEncoding.EncodeToString(secret[:]), prefix, nil
}

// ParseToken returns the public prefix of a token retroscim issued, or
// false for anything else.
func ParseToken(token string) (string, bool) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) != len(TokenPrefix)+8+1+43 || token[len(TokenPrefix)+8] != '_' {
		return "", false
	}
	return token[:len(TokenPrefix)+8], true
}

// CreateToken stores a new token for tenant and returns it. The token is
// returned only here; only its SHA-256 is stored.
func (s *Store) CreateToken(ctx context.Context, own OwnTables, name, tenant string, expires time.Duration) (string, Token, error) {
	tok, prefix, err := newToken()
	if err != nil {
		return "", Token{}, err
	}
	sum := sha256.Sum256([]byte(tok))
	now := time.Now().UTC()
	t := Token{Prefix: prefix, Name: name, Tenant: tenant, CreatedAt: now}
	var exp any
	if expires > 0 {
		e := now.Add(expires)
		t.ExpiresAt, exp = &e, e
	}
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, "INSERT INTO "+own.Tokens()+" (prefix, secret_sha256, name, tenant, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
		prefix, sum[:], name, tenant, now, exp)
	if err != nil {
		return "", Token{}, fmt.Errorf("store token: %w", s.wrap(ctx, err))
	}
	t.ID, _ = res.LastInsertId()
	return tok, t, nil
}

// Tokens lists the stored tokens, newest first.
func (s *Store) Tokens(ctx context.Context, own OwnTables) ([]Token, error) {
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, "SELECT id, prefix, name, tenant, created_at, last_used_at, expires_at, revoked_at FROM "+own.Tokens()+" ORDER BY created_at DESC, id DESC")
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", s.wrap(ctx, err))
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, s.wrap(ctx, rows.Err())
}

type scanner interface{ Scan(...any) error }

func scanToken(r scanner) (Token, error) {
	var t Token
	var used, exp, rev sql.NullTime
	if err := r.Scan(&t.ID, &t.Prefix, &t.Name, &t.Tenant, &t.CreatedAt, &used, &exp, &rev); err != nil {
		return t, err
	}
	if used.Valid {
		t.LastUsedAt = &used.Time
	}
	if exp.Valid {
		t.ExpiresAt = &exp.Time
	}
	if rev.Valid {
		t.RevokedAt = &rev.Time
	}
	return t, nil
}

// FindTokens returns the tokens a reference names: a prefix (rsk_1a2b3c4d),
// or a name, which may match several tokens (a rotated one and its
// successor).
func (s *Store) FindTokens(ctx context.Context, own OwnTables, ref string) ([]Token, error) {
	all, err := s.Tokens(ctx, own)
	if err != nil {
		return nil, err
	}
	var out []Token
	for _, t := range all {
		if t.Prefix == ref || t.Name == ref {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no token %q: name one by its prefix or name (retroscim token list)", ref)
	}
	return out, nil
}

// RevokeToken revokes the tokens with the given prefixes (already revoked
// ones keep their first revocation time) and returns how many it changed.
func (s *Store) RevokeToken(ctx context.Context, own OwnTables, prefixes ...string) (int64, error) {
	if len(prefixes) == 0 {
		return 0, nil
	}
	args := []any{time.Now().UTC()}
	for _, p := range prefixes {
		args = append(args, p)
	}
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, "UPDATE "+own.Tokens()+" SET revoked_at = ? WHERE revoked_at IS NULL AND prefix IN ("+strings.TrimSuffix(strings.Repeat("?,", len(prefixes)), ",")+")", args...)
	if err != nil {
		return 0, fmt.Errorf("revoke: %w", s.wrap(ctx, err))
	}
	return res.RowsAffected()
}

// ExpireToken makes a token expire at a time (used by rotate to retire the
// old token after a grace period).
func (s *Store) ExpireToken(ctx context.Context, own OwnTables, prefix string, at time.Time) error {
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, "UPDATE "+own.Tokens()+" SET expires_at = ? WHERE prefix = ? AND (expires_at IS NULL OR expires_at > ?)", at.UTC(), prefix, at.UTC())
	return s.wrap(ctx, err)
}

// CheckToken looks a presented token up by its prefix and compares its
// SHA-256 with the stored one in constant time. Unknown tokens and wrong
// secrets are both ErrTokenUnknown; expired and revoked tokens say so.
func (s *Store) CheckToken(ctx context.Context, own OwnTables, token string) (Token, error) {
	prefix, ok := ParseToken(token)
	if !ok {
		return Token{}, ErrTokenUnknown
	}
	var t Token
	var used, exp, rev sql.NullTime
	var stored []byte
	err := s.do(ctx, "token", true, func(ctx context.Context) error {
		row := s.db.QueryRowContext(ctx, "SELECT id, prefix, name, tenant, created_at, last_used_at, expires_at, revoked_at, secret_sha256 FROM "+own.Tokens()+" WHERE prefix = ?", prefix)
		if err := row.Scan(&t.ID, &t.Prefix, &t.Name, &t.Tenant, &t.CreatedAt, &used, &exp, &rev, &stored); errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return s.wrap(ctx, err)
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return Token{}, ErrTokenUnknown
	}
	if err != nil {
		return Token{}, fmt.Errorf("check token: %w", err)
	}
	sum := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(sum[:], stored) != 1 {
		return Token{}, ErrTokenUnknown
	}
	if used.Valid {
		t.LastUsedAt = &used.Time
	}
	if exp.Valid {
		t.ExpiresAt = &exp.Time
	}
	if rev.Valid {
		t.RevokedAt = &rev.Time
	}
	switch t.Status(time.Now()) {
	case "revoked":
		return t, ErrTokenRevoked
	case "expired":
		return t, ErrTokenExpired
	}
	return t, nil
}

// TouchTokens records when tokens were last used.
func (s *Store) TouchTokens(ctx context.Context, own OwnTables, used map[string]time.Time) error {
	for prefix, at := range used {
		err := s.do(ctx, "token_use", true, func(ctx context.Context) error {
			_, err := s.db.ExecContext(ctx, "UPDATE "+own.Tokens()+" SET last_used_at = ? WHERE prefix = ? AND (last_used_at IS NULL OR last_used_at < ?)", at.UTC(), prefix, at.UTC())
			return s.wrap(ctx, err)
		})
		if err != nil {
			return fmt.Errorf("record token use: %w", err)
		}
	}
	return nil
}

// AuditEntry is one recorded write.
type AuditEntry struct {
	At           time.Time
	RequestID    string
	TokenPrefix  string
	TokenName    string
	Tenant       string
	ResourceType string
	ResourceID   string
	Operation    string
	// Changes is JSON: [{"attribute": ..., "before": ..., "after": ...}].
	Changes string
}

// Audit records a write in the same transaction as the write itself, so a
// write is never recorded without happening, or the other way round.
func (t *Tx) Audit(ctx context.Context, own OwnTables, e AuditEntry) error {
	_, err := t.exec(ctx, "record audit entry", "INSERT INTO "+own.Audit()+
		" (at, request_id, token_prefix, token_name, tenant, resource_type, resource_id, operation, changes) VALUES (NOW(6), ?, ?, ?, ?, ?, ?, ?, ?)",
		[]any{e.RequestID, e.TokenPrefix, e.TokenName, e.Tenant, e.ResourceType, e.ResourceID, e.Operation, e.Changes}, false)
	return err
}

// AuditQuery selects audit entries.
type AuditQuery struct {
	Since        time.Time
	Tenant       string
	ResourceType string
	ResourceID   string
	Limit        int
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
	if q.Limit <= 0 {
		q.Limit = 1000
	}
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, "SELECT at, request_id, token_prefix, token_name, tenant, resource_type, resource_id, operation, changes FROM "+
		own.Audit()+" WHERE "+strings.Join(where, " AND ")+" ORDER BY at, id LIMIT ?", append(args, q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", s.wrap(ctx, err))
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.At, &e.RequestID, &e.TokenPrefix, &e.TokenName, &e.Tenant, &e.ResourceType, &e.ResourceID, &e.Operation, &e.Changes); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, s.wrap(ctx, rows.Err())
}
