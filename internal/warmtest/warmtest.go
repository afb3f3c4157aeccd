// Package warmtest measures how well a snapshot carries a cache across a
// restart, for the warm-restart tests of the library (generated keys) and
// of the benchmarks module (shared traces).
package warmtest

import (
	"bytes"
	"testing"

	"github.com/stratacache/cache"
)

// Replay runs keys through c as a read-through cache would (a miss is
// followed by a store) and returns the hits.
func Replay(c *cache.Cache[uint64, uint64], keys []uint64) int {
	hits := 0
	for _, k := range keys {
		if _, ok := c.Get(k); ok {
			hits++
		} else {
			c.Set(k, k)
		}
	}
	return hits
}

// Restart returns the hit ratios, in percent, over the second half of
// keys: of a cache that ran through all of them, of one saved after the
// first half and loaded into a new cache, and of a new cache that starts
// the second half cold.
func Restart(t testing.TB, keys []uint64, opts cache.Options[uint64, uint64]) (uninterrupted, restarted, cold float64) {
	t.Helper()
	first, second := keys[:len(keys)/2], keys[len(keys)/2:]
	pct := func(hits int) float64 { return 100 * float64(hits) / float64(len(second)) }

	whole := cache.Must(cache.New(opts))
	defer whole.Close()
	Replay(whole, first)
	uninterrupted = pct(Replay(whole, second))

	before := cache.Must(cache.New(opts))
	Replay(before, first)
	// Apply the pending writes, so that the snapshot holds what the
	// bound allows and no more.
	before.Flush()
	if bound := opts.MaxEntries; bound > 0 && before.Len() > bound {
		t.Fatalf("%d entries after Flush, over the bound of %d", before.Len(), bound)
	}
	var buf bytes.Buffer
	if _, err := before.SaveSnapshot(&buf, cache.SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	before.Close()
	after := cache.Must(cache.New(opts))
	defer after.Close()
	if _, err := after.LoadSnapshot(&buf, cache.SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	restarted = pct(Replay(after, second))

	empty := cache.Must(cache.New(opts))
	defer empty.Close()
	return uninterrupted, restarted, pct(Replay(empty, second))
}
