package legacy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/retroscim/retroscim/legacy/legacytest"
)

// testActor makes the token changes of tests.
var testActor = Actor{Prefix: "test", Name: "legacy tests", RequestID: "t1"}

// TestOwnTablesInTheirSchema: migrate puts retroscim's tables in a schema
// of their own when asked, leaves the app's schema alone, and is
// idempotent; tokens work from there.
func TestOwnTablesInTheirSchema(t *testing.T) {
	s, dsn := openStore(t, itemsSchema)
	ctx := context.Background()
	own := OwnTables{Schema: "rs_own_" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "_"))[:20] + "_x", Prefix: "scim_"}
	t.Cleanup(func() { legacytest.MustExec(t, dsn, "DROP DATABASE IF EXISTS `"+own.Schema+"`") })
	before := legacytest.Checksum(t, dsn, "items")
	created, err := s.Migrate(ctx, own)
	if err != nil || len(created) != 3 {
		t.Fatalf("Migrate = %v, %v", created, err)
	}
	if again, err := s.Migrate(ctx, own); err != nil || len(again) != 0 {
		t.Errorf("second Migrate = %v, %v", again, err)
	}
	var inApp int
	if err := s.DB().Get(&inApp, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'scim\\_%'"); err != nil || inApp != 0 {
		t.Errorf("%d of retroscim's tables in the app's schema (%v)", inApp, err)
	}
	if legacytest.Checksum(t, dsn, "items") != before {
		t.Error("migrate changed an app table")
	}
	tok, info, err := s.CreateToken(ctx, own, testActor, "okta", "7", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.CheckToken(ctx, own, tok)
	if err != nil || got.Tenant != "7" || got.Prefix != info.Prefix {
		t.Errorf("CheckToken = %+v, %v", got, err)
	}
	if _, err := s.RevokeToken(ctx, own, testActor, info.Prefix); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckToken(ctx, own, tok); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("CheckToken after revoke = %v", err)
	}
	if ok, err := s.OwnTablesExist(ctx, OwnTables{Schema: own.Schema, Prefix: "other_"}); ok || err != nil {
		t.Errorf("OwnTablesExist with another prefix = %v, %v", ok, err)
	}
}

// auditV1 is the audit table as retroscim created it before it kept the
// client's request id and the outcome of writes.
const auditV1 = `CREATE TABLE retroscim_audit (
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
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT='retroscim audit trail';
INSERT INTO retroscim_audit (at, request_id, token_prefix, token_name, tenant, resource_type, resource_id, operation, changes)
VALUES (NOW(6), 'abc123', 'rsk_0000aaaa', 'okta', '1', 'User', '2', 'update', '[]');`

// TestMigrateUpgradesAudit: migrate adds the new audit columns to a table
// an earlier version created, keeps its rows (read back as committed),
// and leaves it like a freshly created one; until then the tables are
// reported outdated.
func TestMigrateUpgradesAudit(t *testing.T) {
	s, _ := openStore(t, auditV1)
	ctx := context.Background()
	own := OwnTables{}
	if err := s.CheckOwnTables(ctx, own); err == nil || !strings.Contains(err.Error(), "run retroscim migrate") {
		t.Errorf("CheckOwnTables before migrate = %v", err)
	}
	done, err := s.Migrate(ctx, own)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"created `retroscim_tokens`", "created `retroscim_dry_run`", "upgraded `retroscim_audit` (added client_request_id, status, scim_type, detail)"}
	if strings.Join(done, "\n") != strings.Join(want, "\n") {
		t.Errorf("Migrate = %q, want %q", done, want)
	}
	if err := s.CheckOwnTables(ctx, own); err != nil {
		t.Errorf("CheckOwnTables after migrate = %v", err)
	}
	if again, err := s.Migrate(ctx, own); err != nil || len(again) != 0 {
		t.Errorf("second Migrate = %v, %v", again, err)
	}
	entries, err := s.AuditEntries(ctx, own, AuditQuery{})
	if err != nil || len(entries) != 1 {
		t.Fatalf("AuditEntries = %v, %v", entries, err)
	}
	if e := entries[0]; e.RequestID != "abc123" || e.ClientRequestID != "" || e.Status != 0 || e.Outcome() != "committed" {
		t.Errorf("old entry = %+v", e)
	}
	// The upgraded table is the fresh one.
	fresh := OwnTables{Prefix: "fresh_"}
	if _, err := s.Migrate(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	columns := func(table string) string {
		var out []string
		rows, err := s.query(ctx, "SELECT CONCAT_WS(' ', COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COALESCE(COLUMN_DEFAULT, 'none'), COLUMN_COMMENT) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", []any{table}, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			out = append(out, asString(r[0]))
		}
		return strings.Join(out, "\n")
	}
	upgraded, created := columns("retroscim_audit"), columns("fresh_audit")
	// request_id's comment is new too; the rest must match.
	upgraded = strings.Replace(upgraded, "request_id varchar(64) NO none \n", "", 1)
	created = strings.Replace(created, "request_id varchar(64) NO none the request id retroscim assigned (X-Request-Id of its answer)\n", "", 1)
	if upgraded != created {
		t.Errorf("upgraded table:\n%s\nfresh table:\n%s", upgraded, created)
	}
}

// TestTokenChangesAudited: creating, rotating and revoking a token each
// leave an audit entry, written with the change, naming who made it.
func TestTokenChangesAudited(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	own := OwnTables{}
	if _, err := s.Migrate(ctx, own); err != nil {
		t.Fatal(err)
	}
	by := Actor{Prefix: "cli", Name: "alice@host", RequestID: "r1"}
	tok, info, err := s.CreateToken(ctx, own, by, "okta", "7", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, rotated, oldExpires, err := s.RotateToken(ctx, own, by, info, 0, time.Hour)
	if err != nil || oldExpires == nil {
		t.Fatalf("RotateToken = %v, old expires %v", err, oldExpires)
	}
	if n, err := s.RevokeToken(ctx, own, by, info.Prefix, rotated.Prefix); err != nil || n != 2 {
		t.Fatalf("RevokeToken = %d, %v", n, err)
	}
	if n, err := s.RevokeToken(ctx, own, by, info.Prefix); err != nil || n != 0 {
		t.Errorf("second RevokeToken = %d, %v (an audited no-op?)", n, err)
	}
	entries, err := s.AuditEntries(ctx, own, AuditQuery{ResourceType: "Token"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if e.TokenPrefix != "cli" || e.TokenName != "alice@host" || e.RequestID != "r1" || e.Tenant != "7" || e.Status != 200 {
			t.Errorf("entry %+v does not name the actor, tenant and outcome", e)
		}
		if strings.Contains(e.Changes, tok[len(info.Prefix)+1:]) {
			t.Errorf("entry %s holds the token's secret", e.Operation)
		}
		got = append(got, e.Operation+" "+e.ResourceID)
	}
	want := []string{"create " + info.Prefix, "rotate " + rotated.Prefix, "expire " + info.Prefix, "revoke " + min(info.Prefix, rotated.Prefix), "revoke " + max(info.Prefix, rotated.Prefix)}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("token audit = %v, want %v", got, want)
	}
	if !strings.Contains(entries[1].Changes, `{"attribute":"replaces","before":null,"after":"`+info.Prefix+`"}`) {
		t.Errorf("rotate changes = %s", entries[1].Changes)
	}
}
