package main

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stratacache/cache/benchmarks"
)

// busyTicks returns the machine's non-idle CPU time from /proc/stat in
// clock ticks, or false where there is no /proc/stat.
func busyTicks() (uint64, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, false
	}
	var busy uint64
	for i, s := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		v, _ := strconv.ParseUint(s, 10, 64)
		busy += v
	}
	return busy, true
}

// clkTck is the unit of /proc/stat: USER_HZ, 100 on every Linux platform Go
// supports.
const clkTck = 100

// othersCPU returns how many cores other processes kept busy over window,
// or -1 where that cannot be read.
func othersCPU(window time.Duration) float64 {
	b0, ok := busyTicks()
	if !ok {
		return -1
	}
	o0, t0 := benchmarks.ProcessCPU(), time.Now()
	time.Sleep(window)
	b1, _ := busyTicks()
	o1, el := benchmarks.ProcessCPU(), time.Since(t0)
	machine := float64(b1-b0) / clkTck
	return (machine - (o1 - o0).Seconds()) / el.Seconds()
}

// quiet waits, within what is left of its budget, until other processes
// use less than limit cores, so that measurements do not start in the
// middle of someone else's build. It reports the load it last saw.
type quiet struct {
	limit  float64
	budget time.Duration
	waited time.Duration
	worst  float64 // highest load seen when a wait gave up
}

func (q *quiet) wait(what string) {
	if q.limit <= 0 {
		return
	}
	for {
		others := othersCPU(300 * time.Millisecond)
		if others < 0 || others < q.limit {
			return
		}
		if q.waited >= q.budget {
			q.worst = max(q.worst, others)
			logf("%s: other processes use %.1f cores; wait budget spent, measuring anyway", what, others)
			return
		}
		logf("%s: other processes use %.1f cores; waiting", what, others)
		time.Sleep(2 * time.Second)
		q.waited += 2300 * time.Millisecond
	}
}
