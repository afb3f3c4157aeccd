package benchmarks

import (
	"math"
	"testing"
)

func TestZipfShape(t *testing.T) {
	const n, samples = 1 << 10, 1 << 18
	keys := ZipfKeys(n, samples, 1.0, 1)
	counts := make([]int, n)
	for _, k := range keys {
		if k >= n {
			t.Fatalf("sample %d out of range [0,%d)", k, n)
		}
		counts[k]++
	}
	// Under s = 1, P(rank 0) = 1/H(n) and rank 0 is twice as frequent as
	// rank 1.
	h := 0.0
	for i := 1; i <= n; i++ {
		h += 1 / float64(i)
	}
	p0 := float64(counts[0]) / samples
	if want := 1 / h; math.Abs(p0-want) > 0.1*want {
		t.Errorf("P(rank 0) = %.4f, want about %.4f", p0, want)
	}
	if r := float64(counts[0]) / float64(counts[1]); r < 1.8 || r > 2.2 {
		t.Errorf("count(rank 0)/count(rank 1) = %.2f, want about 2", r)
	}
}
