package main

import "runtime/debug"

// The garbage collector's settings for serve, where the operator has not
// chosen them (GOGC, GOMEMLIMIT in the environment win).
//
// retroscim's live heap is about a megabyte: the configuration, the route
// table, the metrics and a few caches; a request allocates a few
// kilobytes and keeps none of them. With Go's defaults (GOGC=100, a heap
// goal of at least 4 MiB) the collector runs every few hundred requests.
// GOGC=200 makes the smallest heap goal 8 MiB: half the collections, for
// about 4 MiB more memory (GET /Users/{id}, callgrind with GOMAXPROCS=1:
// 184.5k instructions with the default, 174.4k with 200, 172k with 400,
// which costs 12 MiB instead).
// The soft limit keeps a large heap (a burst of 1,000-user pages on many
// connections) from growing to three times its live size: near the limit
// the collector runs as often as it needs to, whatever GOGC says.
const (
	serveGCPercent   = 200
	serveMemoryLimit = 256 << 20
)

// tuneGC applies the serve settings that getenv leaves unset and returns
// those it applied, as log attributes.
func tuneGC(getenv func(string) string) []any {
	var set []any
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
		set = append(set, "GOGC", serveGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
		set = append(set, "GOMEMLIMIT", "256MiB")
	}
	return set
}
