package sketch

import (
	"math/rand/v2"
	"testing"
)

func TestRaise(t *testing.T) {
	s := New(1024)
	s.Increment(7)
	s.Raise(7, 5)
	if got := s.Estimate(7); got != 5 {
		t.Fatalf("raised to 5: estimate %d", got)
	}
	s.Raise(7, 3) // never lowers
	if got := s.Estimate(7); got != 5 {
		t.Fatalf("raised to 3 after 5: estimate %d", got)
	}
	s.Raise(8, 99) // caps
	if got := s.Estimate(8); got != counterMax {
		t.Fatalf("raised to 99: estimate %d, want %d", got, counterMax)
	}
	if s.additions != 1 {
		t.Fatalf("Raise counted as additions: %d", s.additions)
	}
}

// Folding keeps every estimate an upper bound of the wide sketch's, and
// does not inflate keys far beyond what the narrow width explains.
func TestShrinkToKeepsUpperBounds(t *testing.T) {
	s := New(1 << 14)
	rng := rand.New(rand.NewPCG(3, 4))
	counts := zipfCounts(t, s, rng, 5000, 20000)
	e0 := s.Epoch()
	before := make(map[uint64]int, len(counts))
	for k := range counts {
		before[k] = s.Estimate(k)
	}
	wide := s.Width()
	s.ShrinkTo(1 << 10)
	if s.Width() >= wide || s.Capacity() != 1<<10 || s.period != agingFactor<<10 {
		t.Fatalf("after ShrinkTo(1024): width %d (was %d), capacity %d, period %d", s.Width(), wide, s.Capacity(), s.period)
	}
	for k, b := range before {
		if got := s.Estimate(k); got < b {
			t.Fatalf("key %d: estimate %d after shrinking, %d before", k, got, b)
		}
	}
	s.ShrinkTo(1 << 12) // larger than now: no-op
	if s.Capacity() != 1<<10 {
		t.Fatalf("ShrinkTo grew the sketch to %d", s.Capacity())
	}
	// Still usable: increments and aging work at the new size.
	for i := range 20000 {
		s.Increment(uint64(i))
	}
	if s.Epoch() == e0 {
		t.Fatal("no aging after 20000 increments with a period of 10240")
	}
}
