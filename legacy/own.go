package legacy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// OwnTables names retroscim's own tables: tokens, audit and dry run. They live in
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
		return sqlstmt.Ident(o.Schema) + "." + sqlstmt.Ident(prefix+name)
	}
	return sqlstmt.Ident(prefix + name)
}

// Tokens is the table of bearer tokens.
func (o OwnTables) Tokens() string { return o.table("tokens") }

// Audit is the table of recorded writes.
func (o OwnTables) Audit() string { return o.table("audit") }

// Migrate creates retroscim's own tables (and their schema) when missing,
// and adds to existing ones the columns later versions need. It never
// touches the app's tables. It returns what it did, one line per table.
func (s *Store) Migrate(ctx context.Context, own OwnTables) ([]string, error) {
	var done []string
	if own.Schema != "" {
		if _, err := s.db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+sqlstmt.Ident(own.Schema)+" CHARACTER SET utf8mb4"); err != nil {
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
		{own.Audit(), auditDDL()},
		{own.DryRun(), dryRunDDL},
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
		done = append(done, "created "+st.table)
	}
	// Tables an earlier version created get the columns added since.
	missing, err := s.missingAuditColumns(ctx, own)
	if err != nil {
		return done, err
	}
	if len(missing) > 0 {
		var adds, names []string
		for _, c := range missing {
			adds = append(adds, "ADD COLUMN "+sqlstmt.Ident(c.name)+" "+c.def)
			names = append(names, c.name)
		}
		if _, err := s.db.ExecContext(ctx, "ALTER TABLE "+own.Audit()+" "+strings.Join(adds, ", ")); err != nil {
			return done, fmt.Errorf("upgrade %s: %w", own.Audit(), safeErr(err))
		}
		done = append(done, "upgraded "+own.Audit()+" (added "+strings.Join(names, ", ")+")")
	}
	return done, nil
}

// CheckOwnTables reports whether retroscim's tables exist and are those
// this version writes: a missing table or column is an error that says to
// run retroscim migrate.
func (s *Store) CheckOwnTables(ctx context.Context, own OwnTables) error {
	ok, err := s.OwnTablesExist(ctx, own)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("retroscim's tables %s and %s do not exist yet: run retroscim migrate first", own.Tokens(), own.Audit())
	}
	missing, err := s.missingAuditColumns(ctx, own)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		var names []string
		for _, c := range missing {
			names = append(names, c.name)
		}
		return fmt.Errorf("%s was created by an earlier version of retroscim and lacks the columns %s: run retroscim migrate to add them", own.Audit(), strings.Join(names, ", "))
	}
	return nil
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

// Actor is who changes retroscim's tokens (retroscim token create,
// rotate, revoke), as the audit trail records it: Prefix and Name fill its
// token_prefix and token_name columns, RequestID ties together the entries
// of one command.
type Actor struct {
	Prefix, Name, RequestID string
}

// tokenChange is one changed field of a token, in the audit trail's
// changes format.
type tokenChange struct {
	Attribute string `json:"attribute"`
	Before    any    `json:"before"`
	After     any    `json:"after"`
}

// auditToken records a change to a token in the change's transaction.
func (t *Tx) auditToken(ctx context.Context, own OwnTables, by Actor, tok Token, op string, changes []tokenChange) error {
	b, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	return t.Audit(ctx, own, AuditEntry{RequestID: by.RequestID, TokenPrefix: by.Prefix, TokenName: by.Name, Tenant: tok.Tenant,
		ResourceType: "Token", ResourceID: tok.Prefix, Operation: op, Changes: string(b), Status: 200})
}

// CreateToken stores a new token for tenant and returns it. The token is
// returned only here; only its SHA-256 is stored. The audit trail records
// the creation in the same transaction.
func (s *Store) CreateToken(ctx context.Context, own OwnTables, by Actor, name, tenant string, expires time.Duration) (string, Token, error) {
	var tok string
	var t Token
	err := s.InTx(ctx, func(tx *Tx) (err error) {
		tok, t, err = tx.createToken(ctx, own, name, tenant, expires)
		if err != nil {
			return err
		}
		return tx.auditToken(ctx, own, by, t, "create", []tokenChange{{"name", nil, t.Name}, {"tenant", nil, t.Tenant}, {"expires_at", nil, stampOrNil(t.ExpiresAt)}})
	})
	if err != nil {
		return "", Token{}, err
	}
	return tok, t, nil
}

func (t *Tx) createToken(ctx context.Context, own OwnTables, name, tenant string, expires time.Duration) (string, Token, error) {
	tok, prefix, err := newToken()
	if err != nil {
		return "", Token{}, err
	}
	sum := sha256.Sum256([]byte(tok))
	now := time.Now().UTC()
	tk := Token{Prefix: prefix, Name: name, Tenant: tenant, CreatedAt: now}
	var exp any
	if expires > 0 {
		e := now.Add(expires)
		tk.ExpiresAt, exp = &e, e
	}
	tk.ID, err = t.exec(ctx, "store token", "INSERT INTO "+own.Tokens()+" (prefix, secret_sha256, name, tenant, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
		[]any{prefix, sum[:], name, tenant, now, exp}, true)
	if err != nil {
		return "", Token{}, err
	}
	return tok, tk, nil
}

// RotateToken creates a new token with old's name and tenant, to take its
// place. With grace set the old token expires that much later (unless it
// expires sooner anyway); without, it stays valid until revoked. Both
// changes, and their audit entries, are one transaction. It returns the
// new token and when the old one now expires.
func (s *Store) RotateToken(ctx context.Context, own OwnTables, by Actor, old Token, expires, grace time.Duration) (string, Token, *time.Time, error) {
	var tok string
	var t Token
	oldExpires := old.ExpiresAt
	err := s.InTx(ctx, func(tx *Tx) (err error) {
		tok, t, err = tx.createToken(ctx, own, old.Name, old.Tenant, expires)
		if err != nil {
			return err
		}
		err = tx.auditToken(ctx, own, by, t, "rotate", []tokenChange{{"name", nil, t.Name}, {"tenant", nil, t.Tenant},
			{"expires_at", nil, stampOrNil(t.ExpiresAt)}, {"replaces", nil, old.Prefix}})
		if err != nil || grace <= 0 {
			return err
		}
		at := time.Now().UTC().Add(grace)
		if old.ExpiresAt != nil && !old.ExpiresAt.After(at) {
			return nil
		}
		if _, err := tx.exec(ctx, "expire token", "UPDATE "+own.Tokens()+" SET expires_at = ? WHERE prefix = ?", []any{at, old.Prefix}, false); err != nil {
			return err
		}
		oldExpires = &at
		return tx.auditToken(ctx, own, by, old, "expire", []tokenChange{{"expires_at", stampOrNil(old.ExpiresAt), stamp(at)}, {"replaced_by", nil, t.Prefix}})
	})
	if err != nil {
		return "", Token{}, nil, err
	}
	return tok, t, oldExpires, nil
}

// stamp is a time as the audit trail shows it.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func stampOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return stamp(*t)
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
// The audit trail records each revocation in the same transaction.
func (s *Store) RevokeToken(ctx context.Context, own OwnTables, by Actor, prefixes ...string) (int64, error) {
	if len(prefixes) == 0 {
		return 0, nil
	}
	in := strings.TrimSuffix(strings.Repeat("?,", len(prefixes)), ",")
	args := make([]any, len(prefixes))
	for i, p := range prefixes {
		args[i] = p
	}
	var n int64
	err := s.InTx(ctx, func(tx *Tx) error {
		n = 0
		rows, err := tx.query(ctx, "SELECT prefix, tenant FROM "+own.Tokens()+" WHERE revoked_at IS NULL AND prefix IN ("+in+") ORDER BY prefix FOR UPDATE", args, 2)
		if err != nil {
			return fmt.Errorf("revoke: %w", err)
		}
		now := time.Now().UTC()
		for _, r := range rows {
			t := Token{Prefix: asString(r[0]), Tenant: asString(r[1])}
			if _, err := tx.exec(ctx, "revoke", "UPDATE "+own.Tokens()+" SET revoked_at = ? WHERE prefix = ?", []any{now, t.Prefix}, false); err != nil {
				return err
			}
			if err := tx.auditToken(ctx, own, by, t, "revoke", []tokenChange{{"revoked_at", nil, stamp(now)}}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
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
