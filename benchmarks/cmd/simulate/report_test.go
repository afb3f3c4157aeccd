package main

import (
	"bytes"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stratacache/cache/eviction"
)

// rows are the row names of the test tables, in this order.
var rows = []string{nameDefault, singleName(eviction.Default.Resolve()), nameOtter, nameTheine, nameLRU, nameOPT,
	nameGCFree, nameFreecache}

// fake builds a result: vals[row] holds one value per size.
func fake(name string, synthetic bool, sizes []int, vals ...[]float64) result {
	return result{W: workload{Name: name, Sizes: sizes, Synthetic: synthetic, Description: "a test workload",
		Source: "made up for the test", Requests: 1000}, Ratio: vals}
}

// passing is a set of results that meets every target.
func passing() []result {
	return []result{
		fake("loop", false, []int{250, 500, 1000},
			[]float64{20, 47, 94}, // default: 95% of OPT at 500 (46.89) and 1000 (93.77)
			[]float64{20, 47, 94},
			[]float64{20, 44, 93}, // otter
			[]float64{20.5, 47.5, 94.5},
			[]float64{0, 0, 0},
			[]float64{24.63, 49.36, 98.71},
			[]float64{19, 46, 93},
			[]float64{math.NaN(), 45, 92}), // freecache cannot be sized for 250
		fake("sprite", false, []int{100, 200},
			[]float64{21, 40}, []float64{21.2, 40}, []float64{20, 39}, []float64{20, 39}, []float64{21.58, 39.88}, []float64{50, 68},
			[]float64{20, 39}, []float64{19, 38}),
		fake("web12", false, []int{300},
			[]float64{50}, []float64{50}, []float64{49}, []float64{50.5}, []float64{49}, []float64{66}, []float64{49}, []float64{48}),
		fake("zipf-1.0", true, []int{100},
			[]float64{40}, []float64{40.5}, []float64{39}, []float64{39.5}, []float64{30}, []float64{47}, []float64{39}, []float64{38}),
	}
}

func statuses(cs []check) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.Status)
	}
	return strings.Join(s, " ")
}

func TestChecksPass(t *testing.T) {
	tb := newTable(passing(), rows)
	cs := tb.checks()
	if got := statuses(cs); got != "PASS PASS PASS PASS PASS PASS PASS" {
		for _, c := range cs {
			t.Logf("%s: %s: %s", c.Status, c.Target, c.Detail)
		}
		t.Fatalf("statuses = %s, want all PASS", got)
	}
	// The numbers behind each verdict are given.
	if !strings.Contains(cs[0].Detail, "worst: loop at 250: 20.00 vs 20.50 (-0.50)") {
		t.Errorf("check 1 detail = %q", cs[0].Detail)
	}
	if !strings.Contains(cs[2].Detail, "500: 47.00 vs 46.89 needed (OPT 49.36)") {
		t.Errorf("check 3 detail = %q", cs[2].Detail)
	}
	if !strings.Contains(cs[3].Detail, "sprite at 100: 21.00 vs 21.58 (-0.58)") {
		t.Errorf("check 4 detail = %q", cs[3].Detail)
	}
	if !strings.Contains(cs[4].Detail, "zipf-1.0 at 100: 40.00 vs 40.50 (-0.50)") {
		t.Errorf("check 5 detail = %q", cs[4].Detail)
	}
	// freecache's missing point is left out, not counted as 0.
	if !strings.Contains(cs[5].Detail, "6 of 6 points within") {
		t.Errorf("check 6 detail = %q", cs[5].Detail)
	}
	if !strings.Contains(cs[6].Detail, "GC-free 43.57 vs default 44.57 (-1.00), over 7 points") {
		t.Errorf("check 7 detail = %q", cs[6].Detail)
	}
}

func TestChecksFailAtTheirThresholds(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(rs []result)
		check int // index of the check that must fail
	}{
		{"behind theine by more than 0.5", func(rs []result) { rs[0].Ratio[3][1] = 47.51 }, 0},
		{"average not strictly above", func(rs []result) {
			// Raise theine on sprite so its average equals the default's.
			d, th := 0.0, 0.0
			n := 0
			for _, r := range rs {
				for s := range r.W.Sizes {
					d += r.Ratio[0][s]
					th += r.Ratio[3][s]
					n++
				}
			}
			rs[1].Ratio[3][0] += d - th
		}, 1},
		{"loop below 95% of OPT", func(rs []result) {
			rs[0].Ratio[0][2], rs[0].Ratio[1][2], rs[0].Ratio[3][2] = 93.76, 93.76, 94
		}, 2},
		{"web12 more than a point below LRU", func(rs []result) { rs[2].Ratio[4][0] = 51.01 }, 3},
		{"sharding costs more than 0.5", func(rs []result) { rs[1].Ratio[1][1] = 40.51 }, 4},
		{"sharding gains more than 0.5", func(rs []result) { rs[1].Ratio[1][1] = 39.49 }, 4},
		{"GC-free below freecache", func(rs []result) { rs[0].Ratio[7][1] = 46.01 }, 5},
		{"GC-free more than 2 below the default on average", func(rs []result) {
			for _, r := range rs {
				for s := range r.W.Sizes {
					r.Ratio[6][s] = r.Ratio[0][s] - 2.01
					r.Ratio[7][s] = r.Ratio[6][s] - 1
				}
			}
		}, 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := passing()
			tc.edit(rs)
			cs := newTable(rs, rows).checks()
			for i, c := range cs {
				want := "PASS"
				if i == tc.check {
					want = "FAIL"
				}
				if c.Status != want {
					t.Errorf("check %d: %s, want %s (%s)", i+1, c.Status, want, c.Detail)
				}
			}
			if d := cs[tc.check].Detail; tc.check != 1 && tc.check != 2 && tc.check != 6 && !strings.Contains(d, "failing:") {
				t.Errorf("failing check does not list the failures: %q", d)
			}
		})
	}
}

func TestChecksSkipWhatDidNotRun(t *testing.T) {
	rs := passing()[3:] // only the synthetic workload
	cs := newTable(rs, rows).checks()
	if got := statuses(cs); got != "PASS PASS SKIP SKIP PASS PASS PASS" {
		t.Errorf("statuses = %s", got)
	}
	// Without otter and theine rows, their checks are skipped.
	cs = newTable(rs, []string{nameDefault, singleName(eviction.Default.Resolve()), "x", "y", nameLRU, nameOPT, "z", "w"}).checks()
	if got := statuses(cs); got != "SKIP SKIP SKIP SKIP PASS SKIP SKIP" {
		t.Errorf("statuses without rivals = %s", got)
	}
}

func TestAverages(t *testing.T) {
	tb := newTable(passing(), rows)
	a := tb.average(nameDefault)
	if a.NAll != 7 || a.NReal != 6 || a.NSynth != 1 {
		t.Fatalf("point counts %+v", a)
	}
	if want := round2((20 + 47 + 94 + 21 + 40 + 50 + 40) / 7.0); a.All != want {
		t.Errorf("average = %v, want %v", a.All, want)
	}
	if a.Synthetic != 40 {
		t.Errorf("synthetic average = %v, want 40", a.Synthetic)
	}
	if a := tb.average("missing"); !math.IsNaN(a.All) {
		t.Errorf("average of a missing row = %v, want NaN", a.All)
	}
	g, ok := tb.furthestFromOPT()
	if !ok || g.p != (point{"sprite", 100}) || g.margin() != -29 {
		t.Errorf("furthestFromOPT = %v", g)
	}
}

func TestReport(t *testing.T) {
	tb := newTable(passing(), rows)
	var b bytes.Buffer
	info := reportInfo{Command: "cd benchmarks && go run ./cmd/simulate", Duration: "1m2s", Machine: "test box",
		Notes: []string{"**x**: y"}}
	tb.writeReport(&b, info, func(name string) string { return "hitratio/" + name + ".svg" })
	md := b.String()
	for _, want := range []string{
		"# Hit ratios on the shared traces",
		"Generated by `cd benchmarks && go run ./cmd/simulate` in 1m2s on test box.",
		"| cache | all (7 points) | real traces (6) | synthetic (1) |",
		"| **" + nameDefault + "** |",
		"The sharded default is furthest below OPT on sprite at 100: 21.00 vs 50.00 (-29.00 points).",
		"| 1 | The sharded default is at least max(otter, theine) − 0.5 at every workload and size | **PASS** |",
		"## loop",
		"Source: made up for the test",
		"| cache \\ size | 250 | 500 | 1000 |\n|---|---:|---:|---:|\n",
		"| " + nameDefault + " | 20.00 | 47.00 | 94.00 |",
		"| " + nameTheine + " | **20.50** | **47.50** | **94.50** |",
		"| " + nameOPT + " | 24.63 | 49.36 | 98.71 |", // OPT is never bold
		"| default − OPT | -4.63 | -2.36 | -4.71 |",
		"| default − max(otter, theine) | -0.50 | -0.50 | -0.50 |",
		"![hit ratio against cache size on loop](hitratio/loop.svg)",
		"The sharded default has 1, 1, 1 shards at these sizes.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(md, "Partial run") {
		t.Error("a full run is called partial")
	}
	if strings.Count(md, "\n## ") != 2+4 {
		t.Errorf("want Summary, Targets and 4 workload sections")
	}
}

// The reports go to docs/ (-out ../docs/hitratio*.md): every relative
// link they write, but the charts the run draws beside them, must lead to
// a file of the repository from there.
func TestReportLinksResolveFromDocs(t *testing.T) {
	root, err := findRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	tb := newTable(passing(), rows)
	var b bytes.Buffer
	tb.writeReport(&b, reportInfo{Command: "x", Duration: "1s", Machine: "m"}, func(name string) string { return "hitratio/" + name + ".svg" })
	links := regexp.MustCompile(`\]\(([^)#:]+)(#[^)]*)?\)`).FindAllStringSubmatch(b.String(), -1)
	checked := 0
	for _, m := range links {
		if strings.HasPrefix(m[1], "hitratio/") {
			continue
		}
		checked++
		if !fileExists(filepath.Join(root, "docs", filepath.FromSlash(m[1]))) {
			t.Errorf("the report links to %s, which is not there from docs/", m[1])
		}
	}
	if checked == 0 {
		t.Fatal("found no link to check: the pattern is wrong")
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 12672123: "12,672,123"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
