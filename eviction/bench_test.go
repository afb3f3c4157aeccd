package eviction

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stratacache/cache/internal/hashing"
)

// BenchmarkPolicy measures one request (a hit, or a miss with its add and
// eviction) through each policy on a skewed key stream, map lookups of the
// simulator included. For comparing policies' costs, not for asserting.
func BenchmarkPolicy(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(rng, 1.01, 1, 1<<20)
	keys := make([]uint64, 1<<16)
	for i := range keys {
		keys[i] = z.Uint64()
	}
	for _, a := range allAlgorithms {
		b.Run(a.String(), func(b *testing.B) {
			s := newSimulator(a, 10000)
			for i := 0; b.Loop(); i++ {
				k := keys[i&(len(keys)-1)]
				s.Get(k, hashing.Mix(k))
			}
		})
	}
}

// BenchmarkGhost measures what one eviction costs a ghost: remembering a
// hash (and forgetting the oldest), then asking for another.
func BenchmarkGhost(b *testing.B) {
	for _, limit := range []int{1 << 10, 1 << 16} {
		b.Run(strconv.Itoa(limit), func(b *testing.B) {
			var g ghost
			for i := 0; b.Loop(); i++ {
				h := hashing.Mix(uint64(i))
				g.add(h, limit)
				if g.contains(hashing.Mix(uint64(i / 2))) {
					g.forget(hashing.Mix(uint64(i / 2)))
				}
			}
		})
	}
}
