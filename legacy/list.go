package legacy

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// OrderKey is one ORDER BY key: a SQL expression over the table's columns.
// The last key of a list must be unique (the primary key) so that the order
// is total.
//
// A Nullable key sorts the rows where it is NULL last in ascending order and
// first in descending order, as RFC 7644 §3.4.2.3 wants rows without a
// value sorted, whatever the server's own NULL ordering (MySQL and MariaDB
// put NULL first in ascending order): the ORDER BY gets an `Expr IS NULL`
// term before the key. A key that cannot be NULL gets no such term, so an
// index on it still gives the order.
type OrderKey struct {
	Expr     string
	Desc     bool
	Nullable bool
}

// ListQuery is one page of a filtered, ordered list.
type ListQuery struct {
	Table string
	// Columns are SQL expressions, quoted by the caller.
	Columns []string
	// ColumnArgs fill the placeholders of Columns (a subquery's scope).
	ColumnArgs []any
	// Where is a SQL predicate with ? placeholders for Args.
	Where string
	Args  []any
	Order []OrderKey
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
// it (rows another replica or the application added).
func (s *Store) List(ctx context.Context, q ListQuery) (Page, error) {
	if len(q.Order) == 0 {
		return Page{}, fmt.Errorf("list %s: no order keys", q.Table)
	}
	countKey := q.countKey()
	// Read before any statement: a write from now on makes what this
	// request counts stale.
	gen := s.countGens.of(q.Partition)
	total, haveTotal := s.cachedCount(countKey, gen)
	s.obs.Cache("count", haveTotal)
	counted := false
	recount := func() error {
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
	switch seen := q.Offset + len(rows); {
	case !more && (len(rows) > 0 || q.Offset == 0):
		// The list ends on this page: the total is known exactly.
		total = seen
		s.counts.Add(countKey, countEntry{n: total, gen: gen})
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
	return Page{Rows: rows, Total: total}, nil
}

// countKey identifies the list's total in the count cache.
func (q ListQuery) countKey() string {
	return cacheKey(q.Partition+"\x00"+q.Table, q.Where, q.Args, nil)
}

// countEntry is a cached total and the generation of its partition it
// was counted in.
type countEntry struct {
	n   int
	gen uint64
}

// cachedCount returns the cached total for key if no write to its
// partition has been seen since it was counted.
func (s *Store) cachedCount(key string, gen uint64) (int, bool) {
	e, ok := s.counts.Get(key)
	if !ok || e.gen != gen {
		return 0, false
	}
	return e.n, true
}

func (s *Store) count(ctx context.Context, q ListQuery, key string, gen uint64) (int, error) {
	var n int
	stmt := "SELECT COUNT(*) FROM " + quoteIdent(q.Table) + " WHERE " + q.Where
	err := s.do(ctx, "count", true, func(ctx context.Context) error {
		return s.wrap(ctx, s.db.QueryRowxContext(ctx, stmt, q.Args...).Scan(&n))
	})
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", q.Table, err)
	}
	s.counts.Add(key, countEntry{n: n, gen: gen})
	return n, nil
}

// ForgetCounts makes the cached totals of a partition (a tenant; "" when
// the data has none) stale: the next page that needs one counts again.
// Call it after every write to the partition, committed or not.
func (s *Store) ForgetCounts(partition string) { s.countGens.bump(partition) }

// generations numbers the writes seen per partition. Each bump takes a
// value never used before, so a partition pushed out of the LRU and
// bumped again cannot come back to a value a cached count holds; and a
// partition pushed out reads as 0, which makes its counts stale too,
// unless they were counted before its first write: so pushing one out
// forgets every count.
type generations struct {
	last atomic.Uint64
	gens *lru.Cache[string, uint64]
}

// maxPartitions bounds the partitions whose writes are numbered.
const maxPartitions = 1 << 16

func newGenerations(onEvict func()) *generations {
	g := &generations{}
	g.gens, _ = lru.NewWithEvict[string, uint64](maxPartitions, func(string, uint64) { onEvict() })
	return g
}

func (g *generations) of(partition string) uint64 {
	n, _ := g.gens.Get(partition)
	return n
}

func (g *generations) bump(partition string) { g.gens.Add(partition, g.last.Add(1)) }

// page reads the rows of one page, continuing from the nearest remembered
// position at or before q.Offset; more says whether rows follow it.
func (s *Store) page(ctx context.Context, q ListQuery) ([][]any, bool, error) {
	// The cursor cache is only consulted for later pages and only fed by
	// full pages: a lookup that fits on one page never touches it.
	var key string
	var set *cursorSet
	var from cursor
	if q.Offset > 0 {
		key = cacheKey(q.Table, q.Where, q.Args, q.Order)
		if set, _ = s.cursors.Get(key); set != nil {
			from = set.nearest(q.Offset)
		}
		s.obs.Cache("cursor", from.key != nil)
	}

	var b strings.Builder
	args := make([]any, 0, len(q.ColumnArgs)+len(q.Args)+2*len(q.Order)+2)
	args = append(args, q.ColumnArgs...)
	b.WriteString("SELECT ")
	b.WriteString(strings.Join(q.Columns, ", "))
	for _, k := range q.Order {
		b.WriteString(", ")
		b.WriteString(k.Expr)
	}
	b.WriteString(" FROM ")
	b.WriteString(quoteIdent(q.Table))
	b.WriteString(" WHERE (")
	b.WriteString(q.Where)
	b.WriteString(")")
	args = append(args, q.Args...)
	if from.key != nil {
		sql, kargs := keysetAfter(q.Order, from.key)
		b.WriteString(" AND ")
		b.WriteString(sql)
		args = append(args, kargs...)
	}
	b.WriteString(" ORDER BY ")
	b.WriteString(orderBy(q.Order))
	// One row more than the page: whether it comes says if the list goes on.
	b.WriteString(" LIMIT ?")
	args = append(args, q.Limit+1)
	if skip := q.Offset - from.pos; skip > 0 {
		b.WriteString(" OFFSET ?")
		args = append(args, skip)
	}

	width := len(q.Columns) + len(q.Order)
	var rows [][]any
	err := s.do(ctx, "list", true, func(ctx context.Context) (err error) {
		rows, err = s.query(ctx, b.String(), args, width)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("list %s: %w", q.Table, err)
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
			key = cacheKey(q.Table, q.Where, q.Args, q.Order)
		}
		if set == nil {
			set = &cursorSet{}
			s.cursors.Add(key, set)
		}
		last := rows[len(rows)-1][len(q.Columns):]
		set.remember(cursor{pos: q.Offset + len(rows), key: keyValues(last)})
	}
	for i := range rows {
		rows[i] = rows[i][:len(q.Columns)]
	}
	return rows, more, nil
}

// orderBy renders the ORDER BY list of the keys. A nullable key is preceded
// by `Expr IS NULL` in the key's direction: 0 (a value) before 1 (NULL) in
// ascending order, 1 before 0 in descending order. (Neither MySQL nor
// MariaDB has the standard NULLS FIRST / NULLS LAST.)
func orderBy(order []OrderKey) string {
	var b strings.Builder
	for i, k := range order {
		if i > 0 {
			b.WriteString(", ")
		}
		dir := ""
		if k.Desc {
			dir = " DESC"
		}
		if k.Nullable {
			b.WriteString(k.Expr + " IS NULL" + dir + ", ")
		}
		b.WriteString(k.Expr + dir)
	}
	return b.String()
}

// keysetAfter builds the predicate "the row sorts after key" for the order
// keys. When every key has one direction and none is nullable, it is a row
// comparison, (a, b) > (?, ?), which MySQL and MariaDB turn into an index
// range scan; otherwise it is spelled out, with NULLs sorting last in
// ascending order and first in descending order, as orderBy sorts them.
func keysetAfter(order []OrderKey, key []any) (string, []any) {
	simple := true
	for _, k := range order {
		if k.Nullable || k.Desc != order[0].Desc {
			simple = false
		}
	}
	for _, v := range key {
		if v == nil {
			simple = false
		}
	}
	if simple {
		op := " > "
		if order[0].Desc {
			op = " < "
		}
		if len(order) == 1 {
			return order[0].Expr + op + "?", []any{key[0]}
		}
		exprs := make([]string, len(order))
		for i, k := range order {
			exprs[i] = k.Expr
		}
		return "(" + strings.Join(exprs, ", ") + ")" + op + "(" + strings.TrimSuffix(strings.Repeat("?, ", len(order)), ", ") + ")", append([]any(nil), key...)
	}
	var ors []string
	var args []any
	for i := range order {
		var ands []string
		for j := 0; j < i; j++ {
			if key[j] == nil {
				ands = append(ands, order[j].Expr+" IS NULL")
			} else {
				ands = append(ands, order[j].Expr+" = ?")
				args = append(args, key[j])
			}
		}
		after, aargs, possible := afterOne(order[i], key[i])
		if !possible {
			continue
		}
		ands = append(ands, after)
		args = append(args, aargs...)
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	if len(ors) == 0 {
		return "FALSE", nil
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// afterOne is "k sorts strictly after v" for one key, NULL sorting after
// every value in ascending order and before every value in descending
// order; possible is false when nothing can (v is NULL, ascending).
func afterOne(k OrderKey, v any) (sql string, args []any, possible bool) {
	switch {
	case v == nil && !k.Desc:
		return "", nil, false
	case v == nil:
		return k.Expr + " IS NOT NULL", nil, true
	case k.Desc:
		return k.Expr + " < ?", []any{v}, true
	case k.Nullable:
		return "(" + k.Expr + " > ? OR " + k.Expr + " IS NULL)", []any{v}, true
	default:
		return k.Expr + " > ?", []any{v}, true
	}
}

// keyValues copies sort-key values for reuse as arguments. []byte becomes
// string: the driver would send []byte as a _binary literal, and a binary
// comparison would not follow the column collation ORDER BY used.
func keyValues(vals []any) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		out[i] = v
	}
	return out
}

// cacheKey identifies a query by a digest of its parts, so that long
// filters do not pin memory in the caches.
func cacheKey(table, where string, args []any, order []OrderKey) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", table, where)
	for _, a := range args {
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
