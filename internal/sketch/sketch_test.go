package sketch

import (
	"math"
	"math/rand/v2"
	"testing"
)

// zipfCounts draws n keys from a skewed distribution over k keys and
// returns the exact count of each, feeding every draw to s.
func zipfCounts(t *testing.T, s *Sketch, rng *rand.Rand, k uint64, n int) map[uint64]int {
	t.Helper()
	z := rand.NewZipf(rng, 1.1, 1, k-1)
	counts := make(map[uint64]int)
	for range n {
		key := z.Uint64()
		counts[key]++
		s.Increment(key)
	}
	return counts
}

// TestNeverUndercounts checks the count-min guarantee: below saturation
// and before any aging, an estimate is at least the true count.
func TestNeverUndercounts(t *testing.T) {
	s := New(4096)
	rng := rand.New(rand.NewPCG(1, 2))
	counts := zipfCounts(t, s, rng, 20000, 30000) // < period of 40960: no aging
	for key, c := range counts {
		if got := s.Estimate(key); got < min(c, counterMax) {
			t.Fatalf("key %d seen %d times, estimated %d", key, c, got)
		}
	}
}

// TestOverestimateBound checks the count-min error bound: with N
// increments in rows of width w, an estimate exceeds the truth by more than
// e·N/w with probability at most e^-depth. We measure the fraction of keys
// (seen and unseen) that break the bound and allow a little slack over
// e^-4 ≈ 1.8%.
func TestOverestimateBound(t *testing.T) {
	for _, tc := range []struct{ capacity, n int }{{4096, 3000}, {16384, 12000}, {1024, 900}, {2048, 6000}} {
		s := New(tc.capacity)
		rng := rand.New(rand.NewPCG(3, uint64(tc.capacity)))
		counts := zipfCounts(t, s, rng, uint64(4*tc.capacity), tc.n)
		bound := math.E * float64(tc.n) / float64(s.Width())
		bad, total, sum := 0, 0, 0
		check := func(key uint64) {
			over := s.Estimate(key) - min(counts[key], counterMax)
			if float64(over) > bound {
				bad++
			}
			sum += over
			total++
		}
		for key := range counts {
			check(key)
		}
		for key := uint64(1 << 40); key < 1<<40+20000; key++ { // never seen
			check(key)
		}
		frac := float64(bad) / float64(total)
		t.Logf("width %d, N %d: bound %.2f, %.3f%% of %d keys over it", s.Width(), tc.n, bound, 100*frac, total)
		if frac > 0.03 {
			t.Errorf("width %d, N %d: %.2f%% of keys overestimated by more than %.2f (allowed ~%.1f%%)",
				s.Width(), tc.n, 100*frac, bound, 100*math.Exp(-depth))
		}
	}
}

// TestOverestimateShrinksWithWidth: the same stream in a wider sketch
// must be estimated at least as well on average.
func TestOverestimateShrinksWithWidth(t *testing.T) {
	errFor := func(capacity int) float64 {
		s := New(capacity)
		counts := zipfCounts(t, s, rand.New(rand.NewPCG(9, 9)), 50000, 20000)
		sum := 0
		for key, c := range counts {
			sum += s.Estimate(key) - min(c, counterMax)
		}
		return float64(sum) / float64(len(counts))
	}
	narrow, wide := errFor(1024), errFor(65536)
	if wide > narrow || wide > 0.05 {
		t.Errorf("mean overestimate: width 1024 %.3f, width 65536 %.3f; want the wide one small and no worse", narrow, wide)
	}
}

func TestSaturatesAt15(t *testing.T) {
	s := New(64)
	for range 100 {
		s.Increment(7)
	}
	if got := s.Estimate(7); got != counterMax {
		t.Fatalf("estimate after 100 increments = %d, want %d", got, counterMax)
	}
}

func TestAgingHalves(t *testing.T) {
	s := New(64)
	for range 12 {
		s.Increment(1)
	}
	for range 5 {
		s.Increment(2)
	}
	if s.Epoch() != 0 {
		t.Fatalf("epoch %d before any aging", s.Epoch())
	}
	s.Age()
	if a, b := s.Estimate(1), s.Estimate(2); a != 6 || b != 2 {
		t.Fatalf("after aging: %d and %d, want 6 and 2", a, b)
	}
	if s.Epoch() != 1 {
		t.Fatalf("epoch %d after one aging, want 1", s.Epoch())
	}
}

// TestAgingRunsByItself: after 10×capacity increments of other keys, an
// early key's count has been halved at least once.
func TestAgingRunsByItself(t *testing.T) {
	s := New(100)
	for range 8 {
		s.Increment(42)
	}
	for i := range uint64(10 * 100) {
		s.Increment(1000 + i)
	}
	if got := s.Estimate(42); got > 4+1 {
		t.Fatalf("estimate %d after a full period, want the 8 halved", got)
	}
}

// TestGrowKeepsUpperBound: counts recorded before a growth are still
// upper-bounded after it, and the sketch is wider.
func TestGrowKeepsUpperBound(t *testing.T) {
	s := New(256)
	rng := rand.New(rand.NewPCG(5, 6))
	counts := zipfCounts(t, s, rng, 2000, 1500)
	w := s.Width()
	s.EnsureCapacity(5000)
	if s.Width() <= w || s.Capacity() < 5000 {
		t.Fatalf("width %d→%d, capacity %d: did not grow", w, s.Width(), s.Capacity())
	}
	for key, c := range counts {
		if got := s.Estimate(key); got < min(c, counterMax) {
			t.Fatalf("after growth key %d seen %d, estimated %d", key, c, got)
		}
	}
	s.EnsureCapacity(10) // never shrinks
	if s.Capacity() < 5000 {
		t.Fatal("EnsureCapacity shrank the sketch")
	}
}

func TestReset(t *testing.T) {
	s := New(64)
	s.Increment(3)
	s.Reset()
	if s.Estimate(3) != 0 {
		t.Fatal("estimate after Reset is not 0")
	}
}

func TestIncrementDoesNotAllocate(t *testing.T) {
	s := New(1024)
	if n := testing.AllocsPerRun(100, func() { s.Increment(99); _ = s.Estimate(99) }); n != 0 {
		t.Fatalf("%v allocations per increment", n)
	}
}
