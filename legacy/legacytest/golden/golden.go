// Package golden compares test output with golden files and rewrites them
// when the tests run with -update. It imports nothing of retroscim, so the
// tests of every package can use it, mapping's included.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update is the one -update flag of every test binary that imports this
// package; a test package must not define its own.
var update = flag.Bool("update", false, "rewrite golden files with what the tests got")

// Updating reports whether the tests run with -update, for a test that
// rewrites a file of its own kind (such as a block of the README).
func Updating() bool { return *update }

// Compare fails t when got differs from the file at path, showing the
// difference. With -update it writes got to path instead, creating the
// directory, and passes.
func Compare(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}
