package legacy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

const itemsSchema = `
CREATE TABLE items (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  name VARCHAR(50) NULL,
  code VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  kind ENUM('a','b') NOT NULL DEFAULT 'a',
  made DATETIME NULL,
  KEY (name, id)
);`

func openStore(t *testing.T, scripts ...string) (*Store, string) {
	t.Helper()
	dsn := legacytest.NewDatabase(t, scripts...)
	s, err := Open(context.Background(), dsn, Options{CountTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dsn
}

// fillItems inserts n rows; names repeat with different case and some are
// NULL, so that sorting by name has ties and NULLs.
func fillItems(t *testing.T, dsn string, n int) {
	var vals []string
	for i := 1; i <= n; i++ {
		name := "NULL"
		switch i % 4 {
		case 1:
			name = fmt.Sprintf("'name%02d'", i%13)
		case 2:
			name = fmt.Sprintf("'NAME%02d'", i%13)
		case 3:
			name = fmt.Sprintf("'Name%02d'", i%7)
		}
		vals = append(vals, fmt.Sprintf("(%d, %s, 'c%d', '%s', '2024-01-%02d 10:00:00')", i, name, i, []string{"a", "b"}[i%2], 1+i%28))
	}
	legacytest.MustExec(t, dsn, "INSERT INTO items (id, name, code, kind, made) VALUES "+strings.Join(vals, ","))
}

func TestOpenErrorsHidePassword(t *testing.T) {
	_, err := Open(context.Background(), "root:s3cret-pw@tcp(127.0.0.1:1)/nope?timeout=1s", Options{QueryTimeout: 2 * time.Second})
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	if strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("error leaks the password: %v", err)
	}
	_, err = Open(context.Background(), "root:s3cret-pw@tcp(127.0.0.1:3306/bad", Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("bad DSN error = %v", err)
	}
}

func TestColumns(t *testing.T) {
	s, _ := openStore(t, itemsSchema)
	cols, err := s.Columns(context.Background(), "items")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Column{}
	for _, c := range cols {
		got[c.Name] = c
	}
	if c := got["code"]; c.Collation.String != "utf8mb4_bin" || c.IsNullable != "NO" || c.MaxChars.Int64 != 20 {
		t.Errorf("code = %+v", c)
	}
	if c := got["name"]; c.Collation.String != "utf8mb4_general_ci" || c.IsNullable != "YES" {
		t.Errorf("name = %+v", c)
	}
	if c := got["id"]; c.DataType != "int" || c.Collation.Valid {
		t.Errorf("id = %+v", c)
	}
	if _, err := s.Columns(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Columns(nope) error = %v, want ErrNotFound", err)
	}
}

func TestGet(t *testing.T) {
	s, dsn := openStore(t, itemsSchema)
	fillItems(t, dsn, 3)
	row, err := s.Get(context.Background(), sqlstmt.Select{From: "`items`", Columns: []string{"`id`", "`name`", "`made`"}, Where: sqlstmt.Cond("`id` = ?", 2)})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(row[0]) != "2" && string(asBytes(row[0])) != "2" {
		t.Errorf("id = %v", row[0])
	}
	if string(asBytes(row[1])) != "NAME02" {
		t.Errorf("name = %q", row[1])
	}
	if tm, ok := row[2].(time.Time); !ok || !tm.Equal(time.Date(2024, 1, 3, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("made = %#v, want 2024-01-03 10:00 UTC as time.Time", row[2])
	}
	_, err = s.Get(context.Background(), sqlstmt.Select{From: "`items`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`id` = ?", 99)})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(99) error = %v, want ErrNotFound", err)
	}
}

func asBytes(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return []byte(fmt.Sprint(v))
}

// ids extracts the first column of each row as text.
func ids(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = string(asBytes(r[0]))
	}
	return out
}

// TestListMatchesOffset pages through a table with every kind of order and
// compares each page with what LIMIT/OFFSET returns for the same query.
func TestListMatchesOffset(t *testing.T) {
	s, dsn := openStore(t, itemsSchema)
	fillItems(t, dsn, 250)
	orders := map[string][]sqlstmt.OrderKey{
		"id":            {{Expr: "`id`"}},
		"id desc":       {{Expr: "`id`", Desc: true}},
		"name nullable": {{Expr: "`name`", Nullable: true}, {Expr: "`id`"}},
		"name desc":     {{Expr: "`name`", Desc: true, Nullable: true}, {Expr: "`id`", Desc: true}},
		"lower(name)":   {{Expr: "LOWER(`name`)", Nullable: true}, {Expr: "`id`"}},
		"code binary":   {{Expr: "`code`"}, {Expr: "`id`"}},
		"kind, id":      {{Expr: "`kind`"}, {Expr: "`id`"}},
		"made desc, id": {{Expr: "`made`", Desc: true, Nullable: true}, {Expr: "`id`", Desc: true}},
		"mixed kind/id": {{Expr: "`kind`", Desc: true}, {Expr: "`id`"}},
	}
	ctx := context.Background()
	for name, order := range orders {
		t.Run(name, func(t *testing.T) {
			where, args := "`id` <> ?", []any{7}
			var orderSQL []string
			for _, k := range order {
				dir := ""
				if k.Desc {
					dir = " DESC"
				}
				if k.Nullable {
					orderSQL = append(orderSQL, "ISNULL("+k.Expr+")"+dir)
				}
				orderSQL = append(orderSQL, k.Expr+dir)
			}
			for _, pageSize := range []int{1, 7, 100} {
				for offset := 0; offset < 260; offset += pageSize {
					page, err := s.List(ctx, ListQuery{Select: sqlstmt.Select{From: "`items`", Columns: []string{"`id`", "`name`"}, Where: sqlstmt.Cond(where, args...), Order: order}, Offset: offset, Limit: pageSize})
					if err != nil {
						t.Fatal(err)
					}
					want, err := s.query(ctx, fmt.Sprintf("SELECT id FROM items WHERE %s ORDER BY %s LIMIT %d OFFSET %d", where, strings.Join(orderSQL, ", "), pageSize, offset), args, 1)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(ids(want), ids(page.Rows)); diff != "" {
						t.Fatalf("page size %d offset %d mismatch (-offset +keyset):\n%s", pageSize, offset, diff)
					}
					if page.Total != 249 {
						t.Fatalf("page size %d offset %d: total %d, want 249", pageSize, offset, page.Total)
					}
				}
			}
		})
	}
}

// TestListContinuesFromCursor shows the next page comes from the
// remembered position, not from OFFSET: a row deleted before the position
// does not shift the next page.
func TestListContinuesFromCursor(t *testing.T) {
	s, dsn := openStore(t, itemsSchema)
	fillItems(t, dsn, 30)
	ctx := context.Background()
	q := ListQuery{Select: sqlstmt.Select{From: "`items`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("TRUE"), Order: []sqlstmt.OrderKey{{Expr: "`id`"}}}, Limit: 10}
	if _, err := s.List(ctx, q); err != nil {
		t.Fatal(err)
	}
	legacytest.MustExec(t, dsn, "DELETE FROM items WHERE id = 5")
	q.Offset = 10
	page, err := s.List(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(page.Rows); got[0] != "11" || got[9] != "20" {
		t.Errorf("second page = %v, want 11..20 (continuing after id 10)", got)
	}
	// A page with no remembered position before it still works (OFFSET).
	q.Offset = 25
	page, err = s.List(ctx, ListQuery{Select: sqlstmt.Select{From: "`items`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`id` > ?", 0), Order: []sqlstmt.OrderKey{{Expr: "`id`"}}}, Offset: 25, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(page.Rows); len(got) != 4 || got[0] != "27" {
		t.Errorf("page at offset 25 = %v, want 27..30", got)
	}
}

func TestListTotals(t *testing.T) {
	s, dsn := openStore(t, itemsSchema)
	fillItems(t, dsn, 30)
	ctx := context.Background()
	q := ListQuery{Select: sqlstmt.Select{From: "`items`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`kind` = ?", "a"), Order: []sqlstmt.OrderKey{{Expr: "`id`"}}}, Limit: 5}
	page, err := s.List(ctx, q)
	if err != nil || page.Total != 15 {
		t.Fatalf("List = %d rows, total %d, %v; want total 15", len(page.Rows), page.Total, err)
	}
	// The count is cached: a new row does not change the total of a full page...
	legacytest.MustExec(t, dsn, "INSERT INTO items (id, name, kind) VALUES (100, 'x', 'a')")
	if page, _ = s.List(ctx, q); page.Total != 15 {
		t.Errorf("total after insert = %d, want the cached 15", page.Total)
	}
	// ...but a short page knows the exact total.
	q.Offset, q.Limit = 10, 10
	if page, _ = s.List(ctx, q); page.Total != 16 || len(page.Rows) != 6 {
		t.Errorf("last page: %d rows, total %d; want 6 rows, total 16", len(page.Rows), page.Total)
	}
	// Limit 0 asks for the total alone; an offset past the end returns no rows.
	if page, _ = s.List(ctx, ListQuery{Select: sqlstmt.Select{From: "`items`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("TRUE"), Order: q.Select.Order}}); page.Total != 31 || page.Rows != nil {
		t.Errorf("count only = %+v", page)
	}
	if page, _ = s.List(ctx, ListQuery{Select: sqlstmt.Select{From: "`items`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("TRUE"), Order: q.Select.Order}, Offset: 1 << 40, Limit: 10}); page.Total != 31 || len(page.Rows) != 0 {
		t.Errorf("past the end = %+v", page)
	}
	// A filter matching nothing is one query with an exact total of 0.
	if page, _ = s.List(ctx, ListQuery{Select: sqlstmt.Select{From: "`items`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("`name` = ?", "none"), Order: q.Select.Order}, Limit: 10}); page.Total != 0 {
		t.Errorf("no match total = %d", page.Total)
	}
}

func TestQueryTimeout(t *testing.T) {
	dsn := legacytest.NewDatabase(t, itemsSchema)
	s, err := Open(context.Background(), dsn, Options{QueryTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fillItems(t, dsn, 1)
	_, err = s.Get(context.Background(), sqlstmt.Select{From: "`items`", Columns: []string{"`id`"}, Where: sqlstmt.Cond("SLEEP(?) = 0", 3)})
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("slow query error = %v, want ErrTimeout", err)
	}
	// The pool is still usable afterwards.
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping after timeout: %v", err)
	}
	// And the server is no longer running the statement.
	var running int
	if err := s.DB().Get(&running, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT `id` FROM `items` WHERE SLEEP%'"); err != nil {
		t.Fatal(err)
	}
	if running != 0 {
		t.Errorf("%d timed-out statements still running on the server", running)
	}
}
