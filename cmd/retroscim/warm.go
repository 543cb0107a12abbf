package main

import (
	"context"
	"log/slog"
	"slices"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// warmCounts counts, at start and one list after the other, the total of
// the unfiltered Users and Groups lists of every tenant a configured token
// serves, and keeps them warm (pagination.count_warm; see legacy/warm.go):
// the first import after a start then finds its total counted instead of
// waiting for a COUNT(*) on its first page. Tokens kept in retroscim's own
// table are not known at start; their tenants' lists are kept warm from
// their first page on. A count that fails is left to the first page.
func warmCounts(ctx context.Context, cfg *mapping.Config, store *legacy.Store, log *slog.Logger) {
	if cfg.Pagination.CountWarm <= 0 {
		return
	}
	var tenants []string
	for _, t := range cfg.Auth.BearerTokens {
		if !slices.Contains(tenants, t.Tenant) {
			tenants = append(tenants, t.Tenant)
		}
	}
	for _, tenant := range tenants {
		for _, r := range []*mapping.Resource{cfg.Users, cfg.Groups} {
			if r == nil {
				continue
			}
			q, err := r.ListQuery(mapping.ListRequest{}, tenant)
			if err != nil {
				continue
			}
			if err := store.Warm(ctx, legacy.ListQuery{Select: q, Partition: tenant}); err != nil {
				log.Warn("counting a list at start failed; its first page counts it", "resource", r.Type, "tenant", tenant, "error", err.Error())
			}
		}
	}
}
