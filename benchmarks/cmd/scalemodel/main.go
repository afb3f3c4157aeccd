// Command scalemodel estimates how far each write-path design scales with
// cores under skewed keys: the share of writes that land on the hottest
// shard, how busy that shard's serial sections are, and the core count at
// which the busiest one saturates.
//
// Its inputs are the per-write costs of the serial sections, measured by
// the shard package's BenchmarkWriteSections on the tree before the write
// buffer (the whole write under the shard lock: "set") and on this one
// ("data", under the data lock; "drain", the policy lock's share per
// write), each for writes that insert a new key and for overwrites:
//
//	git worktree add /tmp/old 4e5e74b   # the last tree before the write buffer
//	(cd /tmp/old && go test -run '^$' -bench WriteSections -count 6 ./shard) > old.txt
//	go test -run '^$' -bench WriteSections -count 6 ./shard > new.txt
//	cd benchmarks && go run ./cmd/scalemodel -old ../old.txt -new ../new.txt
//
// (The old tree needs shard/sections_bench_test.go copied in, without the
// data and drain runs.)
//
// The model: N cores issue writes back to back, each spending -free
// nanoseconds outside any shard lock (hashing, the caller's own work) plus
// the sections of its write. Keys follow Zipf(s) over -keys keys, placed
// on -shards shards at random as a good hash places them; the cache holds
// the -capacity most popular keys, so a write of one of them overwrites
// and any other inserts (and evicts). A serial section of mean cost c on
// the hottest shard, which receives a share h of all writes, is busy
// U = N·h·c / (free + mean cost of a write) of the time and saturates at
// U = 1: beyond that, more cores add waiting, not writes. Readers take no
// lock in either design and are left out.
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
	newPath := flag.String("new", "", "BenchmarkWriteSections output of this tree")
	free := flag.Float64("free", 100, "ns per write spent outside any shard lock (hashing, the caller's work)")
	keys := flag.Int("keys", 1_000_000, "distinct keys")
	capacity := flag.Int("capacity", 100_000, "entries the cache holds")
	shards := flag.Int("shards", 64, "shards (the cache's default)")
	flag.Parse()
	old, err := parseFile(*oldPath)
	if err == nil {
		var m map[string]float64
		m, err = parseFile(*newPath)
		for k, v := range m {
			old["new "+k] = v
		}
	}
	for _, need := range []string{"set/insert", "set/overwrite", "new data/insert", "new data/overwrite", "new drain/insert", "new drain/overwrite"} {
		if err == nil && old[need] == 0 {
			err = fmt.Errorf("no BenchmarkWriteSections/%s in the input", strings.TrimPrefix(need, "new "))
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scalemodel:", err)
		os.Exit(2)
	}
	in := old
	cost := func(name string, overwrite float64) float64 {
		return overwrite*in[name+"/overwrite"] + (1-overwrite)*in[name+"/insert"]
	}
	fmt.Printf("Inputs, ns per write (medians; insert / overwrite): old design under its lock %.0f / %.0f; "+
		"new design under the data lock %.0f / %.0f, policy drain %.0f / %.0f; outside locks %.0f. "+
		"%d keys, the %d most popular resident, %d shards.\n\n",
		in["set/insert"], in["set/overwrite"], in["new data/insert"], in["new data/overwrite"],
		in["new drain/insert"], in["new drain/overwrite"], *free, *keys, *capacity, *shards)
	fmt.Println("| Zipf s | hottest shard's share of writes | of them overwrites | cores | old: lock busy | new: data lock busy | new: policy busy | old saturates at | new saturates at |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, s := range []float64{0.8, 0.9, 1.0, 1.1, 1.2} {
		h, hotOver, allOver := hottestShare(s, *keys, *capacity, *shards)
		oldOp := *free + cost("set", allOver)
		newOp := *free + cost("new data", allOver) + cost("new drain", allOver)
		oldHot := cost("set", hotOver)
		dataHot, drainHot := cost("new data", hotOver), cost("new drain", hotOver)
		oldSat := oldOp / (h * oldHot)
		newSat := newOp / (h * max(dataHot, drainHot))
		for _, n := range []float64{2, 8, 16, 64} {
			fmt.Printf("| %.1f | %.1f%% | %.0f%% | %.0f | %s | %s | %s | %.0f cores | %.0f cores |\n", s, 100*h, 100*hotOver, n,
				busy(n*h*oldHot/oldOp), busy(n*h*dataHot/newOp), busy(n*h*drainHot/newOp), oldSat, newSat)
		}
	}
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
// as a good hash places them (the same placement for every s); and the
// share of that shard's accesses, and of all accesses, that go to the
// capacity most popular keys.
func hottestShare(s float64, n, capacity, shards int) (h, hotOver, allOver float64) {
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
	return load[hot] / total, over[hot] / load[hot], totalOver / total
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
