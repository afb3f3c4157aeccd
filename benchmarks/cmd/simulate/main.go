// Command simulate replays the shared cache traces, and the synthetic Zipf
// workloads of benchmarks/internal/trace, through every Strata eviction
// policy, the sharded Strata default, the GC-free store (bytecache),
// Bélády's OPT and the other Go caches of the benchmark suite (plus ARC,
// 2Q and freecache), at each trace's conventional sizes.
// It writes docs/hitratio.md (tables, gaps, averages and the checks of the
// hit-ratio targets) and one SVG chart per workload in docs/hitratio/.
//
//	cd benchmarks && go run ./cmd/simulate           # everything: about 2,300 CPU-seconds
//	cd benchmarks && go run ./cmd/simulate -quick    # the small traces only, a minute or two
//	go run ./cmd/simulate -only oltp,loop -sizes 500,1000
//	go run ./cmd/simulate -only gli -seeds 1         # one replay per cache and point
//	go run ./cmd/simulate -caches gcfree -out ../docs/hitratio-gcfree.md   # the GC-free tier's comparison
//
// Caches whose hit ratio depends on a seed drawn when they are made
// (Strata, otter, theine, ristretto) are replayed several times per point
// and averaged (-seeds; see seeding in run.go), so a full run is 7,996
// replays, most of their time spent on p6's 12.7 million requests. Theine
// and ristretto dominate: they are made to apply each write before the next
// request (see caches.go), which costs a goroutine round trip per miss,
// their replays run one at a time, and they get fewer extra replays on
// short traces and one on the long ones. On the shared two-core machine a
// full run takes about 19 minutes.
//
// Paths default relative to the repository root (found by walking up to
// the go.mod of github.com/stratacache/cache), so the command works from
// the root as well as from benchmarks/. The traces are read from
// -traces, by default $STRATA_TRACES or ../shared/traces beside the root.
//
// A partial run (-quick, -only, -sizes or -caches) prints its report to standard
// output and writes no files unless -out is given, so that it cannot
// overwrite the committed full report by accident.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stratacache/cache/benchmarks/internal/trace"
)

func main() {
	if err := mainErr(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "simulate:", err)
		os.Exit(1)
	}
}

var seedsUsage = fmt.Sprintf("replays of each seeded cache per point, each with a new cache and seed, averaged; "+
	"more on short traces, until about %d requests, at most %d (1: a single replay everywhere)", seedRequests, seedMax)

func mainErr(args []string) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	var (
		tracesDir = fs.String("traces", "", "directory of the trace files (default $"+trace.EnvDir+" or ../shared/traces relative to the repository root)")
		only      = fs.String("only", "", "comma-separated workloads to run, such as oltp,loop,zipf-1.0 (default all)")
		sizesFlag = fs.String("sizes", "", "comma-separated cache sizes to use for every workload instead of the conventional ones")
		caches    = fs.String("caches", "", "comma-separated rows to run, by name, or \"gcfree\" for the GC-free tier's comparison (default all)")
		quick     = fs.Bool("quick", false, fmt.Sprintf("run only the small traces (at most %d requests), no synthetic workloads", quickLimit))
		out       = fs.String("out", "", "Markdown report to write; charts go to a directory of the same name without .md (default docs/hitratio.md in the repository root; partial runs print to standard output)")
		seeds     = fs.Int("seeds", 6, seedsUsage)
		workers   = fs.Int("j", runtime.GOMAXPROCS(0), "replays to run at a time (at most GOMAXPROCS)")
		quiet     = fs.Bool("q", false, "do not print progress to standard error")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	outGiven := false
	fs.Visit(func(f *flag.Flag) { outGiven = outGiven || f.Name == "out" })

	sel := selection{Only: splitList(*only), Quick: *quick, Caches: splitList(*caches)}
	sizes, err := parseSizes(*sizesFlag)
	if err != nil {
		return err
	}
	sel.Sizes = sizes

	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := findRoot(wd)
	if err != nil {
		return err
	}
	dir := *tracesDir
	if dir == "" {
		dir = trace.Dir(filepath.Join(root, "..", "shared", "traces"))
	}
	reportPath := *out
	if !outGiven {
		reportPath = filepath.Join(root, "docs", "hitratio.md")
		if sel.Partial() {
			reportPath = "" // standard output
		}
	}

	logf := func(format string, args ...any) {
		if !*quiet {
			fmt.Fprintf(os.Stderr, format+"\n", args...)
		}
	}
	ws, err := workloads(dir, sel, func(msg string) { logf("warning: %s", msg) })
	if err != nil {
		return err
	}
	cs, err := selectContenders(contenders(), sel.Caches)
	if err != nil {
		return err
	}
	sd := seeding{Min: *seeds, Requests: seedRequests, SlowRequests: slowSeedRequests, Max: seedMax}
	jobs := 0
	for _, w := range ws {
		for _, c := range cs {
			runs := 1
			if c.Seeded {
				runs = sd.runs(w.Requests, c.Slow)
			}
			jobs += len(w.Sizes) * runs
		}
	}
	procs := max(1, min(*workers, runtime.GOMAXPROCS(0)))
	logf("simulate: %d workloads × %d caches, %d replays, %d at a time; traces from %s", len(ws), len(cs), jobs, procs, dir)

	start := time.Now()
	results, err := run(ws, cs, sd, procs, func(s string) { logf("%s", s) })
	if err != nil {
		return err
	}
	elapsed := time.Since(start).Round(time.Second)
	logf("simulate: done in %v", elapsed)

	names := make([]string, len(cs))
	notes := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
		notes[i] = fmt.Sprintf("**%s**: %s", c.Name, c.Notes)
	}
	info := reportInfo{
		Command:  command(args),
		Duration: elapsed.String(),
		Machine: fmt.Sprintf("%d CPUs (%d replays at a time), %s %s/%s",
			runtime.NumCPU(), procs, runtime.Version(), runtime.GOOS, runtime.GOARCH),
		Notes:   notes,
		Partial: sel.Partial(),
		Seeds:   sd,
	}
	t := newTable(results, names)

	if reportPath == "" {
		t.writeReport(os.Stdout, info, func(string) string { return "" })
		return nil
	}
	chartDir := strings.TrimSuffix(reportPath, ".md")
	if chartDir == reportPath {
		chartDir += ".charts"
	}
	if err := writeCharts(chartDir, results, cs); err != nil {
		return err
	}
	f, err := os.Create(reportPath)
	if err != nil {
		return err
	}
	rel := filepath.Base(chartDir)
	t.writeReport(f, info, func(name string) string { return rel + "/" + name + ".svg" })
	if err := f.Close(); err != nil {
		return err
	}
	logf("simulate: wrote %s and %d charts in %s", reportPath, len(results), chartDir)
	return nil
}

// gcfreeSet is what -caches gcfree selects: the GC-free store, the
// pointer-free cache it is measured against, the object cache and OPT.
var gcfreeSet = []string{nameDefault, nameGCFree, nameFreecache, nameOPT}

// selectContenders keeps the contenders named, in report order.
func selectContenders(all []contender, names []string) ([]contender, error) {
	if len(names) == 1 && names[0] == "gcfree" {
		names = gcfreeSet
	}
	if len(names) == 0 {
		return all, nil
	}
	var out []contender
	for _, c := range all {
		if slices.Contains(names, c.Name) {
			out = append(out, c)
		}
	}
	for _, n := range names {
		if !slices.ContainsFunc(out, func(c contender) bool { return c.Name == n }) {
			return nil, fmt.Errorf("-caches: no cache called %q", n)
		}
	}
	return out, nil
}

// command reconstructs the command line for the report.
func command(args []string) string {
	c := "cd benchmarks && go run ./cmd/simulate"
	if len(args) > 0 {
		c += " " + strings.Join(args, " ")
	}
	return c
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parseSizes parses -sizes: positive integers, returned ascending without
// duplicates.
func parseSizes(s string) ([]int, error) {
	var sizes []int
	for _, item := range splitList(s) {
		n, err := strconv.Atoi(item)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-sizes: %q is not a positive integer", item)
		}
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	return slices.Compact(sizes), nil
}
