package legacy

import (
	"context"
	"fmt"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// Lookup runs q, a statement that selects one key by a value in another
// table (a role's id by its name), and returns the key, or ErrNotFound.
// Found keys are cached for Options.LookupTTL in a bounded LRU keyed by
// the statement and its arguments; misses are not cached, so a role
// created a moment ago is found at once.
func (s *Store) Lookup(ctx context.Context, q sqlstmt.Select) (any, error) {
	q.Limit = 2
	stmt, args := q.SQL()
	cacheKey := stmt + "\x00" + fmt.Sprintf("%T:%v", args, args)
	k, ok := s.lookups.Get(cacheKey)
	s.obs.Cache("lookup", ok)
	if ok {
		return k, nil
	}
	rows, err := s.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("look up in %s: %w", q.From, err)
	}
	switch len(rows) {
	case 0:
		return nil, fmt.Errorf("look up in %s: %w", q.From, ErrNotFound)
	case 1:
	default:
		return nil, fmt.Errorf("look up in %s: %d rows match; the lookup needs a unique column", q.From, len(rows))
	}
	key := rows[0][0]
	if b, ok := key.([]byte); ok {
		key = string(b)
	}
	s.lookups.Add(cacheKey, key)
	return key, nil
}

// Values runs q, a statement that selects one column, and returns its
// values as text, for error messages that tell a client which values
// exist.
func (s *Store) Values(ctx context.Context, q sqlstmt.Select) ([]string, error) {
	rows, err := s.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list values of %s: %w", q.From, err)
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s", r[0])))
	}
	return out, nil
}
