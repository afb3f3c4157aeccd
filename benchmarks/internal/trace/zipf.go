package trace

import (
	"fmt"
	"math"
)

// Zipf returns n keys drawn independently from a Zipf distribution over
// the distinct keys 0 .. distinct-1: key k is requested with probability
// proportional to 1/(k+1)^s, so key 0 is the most popular, key 1 the
// second, and so on. Any s >= 0 works, including s = 1 and values close to
// it (s = 0 is uniform); math/rand's Zipf, by contrast, needs s > 1.
//
// The same arguments give the same keys on a given platform: the random
// source is a SplitMix64 generator seeded with seed, independent of
// math/rand. Sampling is exact, by rejection-inversion (Hörmann and
// Derflinger, 1996), in constant memory and expected constant time per
// key, whatever distinct is.
//
// Popular keys are small integers. Callers that need them spread out can
// map them through any bijection of their choice.
//
// Zipf panics if n < 0, distinct == 0, or s is negative, infinite or NaN.
func Zipf(n int, distinct uint64, s float64, seed uint64) []uint64 {
	if n < 0 || distinct == 0 || !(s >= 0) || math.IsInf(s, 1) {
		panic(fmt.Sprintf("trace.Zipf: invalid arguments n=%d distinct=%d s=%v", n, distinct, s))
	}
	z := newZipfSampler(distinct, s)
	rng := splitMix64{state: seed}
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = z.sample(&rng) - 1
	}
	return keys
}

// zipfSampler draws ranks 1..n with P(k) proportional to k^-s.
//
// Rejection-inversion in brief: the weights are covered by the continuous
// hat h(x) = x^-s. Rank k >= 2 owns the interval [k-1/2, k+1/2) of the
// hat, whose area is at least h(k) because h is convex. We draw a point
// uniformly by area (through the inverse of the hat's integral H), round
// it to the nearest rank k, and accept it with probability h(k) / area,
// which is done by checking that the drawn area coordinate u falls in the
// top h(k) of k's interval. Rank 1's interval is cut to exactly h(1) = 1,
// so it is always accepted. Rejections are rare for every s.
type zipfSampler struct {
	n      float64 // number of ranks
	s      float64 // exponent
	uLow   float64 // H(3/2) - h(1): the start of rank 1's interval
	uHigh  float64 // H(n + 1/2): the end of rank n's interval
	nRanks uint64
}

func newZipfSampler(n uint64, s float64) *zipfSampler {
	z := &zipfSampler{n: float64(n), s: s, nRanks: n}
	z.uLow = z.hIntegral(1.5) - 1
	z.uHigh = z.hIntegral(z.n + 0.5)
	return z
}

// sample returns a rank in 1..n.
func (z *zipfSampler) sample(rng *splitMix64) uint64 {
	for {
		u := z.uLow + rng.float64()*(z.uHigh-z.uLow)
		x := z.hIntegralInverse(u)
		k := x + 0.5
		var rank uint64
		switch {
		case !(k >= 1): // also catches NaN from rounding at the edges
			rank = 1
		case k >= z.n:
			rank = z.nRanks
		default:
			rank = uint64(k)
		}
		fk := float64(rank)
		if rank == 1 || u >= z.hIntegral(fk+0.5)-z.h(fk) {
			return rank
		}
	}
}

// h is the hat x^-s.
func (z *zipfSampler) h(x float64) float64 { return math.Exp(-z.s * math.Log(x)) }

// hIntegral is H(x), the integral of the hat from 1 to x:
// (x^(1-s) - 1) / (1-s), or log(x) when s = 1. It is written as
// log(x) * expm1(t)/t with t = (1-s) log(x), which is accurate for s at and
// near 1.
func (z *zipfSampler) hIntegral(x float64) float64 {
	lx := math.Log(x)
	return lx * expm1Over((1-z.s)*lx)
}

// hIntegralInverse is the inverse of hIntegral:
// exp(log1p((1-s) u) / (1-s)), written as exp(u * log1p(t)/t) with
// t = (1-s) u for the same reason.
func (z *zipfSampler) hIntegralInverse(u float64) float64 {
	t := (1 - z.s) * u
	if t <= -1 { // only reachable through rounding at the far end
		return z.n + 0.5
	}
	return math.Exp(u * log1pOver(t))
}

// expm1Over returns expm1(t)/t, continuous at t = 0.
func expm1Over(t float64) float64 {
	if math.Abs(t) < 1e-8 {
		return 1 + t/2 + t*t/6
	}
	return math.Expm1(t) / t
}

// log1pOver returns log1p(t)/t, continuous at t = 0.
func log1pOver(t float64) float64 {
	if math.Abs(t) < 1e-8 {
		return 1 - t/2 + t*t/3
	}
	return math.Log1p(t) / t
}

// splitMix64 is a small, fixed pseudo-random generator, so that Zipf's
// output depends on nothing outside this package.
type splitMix64 struct{ state uint64 }

func (r *splitMix64) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	x := r.state
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// float64 returns a uniform value in [0, 1).
func (r *splitMix64) float64() float64 {
	return float64(r.next()>>11) / (1 << 53)
}

// ZipfWorkload describes a synthetic workload: Requests keys drawn by
// Zipf(Requests, Distinct, S, Seed), to be simulated at the cache sizes in
// Sizes.
type ZipfWorkload struct {
	// Name identifies the workload in reports, such as "zipf-1.0".
	Name string
	// Requests is the number of keys to draw.
	Requests int
	// Distinct is the number of keys in the universe.
	Distinct uint64
	// S is the Zipf exponent.
	S float64
	// Seed seeds the generator.
	Seed uint64
	// Sizes are the cache sizes, in entries, to simulate, ascending.
	Sizes []int
}

// Keys generates the workload's keys.
func (w ZipfWorkload) Keys() []uint64 { return Zipf(w.Requests, w.Distinct, w.S, w.Seed) }

// Synthetic returns the conventional synthetic workloads. Both draw one
// million requests over 100,000 distinct keys with seed 1:
//
//   - "zipf-1.0", s = 1.0: the classic web-like skew; the most popular key
//     takes about 8% of the requests.
//   - "zipf-0.8", s = 0.8: a flatter tail, where admission and frequency
//     decisions matter more; the top key takes about 2.2%.
//
// Their sizes are 100, 500, 1,000, 5,000, 10,000 and 25,000 entries, that
// is 0.1% to 25% of the key space, spanning caches that hold only the head
// to ones that hold most of the requested mass. Each call returns a fresh
// copy.
//
// For orientation, LRU and OPT hit ratios (%) measured with this package
// on linux/amd64:
//
//	size           100    500   1000   5000  10000  25000
//	zipf-1.0 LRU 28.87  43.88  50.52  66.29  73.34  82.82
//	zipf-1.0 OPT 47.06  60.62  66.34  79.14  84.22  89.72
//	zipf-0.8 LRU  6.74  15.32  20.33  36.74  46.57  63.02
//	zipf-0.8 OPT 22.12  34.43  40.91  59.07  68.02  79.99
func Synthetic() []ZipfWorkload {
	sizes := func() []int { return []int{100, 500, 1000, 5000, 10000, 25000} }
	return []ZipfWorkload{
		{Name: "zipf-1.0", Requests: 1_000_000, Distinct: 100_000, S: 1.0, Seed: 1, Sizes: sizes()},
		{Name: "zipf-0.8", Requests: 1_000_000, Distinct: 100_000, S: 0.8, Seed: 1, Sizes: sizes()},
	}
}
