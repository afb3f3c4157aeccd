package benchmarks

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Zipf samples ranks 0..n-1 with P(rank i) ∝ 1/(i+1)^s for any s ≥ 0,
// including s = 1 (math/rand's Zipf needs s > 1). It precomputes the
// cumulative distribution and inverts it with a binary search, so it costs
// 8n bytes and O(log n) per sample; the suite draws every sample before
// any timing starts.
type Zipf struct {
	cdf []float64 // cdf[i] = P(rank ≤ i); cdf[n-1] = 1
	rng *rand.Rand
}

// NewZipf returns a sampler over n ranks with exponent s, drawing from a
// generator seeded with seed so that runs are repeatable.
func NewZipf(n int, s float64, seed uint64) *Zipf {
	if n <= 0 {
		panic("benchmarks: NewZipf needs n > 0")
	}
	cdf := make([]float64, n)
	sum := 0.0
	for i := range cdf {
		sum += math.Pow(float64(i+1), -s)
		cdf[i] = sum
	}
	for i := range cdf {
		cdf[i] /= sum
	}
	cdf[n-1] = 1
	return &Zipf{cdf: cdf, rng: rand.New(rand.NewPCG(seed, seed^0x5eed))}
}

// Next returns the next rank.
func (z *Zipf) Next() uint64 {
	u := z.rng.Float64()
	return uint64(sort.SearchFloat64s(z.cdf, u))
}

// ZipfKeys returns count samples over distinct ranks with exponent s. The
// ranks themselves are the keys: rank 0 is the hottest key.
func ZipfKeys(distinct, count int, s float64, seed uint64) []uint64 {
	z := NewZipf(distinct, s, seed)
	keys := make([]uint64, count)
	for i := range keys {
		keys[i] = z.Next()
	}
	return keys
}
