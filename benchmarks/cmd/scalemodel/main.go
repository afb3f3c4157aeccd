// Command scalemodel estimates how far each write-path design scales with
// cores under skewed keys: the share of writes that land on the hottest
// shard, how busy that shard's serial sections are, and the core count at
// which the busiest one saturates.
//
// Its inputs are the per-write costs of the serial sections, measured by
// the shard package's BenchmarkWriteSections on three trees: the one
// before the write buffer (the whole write under the shard lock: "set"),
// optionally the write buffer's first tree, whose overwrites still took
// the data lock, and this one ("data", under the data lock for an insert
// and the whole lock-free write for an overwrite; "claim", the part of an
// overwrite holding its entry's claim; "drain", the policy lock's share
// per write), each for writes that insert a new key and for overwrites:
//
//	git worktree add /tmp/old 4e5e74b   # the last tree before the write buffer
//	git worktree add /tmp/buf 73b091e   # overwrites under the data lock
//	(cd /tmp/old && go test -run '^$' -bench WriteSections -count 6 ./shard) > old.txt
//	(cd /tmp/buf && go test -run '^$' -bench WriteSections -count 6 ./shard) > buf.txt
//	go test -run '^$' -bench WriteSections -count 6 ./shard > new.txt
//	cd benchmarks && go run ./cmd/scalemodel -old ../old.txt -buffered ../buf.txt -new ../new.txt
//
// (The old tree needs shard/sections_bench_test.go copied in, without the
// data, claim and drain runs; the buffered one without the claim run.)
//
// The model: N cores issue writes back to back, each spending -free
// nanoseconds outside any shard lock (hashing, the caller's own work) plus
// the sections of its write. Keys follow Zipf(s) over -keys keys, placed
// on -shards shards at random as a good hash places them; the cache holds
// the -capacity most popular keys, so a write of one of them overwrites
// and any other inserts (and evicts). A serial section of mean cost c on
// the hottest shard, which receives a share h of all writes, is busy
// U = N·h·c / (free + mean cost of a write) of the time and saturates at
// U = 1: beyond that, more cores add waiting, not writes. In this tree
// overwrites take no shard lock, but writers of one key wait for each
// other's claim: the most popular key, with a share k of all writes, keeps
// its claim busy U = N·k·claim / (mean cost of a write). Readers take no
// lock in any design and are left out.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
)

func main() {
	oldPath := flag.String("old", "", "BenchmarkWriteSections output of the tree before the write buffer")
	bufPath := flag.String("buffered", "", "BenchmarkWriteSections output of the write buffer's first tree, whose overwrites took the data lock (optional)")
	newPath := flag.String("new", "", "BenchmarkWriteSections output of this tree")
	free := flag.Float64("free", 100, "ns per write spent outside any shard lock (hashing, the caller's work)")
	keys := flag.Int("keys", 1_000_000, "distinct keys")
	capacity := flag.Int("capacity", 100_000, "entries the cache holds")
	shards := flag.Int("shards", 64, "shards (the cache's default)")
	flag.Parse()
	in, err := inputs(*oldPath, *bufPath, *newPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scalemodel:", err)
		os.Exit(2)
	}
	cost := func(name string, overwrite float64) float64 {
		return overwrite*in[name+"/overwrite"] + (1-overwrite)*in[name+"/insert"]
	}
	withBuf := in["buf data/insert"] != 0
	fmt.Printf("Inputs, ns per write (medians; insert / overwrite): old design under its lock %.0f / %.0f; ",
		in["old set/insert"], in["old set/overwrite"])
	if withBuf {
		fmt.Printf("buffered, under the data lock %.0f / %.0f, policy drain %.0f / %.0f; ",
			in["buf data/insert"], in["buf data/overwrite"], in["buf drain/insert"], in["buf drain/overwrite"])
	}
	fmt.Printf("now, under the data lock %.0f / none, whole overwrite %.0f of which %.0f holding the entry's claim, policy drain %.0f / %.0f; "+
		"outside locks %.0f. %d keys, the %d most popular resident, %d shards.\n\n",
		in["new data/insert"], in["new data/overwrite"], in["new claim/overwrite"], in["new drain/insert"], in["new drain/overwrite"],
		*free, *keys, *capacity, *shards)
	head := "| Zipf s | hottest shard's share of writes | of them overwrites | hottest key's share | cores | old: lock busy |"
	rule := "| --- | --- | --- | --- | --- | --- |"
	if withBuf {
		head += " buffered: data lock busy |"
		rule += " --- |"
	}
	fmt.Println(head + " now: data lock busy | now: policy busy | now: hottest key's claim busy | saturates at (old / " +
		map[bool]string{true: "buffered / ", false: ""}[withBuf] + "now) |")
	fmt.Println(rule + " --- | --- | --- | --- |")
	for _, s := range []float64{0.8, 0.9, 1.0, 1.1, 1.2} {
		h, hotOver, allOver, key := hottestShare(s, *keys, *capacity, *shards)
		// Each design's serial sections on the hottest shard, as ns per
		// write there, and a write's mean cost over all shards.
		oldOp := *free + cost("old set", allOver)
		oldHot := cost("old set", hotOver)
		bufOp := *free + cost("buf data", allOver) + cost("buf drain", allOver)
		bufHot := max(cost("buf data", hotOver), cost("buf drain", hotOver))
		newOp := *free + cost("new data", allOver) + cost("new drain", allOver)
		dataHot := (1 - hotOver) * in["new data/insert"] // overwrites take no data lock
		drainHot := cost("new drain", hotOver)
		claimKey := in["new claim/overwrite"] // per write of the hottest key
		sat := fmt.Sprintf("%.0f", oldOp/(h*oldHot))
		if withBuf {
			sat += fmt.Sprintf(" / %.0f", bufOp/(h*bufHot))
		}
		sat += fmt.Sprintf(" / %.0f cores", min(newOp/(h*max(dataHot, drainHot)), newOp/(key*claimKey)))
		for _, n := range []float64{2, 8, 16, 64} {
			row := fmt.Sprintf("| %.1f | %.1f%% | %.0f%% | %.1f%% | %.0f | %s |", s, 100*h, 100*hotOver, 100*key, n, busy(n*h*oldHot/oldOp))
			if withBuf {
				row += fmt.Sprintf(" %s |", busy(n*h*cost("buf data", hotOver)/bufOp))
			}
			fmt.Printf("%s %s | %s | %s | %s |\n", row, busy(n*h*dataHot/newOp), busy(n*h*drainHot/newOp), busy(n*key*claimKey/newOp), sat)
		}
	}
}

// inputs reads the three trees' BenchmarkWriteSections outputs into one
// map, each name prefixed "old ", "buf " or "new ", and checks that what
// the model needs is there.
func inputs(oldPath, bufPath, newPath string) (map[string]float64, error) {
	in := map[string]float64{}
	need := []string{"old set/insert", "old set/overwrite", "new data/insert", "new data/overwrite",
		"new claim/overwrite", "new drain/insert", "new drain/overwrite"}
	files := [][2]string{{"old ", oldPath}, {"new ", newPath}}
	if bufPath != "" {
		files = append(files, [2]string{"buf ", bufPath})
		need = append(need, "buf data/insert", "buf data/overwrite", "buf drain/insert", "buf drain/overwrite")
	}
	for _, f := range files {
		m, err := parseFile(f[1])
		if err != nil {
			return nil, err
		}
		for k, v := range m {
			in[f[0]+k] = v
		}
	}
	for _, n := range need {
		if in[n] == 0 {
			return nil, fmt.Errorf("no BenchmarkWriteSections/%s in the %s input", n[4:], strings.TrimSpace(n[:4]))
		}
	}
	return in, nil
}

// busy prints a utilisation, capped at the saturation it implies.
func busy(u float64) string {
	if u >= 1 {
		return fmt.Sprintf("saturated (%.0f%% asked)", 100*u)
	}
	return fmt.Sprintf("%.0f%%", 100*u)
}

// hottestShare returns the largest share of Zipf(s) accesses over n
// keys that one of the shards receives, keys placed on shards at random
// as a good hash places them (the same placement for every s); the share
// of that shard's accesses, and of all accesses, that go to the capacity
// most popular keys; and the most popular key's share of all accesses.
func hottestShare(s float64, n, capacity, shards int) (h, hotOver, allOver, key float64) {
	r := rand.New(rand.NewPCG(7, 11))
	load := make([]float64, shards)
	over := make([]float64, shards)
	var total, totalOver float64
	for k := 1; k <= n; k++ {
		p := math.Pow(float64(k), -s)
		i := r.IntN(shards)
		load[i] += p
		total += p
		if k <= capacity {
			over[i] += p
			totalOver += p
		}
	}
	hot := 0
	for i := range load {
		if load[i] > load[hot] {
			hot = i
		}
	}
	return load[hot] / total, over[hot] / load[hot], totalOver / total, 1 / total
}

func parseFile(path string) (map[string]float64, error) {
	if path == "" {
		return nil, fmt.Errorf("-old and -new are required (see the command's doc)")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseBench(f)
}

// parseBench reads `go test -bench` output and returns, for each
// BenchmarkWriteSections sub-benchmark, the median ns/op.
func parseBench(r io.Reader) (map[string]float64, error) {
	runs := map[string][]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "BenchmarkWriteSections/") || f[3] != "ns/op" {
			continue
		}
		name := strings.TrimPrefix(f[0], "BenchmarkWriteSections/")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i]
		}
		v, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			return nil, fmt.Errorf("line %q: %v", sc.Text(), err)
		}
		runs[name] = append(runs[name], v)
	}
	out := map[string]float64{}
	for name, v := range runs {
		slices.Sort(v)
		out[name] = v[len(v)/2]
	}
	return out, sc.Err()
}
