package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"time"

	"github.com/stratacache/cache/benchmarks"
)

// childOptions are the flags only a child process reads.
type childOptions struct {
	Cache    string
	Str      bool
	TTL      time.Duration
	Entries  int
	Duration time.Duration
	Samples  int
	ZipfS    float64
	Rate     float64 // bytes per second the GC scenario's application allocates
	// TPDuration is the length of one throughput run (GC-free suite).
	TPDuration time.Duration
	// TPOnly makes a GC-free child fill its cache and measure throughput
	// alone.
	TPOnly bool
}

func (o *childOptions) register() {
	flag.StringVar(&o.Cache, "child-cache", "", "internal: cache the child measures")
	flag.BoolVar(&o.Str, "child-str", false, "internal: string keys and []byte values")
	flag.DurationVar(&o.TTL, "child-ttl", 0, "internal: entry lifetime")
	flag.IntVar(&o.Entries, "child-entries", 0, "internal: entries")
	flag.DurationVar(&o.Duration, "child-duration", 0, "internal: load length")
	flag.IntVar(&o.Samples, "child-samples", 1<<22, "internal: key samples")
	flag.Float64Var(&o.ZipfS, "child-zipf", 1.0, "internal: Zipf exponent")
	flag.Float64Var(&o.Rate, "child-rate", 0, "internal: application allocation rate in bytes per second")
	flag.DurationVar(&o.TPDuration, "child-tp-duration", 0, "internal: throughput run length")
	flag.BoolVar(&o.TPOnly, "child-tp-only", false, "internal: measure throughput alone")
}

func (o childOptions) args() []string {
	return []string{
		"-child-cache=" + o.Cache,
		"-child-str=" + strconv.FormatBool(o.Str),
		"-child-ttl=" + o.TTL.String(),
		"-child-entries=" + strconv.Itoa(o.Entries),
		"-child-duration=" + o.Duration.String(),
		"-child-samples=" + strconv.Itoa(o.Samples),
		"-child-zipf=" + strconv.FormatFloat(o.ZipfS, 'g', -1, 64),
		"-child-rate=" + strconv.FormatFloat(o.Rate, 'g', -1, 64),
		"-child-tp-duration=" + o.TPDuration.String(),
		"-child-tp-only=" + strconv.FormatBool(o.TPOnly),
	}
}

// runChild runs one scenario in this (fresh) process and prints its result
// as JSON on stdout.
func runChild(kind string, o childOptions) error {
	if kind == "gcfree" {
		return runGCFreeChild(o)
	}
	im, ok := benchmarks.Lookup(o.Cache)
	if !ok {
		return fmt.Errorf("unknown cache %q", o.Cache)
	}
	var res any
	switch kind {
	case "mem":
		res = benchmarks.MeasureMemory(im, o.Entries, o.Str, o.TTL)
	case "gc":
		// Zipf ranks over twice the capacity: hot keys stay resident,
		// cold writes insert and evict.
		t0 := time.Now()
		keys := benchmarks.ZipfKeys(2*o.Entries, min(o.Samples, 1<<21), o.ZipfS, 2)
		fmt.Fprintf(os.Stderr, "  gc child %s: keys in %v\n", o.Cache, time.Since(t0).Round(time.Millisecond))
		res = benchmarks.MeasureGC(im, o.Entries, keys, runtime.GOMAXPROCS(0), o.Duration, o.Rate)
	default:
		return fmt.Errorf("unknown child scenario %q", kind)
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// inChild re-executes this binary to run scenario kind with o and decodes
// its JSON result into out.
func inChild(kind string, o childOptions, out any) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, append([]string{"-child=" + kind}, o.args()...)...)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s child for %s: %w", kind, o.Cache, err)
	}
	return json.Unmarshal(b, out)
}
