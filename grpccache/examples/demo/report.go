package main

import (
	"fmt"
	"io"
	"time"
)

// report prints the two modes side by side, then what the cache saved.
func report(out io.Writer, without, with phase) {
	fmt.Fprintf(out, "\n%-18s %16s %30s\n", "", "without cache", "with cache")
	row := func(label, a, b string) { fmt.Fprintf(out, "%-18s %16s %30s\n", label, a, b) }
	lat := func(p phase, q float64) string { return p.percentile(q).Round(time.Microsecond).String() }
	row("requests", count(without.calls), count(with.calls))
	row("throughput", rate(without), rate(with))
	row("p50 latency", lat(without, 0.50), lat(with, 0.50))
	row("p99 latency", lat(without, 0.99), lat(with, 0.99))
	row("CPU per request", cpu(without), cpu(with))
	row("backend calls", count(without.backendCalls), count(with.backendCalls))
	row("not-found answers", count(without.notFound), count(with.notFound))
	row("failed calls", count(without.failed), count(with.failed))
	l1, store := with.hitRatio()
	row("hit ratio", "-", fmt.Sprintf("%.1f%% (L1 %.1f%%, store %.1f%%)", (l1+store)*100, l1*100, store*100))

	saved := with.calls - with.backendCalls
	share := 0.0
	if with.calls > 0 {
		share = float64(saved) / float64(with.calls) * 100
	}
	fmt.Fprintf(out, "\nbackend calls saved by the cache: %s of %s requests (%.1f%%)\n", count(saved), count(with.calls), share)
	fmt.Fprintf(out, "median latency: %s with the cache\n", ratio(without.percentile(0.50), with.percentile(0.50), "lower", "higher"))
	fmt.Fprintf(out, "CPU time per request (clients, servers and cache, all in this process): %s with the cache\n",
		ratio(without.cpuPerCall(), with.cpuPerCall(), "less", "more"))
}

// ratio says how many times smaller b is than a ("2.5x lower"), or larger
// ("1.3x higher"), or "unknown" when either is 0.
func ratio(a, b time.Duration, smaller, larger string) string {
	switch {
	case a <= 0 || b <= 0:
		return "unknown"
	case b <= a:
		return fmt.Sprintf("%.1fx %s", float64(a)/float64(b), smaller)
	}
	return fmt.Sprintf("%.1fx %s", float64(b)/float64(a), larger)
}

// cpu formats a mode's CPU time per request, or "-" if unknown.
func cpu(p phase) string {
	if c := p.cpuPerCall(); c > 0 {
		return c.Round(time.Microsecond).String()
	}
	return "-"
}

// count formats n with thousands separators.
func count(n int64) string {
	s := fmt.Sprint(n)
	start := 0
	if n < 0 {
		start = 1
	}
	for i := len(s) - 3; i > start; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func rate(p phase) string {
	if p.elapsed <= 0 {
		return "-"
	}
	return count(int64(float64(p.calls)/p.elapsed.Seconds())) + "/s"
}
