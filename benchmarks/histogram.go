package benchmarks

import (
	"math/bits"
	"time"
)

// Histogram records durations in nanoseconds with about 0.2% relative
// precision: exact below 1024 ns, then 512 buckets per power of two. It
// never allocates after NewHistogram.
type Histogram struct {
	counts []uint64
	total  uint64
}

const (
	histLinear = 1024 // values below this have their own bucket
	histSub    = 512  // buckets per power of two above it
	histBits   = 10   // log2(histLinear)
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	return &Histogram{counts: make([]uint64, histLinear+(64-histBits)*histSub)}
}

func histIndex(v uint64) int {
	if v < histLinear {
		return int(v)
	}
	e := bits.Len64(v) - histBits // ≥ 1
	mant := v >> uint(e)          // in [512, 1024)
	return histLinear + (e-1)*histSub + int(mant-histSub)
}

func histValue(i int) uint64 {
	if i < histLinear {
		return uint64(i)
	}
	i -= histLinear
	e := i/histSub + 1
	mant := uint64(i%histSub + histSub)
	return mant << uint(e)
}

// Record adds one duration.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[histIndex(uint64(d))]++
	h.total++
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
}

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total }

// Quantile returns the smallest bucket value at or below which a fraction
// q of the recorded values lie.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q * float64(h.total))
	if rank >= h.total {
		rank = h.total - 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen > rank {
			return time.Duration(histValue(i))
		}
	}
	return time.Duration(histValue(len(h.counts) - 1))
}

// Max returns the largest recorded value's bucket.
func (h *Histogram) Max() time.Duration {
	for i := len(h.counts) - 1; i >= 0; i-- {
		if h.counts[i] > 0 {
			return time.Duration(histValue(i))
		}
	}
	return 0
}
