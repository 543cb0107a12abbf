package adapter

import "testing"

// BenchmarkSetup builds the bench database (or finds it already built) and
// measures nothing. make bench-http runs it before cmd/benchhttp, which
// drives retroscim from outside against the same data:
//
//	go test -run '^$' -bench '^BenchmarkSetup$' -benchtime 1x ./adapter/
func BenchmarkSetup(b *testing.B) {
	b.Log(benchDatabase(b))
	for range b.N {
	}
}
