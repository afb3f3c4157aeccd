package main

import (
	"encoding/binary"
	"fmt"

	"github.com/coocood/freecache"

	arc "github.com/hashicorp/golang-lru/arc/v2"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/maypok86/otter/v2"
	cache "github.com/stratacache/cache"
	"github.com/stratacache/cache/benchmarks"
	"github.com/stratacache/cache/benchmarks/internal/trace"
	"github.com/stratacache/cache/bytecache"
	"github.com/stratacache/cache/eviction"
)

// store is what the replay loop drives: a cache of uint64 keys whose
// values do not matter.
type store interface {
	// Get reports whether k is cached.
	Get(k uint64) bool
	// Set caches k.
	Set(k uint64)
	// Close releases the cache and stops its goroutines.
	Close()
}

// replay runs keys through s, cold: every request is a Get, and a miss is
// followed by a Set of the same key. It returns the number of hits, so
// compulsory misses count against the cache, as in the reference tables.
func replay(keys []uint64, s store) (hits int) {
	for _, k := range keys {
		if s.Get(k) {
			hits++
			continue
		}
		s.Set(k)
	}
	return hits
}

// contender is one row of the report: a cache configuration, or OPT.
type contender struct {
	Name string
	// Notes say how the cache is built, for the report.
	Notes string
	// Color, Dash and Width style the contender's line in every chart.
	Color, Dash string
	Width       float64
	// Slow marks the contenders whose replays take longest; their jobs are
	// started first so the run does not end waiting on one of them.
	Slow bool
	// Seeded marks the caches whose hit ratio changes from one cache to
	// the next: each draws a hash seed at random when it is made
	// (Strata's picks the shard and feeds TinyLFU's sketch and admission
	// coin), and theine and ristretto also drop reads from lossy
	// buffers. The run replays them several times per point, each with
	// a new cache, and reports the mean: one replay is one draw, and two
	// draws can differ by more than the effects we measure.
	Seeded bool
	// New builds the cache for a capacity of size entries. It is nil for
	// OPT, whose hits are computed from the whole trace.
	New func(size int) store
	// Supports, if set, says whether the cache can be sized to hold
	// size entries; points it cannot are not replayed and show as "–".
	Supports func(size int) bool
}

// hits returns the contender's hits on keys with a cache of size entries.
func (c contender) hits(keys []uint64, size int) int {
	if c.New == nil {
		return trace.OPT(keys, size)
	}
	s := c.New(size)
	defer s.Close()
	return replay(keys, s)
}

// Row names that the target checks refer to.
const (
	nameDefault = "strata default (sharded)"
	nameOtter   = "otter"
	nameTheine  = "theine"
	nameLRU     = "golang-lru LRU"
	nameOPT     = "OPT (Bélády)"
	// The GC-free tier and the pointer-free cache it is measured against.
	nameGCFree    = "strata GC-free (bytecache)"
	nameFreecache = "freecache"
)

// singleName is the row name of a Strata policy run in one shard.
func singleName(a eviction.Algorithm) string { return "strata " + a.String() + " (1 shard)" }

// Chart colors of the other caches; Strata's policies take theirs from
// strataColors in order.
var (
	strataColors = []string{"#1c7ed6", "#2f9e44", "#7048e8", "#0c8599", "#ae3ec9", "#5c940d"}
	otherColors  = map[string]string{
		nameOtter:        "#f76707",
		nameTheine:       "#8d6e1f",
		"ristretto":      "#f59f00",
		nameLRU:          "#495057",
		"golang-lru ARC": "#e64980",
		"golang-lru 2Q":  "#868e96",
		nameOPT:          "#000000",
		nameDefault:      "#e03131",
		nameGCFree:       "#0b7285",
		nameFreecache:    "#5f3dc4",
	}
)

// contenders returns every cache the simulator compares, in report order:
// the sharded Strata default, each Strata policy in a single shard (every
// registered algorithm, so new ones appear without changes here), the other
// Go caches, and OPT last.
func contenders() []contender {
	cs := []contender{{
		Name: nameDefault,
		Notes: fmt.Sprintf("`cache.New(Options{MaxEntries: n})`: the default policy (today %v) and the default "+
			"shard count (64, halved until each shard holds at least 4096 entries).", eviction.Default.Resolve()),
		Color: otherColors[nameDefault], Width: 3.2, Seeded: true,
		New: func(n int) store { return newStrata(cache.Options[uint64, struct{}]{MaxEntries: n}) },
	}}
	for i, a := range eviction.Algorithms() {
		color := strataColors[i%len(strataColors)]
		cs = append(cs, contender{
			Name:  singleName(a),
			Notes: fmt.Sprintf("`cache.New(Options{MaxEntries: n, Shards: 1, Policy: eviction.%v})`.", a),
			Color: color, Dash: "7 4",
			// Only TinyLFU's choices depend on hash values: a
			// sketch and a coin. S3FIFO keeps hashes in its ghost
			// but only a collision could change its choices.
			Seeded: a == eviction.TinyLFU,
			New: func(n int) store {
				return newStrata(cache.Options[uint64, struct{}]{MaxEntries: n, Shards: 1, Policy: a})
			},
		})
	}
	cs = append(cs,
		contender{
			Name: nameOtter,
			Notes: "otter v2: `otter.New(&Options{MaximumSize: n, Executor: func(fn func()) { fn() }})`, so that its " +
				"maintenance (eviction included) runs on the calling goroutine after each write, the set-up otter's " +
				"documentation suggests for tests; with its default executor it applies writes on another goroutine.",
			Color: otherColors[nameOtter], Seeded: true,
			New: func(n int) store {
				c, err := otter.New(&otter.Options[uint64, struct{}]{MaximumSize: n, Executor: func(fn func()) { fn() }})
				if err != nil {
					panic(err)
				}
				return otterStore{c}
			},
		},
		adapted(nameTheine, true, "theine through the benchmark adapter: `theine.NewBuilder(n).Build()`, cost 1."),
		adapted("ristretto", true, "ristretto v2 through the benchmark adapter: `NumCounters` 10·n, `MaxCost` n, "+
			"`BufferItems` 64, cost 1."),
		adapted(nameLRU, false, "`lru.New(n)` from hashicorp/golang-lru v2: exact LRU."),
		contender{
			Name:  "golang-lru ARC",
			Notes: "`arc.NewARC(n)` from hashicorp/golang-lru/arc v2 (Megiddo and Modha's ARC).",
			Color: otherColors["golang-lru ARC"],
			New: func(n int) store {
				c, err := arc.NewARC[uint64, struct{}](n)
				if err != nil {
					panic(err)
				}
				return arcStore{c}
			},
		},
		contender{
			Name:  "golang-lru 2Q",
			Notes: "`lru.New2Q(n)` from hashicorp/golang-lru v2 (2Q with its default ratios).",
			Color: otherColors["golang-lru 2Q"],
			New: func(n int) store {
				c, err := lru.New2Q[uint64, struct{}](n)
				if err != nil {
					panic(err)
				}
				return twoQStore{c}
			},
		},
		contender{
			Name: nameGCFree,
			Notes: "the GC-free store (package bytecache) with 8-byte binary keys and empty values: " +
				"`bytecache.NewStore(StoreOptions{MaxBytes: n × EntrySize(8, 0, false)})`, so its slabs hold n such " +
				"entries (15 bytes each); default shards (one per MiB, so 1 to 8 here).",
			Color: otherColors[nameGCFree], Width: 2.4, Seeded: true,
			New: newGCFree,
			Supports: func(n int) bool {
				return int64(n)*int64(bytecache.EntrySize(8, 0, false)) >= bytecache.MinShardBytes
			},
		},
		contender{
			Name: nameFreecache,
			Notes: "freecache v1.2.7, `NewCacheCustomTimer(n × (24+8+v), timer)`: its ring holds n entries of an " +
				"8-byte key and a v-byte value, v = max(0, ⌈512 KiB / n⌉ − 32) so that the size reaches freecache's " +
				"512 KiB minimum; its clock ticks once per request, which lets its access-time eviction tell " +
				"recent from old (with its default clock in seconds, every entry of a replay would look alike). " +
				"Below 1024 entries freecache cannot be sized to n (a value must be under 1/1024 of the size).",
			Color: otherColors[nameFreecache],
			New:   newFreecache, Supports: func(n int) bool { return n >= 1024 },
		},
		contender{
			Name: nameOPT,
			Notes: "Bélády's optimal replacement (`trace.OPT`): admits every miss and evicts the key used " +
				"farthest in the future. An upper bound for caches that admit every miss.",
			Color: otherColors[nameOPT], Dash: "3 3", Width: 1.6,
		},
	)
	return cs
}

// strataStore drives a Strata cache through its public API.
type strataStore struct {
	c *cache.Cache[uint64, struct{}]
}

func newStrata(o cache.Options[uint64, struct{}]) store {
	c, err := cache.New(o)
	if err != nil {
		panic(err) // the options are fixed above and valid
	}
	return strataStore{c}
}

func (s strataStore) Get(k uint64) bool { _, ok := s.c.Get(k); return ok }
func (s strataStore) Set(k uint64)      { s.c.Set(k, struct{}{}) }

// Close applies the cache's pending work first and checks that it then
// holds no more entries than its bound: a hit ratio earned over the bound
// would flatter it.
func (s strataStore) Close() {
	s.c.Flush()
	if n, bound := s.c.Len(), s.c.MaxEntries(); n > bound {
		panic(fmt.Sprintf("simulate: Strata holds %d entries after Flush, over its bound of %d", n, bound))
	}
	s.c.Close()
}

// adapted wraps a cache of the benchmark suite. With wait, every Set is
// followed by the adapter's Wait, so that the write has been applied (or
// rejected by admission) and any eviction it causes has happened before
// the next request. Theine and ristretto apply writes to their policy
// asynchronously; left to run ahead, they hold more than n entries for a
// while after each burst of misses, which inflates hit ratios (on the
// loop trace otter, run that way, scores about 68% with 500 entries, where
// no cache of 500 entries can exceed 49.5%).
func adapted(name string, wait bool, notes string) contender {
	im, ok := benchmarks.Lookup(benchmarkName(name))
	if !ok {
		panic("simulate: no benchmark adapter for " + name)
	}
	if wait {
		notes += " `Wait` after every Set."
	}
	return contender{
		Name: name, Notes: notes, Color: otherColors[name], Slow: wait,
		// The waited-on caches are theine and ristretto, both seeded and
		// lossy; golang-lru is deterministic.
		Seeded: wait,
		New: func(n int) store {
			return adapterStore{c: im.U64(benchmarks.Config{Capacity: n}), wait: wait}
		},
	}
}

// benchmarkName maps a row name to the benchmark suite's name for the
// same cache.
func benchmarkName(name string) string {
	if name == nameLRU {
		return "golang-lru"
	}
	return name
}

type adapterStore struct {
	c    benchmarks.Cache[uint64, uint64]
	wait bool
}

func (a adapterStore) Get(k uint64) bool { _, ok := a.c.Get(k); return ok }
func (a adapterStore) Set(k uint64) {
	a.c.Set(k, k)
	if a.wait {
		benchmarks.Wait(a.c)
	}
}
func (a adapterStore) Close() { a.c.Close() }

type arcStore struct {
	c *arc.ARCCache[uint64, struct{}]
}

func (a arcStore) Get(k uint64) bool { _, ok := a.c.Get(k); return ok }
func (a arcStore) Set(k uint64)      { a.c.Add(k, struct{}{}) }
func (a arcStore) Close()            { a.c.Purge() }

type twoQStore struct {
	c *lru.TwoQueueCache[uint64, struct{}]
}

func (q twoQStore) Get(k uint64) bool { _, ok := q.c.Get(k); return ok }
func (q twoQStore) Set(k uint64)      { q.c.Add(k, struct{}{}) }
func (q twoQStore) Close()            { q.c.Purge() }

// otterStore drives otter directly, to give it an inline executor.
type otterStore struct {
	c *otter.Cache[uint64, struct{}]
}

func (o otterStore) Get(k uint64) bool { _, ok := o.c.GetIfPresent(k); return ok }
func (o otterStore) Set(k uint64)      { o.c.Set(k, struct{}{}) }
func (o otterStore) Close()            { o.c.StopAllGoroutines() }

// gcfreeStore drives the GC-free byte store with 8-byte binary keys.
type gcfreeStore struct {
	s   *bytecache.Store
	buf []byte
}

func newGCFree(n int) store {
	s, err := bytecache.NewStore(bytecache.StoreOptions{MaxBytes: int64(n) * int64(bytecache.EntrySize(8, 0, false))})
	if err != nil {
		panic(err)
	}
	return &gcfreeStore{s: s}
}

func binaryKey(k uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], k)
	return string(b[:])
}

func (g *gcfreeStore) Get(k uint64) (ok bool) {
	g.buf, ok = g.s.AppendGet(g.buf[:0], binaryKey(k))
	return ok
}
func (g *gcfreeStore) Set(k uint64) { g.s.Set(binaryKey(k), nil) }
func (g *gcfreeStore) Close()       { g.s.Close() }

// freecacheStore drives freecache on a clock that ticks per request.
type freecacheStore struct {
	c     *freecache.Cache
	clock *tickClock
	value []byte
	key   [8]byte
}

// tickClock is freecache's Timer: a logical time in place of seconds.
type tickClock struct{ t uint32 }

func (c *tickClock) Now() uint32 { return c.t }

func newFreecache(n int) store {
	v := max(0, (512<<10+n-1)/n-32)
	clk := &tickClock{}
	return &freecacheStore{c: freecache.NewCacheCustomTimer(n*(24+8+v), clk), clock: clk, value: make([]byte, v)}
}

func (f *freecacheStore) Get(k uint64) bool {
	f.clock.t++
	binary.BigEndian.PutUint64(f.key[:], k)
	_, err := f.c.Get(f.key[:])
	return err == nil
}
func (f *freecacheStore) Set(k uint64) {
	binary.BigEndian.PutUint64(f.key[:], k)
	_ = f.c.Set(f.key[:], f.value, 0)
}
func (f *freecacheStore) Close() { f.c.Clear() }
