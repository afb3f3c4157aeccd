package cache

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var tortureDuration = flag.Duration("torture", 2*time.Second, "how long TestTorture runs")

// wide is a value of several words that must all agree: each holds the
// key and the version written, so a read that mixed two writes, or
// returned another key's value, shows.
type wide [6]uint64

// Versions carry their lifetime class in the low bits, so a reader can
// tell what the value was written with.
const (
	classDefault = iota // the cache's TTL, extended by reads
	classNoTTL          // NoTTL: must never expire
	classExpired        // written already expired: must never be read
	classShort          // 1ms
	classes
)

func makeWide(key int, version uint64) (v wide) {
	for i := range v {
		v[i] = uint64(key)<<40 | version
	}
	return v
}

func (v wide) key() int        { return int(v[0] >> 40) }
func (v wide) version() uint64 { return v[0] & (1<<40 - 1) }
func (v wide) class() uint64   { return v.version() % classes }

// TestTorture runs every operation of the cache at once from many
// goroutines over a few keys: writes of every kind with every lifetime
// class, expire-after-access reads, loads and refreshes, Compute, Clear,
// resizing, iteration, views and snapshots, the expiry sweep, and a fake
// clock moving under them all. It checks, as it goes and at the end:
//
//   - every value read is whole, under its own key, and never one written
//     already expired;
//   - no NoTTL value is reported expired, and no value is reported twice;
//   - after Close, every value known to have been stored was reported
//     exactly once, and the lookup counters add up;
//   - a snapshot taken under the storm loads into a fresh cache whole;
//   - a key only one goroutine writes reads back as that goroutine's last
//     write or as absent, never as an older value.
//
// It runs twice: heard, with a removal listener, which checks the reports;
// and unheard, without one, where overwrites of resident entries take
// the path that does without the shard's lock (see shard.overwrite).
// The lock-free paths exist only outside race builds (see shard/race.go),
// and `make test` runs this test without -race too.
func TestTorture(t *testing.T) {
	for _, heard := range []bool{true, false} {
		name := map[bool]string{true: "heard", false: "unheard"}[heard]
		t.Run(name, func(t *testing.T) { runTorture(t, heard) })
	}
}

func runTorture(t *testing.T, heard bool) {
	d := *tortureDuration
	if testing.Short() {
		d = min(d, 300*time.Millisecond)
	}
	// Most operations go to a few hot keys, so that reads and writes of
	// one key overlap often; the rest spread wide enough to evict.
	const keys = 512
	tt := &torture{t: t, clk: newFakeClock()}
	o := Options[int, wide]{
		MaxEntries:        256,
		Shards:            4,
		TTL:               time.Second,
		ExpireAfterAccess: true,
		RefreshAfter:      500 * time.Millisecond,
		Clock:             tt.clk,
		Load: func(_ context.Context, k int) (wide, error) {
			return makeWide(k, tt.next(classDefault)), nil
		},
	}
	if heard {
		o.OnEvict = tt.onEvict
	}
	tt.c = Must(New(o))
	workers := 4 * runtime.GOMAXPROCS(0)
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for g := range workers {
		// Half the workers mostly read the hot keys, as a service's
		// request goroutines do, racing the others' writes.
		wg.Go(func() { tt.work(uint64(g), keys, g%2 == 0, deadline) })
	}
	wg.Go(func() { // the expiry sweep, far more often than its ticker
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for time.Now().Before(deadline) && !t.Failed() {
			<-tick.C
			tt.c.c.expire()
		}
	})
	wg.Wait()

	if err := tt.c.SetMaxEntries(256); err != nil {
		t.Fatal(err)
	}
	if n := tt.c.Len(); n > 256 {
		t.Errorf("%d entries once every write returned, bound 256", n)
	}
	st := tt.c.Stats()
	if got := st.Hits + st.Misses + st.NegativeHits; got != tt.lookups.Load() {
		t.Errorf("hits %d + misses %d + negative hits %d = %d, want the %d lookups made",
			st.Hits, st.Misses, st.NegativeHits, got, tt.lookups.Load())
	}
	tt.c.Close()
	defer func() {
		t.Logf("torture: %v, %d workers, %d operations, %d values stored, %d reports",
			d, workers, tt.ops.Load(), len(tt.stored), len(tt.reports))
	}()
	if !heard {
		return
	}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	for ver := range tt.stored {
		if tt.reports[ver] != 1 {
			t.Errorf("version %d was stored and reported %d times after Close", ver, tt.reports[ver])
		}
	}
}

type torture struct {
	t       *testing.T
	c       *Cache[int, wide]
	clk     *fakeClock
	version atomic.Uint64
	ops     atomic.Uint64
	lookups atomic.Uint64

	mu      sync.Mutex
	stored  map[uint64]bool // versions known to be stored
	reports map[uint64]int  // OnEvict calls by version
}

// next returns a fresh version of the given class.
func (tt *torture) next(class uint64) uint64 {
	return tt.version.Add(1)*classes + class
}

func (tt *torture) markStored(v uint64) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tt.stored == nil {
		tt.stored = map[uint64]bool{}
	}
	tt.stored[v] = true
}

func (tt *torture) onEvict(k int, v wide, r Reason) {
	tt.check("OnEvict", k, v, false)
	if v.class() == classNoTTL && r == ReasonExpired {
		tt.t.Errorf("version %d, written with NoTTL, was reported expired", v.version())
	}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tt.reports == nil {
		tt.reports = map[uint64]int{}
	}
	tt.reports[v.version()]++
	if n := tt.reports[v.version()]; n > 1 {
		tt.t.Errorf("version %d reported %d times (last: %v)", v.version(), n, r)
	}
}

// check fails the test if v is torn, under another key, or, when read,
// a value written already expired.
func (tt *torture) check(op string, k int, v wide, read bool) {
	if v != makeWide(v.key(), v.version()) || v.key() != k {
		tt.t.Errorf("%s(%d) saw %x: torn, or another key's value", op, k, v)
	}
	if read && v.class() == classExpired {
		tt.t.Errorf("%s(%d) returned version %d, written already expired", op, k, v.version())
	}
}

func (tt *torture) work(seed uint64, keys int, reader bool, deadline time.Time) {
	r := rand.New(rand.NewPCG(seed, 7))
	own := keys + int(seed)            // a key no other goroutine writes
	var ownLast, ownPrev uint64 = 0, 0 // its last two versions written
	ctx := context.Background()
	ttls := [classes]time.Duration{0, NoTTL, -time.Second, time.Millisecond}
	for i := 0; i%64 != 0 || (time.Now().Before(deadline) && !tt.t.Failed()); i++ {
		tt.ops.Add(1)
		k := r.IntN(keys)
		if r.IntN(4) != 0 {
			k %= 4
		}
		op := r.IntN(1000)
		if reader && op >= 500 {
			op %= 500
		}
		switch {
		case op < 400:
			for range 4 { // a burst on one key, to overlap its writers
				tt.lookups.Add(1)
				if v, ok := tt.c.Get(k); ok {
					tt.check("Get", k, v, true)
				}
			}
		case op < 450:
			if v, ok := tt.c.Peek(k); ok {
				tt.check("Peek", k, v, true)
			}
		case op < 500:
			tt.lookups.Add(1)
			if v, err := tt.c.GetOrLoad(ctx, k, nil); err == nil {
				tt.check("GetOrLoad", k, v, true)
			}
		case op < 520:
			ks := []int{k, (k + 1) % keys, (k + 7) % keys}
			if ks[1] == k || ks[2] == k || ks[1] == ks[2] {
				break
			}
			tt.lookups.Add(uint64(len(ks)))
			m, _ := tt.c.GetMany(ctx, ks, BulkLoaderFunc[int, wide](func(_ context.Context, ks []int) (map[int]wide, error) {
				out := map[int]wide{}
				for _, k := range ks {
					out[k] = makeWide(k, tt.next(classDefault))
				}
				return out, nil
			}))
			for k, v := range m {
				tt.check("GetMany", k, v, true)
			}
		case op < 750:
			class := []uint64{classDefault, classDefault, classExpired, classExpired, classNoTTL, classShort}[r.IntN(6)]
			ver := tt.next(class)
			tt.markStored(ver)
			tt.c.SetWithTTL(k, makeWide(k, ver), ttls[class])
		case op < 800:
			ver := tt.next(classDefault)
			if v, loaded := tt.c.GetOrSet(k, makeWide(k, ver)); loaded {
				tt.check("GetOrSet", k, v, true)
			} else {
				tt.markStored(ver)
			}
		case op < 850:
			ver := tt.next(classDefault)
			v, ok := tt.c.Compute(k, func(old wide, found bool) (wide, Action) {
				if found {
					tt.check("Compute", k, old, true)
				}
				if r.IntN(4) == 0 {
					return old, ActionDelete
				}
				return makeWide(k, ver), ActionSet
			})
			if ok && v.version() == ver {
				tt.markStored(ver)
			}
		case op < 900:
			tt.c.Delete(k)
		case op < 930:
			tt.clk.Advance(time.Duration(r.IntN(400)) * time.Millisecond)
		case op < 940:
			for k, v := range tt.c.All() {
				tt.check("All", k, v, true)
			}
		case op < 950:
			for k, v := range tt.c.Hottest(32) {
				tt.check("Hottest", k, v, true)
			}
		case op < 960:
			if err := tt.c.SetMaxEntries(64 + r.IntN(256)); err != nil {
				tt.t.Error(err)
			}
		case op < 963:
			tt.c.Clear()
		case op < 966:
			tt.snapshot()
		case op < 990:
			// Overwrite the goroutine's own key with a value that never
			// expires, and read it back: only a removal (eviction,
			// Clear) may hide it, and an older value must never show.
			ver := tt.next(classNoTTL)
			tt.c.SetWithTTL(own, makeWide(own, ver), NoTTL)
			ownPrev, ownLast = ownLast, ver
			tt.lookups.Add(1)
			if v, ok := tt.c.Get(own); ok {
				tt.check("Get", own, v, true)
				if v.version() != ownLast {
					tt.t.Errorf("Get(%d) after Set of version %d returned version %d (the one before: %d)",
						own, ownLast, v.version(), ownPrev)
				}
			}
			tt.markStored(ver)
		}
	}
}

// snapshot saves the cache under the storm and loads the snapshot into a
// fresh cache, whose every value must be whole and readable.
func (tt *torture) snapshot() {
	var buf bytes.Buffer
	if _, err := tt.c.SaveSnapshot(&buf, SnapshotOptions{}); err != nil {
		tt.t.Error(err)
		return
	}
	fresh := Must(New(Options[int, wide]{Clock: tt.clk}))
	defer fresh.Close()
	if _, err := fresh.LoadSnapshot(&buf, SnapshotOptions{}); err != nil {
		tt.t.Error(fmt.Errorf("loading a snapshot saved under load: %w", err))
		return
	}
	for k, v := range fresh.All() {
		tt.check("snapshot", k, v, true)
	}
}
