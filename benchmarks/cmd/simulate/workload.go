package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stratacache/cache/benchmarks/internal/trace"
)

// rootModule is the module path of the repository root's go.mod.
const rootModule = "github.com/stratacache/cache"

// quickLimit is the largest request count of a trace that -quick keeps.
const quickLimit = 600_000

// A seeded cache is replayed -seeds times at each point, and on traces
// short enough more often, until about seedRequests requests have been
// replayed, but at most seedMax times: one draw is noisiest on short
// traces, where replays are cheap. With at most 16, the means of two rows
// of the same one-shard cache (the default and TinyLFU in one shard, on
// gli at 250 entries) differed by 0.61, which target 5 read as a failure;
// one replay there spreads over 4 points. With 2,000,000 requests, sprite
// got 15 replays; at 200 entries one replay in twenty loses 3 to 4 points
// (its window climbs to the ceiling and stays), so one such replay more
// in one row than in the other put the two rows 0.67 apart. 8,600,000
// gives sprite 64. Theine and ristretto, the slow contenders, keep the
// share of 2,000,000 requests: with 8,600,000 they got three replays of
// p3 and up to 18 of the mid-sized traces, and a full run took 21m42s
// instead of about 12 minutes. The -seeds default of 6 only matters on p3
// and p6, the traces too long for the budget to give more: on p6 at
// 262,144 entries one replay of either Strata row ends near 89.2 or near
// 90.1, and with 3 replays two rows of the same policy came 0.51 apart.
const (
	seedRequests     = 8_600_000
	slowSeedRequests = 2_000_000
	seedMax          = 64
)

// workload is one access sequence to replay: a trace file or a synthetic
// Zipf workload.
type workload struct {
	// Name is the short name used in flags, headings and file names:
	// the trace file name without its format suffix ("oltp",
	// "scarab-recs"), or the synthetic workload's name ("zipf-1.0").
	Name string
	// File is the trace's file name in the traces directory; empty for a
	// synthetic workload.
	File        string
	Description string
	// Source is the citation or attribution the trace's terms ask for.
	Source    string
	Requests  int
	Distinct  int
	Sizes     []int
	Synthetic bool
	// Load returns the keys.
	Load func() ([]uint64, error)
}

// shortName strips the format suffix from a trace file name.
func shortName(file string) string {
	if f, err := trace.FormatOf(file); err == nil {
		return strings.TrimSuffix(filepath.Base(file), f.Suffix())
	}
	return file
}

// findRoot walks up from dir to the directory whose go.mod declares the
// repository's root module.
func findRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if mod, err := modulePath(filepath.Join(dir, "go.mod")); err == nil && mod == rootModule {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod declaring module %s in this directory or any parent", rootModule)
		}
		dir = parent
	}
}

// modulePath returns the module path declared by the go.mod file at path.
func modulePath(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`+"`"), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", errors.New(path + ": no module line")
}

// selection says which workloads and sizes to run.
type selection struct {
	Only  []string // short names; empty means all
	Sizes []int    // overrides every workload's sizes when not empty
	Quick bool     // only traces of at most quickLimit requests, no synthetic ones
	// Caches names the rows to run; empty means all.
	Caches []string
}

// Partial reports whether the selection leaves out part of the full run.
func (s selection) Partial() bool {
	return len(s.Only) > 0 || len(s.Sizes) > 0 || s.Quick || len(s.Caches) > 0
}

// workloads lists what to replay: every catalog trace found in dir, in
// catalog order, then the synthetic Zipf workloads. A catalog trace missing
// from dir is an error unless the selection leaves it out. Files in dir
// with a trace suffix that the catalog does not know have no conventional
// sizes; they are replayed only when sizes are given, and reported on
// warn otherwise.
func workloads(dir string, sel selection, warn func(string)) ([]workload, error) {
	var all []workload
	known := map[string]bool{}
	for _, info := range trace.Traces() {
		known[info.Name] = true
		all = append(all, workload{
			Name:        shortName(info.Name),
			File:        info.Name,
			Description: info.Description,
			Source:      info.Source,
			Requests:    info.Requests,
			Distinct:    info.Distinct,
			Sizes:       info.Sizes,
			Load:        func() ([]uint64, error) { return info.Load(dir) },
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("traces directory: %w (set -traces or $%s)", err, trace.EnvDir)
	}
	present := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		present[name] = true
		if _, err := trace.FormatOf(name); err != nil || known[name] || e.IsDir() {
			continue
		}
		if len(sel.Sizes) == 0 {
			warn(fmt.Sprintf("%s: not in the trace catalog, so it has no conventional sizes; give -sizes to replay it", name))
			continue
		}
		path := filepath.Join(dir, name)
		all = append(all, workload{
			Name:        shortName(name),
			File:        name,
			Description: "trace file " + name + " (not in the catalog)",
			Source:      "unknown: see the traces directory's README",
			Load:        func() ([]uint64, error) { return trace.Load(path) },
		})
	}
	for _, z := range trace.Synthetic() {
		all = append(all, workload{
			Name: z.Name,
			Description: fmt.Sprintf("synthetic: %d requests drawn from a Zipf distribution with s = %.1f over %d keys (seed %d)",
				z.Requests, z.S, z.Distinct, z.Seed),
			Source:    "Generated by `trace.Zipf` in this repository; no external data.",
			Requests:  z.Requests,
			Distinct:  int(z.Distinct),
			Sizes:     z.Sizes,
			Synthetic: true,
			Load:      func() ([]uint64, error) { return z.Keys(), nil },
		})
	}

	want := map[string]bool{}
	for _, n := range sel.Only {
		want[shortName(n)] = true
	}
	var out []workload
	for _, w := range all {
		if len(sel.Only) > 0 && !want[w.Name] {
			continue
		}
		want[w.Name] = false // found
		if sel.Quick && (w.Synthetic || w.Requests == 0 || w.Requests > quickLimit) {
			continue
		}
		if len(sel.Sizes) > 0 {
			w.Sizes = slices.Clone(sel.Sizes)
		}
		if w.File != "" && !present[w.File] {
			return nil, fmt.Errorf("trace %s is missing from %s (set -traces, or leave it out with -only)", w.Name, dir)
		}
		out = append(out, w)
	}
	var unknown []string
	for n, missing := range want {
		if missing {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("-only: unknown workload %s (known: %s)", strings.Join(unknown, ", "), strings.Join(workloadNames(all), ", "))
	}
	if len(out) == 0 {
		return nil, errors.New("the selection leaves no workload to run")
	}
	return out, nil
}

func workloadNames(ws []workload) []string {
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = w.Name
	}
	return names
}
