package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratacache/cache/benchmarks/internal/trace"
	"github.com/stratacache/cache/eviction"
)

// mapStore is an unbounded cache: it misses each key once.
type mapStore map[uint64]bool

func (m mapStore) Get(k uint64) bool { return m[k] }
func (m mapStore) Set(k uint64)      { m[k] = true }
func (m mapStore) Close()            {}

func TestReplayCountsHitsFromCold(t *testing.T) {
	keys := []uint64{1, 2, 1, 3, 2, 1, 4}
	if got := replay(keys, mapStore{}); got != 3 {
		t.Errorf("replay = %d hits, want 3 (compulsory misses count)", got)
	}
	if got := replay(nil, mapStore{}); got != 0 {
		t.Errorf("replay of nothing = %d hits", got)
	}
}

// byName returns the contender called name.
func byName(t *testing.T, name string) contender {
	t.Helper()
	for _, c := range contenders() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no contender %q", name)
	return contender{}
}

func TestContendersAgreeWithReferences(t *testing.T) {
	keys := trace.Zipf(20_000, 2_000, 0.9, 7)
	for _, size := range []int{50, 400} {
		want := trace.LRU(keys, size)
		for _, name := range []string{nameLRU, singleName(eviction.LRU)} {
			if got := byName(t, name).hits(keys, size); got != want {
				t.Errorf("%s at %d: %d hits, exact LRU has %d", name, size, got, want)
			}
		}
		opt := trace.OPT(keys, size)
		if got := byName(t, nameOPT).hits(keys, size); got != opt {
			t.Errorf("OPT contender at %d: %d hits, trace.OPT has %d", size, got, opt)
		}
		// Every cache that admits what it misses stays under OPT; caches
		// with admission filters could in principle pass it, but not on
		// a trace this skewed.
		for _, c := range contenders() {
			if c.Supports != nil && !c.Supports(size) {
				continue
			}
			if h := c.hits(keys, size); h > opt || h <= 0 {
				t.Errorf("%s at %d: %d hits, outside (0, OPT=%d]", c.Name, size, h, opt)
			}
		}
	}
}

func TestContendersCoverEveryPolicy(t *testing.T) {
	names := map[string]bool{}
	for _, c := range contenders() {
		if names[c.Name] {
			t.Errorf("two contenders called %q", c.Name)
		}
		names[c.Name] = true
	}
	for _, a := range eviction.Algorithms() {
		if !names[singleName(a)] {
			t.Errorf("no single-shard row for %v", a)
		}
	}
	for _, n := range []string{nameDefault, nameOtter, nameTheine, nameLRU, nameOPT, "ristretto", "golang-lru ARC", "golang-lru 2Q"} {
		if !names[n] {
			t.Errorf("no row %q", n)
		}
	}
}

// fixed is a contender whose hit count is a function of the size.
func fixed(name string, hits func(size int) int) contender {
	return contender{Name: name, New: func(size int) store { return &counted{left: hits(size)} }}
}

// counted hits on its first left Gets.
type counted struct{ left int }

func (c *counted) Get(uint64) bool {
	if c.left > 0 {
		c.left--
		return true
	}
	return false
}
func (c *counted) Set(uint64) {}
func (c *counted) Close()     {}

func keysOf(n int) func() ([]uint64, error) {
	return func() ([]uint64, error) { return make([]uint64, n), nil }
}

func TestRunFillsEveryCell(t *testing.T) {
	ws := []workload{
		{Name: "small", Sizes: []int{1, 2}, Requests: 10, Load: keysOf(10)},
		{Name: "big", Sizes: []int{1, 5, 10}, Requests: 100, Load: keysOf(100)},
	}
	cs := []contender{
		fixed("a", func(size int) int { return size }),
		fixed("b", func(size int) int { return 2 * size }),
	}
	var lines []string
	res, err := run(ws, cs, seeding{}, 4, func(s string) { lines = append(lines, s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2*2+2*3 {
		t.Errorf("%d progress lines, want one per replay (10)", len(lines))
	}
	if res[0].W.Name != "small" || res[1].W.Name != "big" {
		t.Fatalf("results out of order: %s, %s", res[0].W.Name, res[1].W.Name)
	}
	want := [][][]float64{
		{{10, 20}, {20, 40}},
		{{1, 5, 10}, {2, 10, 20}},
	}
	for i := range res {
		for c := range cs {
			if !slices.Equal(res[i].Ratio[c], want[i][c]) {
				t.Errorf("%s/%s = %v, want %v", res[i].W.Name, cs[c].Name, res[i].Ratio[c], want[i][c])
			}
		}
	}
}

func TestRunReportsLoadErrors(t *testing.T) {
	boom := errors.New("boom")
	ws := []workload{
		{Name: "ok", Sizes: []int{1}, Load: keysOf(5)},
		{Name: "bad", Sizes: []int{1}, Load: func() ([]uint64, error) { return nil, boom }},
	}
	if _, err := run(ws, []contender{fixed("a", func(int) int { return 0 })}, seeding{}, 2, nil); !errors.Is(err, boom) {
		t.Errorf("run = %v, want the load error", err)
	}
	ws = []workload{{Name: "empty", Sizes: []int{1}, Load: keysOf(0)}}
	if _, err := run(ws, []contender{fixed("a", func(int) int { return 0 })}, seeding{}, 1, nil); err == nil {
		t.Error("an empty trace was accepted")
	}
}

// gauge counts the stores alive at once.
type gauge struct {
	mu        sync.Mutex
	now, peak int
}

type gaugedStore struct {
	mapStore
	g *gauge
}

func (s gaugedStore) Close() {
	s.g.mu.Lock()
	s.g.now--
	s.g.mu.Unlock()
}

func (g *gauge) contender(name string, slow bool) contender {
	return contender{Name: name, Slow: slow, New: func(int) store {
		g.mu.Lock()
		g.now++
		g.peak = max(g.peak, g.now)
		g.mu.Unlock()
		time.Sleep(time.Millisecond) // give the other worker time to overlap
		return gaugedStore{mapStore{}, g}
	}}
}

func TestRunKeepsSlowReplaysApart(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs two workers")
	}
	var slow, fast gauge
	cs := []contender{slow.contender("s1", true), fast.contender("f", false), slow.contender("s2", true)}
	ws := []workload{
		{Name: "a", Sizes: []int{1, 2, 3}, Load: keysOf(50)},
		{Name: "b", Sizes: []int{1, 2}, Load: keysOf(20)},
	}
	if _, err := run(ws, cs, seeding{}, 2, nil); err != nil {
		t.Fatal(err)
	}
	if slow.peak != 1 {
		t.Errorf("%d slow replays ran at once, want 1", slow.peak)
	}
	if fast.peak < 1 {
		t.Error("the fast contender never ran")
	}
}

func TestRunReportsPanics(t *testing.T) {
	bad := contender{Name: "fussy", New: func(size int) store {
		if size < 2 {
			panic("size too small")
		}
		return mapStore{}
	}}
	ws := []workload{{Name: "w", Sizes: []int{1, 2}, Load: keysOf(3)}}
	_, err := run(ws, []contender{bad}, seeding{}, 2, nil)
	if err == nil || !strings.Contains(err.Error(), "w, fussy at 1 entries: panic: size too small") {
		t.Errorf("run = %v, want the panic reported as an error", err)
	}
}

func TestFindRoot(t *testing.T) {
	dir := t.TempDir()
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "go.mod"), "// root\nmodule github.com/stratacache/cache\n\ngo 1.25.0\n")
	write(filepath.Join(dir, "benchmarks", "go.mod"), "module github.com/stratacache/cache/benchmarks\n")
	deep := filepath.Join(dir, "benchmarks", "cmd", "simulate")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{dir, filepath.Join(dir, "benchmarks"), deep} {
		got, err := findRoot(from)
		if err != nil || got != dir {
			t.Errorf("findRoot(%s) = %q, %v; want %q", from, got, err, dir)
		}
	}
	if _, err := findRoot(t.TempDir()); err == nil {
		t.Error("findRoot found a root outside any module")
	}
	// The real repository, from this package's directory.
	if root, err := findRoot("."); err != nil || !fileExists(filepath.Join(root, "benchmarks", "go.mod")) {
		t.Errorf("findRoot(.) = %q, %v", root, err)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// traceDir makes a traces directory with a tiny LIRS trace for every
// catalog entry named in names (in the catalog's file name) and any extra
// files.
func traceDir(t *testing.T, names []string, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range append(slices.Clone(names), extra...) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte("1\n2\n1\n"))
		zw.Close()
		if err := os.WriteFile(filepath.Join(dir, n), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func catalogFiles() []string {
	var names []string
	for _, i := range trace.Traces() {
		names = append(names, i.Name)
	}
	return names
}

func TestWorkloadSelection(t *testing.T) {
	dir := traceDir(t, catalogFiles(), "extra.lirs.gz", "notes.txt")
	var warnings []string
	warn := func(s string) { warnings = append(warnings, s) }

	ws, err := workloads(dir, selection{}, warn)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"oltp", "p3", "p6", "loop", "gli", "sprite", "multi2", "scarab-recs", "web12", "zipf-1.0", "zipf-0.8"}
	if got := workloadNames(ws); !slices.Equal(got, want) {
		t.Errorf("all workloads = %v, want %v", got, want)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "extra.lirs.gz") {
		t.Errorf("warnings = %q, want one about extra.lirs.gz", warnings)
	}
	for _, w := range ws {
		if w.Source == "" || len(w.Sizes) == 0 || w.Description == "" {
			t.Errorf("%s lacks a source, sizes or description", w.Name)
		}
	}

	ws, err = workloads(dir, selection{Quick: true}, warn)
	if err != nil {
		t.Fatal(err)
	}
	if got := workloadNames(ws); !slices.Equal(got, []string{"loop", "gli", "sprite", "multi2", "web12"}) {
		t.Errorf("quick workloads = %v", got)
	}

	ws, err = workloads(dir, selection{Only: []string{"web12.i32be.gz", "zipf-0.8", "extra"}, Sizes: []int{7, 9}}, warn)
	if err != nil {
		t.Fatal(err)
	}
	if got := workloadNames(ws); !slices.Equal(got, []string{"web12", "extra", "zipf-0.8"}) {
		t.Errorf("-only workloads = %v", got)
	}
	for _, w := range ws {
		if !slices.Equal(w.Sizes, []int{7, 9}) {
			t.Errorf("%s sizes = %v, want the -sizes override", w.Name, w.Sizes)
		}
	}
	keys, err := ws[1].Load()
	if err != nil || !slices.Equal(keys, []uint64{1, 2, 1}) {
		t.Errorf("extra trace loads as %v, %v", keys, err)
	}

	if _, err := workloads(dir, selection{Only: []string{"oltp", "nosuch"}}, warn); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("unknown -only name: err = %v", err)
	}
	if _, err := workloads(dir, selection{Only: []string{"p6"}, Quick: true}, warn); err == nil {
		t.Error("a selection with nothing left was accepted")
	}

	// A missing catalog trace is an error unless it is left out.
	partial := traceDir(t, []string{"loop.lirs.gz"})
	if _, err := workloads(partial, selection{}, warn); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing traces: err = %v", err)
	}
	if ws, err := workloads(partial, selection{Only: []string{"loop", "zipf-1.0"}}, warn); err != nil || len(ws) != 2 {
		t.Errorf("-only loop,zipf-1.0 with loop present: %v, %v", workloadNames(ws), err)
	}
	if _, err := workloads(filepath.Join(partial, "nope"), selection{}, warn); err == nil {
		t.Error("a missing traces directory was accepted")
	}
}

func TestParseSizes(t *testing.T) {
	got, err := parseSizes(" 1000, 250,1000 ,")
	if err != nil || !slices.Equal(got, []int{250, 1000}) {
		t.Errorf("parseSizes = %v, %v", got, err)
	}
	for _, bad := range []string{"0", "-5", "ten", "1.5"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("parseSizes(%q) accepted", bad)
		}
	}
}

func TestMainWritesReportAndCharts(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a small trace through every cache")
	}
	dir := traceDir(t, []string{"gli.lirs.gz"})
	out := filepath.Join(t.TempDir(), "report.md")
	if err := mainErr([]string{"-q", "-traces", dir, "-only", "gli", "-sizes", "4,8", "-out", out}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## gli", "Partial run", "report/gli.svg", "LIRS", "| strata default (sharded) |", "## Targets"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	if !fileExists(filepath.Join(filepath.Dir(out), "report", "gli.svg")) {
		t.Error("no chart written")
	}
	if err := mainErr([]string{"-sizes", "x"}); err == nil {
		t.Error("a bad -sizes was accepted")
	}
}

func TestSeedingRuns(t *testing.T) {
	sd := seeding{Min: 3, Requests: 1000, SlowRequests: 400, Max: 8}
	for _, tc := range []struct{ requests, want int }{
		{10, 8},    // short: would need 100, capped at Max
		{200, 5},   // 1000/200
		{300, 4},   // rounded up
		{1000, 3},  // Min
		{50000, 3}, // long: Min
		{0, 3},     // unknown length
	} {
		if got := sd.runs(tc.requests, false); got != tc.want {
			t.Errorf("runs(%d) = %d, want %d", tc.requests, got, tc.want)
		}
	}
	// A slow contender gets the short traces' extra replays, counted
	// against its own budget, and not Min.
	for _, tc := range []struct{ requests, want int }{{10, 8}, {100, 4}, {200, 2}, {400, 1}, {1000, 1}, {50000, 1}} {
		if got := sd.runs(tc.requests, true); got != tc.want {
			t.Errorf("slow: runs(%d) = %d, want %d", tc.requests, got, tc.want)
		}
	}
	if got := (seeding{Min: 1, Requests: 1000, Max: 8}).runs(10, false); got != 1 {
		t.Errorf("Min 1: runs = %d, want a single replay", got)
	}
	if got := (seeding{}).runs(10, false); got != 1 {
		t.Errorf("zero seeding: runs = %d, want 1", got)
	}
}

func TestRunAveragesSeededReplays(t *testing.T) {
	var mu sync.Mutex
	made := map[string]int{}
	// Each new cache of a contender hits 10 more times than the one
	// before, as if each drew a different seed.
	drawing := func(name string, seeded bool) contender {
		return contender{Name: name, Seeded: seeded, New: func(int) store {
			mu.Lock()
			defer mu.Unlock()
			made[name]++
			return &counted{left: 10 * (made[name] - 1)}
		}}
	}
	ws := []workload{{Name: "w", Sizes: []int{1}, Load: keysOf(100)}}
	cs := []contender{drawing("seeded", true), drawing("plain", false)}
	res, err := run(ws, cs, seeding{Min: 3}, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if made["seeded"] != 3 || made["plain"] != 1 {
		t.Fatalf("caches made: %v, want 3 seeded and 1 plain", made)
	}
	r := res[0]
	// 0, 10 and 20 hits out of 100 requests.
	if r.Ratio[0][0] != 10 || r.Spread[0][0] != 20 || r.Runs[0][0] != 3 {
		t.Errorf("seeded: ratio %v, spread %v, runs %v; want 10, 20, 3", r.Ratio[0][0], r.Spread[0][0], r.Runs[0][0])
	}
	if r.Ratio[1][0] != 0 || r.Spread[1][0] != 0 || r.Runs[1][0] != 1 {
		t.Errorf("plain: ratio %v, spread %v, runs %v; want 0, 0, 1", r.Ratio[1][0], r.Spread[1][0], r.Runs[1][0])
	}
}
