// Command scalemodel estimates how far each write-path design scales with
// cores under skewed keys: the share of writes that land on the hottest
// shard, how busy that shard's serial sections are, and the core count at
// which the busiest one saturates.
//
// Its inputs are the per-write costs of the serial sections, measured on
// this machine by the shard package's BenchmarkWriteSections, for the
// design before the write buffer (the whole write under the shard lock:
// "set" run on that tree) and after it ("data", under the data lock; and
// "drain", the policy lock's share per write):
//
//	cd shard && go test -run '^$' -bench WriteSections -count 6 > new.txt
//	cd benchmarks && go run ./cmd/scalemodel -old 1050 < ../shard/new.txt
//
// The model: N cores issue writes back to back, each spending free
// nanoseconds outside any shard lock (hashing, the caller's own work) plus
// the sections of its write. A serial section of cost c on the hottest
// shard, which receives a share h of all writes, is busy
// U = N·h·c / (free + cost of a write) of the time, and saturates at U = 1:
// beyond that, adding cores adds waiting, not writes. Readers take no lock
// in either design and are left out.
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
	old := flag.Float64("old", 0, "ns per write held under the shard lock by the old design (its BenchmarkWriteSections/set); required")
	free := flag.Float64("free", 100, "ns per write spent outside any shard lock (hashing, the caller's work)")
	keys := flag.Int("keys", 1_000_000, "distinct keys")
	shards := flag.Int("shards", 64, "shards (the cache's default)")
	flag.Parse()
	if *old <= 0 {
		fmt.Fprintln(os.Stderr, "scalemodel: -old is required: the old design's ns per write under the lock")
		os.Exit(2)
	}
	m, err := parseBench(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scalemodel:", err)
		os.Exit(1)
	}
	data, drain := m["data"], m["drain"]
	if data == 0 || drain == 0 {
		fmt.Fprintln(os.Stderr, "scalemodel: stdin has no BenchmarkWriteSections/data and /drain lines")
		os.Exit(1)
	}
	fmt.Printf("Inputs (ns per write, medians): old design under its lock %.0f; new: data lock %.0f, policy drain %.0f; outside locks %.0f. %d keys over %d shards.\n\n",
		*old, data, drain, *free, *keys, *shards)
	fmt.Println("| Zipf s | hottest shard's share of writes | cores | old: lock busy | new: data lock busy | new: policy busy | old saturates at | new saturates at |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, s := range []float64{0.8, 0.9, 1.0, 1.1, 1.2} {
		h := hottestShare(s, *keys, *shards)
		oldOp := *free + *old
		newOp := *free + data + drain
		oldSat := oldOp / (h * *old)
		newSat := newOp / (h * max(data, drain))
		for _, n := range []float64{2, 8, 16, 64} {
			fmt.Printf("| %.1f | %.1f%% | %.0f | %s | %s | %s | %.0f cores | %.0f cores |\n", s, 100*h, n,
				busy(n*h**old/oldOp), busy(n*h*data/newOp), busy(n*h*drain/newOp), oldSat, newSat)
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

// hottestShare returns the largest share of Zipf(s) accesses over n keys
// that one of the shards receives, keys placed on shards at random as a
// good hash places them (the same placement for every s).
func hottestShare(s float64, n, shards int) float64 {
	r := rand.New(rand.NewPCG(7, 11))
	load := make([]float64, shards)
	var total float64
	for k := 1; k <= n; k++ {
		p := math.Pow(float64(k), -s)
		load[r.IntN(shards)] += p
		total += p
	}
	return slices.Max(load) / total
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
