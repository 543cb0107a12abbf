package legacy

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// scoresSchema has a nullable number and a nullable case-exact string, with
// ties and NULLs spread over the ids so that pages cross from values to
// NULLs (and back, descending) in the middle of a tie.
const scoresSchema = `
CREATE TABLE scores (
  id    INT UNSIGNED NOT NULL PRIMARY KEY,
  score INT NULL,
  label VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  KEY (score, id)
);
INSERT INTO scores (id, score, label) VALUES
  (1, 20, 'b'), (2, NULL, NULL), (3, 10, 'a'), (4, 20, ''), (5, NULL, 'c'),
  (6, 30, NULL), (7, 10, 'a'), (8, NULL, 'b'), (9, 20, NULL), (10, 30, ''),
  (11, NULL, NULL), (12, 10, 'c'), (13, 5, 'a');`

// cursorHits counts the pages that continued from a remembered position.
type cursorHits struct {
	mu         sync.Mutex
	hit, total int
}

func (c *cursorHits) Query(string, time.Duration, string) {}
func (c *cursorHits) Breaker(string)                      {}
func (c *cursorHits) Cache(cache string, hit bool) {
	if cache != "cursor" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total++
	if hit {
		c.hit++
	}
}

// TestListSortsRowsWithoutValue walks every page of a list sorted by a
// nullable column, 1, 2 and 3 rows at a time, in both directions: rows
// whose key is NULL come last ascending and first descending (RFC 7644
// §3.4.2.3), and the keyset continuation from each page's last row loses
// and repeats nothing across ties and the NULL boundary. The expected order
// is computed here, in Go, not by the database. An empty string is a value:
// it sorts before "a".
func TestListSortsRowsWithoutValue(t *testing.T) {
	obs := &cursorHits{}
	dsn := legacytest.NewDatabase(t, scoresSchema)
	s, err := Open(context.Background(), dsn, Options{Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	all, err := s.query(ctx, "SELECT id, score, label FROM scores", nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id    int
		score *int
		label *string
	}
	var rows []row
	for _, r := range all {
		var x row
		x.id, _ = strconv.Atoi(string(asBytes(r[0])))
		if r[1] != nil {
			n, _ := strconv.Atoi(string(asBytes(r[1])))
			x.score = &n
		}
		if r[2] != nil {
			l := string(asBytes(r[2]))
			x.label = &l
		}
		rows = append(rows, x)
	}
	// nullsLast compares two optional values, NULL after every value.
	nullsLast := func(a, b *string) int {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return 1
		case b == nil:
			return -1
		}
		return cmp.Compare(*a, *b)
	}
	str := func(n *int) *string {
		if n == nil {
			return nil
		}
		s := fmt.Sprintf("%08d", *n)
		return &s
	}
	tests := []struct {
		name  string
		order []sqlstmt.OrderKey
		key   func(row) *string
		want  string // the first ids, to read the rule at a glance
	}{
		{"score ascending", []sqlstmt.OrderKey{{Expr: "`score`", Nullable: true}, {Expr: "`id`"}}, func(r row) *string { return str(r.score) }, "13 3 7 12 1 4 9 6 10 2 5 8 11"},
		{"score descending", []sqlstmt.OrderKey{{Expr: "`score`", Desc: true, Nullable: true}, {Expr: "`id`", Desc: true}}, func(r row) *string { return str(r.score) }, "11 8 5 2 10 6 9 4 1 12 7 3 13"},
		{"label ascending", []sqlstmt.OrderKey{{Expr: "`label`", Nullable: true}, {Expr: "`id`"}}, func(r row) *string { return r.label }, "4 10 3 7 13 1 8 5 12 2 6 9 11"},
		{"label descending", []sqlstmt.OrderKey{{Expr: "`label`", Desc: true, Nullable: true}, {Expr: "`id`", Desc: true}}, func(r row) *string { return r.label }, "11 9 6 2 12 5 8 1 13 7 3 10 4"},
		{"label descending, id ascending", []sqlstmt.OrderKey{{Expr: "`label`", Desc: true, Nullable: true}, {Expr: "`id`"}}, func(r row) *string { return r.label }, "2 6 9 11 5 12 1 8 3 7 13 4 10"},
	}
	for _, tt := range tests {
		want := slices.Clone(rows)
		slices.SortFunc(want, func(a, b row) int {
			c := nullsLast(tt.key(a), tt.key(b))
			if tt.order[0].Desc {
				c = -c
			}
			if c == 0 {
				c = cmp.Compare(a.id, b.id)
				if tt.order[1].Desc {
					c = -c
				}
			}
			return c
		})
		var wantIDs []string
		for _, r := range want {
			wantIDs = append(wantIDs, strconv.Itoa(r.id))
		}
		if got := strings.Join(wantIDs, " "); got != tt.want {
			t.Fatalf("%s: the Go order is %s, the test says %s", tt.name, got, tt.want)
		}
		// The sort keys are read after the columns when the list does not
		// select them, and from the columns when it does.
		for _, columns := range [][]string{{"`id`"}, {"`label`", "`id`", "`score`"}} {
			for limit := 1; limit <= 3; limit++ {
				t.Run(fmt.Sprintf("%s/%d columns/count=%d", tt.name, len(columns), limit), func(t *testing.T) {
					obs.mu.Lock()
					obs.hit, obs.total = 0, 0
					obs.mu.Unlock()
					// A where clause of its own per walk, so no walk reuses
					// another's remembered positions.
					q := ListQuery{Select: sqlstmt.Select{From: "`scores`", Columns: columns, Where: sqlstmt.Cond("`id` <> ?", 1000*len(columns)+limit), Order: tt.order}, Limit: limit}
					at := slices.Index(columns, "`id`")
					var got []string
					for q.Offset = 0; q.Offset < len(rows)+limit; q.Offset += limit {
						page, err := s.List(ctx, q)
						if err != nil {
							t.Fatal(err)
						}
						for _, r := range page.Rows {
							if len(r) != len(columns) {
								t.Fatalf("offset %d: a row of %d values, want the %d columns", q.Offset, len(r), len(columns))
							}
							got = append(got, string(asBytes(r[at])))
						}
						if page.Total != len(rows) {
							t.Fatalf("offset %d: total %d, want %d", q.Offset, page.Total, len(rows))
						}
					}
					if diff := gocmp.Diff(wantIDs, got); diff != "" {
						t.Errorf("pages mismatch (-want +got):\n%s", diff)
					}
					// Every page after the first continued from the previous
					// page's last row, so the keyset predicate is what is tested.
					obs.mu.Lock()
					defer obs.mu.Unlock()
					if pages := (len(rows) + limit - 1) / limit; obs.hit < pages-1 {
						t.Errorf("%d of %d later pages continued from a remembered position, want at least %d", obs.hit, obs.total, pages-1)
					}
				})
			}
		}
	}
}
