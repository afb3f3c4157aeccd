package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// loadAverage returns the machine's 1-minute load average, from
// /proc/loadavg; ok is false where there is none (systems other than
// Linux).
func loadAverage() (load float64, ok bool) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, false
	}
	load, err = strconv.ParseFloat(f[0], 64)
	return load, err == nil
}

// loadReading is the load average at one moment, if known.
type loadReading struct {
	load float64
	ok   bool
}

func (cfg *config) readLoad() loadReading {
	l, ok := cfg.loadAvg()
	return loadReading{l, ok}
}

func (r loadReading) String() string {
	if !r.ok {
		return "unknown"
	}
	return strconv.FormatFloat(r.load, 'f', 2, 64)
}

// saturated reports whether other work kept every CPU busy: a 1-minute
// load average, before or after the traffic, of at least one runnable
// thread per CPU. The demo's own traffic adds to the reading taken after
// it, but over a few seconds by far less than one per CPU.
func saturated(cpus int, readings ...loadReading) (loadReading, bool) {
	var worst loadReading
	for _, r := range readings {
		if r.ok && (!worst.ok || r.load > worst.load) {
			worst = r
		}
	}
	return worst, worst.ok && worst.load >= float64(cpus)
}

// warnSaturated prints why the numbers of a run on a saturated machine
// say more about the machine than about the cache.
func warnSaturated(out io.Writer, worst loadReading, cpus int) {
	fmt.Fprintf(out, "\nWARNING: the load average was %s on %d CPUs: other work saturates this machine.\n", worst, cpus)
	fmt.Fprint(out, `  The modes took turns, so both met the same competition. But with CPUs this
  scarce, requests wait for a CPU more than for the backend: throughput
  follows the CPU time per request more than the backend calls saved, and
  the latencies are mostly queueing. The backend calls saved and the CPU
  time per request compare fairly; for latencies, run on a quiet machine.
`)
}
