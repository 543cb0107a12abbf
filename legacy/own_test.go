package legacy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/retroscim/retroscim/legacy/legacytest"
)

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
	if err != nil || len(created) != 2 {
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
	tok, info, err := s.CreateToken(ctx, own, "okta", "7", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.CheckToken(ctx, own, tok)
	if err != nil || got.Tenant != "7" || got.Prefix != info.Prefix {
		t.Errorf("CheckToken = %+v, %v", got, err)
	}
	if _, err := s.RevokeToken(ctx, own, info.Prefix); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckToken(ctx, own, tok); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("CheckToken after revoke = %v", err)
	}
	if ok, err := s.OwnTablesExist(ctx, OwnTables{Schema: own.Schema, Prefix: "other_"}); ok || err != nil {
		t.Errorf("OwnTablesExist with another prefix = %v, %v", ok, err)
	}
}
