package legacy

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// ListQuery is one page of a filtered, ordered list: the statement that
// selects the whole list (its columns, table, predicate and order keys;
// Limit and Offset unset) and the page wanted.
type ListQuery struct {
	Select sqlstmt.Select
	// Offset is the 0-based index of the first row wanted; Limit the page
	// size. Limit 0 asks for the total only.
	Offset int
	Limit  int
	// Partition names the part of the data the list reads (the tenant):
	// ForgetCounts(Partition) makes its cached totals be counted again.
	Partition string
}

// Page is the rows of one page and the number of rows the whole list has.
type Page struct {
	Rows  [][]any
	Total int
}

// List returns one page of rows and the list's total.
//
// Deep pages do not cost O(offset). After each page the sort key of its
// last row is remembered (in a bounded LRU keyed by the query and the
// position), and the next page continues from it with a keyset predicate:
// WHERE ... AND (key) > (last key) ORDER BY key LIMIT n. A client paging
// sequentially, as Okta's import does with startIndex=1, 101, 201, ...,
// therefore reads each page through the index at the cost of the first.
// A page that does not start at a remembered position continues from the
// nearest earlier one and skips the difference with OFFSET; only a jump
// with nothing remembered before it pays a full OFFSET.
//
// Keyset positions stay correct when rows are inserted or deleted between
// pages (no row is returned twice or skipped because of a shift), at the
// price that startIndex then counts from the rows as they were.
//
// The total is not counted on every page. Each page reads one row more
// than it returns, so a page that ends the list gives the exact total for
// free (the common case for the `userName eq` lookups Okta makes before
// every push, and for the last page of an import); otherwise COUNT(*) for
// the same predicate is cached for Options.CountTTL. A total is never
// lower than what the client can page to: a cached count is forgotten when
// this process writes to its partition (ForgetCounts), and counted again
// when a page reaches or passes it while rows follow, or starts at or past
// it (rows another replica or the application added). A count older than
// CountTTL is refreshed in the background while the page is served with
// it (see recountAside): an import never waits for a full COUNT(*) in the
// middle.
func (s *Store) List(ctx context.Context, q ListQuery) (Page, error) {
	if len(q.Select.Order) == 0 {
		return Page{}, fmt.Errorf("list %s: no order keys", q.Select.From)
	}
	// Read before any statement: a write from now on makes what this
	// request counts stale.
	gen := s.countGens.of(q.Partition)
	// The cached total is looked up only when it can matter: not for a
	// first page that ends the list (every `userName eq` lookup), which
	// would otherwise hash the query and churn the count cache for a
	// total it knows anyway (about 3% of a lookup's CPU under load).
	var countKey string
	var total int
	var haveTotal, due bool
	cached := func() {
		if countKey == "" {
			countKey = q.countKey()
			total, haveTotal, due = s.cachedCount(countKey, gen)
			s.obs.Cache("count", haveTotal)
			s.keepWarm(countKey, q)
		}
	}
	if q.Offset > 0 || q.Limit <= 0 {
		cached()
	}
	counted := false
	recount := func() error {
		cached()
		n, err := s.count(ctx, q, countKey, gen)
		if err != nil {
			return err
		}
		total, haveTotal, counted = n, true, true
		return nil
	}
	if q.Limit <= 0 {
		if err := recount(); err != nil {
			return Page{}, err
		}
		return Page{Total: total}, nil
	}
	// A page at or past the total may find rows added since it was
	// counted; counting first also spares a page past the real end its
	// OFFSET scan.
	if q.Offset > 0 && (!haveTotal || q.Offset >= total) {
		if err := recount(); err != nil {
			return Page{}, err
		}
		if q.Offset >= total {
			return Page{Total: total}, nil
		}
	}
	rows, more, err := s.page(ctx, q)
	if err != nil {
		return Page{}, err
	}
	if more {
		cached()
	}
	switch seen := q.Offset + len(rows); {
	case !more && (len(rows) > 0 || q.Offset == 0):
		// The list ends on this page: the total is known exactly. A
		// first page that ends the list knows it again next time.
		total = seen
		if q.Offset > 0 {
			s.rememberCount(countKey, total, gen)
		}
	case !more:
		// No rows where the count said there were: rows went away.
		if !counted {
			if err := recount(); err != nil {
				return Page{}, err
			}
		}
	case !haveTotal || total <= seen:
		// Rows follow this page but the total says the list ends here:
		// rows were added since it was counted.
		if !counted {
			if err := recount(); err != nil {
				return Page{}, err
			}
		}
		total = max(total, seen+1)
	}
	if due && !counted {
		s.recountAside(ctx, q, countKey, gen)
	}
	return Page{Rows: rows, Total: total}, nil
}

// page reads the rows of one page, continuing from the nearest remembered
// position at or before q.Offset; more says whether rows follow it.
func (s *Store) page(ctx context.Context, q ListQuery) ([][]any, bool, error) {
	// The cursor cache is only consulted for later pages and only fed by
	// full pages: a lookup that fits on one page never touches it.
	var key string
	var set *cursorSet
	var from cursor
	list := q.Select
	if q.Offset > 0 {
		key = cacheKey(list.From, list.Where, list.Order)
		if set, _ = s.cursors.Get(key); set != nil {
			from = set.nearest(q.Offset)
		}
		s.obs.Cache("cursor", from.key != nil)
	}

	// The page reads the sort keys (to remember where it ended): from the
	// columns when it selects them already (the id of every list), after
	// them when not. It continues after the remembered key, and reads one
	// row more than the page: whether it comes says if the list goes on.
	sel := list
	keyAt := make([]int, len(list.Order))
	sel.Columns = list.Columns
	for i, k := range list.Order {
		keyAt[i] = slices.Index(list.Columns, k.Expr)
		if keyAt[i] < 0 {
			if len(sel.Columns) == len(list.Columns) {
				sel.Columns = slices.Clip(list.Columns)
			}
			keyAt[i] = len(sel.Columns)
			sel.Columns = append(sel.Columns, k.Expr)
		}
	}
	if from.key != nil {
		sel.Where = sqlstmt.And(list.Where, sqlstmt.After(list.Order, from.key))
	}
	sel.Limit, sel.Offset = q.Limit+1, q.Offset-from.pos

	var rows [][]any
	read := func() error {
		stmt, args := sel.SQL()
		return s.do(ctx, "list", true, func(ctx context.Context) (err error) {
			rows, err = s.query(ctx, stmt, args, len(sel.Columns))
			return err
		})
	}
	err := read()
	if sel.Index != "" && indexGone(err) {
		// The index the walk was bound to went away (dropped or renamed
		// since startup): the page is read without the hint, slower but
		// right, until a reload binds the schema again.
		sel.Index = ""
		err = read()
	}
	if err != nil {
		return nil, false, fmt.Errorf("list %s: %w", list.From, err)
	}
	if len(rows) == 0 {
		return nil, false, nil
	}
	more := len(rows) > q.Limit
	if more {
		rows = rows[:q.Limit]
	}
	if len(rows) == q.Limit {
		if key == "" {
			key = cacheKey(list.From, list.Where, list.Order)
		}
		if set == nil {
			set = &cursorSet{}
			s.cursors.Add(key, set)
		}
		set.remember(cursor{pos: q.Offset + len(rows), key: keyValues(rows[len(rows)-1], keyAt)})
	}
	if len(sel.Columns) > len(list.Columns) {
		for i := range rows {
			rows[i] = rows[i][:len(list.Columns)]
		}
	}
	return rows, more, nil
}

// keyValues copies the sort-key values of row (at the columns keyAt) for
// reuse as arguments. []byte becomes string: the driver would send []byte
// as a _binary literal, and a binary comparison would not follow the
// column collation ORDER BY used.
func keyValues(row []any, keyAt []int) []any {
	out := make([]any, len(keyAt))
	for i, at := range keyAt {
		v := row[at]
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		out[i] = v
	}
	return out
}

// cacheKey identifies a query by a digest of its parts, so that long
// filters do not pin memory in the caches.
func cacheKey(from string, where sqlstmt.Pred, order []sqlstmt.OrderKey) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", from, where.SQL())
	for _, a := range where.Args() {
		if t, ok := a.(time.Time); ok {
			a = t.UTC().Format(time.RFC3339Nano)
		}
		fmt.Fprintf(h, "%T:%v\x00", a, a)
	}
	for _, k := range order {
		fmt.Fprintf(h, "%s %v\x00", k.Expr, k.Desc)
	}
	return string(h.Sum(nil))
}

// cursor is a remembered position: key is the sort key of the row at
// 1-based position pos, so the page that starts at 0-based offset pos
// continues after it.
type cursor struct {
	pos int
	key []any
}

// cursorSet holds the most recent positions of one list query.
type cursorSet struct {
	mu   sync.Mutex
	list []cursor // in insertion order, at most maxCursors
}

const maxCursors = 32

func (s *cursorSet) nearest(offset int) cursor {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best cursor
	for _, c := range s.list {
		if c.pos <= offset && c.pos > best.pos {
			best = c
		}
	}
	return best
}

func (s *cursorSet) remember(c cursor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.list {
		if s.list[i].pos == c.pos {
			s.list[i] = c
			return
		}
	}
	if len(s.list) == maxCursors {
		s.list = append(s.list[:0], s.list[1:]...)
	}
	s.list = append(s.list, c)
}

// indexGone reports whether err is the server's "Key ... doesn't exist in
// table" (ER_KEY_DOES_NOT_EXITS, 1176), the answer to an index hint that
// names no index of the table.
func indexGone(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1176
}
