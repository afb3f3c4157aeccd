package benchmarks

import "github.com/stratacache/cache/benchmarks/internal/trace"

// ZipfKeys returns count samples over distinct ranks with exponent s
// (P(rank i) ∝ 1/(i+1)^s, any s ≥ 0, including s = 1, which math/rand's
// Zipf cannot do). The ranks themselves are the keys: rank 0 is the
// hottest key. It uses the same sampler as the trace simulator, repeatable
// for a seed; the suite draws every sample before any timing starts.
func ZipfKeys(distinct, count int, s float64, seed uint64) []uint64 {
	return trace.Zipf(count, uint64(distinct), s, seed)
}
