package benchmarks

import (
	"runtime"
	"testing"
)

// AllocResult is the heap allocations of single operations on a full
// uint64→uint64 cache. The Per fields come from testing.AllocsPerRun
// (which truncates the mean to an integer); the Mean fields are the exact
// mean over the same kind of loop, showing amortised allocations such as
// a buffer allocated once every 64 operations.
type AllocResult struct {
	GetHit, SetNew, SetExisting             float64
	GetHitMean, SetNewMean, SetExistingMean float64
	HitOK                                   bool // the probed key was present
}

// allocsCapacity is the size of the cache allocations are measured on.
const allocsCapacity = 1 << 16

// MeasureAllocs fills a cache of allocsCapacity entries and counts the
// allocations of a Get hit, a Set of a key not in the cache (which evicts
// one), and a Set of a key in the cache.
func MeasureAllocs(im Impl, runs int) AllocResult {
	c := im.U64(Config{Capacity: allocsCapacity})
	defer c.Close()
	Prefill(c, allocsCapacity)
	const hot = 42
	var r AllocResult
	_, r.HitOK = c.Get(hot)

	var sink uint64
	get := func() {
		v, _ := c.Get(hot)
		sink += v
	}
	next := uint64(allocsCapacity)
	setNew := func() {
		c.Set(next, next)
		next++
	}
	i := uint64(0)
	setExisting := func() {
		i++
		c.Set(hot, i)
	}
	r.GetHit = testing.AllocsPerRun(runs, get)
	r.GetHitMean = meanAllocs(runs, get)
	Wait(c)
	r.SetNew = testing.AllocsPerRun(runs, setNew)
	Wait(c)
	r.SetNewMean = meanAllocs(runs, setNew)
	Wait(c)
	r.SetExisting = testing.AllocsPerRun(runs, setExisting)
	Wait(c)
	r.SetExistingMean = meanAllocs(runs, setExisting)
	Wait(c)
	_ = sink
	return r
}

// meanAllocs is testing.AllocsPerRun without the integer truncation: it
// counts every heap allocation in the process (background goroutines of
// the cache included) during runs calls of f on one P.
func meanAllocs(runs int, f func()) float64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(runs)
}
