package main

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/stratacache/cache"

	"github.com/stratacache/cache/eviction"
)

// Tolerances of the targets, in percentage points.
const (
	rivalSlack  = 0.5  // the default may trail max(otter, theine) by this much
	lruSlack    = 1.0  // and LRU on sprite and web12 by this much
	shardSlack  = 0.5  // and differ from its policy in one shard by this much
	gcfreeSlack = 2.0  // the GC-free store may trail the default's average by this much
	loopOPTPart = 0.95 // on loop at 500–1000 entries it must reach this share of OPT
)

// round2 rounds a hit ratio to the two decimals the tables show. The
// checks compare rounded values so that a reader can verify them from the
// tables.
func round2(v float64) float64 { return math.Round(v*100) / 100 }

// table gives the report and the checks access to the results by row
// name.
type table struct {
	results []result
	names   []string       // row names, in report order
	row     map[string]int // row name → contender index
}

func newTable(results []result, names []string) *table {
	t := &table{results: results, names: names, row: map[string]int{}}
	for i, n := range names {
		t.row[n] = i
	}
	return t
}

// get returns the rounded hit ratio of row name on result r at size index
// s, and whether that row was run.
func (t *table) get(r *result, name string, s int) (float64, bool) {
	i, ok := t.row[name]
	if !ok || math.IsNaN(r.Ratio[i][s]) {
		return 0, false
	}
	return round2(r.Ratio[i][s]), true
}

// find returns the result of the workload called name.
func (t *table) find(name string) *result {
	for i := range t.results {
		if t.results[i].W.Name == name {
			return &t.results[i]
		}
	}
	return nil
}

// point names one workload and size.
type point struct {
	w    string
	size int
}

func (p point) String() string { return fmt.Sprintf("%s at %d", p.w, p.size) }

// average is the mean hit ratio of a row over a set of points.
type average struct {
	All, Real, Synthetic float64
	NAll, NReal, NSynth  int
}

func (t *table) average(name string) average {
	var a average
	i, ok := t.row[name]
	if !ok {
		return average{All: math.NaN(), Real: math.NaN(), Synthetic: math.NaN()}
	}
	for _, r := range t.results {
		for s := range r.W.Sizes {
			v := r.Ratio[i][s]
			if math.IsNaN(v) {
				continue // a size the cache cannot be configured for
			}
			a.All += v
			a.NAll++
			if r.W.Synthetic {
				a.Synthetic += v
				a.NSynth++
			} else {
				a.Real += v
				a.NReal++
			}
		}
	}
	div := func(sum float64, n int) float64 {
		if n == 0 {
			return math.NaN()
		}
		return round2(sum / float64(n))
	}
	a.All, a.Real, a.Synthetic = div(a.All, a.NAll), div(a.Real, a.NReal), div(a.Synthetic, a.NSynth)
	return a
}

// check is the outcome of one target.
type check struct {
	Target string
	Status string // PASS, FAIL or SKIP
	Detail string
}

func status(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// gap records how far the default is from a reference at one point.
type gap struct {
	p        point
	def, ref float64
}

func (g gap) margin() float64 { return round2(g.def - g.ref) }

func (g gap) String() string {
	return fmt.Sprintf("%s: %.2f vs %.2f (%+.2f)", g.p, g.def, g.ref, g.margin())
}

// compare collects, for every point of the given workloads (all when
// names is empty), the default's value and a reference value computed
// from the row values.
func (t *table) compare(workloads []string, ref func(r *result, s int) (float64, bool)) []gap {
	return t.compareRow(nameDefault, workloads, ref)
}

// compareRow is compare for the row called name instead of the default.
func (t *table) compareRow(name string, workloads []string, ref func(r *result, s int) (float64, bool)) []gap {
	var gaps []gap
	for i := range t.results {
		r := &t.results[i]
		if len(workloads) > 0 && !slices.Contains(workloads, r.W.Name) {
			continue
		}
		for s, size := range r.W.Sizes {
			d, ok1 := t.get(r, name, s)
			v, ok2 := ref(r, s)
			if ok1 && ok2 {
				gaps = append(gaps, gap{p: point{r.W.Name, size}, def: d, ref: v})
			}
		}
	}
	return gaps
}

// rival returns max(otter, theine) at a point.
func (t *table) rival(r *result, s int) (float64, bool) {
	o, ok1 := t.get(r, nameOtter, s)
	th, ok2 := t.get(r, nameTheine, s)
	return math.Max(o, th), ok1 && ok2
}

// worst returns the gap with the smallest margin.
func worst(gaps []gap) gap {
	return slices.MinFunc(gaps, func(a, b gap) int { return cmp.Compare(a.margin(), b.margin()) })
}

// within summarises a "margin ≥ -slack at every point" target.
func within(target string, gaps []gap, slack float64) check {
	if len(gaps) == 0 {
		return check{Target: target, Status: "SKIP", Detail: "no results for it in this run"}
	}
	var bad []string
	for _, g := range gaps {
		if g.margin() < -slack-1e-9 {
			bad = append(bad, g.String())
		}
	}
	w := worst(gaps)
	detail := fmt.Sprintf("%d of %d points within; worst: %s", len(gaps)-len(bad), len(gaps), w)
	if len(bad) > 0 {
		detail += "; failing: " + strings.Join(clip(bad, 10), "; ")
	}
	return check{Target: target, Status: status(len(bad) == 0), Detail: detail}
}

// clip keeps the first n items of list, noting how many were left out.
func clip(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(slices.Clone(list[:n]), fmt.Sprintf("and %d more", len(list)-n))
}

// checks evaluates the targets of the issue against the results.
func (t *table) checks() []check {
	var out []check

	// 1. Never far behind the best W-TinyLFU cache.
	out = append(out, within(
		fmt.Sprintf("The sharded default is at least max(otter, theine) − %.1f at every workload and size", rivalSlack),
		t.compare(nil, t.rival), rivalSlack))

	// 2. Better on average than both.
	{
		target := "The sharded default's average over all workloads and sizes is strictly above the better of otter's and theine's"
		d, o, th := t.average(nameDefault), t.average(nameOtter), t.average(nameTheine)
		if math.IsNaN(o.All) || math.IsNaN(th.All) || d.NAll == 0 {
			out = append(out, check{Target: target, Status: "SKIP", Detail: "no results for it in this run"})
		} else {
			best, bestName := o.All, nameOtter
			if th.All > best {
				best, bestName = th.All, nameTheine
			}
			out = append(out, check{Target: target, Status: status(d.All > best),
				Detail: fmt.Sprintf("default %.2f vs %s %.2f (%+.2f); otter %.2f, theine %.2f, over %d points",
					d.All, bestName, best, round2(d.All-best), o.All, th.All, d.NAll)})
		}
	}

	// 3. Scan resistance on the loop trace.
	{
		target := fmt.Sprintf("loop: the sharded default reaches %.0f%% of OPT at every size from 500 to 1000", loopOPTPart*100)
		var parts []string
		ok, n := true, 0
		if r := t.find("loop"); r != nil {
			for s, size := range r.W.Sizes {
				if size < 500 || size > 1000 {
					continue
				}
				d, ok1 := t.get(r, nameDefault, s)
				o, ok2 := t.get(r, nameOPT, s)
				if !ok1 || !ok2 {
					continue
				}
				n++
				need := round2(loopOPTPart * o)
				pass := d >= need
				ok = ok && pass
				parts = append(parts, fmt.Sprintf("%d: %.2f vs %.2f needed (OPT %.2f)%s", size, d, need, o, map[bool]string{false: " ✗"}[pass]))
			}
		}
		if n == 0 {
			out = append(out, check{Target: target, Status: "SKIP", Detail: "no loop results at those sizes in this run"})
		} else {
			out = append(out, check{Target: target, Status: status(ok), Detail: strings.Join(parts, "; ")})
		}
	}

	// 4. No loss to LRU where LRU is at its best.
	out = append(out, within(
		fmt.Sprintf("sprite and web12: the sharded default is never more than %.0f point below LRU", lruSlack),
		t.compare([]string{"sprite", "web12"}, func(r *result, s int) (float64, bool) { return t.get(r, nameLRU, s) }),
		lruSlack))

	// 5. Sharding costs (almost) nothing.
	{
		single := singleName(eviction.Default.Resolve())
		gaps := t.compare(nil, func(r *result, s int) (float64, bool) { return t.get(r, single, s) })
		target := fmt.Sprintf("The sharded default is within %.1f of the same policy (%v) in one shard at every workload and size",
			shardSlack, eviction.Default.Resolve())
		if len(gaps) == 0 {
			out = append(out, check{Target: target, Status: "SKIP", Detail: "no results for it in this run"})
		} else {
			var bad []string
			far := gaps[0]
			for _, g := range gaps {
				if math.Abs(g.margin()) > math.Abs(far.margin()) {
					far = g
				}
				if math.Abs(g.margin()) > shardSlack+1e-9 {
					bad = append(bad, g.String())
				}
			}
			detail := fmt.Sprintf("%d of %d points within; largest difference: %s", len(gaps)-len(bad), len(gaps), far)
			if len(bad) > 0 {
				detail += "; failing: " + strings.Join(clip(bad, 10), "; ")
			}
			out = append(out, check{Target: target, Status: status(len(bad) == 0), Detail: detail})
		}
	}

	// 6. The GC-free store's policy is at least as good as freecache's.
	out = append(out, within(
		"The GC-free store is at least freecache's at every workload and size freecache can be sized for",
		t.compareRow(nameGCFree, nil, func(r *result, s int) (float64, bool) { return t.get(r, nameFreecache, s) }), 0))

	// 7. And close to the object cache on average.
	{
		target := fmt.Sprintf("The GC-free store's average over all workloads and sizes is within %.0f points of the sharded default's", gcfreeSlack)
		g, d := t.average(nameGCFree), t.average(nameDefault)
		if g.NAll == 0 || d.NAll == 0 {
			out = append(out, check{Target: target, Status: "SKIP", Detail: "no results for it in this run"})
		} else {
			out = append(out, check{Target: target, Status: status(g.All >= d.All-gcfreeSlack-1e-9),
				Detail: fmt.Sprintf("GC-free %.2f vs default %.2f (%+.2f), over %d points", g.All, d.All, round2(g.All-d.All), g.NAll)})
		}
	}
	return out
}

// furthestFromOPT returns the point where the default trails OPT most.
func (t *table) furthestFromOPT() (gap, bool) {
	gaps := t.compare(nil, func(r *result, s int) (float64, bool) { return t.get(r, nameOPT, s) })
	if len(gaps) == 0 {
		return gap{}, false
	}
	return worst(gaps), true
}

// reportInfo is what the report says about the run itself.
type reportInfo struct {
	Command  string
	Duration string
	Machine  string
	Notes    []string // one per contender, "name: notes"
	Partial  bool
	Seeds    seeding // how often seeded caches were replayed
}

// writeSummary writes the summary and target sections.
func (t *table) writeSummary(w io.Writer) {
	fmt.Fprintf(w, "## Summary\n\n")
	fmt.Fprintf(w, "Average hit ratio (%%) of each cache over every workload and size, each point weighted equally, best first. "+
		"\"Real traces\" leaves out the synthetic Zipf workloads.\n\n")
	type row struct {
		name string
		avg  average
	}
	var rows []row
	for _, n := range t.names {
		rows = append(rows, row{n, t.average(n)})
	}
	slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(b.avg.All, a.avg.All) })
	a0 := rows[0].avg
	fmt.Fprintf(w, "| cache | all (%d points) | real traces (%d) | synthetic (%d) |\n|---|---:|---:|---:|\n", a0.NAll, a0.NReal, a0.NSynth)
	for _, r := range rows {
		name := r.name
		if name == nameDefault {
			name = "**" + name + "**"
		}
		if r.avg.NAll != a0.NAll {
			name += fmt.Sprintf(" (%d points)", r.avg.NAll)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", name, pct(r.avg.All), pct(r.avg.Real), pct(r.avg.Synthetic))
	}
	fmt.Fprintln(w)
	if g, ok := t.furthestFromOPT(); ok {
		fmt.Fprintf(w, "The sharded default is furthest below OPT on %s: %.2f vs %.2f (%+.2f points).\n\n", g.p, g.def, g.ref, g.margin())
	}

	fmt.Fprintf(w, "## Targets\n\n")
	fmt.Fprintf(w, "Checked on the rounded values shown in the tables; \"the default\" is the sharded `Options{MaxEntries: n}` row.\n\n")
	fmt.Fprintf(w, "| # | target | result | numbers |\n|---|---|---|---|\n")
	for i, c := range t.checks() {
		fmt.Fprintf(w, "| %d | %s | **%s** | %s |\n", i+1, mdCell(c.Target), c.Status, mdCell(c.Detail))
	}
	fmt.Fprintln(w)
}

// writeWorkload writes one workload's section: its description and
// source, the hit ratio table, the default's gaps, and the chart link.
func (t *table) writeWorkload(w io.Writer, r *result, chartPath string) {
	fmt.Fprintf(w, "## %s\n\n", r.W.Name)
	fmt.Fprintf(w, "%s. %s requests", capitalize(r.W.Description), thousands(r.W.Requests))
	if r.W.Distinct > 0 {
		fmt.Fprintf(w, ", %s distinct keys", thousands(r.W.Distinct))
	}
	fmt.Fprintf(w, ".\n\nSource: %s\n\n", r.W.Source)

	header := func(first string) {
		fmt.Fprintf(w, "| %s |", first)
		for _, size := range r.W.Sizes {
			fmt.Fprintf(w, " %d |", size)
		}
		fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---:|", len(r.W.Sizes)))
	}
	header("cache \\ size")
	// The best cache at each size (OPT aside) is in bold.
	best := make([]float64, len(r.W.Sizes))
	for s := range best {
		best[s] = math.Inf(-1)
		for _, n := range t.names {
			if v, ok := t.get(r, n, s); ok && n != nameOPT && v > best[s] {
				best[s] = v
			}
		}
	}
	for _, n := range t.names {
		fmt.Fprintf(w, "| %s |", n)
		for s := range r.W.Sizes {
			v, ok := t.get(r, n, s)
			if !ok {
				fmt.Fprintf(w, " – |")
			} else if n != nameOPT && v == best[s] {
				fmt.Fprintf(w, " **%.2f** |", v)
			} else {
				fmt.Fprintf(w, " %.2f |", v)
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)

	fmt.Fprintf(w, "Gap of the sharded default, in points (negative: the default is below):\n\n")
	header("gap \\ size")
	gapRow := func(label string, ref func(r *result, s int) (float64, bool)) {
		fmt.Fprintf(w, "| %s |", label)
		for s := range r.W.Sizes {
			d, _ := t.get(r, nameDefault, s)
			v, ok := ref(r, s)
			if ok {
				fmt.Fprintf(w, " %+.2f |", round2(d-v))
			} else {
				fmt.Fprintf(w, " – |")
			}
		}
		fmt.Fprintln(w)
	}
	gapRow("default − OPT", func(r *result, s int) (float64, bool) { return t.get(r, nameOPT, s) })
	gapRow("default − max(otter, theine)", t.rival)
	fmt.Fprintln(w)
	shards := make([]string, len(r.W.Sizes))
	for s, size := range r.W.Sizes {
		shards[s] = fmt.Sprint(defaultShards(size))
	}
	fmt.Fprintf(w, "The sharded default has %s shards at these sizes.\n\n", strings.Join(shards, ", "))
	t.writeSpread(w, r)
	if chartPath != "" {
		fmt.Fprintf(w, "![hit ratio against cache size on %s](%s)\n\n", r.W.Name, chartPath)
	}
}

// writeSpread says how many replays the seeded Strata rows averaged on
// r, and how far apart their highest and lowest were, when there were
// several.
func (t *table) writeSpread(w io.Writer, r *result) {
	for _, n := range []string{nameDefault, singleName(eviction.Default.Resolve())} {
		i, ok := t.row[n]
		if !ok || len(r.Runs) <= i || slices.Max(r.Runs[i]) <= 1 {
			continue
		}
		runs := r.Runs[i][0]
		spreads := make([]string, len(r.W.Sizes))
		for s := range r.W.Sizes {
			spreads[s] = fmt.Sprintf("%.2f", r.Spread[i][s])
			runs = min(runs, r.Runs[i][s])
		}
		fmt.Fprintf(w, "%s: mean of %d replays at each size; highest minus lowest: %s.\n\n",
			capitalize(n), runs, strings.Join(spreads, ", "))
	}
}

// writeReport writes the whole Markdown report. chartPath maps a workload
// name to the chart's path relative to the report, or "" for none.
func (t *table) writeReport(w io.Writer, info reportInfo, chartPath func(string) string) {
	fmt.Fprintf(w, "# Hit ratios on the shared traces\n\n")
	fmt.Fprintf(w, "Generated by `%s` in %s on %s. Do not edit by hand: rerun the command.\n\n", info.Command, info.Duration, info.Machine)
	if info.Partial {
		fmt.Fprintf(w, "**Partial run**: only part of the workloads or sizes; the summary covers only what ran.\n\n")
	}
	fmt.Fprintf(w, "Each workload is replayed from a cold cache, one request at a time on one goroutine: every request is a `Get`, "+
		"and a miss is followed by a `Set` of the same key. Hit ratio = hits / all requests, in %%, compulsory misses "+
		"included, as in the reference tables of the traces' README. Sizes are the conventional ones for each trace "+
		"(from `benchmarks/internal/trace`); values are entries.\n\n")
	fmt.Fprintf(w, "Otter, theine and ristretto hand writes to their policy asynchronously by default. Left alone they hold "+
		"more than n entries for a while after each burst of misses, which inflates their hit ratios (on loop, otter scores "+
		"about 68%% with 500 entries when no cache of 500 entries can pass 49.5%%). So otter runs its maintenance on the "+
		"calling goroutine, and theine and ristretto get a `Wait` after every `Set`: every cache is held to n entries.\n\n")
	fmt.Fprintf(w, "Strata and otter hash keys with a seed chosen at random for each cache, and theine and ristretto "+
		"drop some reads from their lossy buffers, so one replay is one draw: two caches built alike can differ by a "+
		"point or two on the smallest caches (on gli at 250 entries two draws of the same one-shard TinyLFU differed by "+
		"1.9). %s Below 8192 entries the sharded default has a single shard, so there its row and "+
		"the single-shard row of the same policy differ only by the remaining noise.\n\n", seedsSentence(info.Seeds))
	fmt.Fprintf(w, "Where the default is furthest from OPT and from the other caches, and why as far as we know, is in "+
		"[eviction.md](eviction.md), and the experiments behind it in the [notes](../benchmarks/notes/hitratio-notes.md), which quote the run they were checked against.\n\n")
	fmt.Fprintf(w, "The caches:\n\n")
	for _, n := range info.Notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
	fmt.Fprintln(w)
	t.writeSummary(w)
	for i := range t.results {
		r := &t.results[i]
		t.writeWorkload(w, r, chartPath(r.W.Name))
	}
}

// seedsSentence says how the seeded caches were replayed.
func seedsSentence(sd seeding) string {
	if sd.Min <= 1 {
		return "In this run every cache was replayed once per point."
	}
	return fmt.Sprintf("So the rows of these caches (the sharded default, TinyLFU in one shard, otter, theine and "+
		"ristretto) are the mean of several replays per point, each with a new cache and so a new seed: on short "+
		"traces as many as replay about %s requests, at most %d, and at least %d for the Strata rows and otter. "+
		"Theine and ristretto, whose replays are the run's long pole, get as many as replay about %s requests, "+
		"so one replay on traces of that length or more, where a few tenths of noise remain in their rows. The count and "+
		"spread of the Strata rows are under each table.", thousands(sd.Requests), sd.Max, sd.Min, thousands(sd.SlowRequests))
}

// pct formats an average, or a dash when there is none.
func pct(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

// mdCell makes s safe inside a Markdown table cell.
func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// thousands formats n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// defaultShards is the shard count cache.New picks for n entries when
// Options.Shards is 0, read from a cache made that way.
func defaultShards(n int) int {
	c := cache.Must(cache.New(cache.Options[uint64, struct{}]{MaxEntries: n}))
	defer c.Close()
	return c.Shards()
}
