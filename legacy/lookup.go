package legacy

import (
	"context"
	"fmt"
	"strings"
)

// Lookup finds a key by a value in another table, as a role's id by its
// name: SELECT Key FROM Table WHERE Match = Value [AND Tenant = TenantValue].
type Lookup struct {
	Table       string
	Key         string
	Match       string
	TenantCol   string
	TenantValue any
	Value       string
}

// Lookup returns the key of the row whose match column equals the value
// (under that column's collation), or ErrNotFound. Found keys are cached
// for Options.LookupTTL in a bounded LRU; misses are not cached, so a role
// created a moment ago is found at once.
func (s *Store) Lookup(ctx context.Context, l Lookup) (any, error) {
	cacheKey := fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%v\x00%s", l.Table, l.Key, l.Match, l.TenantCol, l.TenantValue, l.Value)
	k, ok := s.lookups.Get(cacheKey)
	s.obs.Cache("lookup", ok)
	if ok {
		return k, nil
	}
	where := quoteIdent(l.Match) + " = ?"
	args := []any{l.Value}
	if l.TenantCol != "" {
		where += " AND " + quoteIdent(l.TenantCol) + " = ?"
		args = append(args, l.TenantValue)
	}
	var rows [][]any
	err := s.do(ctx, "lookup", true, func(ctx context.Context) (err error) {
		rows, err = s.query(ctx, "SELECT "+quoteIdent(l.Key)+" FROM "+quoteIdent(l.Table)+" WHERE "+where+" LIMIT 2", args, 1)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("look up %s.%s: %w", l.Table, l.Match, err)
	}
	switch len(rows) {
	case 0:
		return nil, fmt.Errorf("look up %s.%s = %q: %w", l.Table, l.Match, l.Value, ErrNotFound)
	case 1:
	default:
		return nil, fmt.Errorf("look up %s.%s = %q: %d rows match; the lookup needs a unique column", l.Table, l.Match, l.Value, len(rows))
	}
	key := rows[0][0]
	if b, ok := key.([]byte); ok {
		key = string(b)
	}
	s.lookups.Add(cacheKey, key)
	return key, nil
}

// Values lists up to limit values of a column, sorted, for error messages
// that tell a client which values exist.
func (s *Store) Values(ctx context.Context, table, column, tenantCol string, tenant any, limit int) ([]string, error) {
	where, args := "TRUE", []any{}
	if tenantCol != "" {
		where, args = quoteIdent(tenantCol)+" = ?", []any{tenant}
	}
	var rows [][]any
	err := s.do(ctx, "values", true, func(ctx context.Context) (err error) {
		rows, err = s.query(ctx, "SELECT "+quoteIdent(column)+" FROM "+quoteIdent(table)+" WHERE "+where+" ORDER BY 1 LIMIT ?", append(args, limit), 1)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list %s.%s: %w", table, column, err)
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s", r[0])))
	}
	return out, nil
}
