package main

import (
	"runtime/debug"
	"slices"
	"testing"
)

func TestTuneGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })
	tests := []struct {
		name        string
		env         map[string]string
		wantSet     []any
		wantPercent int
		wantLimit   int64
	}{
		{"neither set", nil, []any{"GOGC", serveGCPercent, "GOMEMLIMIT", "256MiB"}, serveGCPercent, serveMemoryLimit},
		{"GOGC set", map[string]string{"GOGC": "150"}, []any{"GOMEMLIMIT", "256MiB"}, 150, serveMemoryLimit},
		{"both set", map[string]string{"GOGC": "150", "GOMEMLIMIT": "1GiB"}, nil, 150, 1 << 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// What the runtime read from the environment at start.
			debug.SetGCPercent(150)
			debug.SetMemoryLimit(1 << 30)
			got := tuneGC(func(k string) string { return tt.env[k] })
			if !slices.Equal(got, tt.wantSet) {
				t.Errorf("tuneGC set %v, want %v", got, tt.wantSet)
			}
			if p := debug.SetGCPercent(150); p != tt.wantPercent {
				t.Errorf("GC percent %d, want %d", p, tt.wantPercent)
			}
			if l := debug.SetMemoryLimit(-1); l != tt.wantLimit {
				t.Errorf("memory limit %d, want %d", l, tt.wantLimit)
			}
		})
	}
}
