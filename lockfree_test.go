package cache

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReadsSeeWholeValues checks the lock-free read path end to end: while
// writers overwrite, delete and evict, every value a reader gets belongs to
// the key it asked for and is one whole write, never a mix of two. Each
// value repeats its key and a version in all of its words.
//
// Under -race, reads take the shard lock (see shard/race.go), so the
// lock-free path is exercised by the run without -race, which `make test`
// also does.
func TestReadsSeeWholeValues(t *testing.T) {
	type value [64]uint64 // large, so copies overlap writes often
	c := Must(New[uint64, value](Options[uint64, value]{MaxEntries: 512, Shards: 4}))
	defer c.Close()
	const keys = 2048
	mk := func(k, version uint64) (v value) {
		for i := range v {
			v[i] = k<<32 | version
		}
		return v
	}
	var stop atomic.Bool
	var reads, hits atomic.Int64
	var wg sync.WaitGroup
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := uint64(r); !stop.Load(); i += 7 {
				k := i % keys
				v, ok := c.Get(k)
				reads.Add(1)
				if !ok {
					continue
				}
				hits.Add(1)
				if v[0]>>32 != k || v != mk(k, v[0]&0xFFFFFFFF) {
					t.Errorf("Get(%d) returned %x: another key's value, or a torn one", k, v)
					stop.Store(true)
					return
				}
			}
		}()
	}
	for version := uint64(1); !stop.Load() && (version < 100_000 || hits.Load() < 50_000); version++ {
		k := version * 31 % keys
		switch {
		case version%17 == 0:
			c.Delete(k)
		case version%5 == 0:
			c.SetWithTTL(k, mk(k, version), time.Hour)
		default:
			c.Set(k, mk(k, version))
		}
	}
	stop.Store(true)
	wg.Wait()
	if hits.Load() == 0 {
		t.Fatalf("%d reads and no hit: the test checked nothing", reads.Load())
	}
}
