package eviction

// A throwaway reader for the traces in shared/traces, until internal/trace
// lands on main; then this file gives way to it.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// tracesDir returns the directory holding the traces: $STRATA_TRACES, or
// shared/traces beside the repository. When it is missing the test is
// skipped, loudly, except in CI, where a missing trace is a failure.
func tracesDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("STRATA_TRACES")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "traces")
	}
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("trace directory %s: %v (CI=true: traces are required)", dir, err)
		}
		t.Skipf("SKIPPING hit-ratio test: trace directory %s not found (%v); set STRATA_TRACES", dir, err)
	}
	return dir
}

var traceCache sync.Map // file name → []uint64

// loadTrace returns the keys of the named trace file, parsed once per test
// binary.
func loadTrace(t testing.TB, name string) []uint64 {
	t.Helper()
	if v, ok := traceCache.Load(name); ok {
		return v.([]uint64)
	}
	keys, err := readTrace(filepath.Join(tracesDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	traceCache.Store(name, keys)
	return keys
}

func readTrace(path string) ([]uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	base := filepath.Base(path)
	switch {
	case strings.HasSuffix(base, ".i64be.gz"):
		keys := make([]uint64, 0, len(raw)/8)
		for i := 0; i+8 <= len(raw); i += 8 {
			keys = append(keys, binary.BigEndian.Uint64(raw[i:]))
		}
		return keys, nil
	case strings.HasSuffix(base, ".i32be.gz"):
		keys := make([]uint64, 0, len(raw)/4)
		for i := 0; i+4 <= len(raw); i += 4 {
			keys = append(keys, uint64(int64(int32(binary.BigEndian.Uint32(raw[i:])))))
		}
		return keys, nil
	}
	arc := strings.HasSuffix(base, ".arc.gz")
	var keys []uint64
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line == "*" {
			continue
		}
		fields := strings.Fields(line)
		start, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", path, line, err)
		}
		n := uint64(1)
		if arc {
			if len(fields) < 2 {
				return nil, fmt.Errorf("%s: short line %q", path, line)
			}
			if n, err = strconv.ParseUint(fields[1], 10, 64); err != nil {
				return nil, fmt.Errorf("%s: %q: %w", path, line, err)
			}
		}
		for k := start; k < start+n; k++ {
			keys = append(keys, k)
		}
	}
	return keys, sc.Err()
}
