//go:build !race

// The race detector reports Load's optimistic copy as a race even though
// the sequence counter discards every copy that overlapped a write; shards
// therefore read under their lock in race builds, and this test, which is
// the one that checks the copy itself, runs without -race.

package entry

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestLoadNeverTorn writes values whose words are all equal while readers
// Load them: a reader that returned a mix of two writes would see unequal
// words, or a write time that does not match the value. The value is large
// so that copies take long enough to overlap writes often.
func TestLoadNeverTorn(t *testing.T) {
	t.Run("full", func(t *testing.T) { loadNeverTorn(t, NewFull(0, [64]int64{}, 1, 1), true) })
	// A timed entry keeps no write time or lifetime: only the deadline,
	// read through its timer section, is checked with the value.
	t.Run("timed", func(t *testing.T) { loadNeverTorn(t, NewTimed(0, [64]int64{}, 1, 1), false) })
}

func loadNeverTorn(t *testing.T, e *Entry[int, [64]int64], full bool) {
	var stop, torn atomic.Bool
	var wg sync.WaitGroup
	var loads [2]atomic.Int64
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				v, m := e.Load()
				written, ttl, deadline, negative := m.Written, m.TTL, m.Deadline, m.Negative
				if !full {
					// What a full entry would record, so the check
					// below is the same.
					written, ttl = v[0], -v[0]
				}
				if v != fill(v[0]) || written != v[0] || deadline != v[0] || ttl != -v[0] || negative != (v[0]%2 == 1) {
					t.Errorf("torn copy: value %v written %d ttl %d deadline %d negative %v", v, written, ttl, deadline, negative)
					torn.Store(true)
					return
				}
				loads[r].Add(1)
			}
		}()
	}
	// Keep writing until both readers have overlapped plenty of writes.
	for i := int64(1); !torn.Load() && (i <= 200_000 || loads[0].Load() < 100_000 || loads[1].Load() < 100_000); i++ {
		e.Write(fill(i), 1, i, i, -i, i%2 == 1)
	}
	stop.Store(true)
	wg.Wait()
}

func fill(i int64) (v [64]int64) {
	for j := range v {
		v[j] = i
	}
	return v
}
