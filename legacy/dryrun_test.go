package legacy

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// TestDryRunConnections: on one store, a dry-run context records its
// writes and runs none, whether the driver interpolates the values or
// sends a server-side prepared statement, inside a transaction or not; a
// live context on the same store writes. Statements that are not reads
// are refused as queries, and a transaction begun in dry run stays one.
func TestDryRunConnections(t *testing.T) {
	for _, tc := range []struct {
		name        string
		interpolate bool
	}{{"interpolated", true}, {"prepared", false}} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := legacytest.NewDatabase(t, itemsSchema, "CREATE TABLE seq (id INT AUTO_INCREMENT PRIMARY KEY, v INT)")
			s, err := Open(context.Background(), dsn, Options{TolerateUnsafeCharset: !tc.interpolate})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			legacytest.MustExec(t, dsn, "INSERT INTO items (id, name) VALUES (1, 'one')")
			before := legacytest.Checksum(t, dsn, "items")
			log := &DryRunLog{}
			ctx := WithDryRun(context.Background(), log)
			err = s.InTx(ctx, func(tx *Tx) error {
				row, err := tx.Get(ctx, sqlstmt.Select{From: "`items`", Columns: []string{"name"}, Where: sqlstmt.Cond("id = ?", 1), Lock: true})
				if err != nil || asString(row[0]) != "one" {
					return errors.Join(err, errors.New("the read did not run"))
				}
				if _, err := tx.Update(ctx, sqlstmt.Update{Table: "items", Set: []sqlstmt.Assignment{{Column: "name", Value: "uno"}}, Where: sqlstmt.Cond("id = ?", 1)}); err != nil {
					return err
				}
				// The transaction is a dry run whatever the context of its
				// later statements says.
				if _, err := tx.Write(context.Background(), sqlstmt.Delete{Table: "items", Where: sqlstmt.Cond("id = ?", 1)}); err != nil {
					return err
				}
				_, err = tx.Insert(ctx, sqlstmt.Insert{Table: "seq", Set: []sqlstmt.Assignment{{Column: "v", Value: 7}}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.DB().ExecContext(ctx, "UPDATE items SET name = ? WHERE id = ?", "eins", 1); err != nil {
				t.Fatal(err)
			}
			if got := legacytest.Checksum(t, dsn, "items"); got != before {
				t.Errorf("a dry run changed items")
			}
			if got := legacytest.Row(t, dsn, "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'seq'"); got[0] != "1" {
				t.Errorf("AUTO_INCREMENT = %v after a dry-run INSERT", got)
			}
			var kinds []string
			for _, st := range log.Statements() {
				kinds = append(kinds, st.Kind)
			}
			if got, want := kinds, []string{"begin", "write", "write", "write", "commit", "write"}; strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("recorded %v, want %v", got, want)
			}
			if _, err := s.DB().QueryContext(ctx, "DELETE FROM items"); !errors.Is(err, ErrDryRunRead) {
				t.Errorf("a DELETE sent as a query in dry run: %v", err)
			}
			// Live on the same store: written.
			if _, err := s.DB().ExecContext(context.Background(), "UPDATE items SET name = ? WHERE id = ?", "uno", 1); err != nil {
				t.Fatal(err)
			}
			if got := legacytest.Row(t, dsn, "SELECT name FROM items WHERE id = 1"); got[0] != "uno" {
				t.Errorf("live write: name = %v", got)
			}
		})
	}
}

// TestDryRunRedacts replaces marked values in recorded arguments.
func TestDryRunRedacts(t *testing.T) {
	log := &DryRunLog{}
	log.Redact("$2a$10$hash", "")
	log.add(Statement{Kind: "write", SQL: "UPDATE u SET p = ?, n = ? WHERE id = ?", Args: []any{[]byte("$2a$10$hash"), "", 3}})
	got := DryRunStatements(log.Statements())[0].Args
	if want := []string{`"(redacted)"`, `""`, "3"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("args = %v, want %v", got, want)
	}
}
