package benchmarks

import (
	"fmt"
	"strings"
	"time"
)

// Cache is the adapter every cache under test implements. Set stores with
// the cache's configured TTL (none when Config.TTL is 0).
type Cache[K comparable, V any] interface {
	Name() string
	Get(key K) (V, bool)
	Set(key K, value V)
	Close()
}

// Waiter is implemented by adapters whose writes are applied
// asynchronously (ristretto, theine) or whose eviction lags behind writes
// (otter). Wait blocks until the writes made so far are applied. The
// harness calls it after prefilling and in correctness tests, never inside
// a timed loop.
type Waiter interface {
	Wait()
}

// Config sizes a cache under test.
type Config struct {
	// Capacity is the maximum number of entries.
	Capacity int
	// TTL, when positive, is the lifetime given to every entry written
	// (expire after write). Implementations without expiry ignore it;
	// Impl.TTL says which ones.
	TTL time.Duration
}

// Impl describes one cache implementation and builds it for the two entry
// shapes the suite uses.
type Impl struct {
	Name string
	// TTL reports whether the implementation supports per-entry expiry.
	TTL bool
	// Notes says how the adapter is configured, for the report.
	Notes string
	U64   func(Config) Cache[uint64, uint64]
	Str   func(Config) Cache[string, []byte]
}

// Baseline is the implementation ratios are reported against.
const Baseline = "otter"

// Impls returns every implementation under test, Strata first and the
// baseline second.
func Impls() []Impl {
	return []Impl{
		{Name: "strata", TTL: true, Notes: strataNotes,
			U64: newStrata[uint64, uint64], Str: newStrata[string, []byte]},
		{Name: "otter", TTL: true, Notes: otterNotes,
			U64: newOtter[uint64, uint64], Str: newOtter[string, []byte]},
		{Name: "theine", TTL: true, Notes: theineNotes,
			U64: newTheine[uint64, uint64], Str: newTheine[string, []byte]},
		{Name: "ristretto", TTL: true, Notes: ristrettoNotes,
			U64: newRistretto[uint64, uint64], Str: newRistretto[string, []byte]},
		{Name: "golang-lru", TTL: false, Notes: lruNotes,
			U64: newLRU[uint64, uint64], Str: newLRU[string, []byte]},
		{Name: "ttlcache", TTL: true, Notes: ttlcacheNotes,
			U64: newTTLCache[uint64, uint64], Str: newTTLCache[string, []byte]},
		{Name: "mutex-map", TTL: false, Notes: mutexMapNotes,
			U64: newMutexMap[uint64, uint64], Str: newMutexMap[string, []byte]},
	}
}

// Select returns the implementations named in the comma-separated list,
// in Impls order; an empty list selects all of them.
func Select(list string) ([]Impl, error) {
	all := Impls()
	if strings.TrimSpace(list) == "" {
		return all, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var out []Impl
	for _, im := range all {
		if want[im.Name] {
			out = append(out, im)
			delete(want, im.Name)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("unknown cache %q", n)
	}
	return out, nil
}

// Lookup returns the implementation called name.
func Lookup(name string) (Impl, bool) {
	for _, im := range Impls() {
		if im.Name == name {
			return im, true
		}
	}
	return Impl{}, false
}

// Wait calls c.Wait if c is a Waiter.
func Wait[K comparable, V any](c Cache[K, V]) {
	if w, ok := c.(Waiter); ok {
		w.Wait()
	}
}

// waitEvery is how many prefill writes may be outstanding before the
// harness waits for an asynchronous cache to apply them. Ristretto drops
// writes once its 32Ki-item buffer is full, so a fill must drain it.
const waitEvery = 1024

// Prefill stores k → k for every k in [0, n), the n hottest Zipf ranks,
// coldest first: a cache that has to evict while filling (a sharded one
// whose shards fill unevenly) then evicts cold keys, as it would have
// after a warm-up, not the hottest keys written first.
func Prefill(c Cache[uint64, uint64], n int) {
	for i := range n {
		k := uint64(n - 1 - i)
		c.Set(k, k)
		if i%waitEvery == waitEvery-1 {
			Wait(c)
		}
	}
	Wait(c)
}

// FillRange stores k → k for k in [from, to), waiting for asynchronous
// caches every waitEvery writes so that no write is dropped for being
// buffered.
func FillRange(c Cache[uint64, uint64], from, to uint64) {
	for k := from; k < to; k++ {
		c.Set(k, k)
		if k%waitEvery == waitEvery-1 {
			Wait(c)
		}
	}
	Wait(c)
}
