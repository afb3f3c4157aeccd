// Package tracetest finds and reads the shared access traces for tests,
// so that every test that replays them skips and fails the same way.
package tracetest

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stratacache/cache/benchmarks/internal/trace"
)

// Dir returns the directory holding the shared traces: $STRATA_TRACES, or
// shared/traces beside the repository whose root is root (relative to the
// test's package directory, e.g. ".." one level down). When it is missing
// the test is skipped, loudly, except under CI=true, where it fails.
func Dir(t testing.TB, root string) string {
	t.Helper()
	dir := trace.Dir(filepath.Join(root, "..", "shared", "traces"))
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("trace directory %s: %v (CI=true: the traces are required)", dir, err)
		}
		t.Skipf("!!! SKIPPING TRACE TEST: trace directory %s not found (%v); set %s to the traces directory", dir, err, trace.EnvDir)
	}
	return dir
}

var loaded sync.Map // directory + file name → []uint64

// Keys returns the keys of the named trace (see trace.Lookup), read once
// per test binary. root is as for Dir.
func Keys(t testing.TB, root, name string) []uint64 {
	t.Helper()
	dir := Dir(t, root)
	id := filepath.Join(dir, name)
	if v, ok := loaded.Load(id); ok {
		return v.([]uint64)
	}
	info, ok := trace.Lookup(name)
	if !ok {
		t.Fatalf("no trace %q in the catalog", name)
	}
	keys, err := info.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	loaded.Store(id, keys)
	return keys
}
