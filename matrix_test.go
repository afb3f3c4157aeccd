package cache_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/eviction"
	"github.com/stratacache/cache/internal/fakeclock"
)

// TestConfigMatrix runs the core behaviours over every combination of
// policy (each built-in, and a user's through Options.NewPolicy), bound
// (entry count or weight), expiry (none, TTL, sliding), refresh-ahead and
// OnEvict, so that every entry layout the options select (plain, timed,
// full; keeping replaced values or not) meets every behaviour. Each
// behaviour is a subtest, run in a synctest bubble on a fake clock:
//
//	go test -run 'TestConfigMatrix/policy=LRU,bound=weight,expiry=sliding' .
func TestConfigMatrix(t *testing.T) {
	policies := []string{"FIFO"} // the user policy of ExampleOptions_newPolicy
	for _, a := range eviction.Algorithms() {
		policies = append(policies, a.String())
	}
	for _, policy := range policies {
		for _, weighted := range []bool{false, true} {
			for _, expiry := range []string{"none", "ttl", "sliding"} {
				for _, refresh := range []bool{false, true} {
					for _, hook := range []bool{false, true} {
						m := matrixConfig{policy: policy, weighted: weighted, expiry: expiry, refresh: refresh, hook: hook}
						t.Run(m.String(), m.run)
					}
				}
			}
		}
	}
}

// matrixConfig is one combination of the matrix.
type matrixConfig struct {
	policy   string
	weighted bool
	expiry   string
	refresh  bool
	hook     bool
}

func (m matrixConfig) String() string {
	bound := map[bool]string{false: "count", true: "weight"}[m.weighted]
	onOff := map[bool]string{false: "off", true: "on"}
	return fmt.Sprintf("policy=%s,bound=%s,expiry=%s,refresh=%s,hook=%s", m.policy, bound, m.expiry, onOff[m.refresh], onOff[m.hook])
}

// The matrix's settings: the bound is 64 entries or 128 units of weight
// (values weigh 1 to 3), over two shards; entries live a minute; refresh
// comes after 20 seconds.
const (
	matrixEntries = 64
	matrixWeight  = 128
	matrixTTL     = time.Minute
	matrixRefresh = 20 * time.Second
)

func matrixWeigher(_ int, v int) uint32 { return 1 + uint32(v%3) }

// matrixCache is a cache of one combination, with what the test observes
// of it.
type matrixCache struct {
	*cache.Cache[int, int]
	m     matrixConfig
	clock *fakeclock.Clock
	loads atomic.Int64 // calls of Options.Load

	mu      sync.Mutex
	removed map[cache.Reason][]int // keys OnEvict heard of, by reason
}

func (m matrixConfig) newCache(t *testing.T, clock *fakeclock.Clock) *matrixCache {
	t.Helper()
	mc := &matrixCache{m: m, clock: clock, removed: map[cache.Reason][]int{}}
	opts := cache.Options[int, int]{
		Shards: 2,
		Clock:  clock,
		// Values a load returns encode the load's number, so a reload
		// is told from the value it replaced.
		Load: func(_ context.Context, k int) (int, error) {
			return k*1000 + int(mc.loads.Add(1)), nil
		},
	}
	if m.weighted {
		opts.MaxWeight, opts.Weigher = matrixWeight, matrixWeigher
	} else {
		opts.MaxEntries = matrixEntries
	}
	if m.expiry != "none" {
		opts.TTL = matrixTTL
		opts.ExpireAfterAccess = m.expiry == "sliding"
	}
	if m.refresh {
		opts.RefreshAfter = matrixRefresh
	}
	if m.hook {
		opts.OnEvict = func(k, _ int, r cache.Reason) {
			mc.mu.Lock()
			defer mc.mu.Unlock()
			mc.removed[r] = append(mc.removed[r], k)
		}
	}
	if m.policy == "FIFO" {
		opts.NewPolicy = newFIFO[int, int]
	} else {
		for _, a := range eviction.Algorithms() {
			if a.String() == m.policy {
				opts.Policy = a
			}
		}
	}
	c, err := cache.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	mc.Cache = c
	return mc
}

// heard returns the keys OnEvict heard of for reason, sorted, and forgets
// them.
func (mc *matrixCache) heard(reason cache.Reason) []int {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	keys := slices.Sorted(slices.Values(mc.removed[reason]))
	delete(mc.removed, reason)
	return keys
}

// bound returns the cache's bound and what the cache holds against it.
func (mc *matrixCache) bound() (limit, used int64) {
	if !mc.m.weighted {
		return int64(mc.MaxEntries()), int64(mc.Len())
	}
	for k, v := range mc.All() {
		used += int64(matrixWeigher(k, v))
	}
	return mc.MaxWeight(), used
}

func (m matrixConfig) run(t *testing.T) {
	for _, b := range []struct {
		name string
		run  func(*testing.T, *matrixCache)
	}{
		{"Bound", matrixBound},
		{"Expiry", matrixExpiry},
		{"OnEvict", matrixOnEvict},
		{"Loading", matrixLoading},
		{"Snapshot", matrixSnapshot},
		{"Resize", matrixResize},
	} {
		t.Run(b.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mc := m.newCache(t, fakeclock.New())
				defer mc.Close()
				b.run(t, mc)
			})
		})
	}
}

// fill writes keys first to first+n-1, each with its key as value.
func fill(mc *matrixCache, first, n int) {
	for k := first; k < first+n; k++ {
		mc.Set(k, k)
	}
}

// checkBound checks, after Flush, that the cache is within its bound and
// no more than one entry's weight under it (it evicts only while over),
// and that every eviction was reported: the cache held before entries,
// then written new keys were written.
func checkBound(t *testing.T, mc *matrixCache, before, written int) {
	t.Helper()
	mc.Flush()
	limit, used := mc.bound()
	// Each of the two shards stops evicting once under its share, by
	// less than the heaviest entry.
	slack := int64(1)
	if mc.m.weighted {
		slack = 2 * 3
	}
	if used > limit || used <= limit-slack {
		t.Fatalf("after %d writes and Flush the cache holds %d of its bound %d; want at most the bound and more than %d", written, used, limit, limit-slack)
	}
	if mc.m.hook {
		if n, gone := len(mc.heard(cache.ReasonCapacity)), before+written-mc.Len(); n != gone {
			t.Fatalf("OnEvict heard of %d capacity evictions; %d entries are gone", n, gone)
		}
	}
}

func matrixBound(t *testing.T, mc *matrixCache) {
	const written = 1000
	fill(mc, 0, written)
	checkBound(t, mc, 0, written)
	if v, ok := mc.Get(written - 1); !ok || v != written-1 {
		t.Fatalf("the value written last reads %d, %v; want %d, true", v, ok, written-1)
	}
	// Reads and rewrites of the survivors change nothing about the bound.
	before := mc.Len()
	for _, k := range slices.Collect(mc.Keys()) {
		mc.Get(k)
		mc.Set(k, k+3) // the same weight
	}
	fill(mc, written, written)
	checkBound(t, mc, before, written)
}

func matrixExpiry(t *testing.T, mc *matrixCache) {
	fill(mc, 0, 10)
	mc.clock.Advance(15 * time.Second) // before refresh is due
	if v, ok := mc.Get(0); !ok || v != 0 {
		t.Fatalf("Get(0) after 15s = %d, %v; want 0, true", v, ok)
	}
	mc.clock.Advance(matrixTTL - 5*time.Second) // 70s after the writes
	mc.Flush()
	var live []int
	for k := range 10 {
		if _, ok := mc.Peek(k); ok {
			live = append(live, k)
		}
	}
	want := map[string][]int{
		"none":    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		"ttl":     nil,
		"sliding": {0}, // read at 15s: lives until 75s
	}[mc.m.expiry]
	if !slices.Equal(live, want) {
		t.Fatalf("70s after the writes, keys %v are live; want %v", live, want)
	}
	if n := mc.Len(); n != len(want) {
		t.Fatalf("Len = %d after Flush; want %d", n, len(want))
	}
	if mc.m.hook {
		var gone []int
		for k := range 10 {
			if !slices.Contains(want, k) {
				gone = append(gone, k)
			}
		}
		if got := mc.heard(cache.ReasonExpired); !slices.Equal(got, gone) {
			t.Fatalf("OnEvict heard of expired keys %v; want %v", got, gone)
		}
	}
}

func matrixOnEvict(t *testing.T, mc *matrixCache) {
	fill(mc, 0, 5)
	mc.Set(1, 100)
	if v, _ := mc.Get(1); v != 100 {
		t.Fatalf("Get(1) after a rewrite = %d; want 100", v)
	}
	if !mc.Delete(2) || mc.Delete(2) {
		t.Fatal("Delete(2) twice did not report true, then false")
	}
	mc.Clear()
	if n := mc.Len(); n != 0 {
		t.Fatalf("Len = %d after Clear", n)
	}
	if !mc.m.hook {
		return
	}
	for _, c := range []struct {
		reason cache.Reason
		want   []int
	}{
		{cache.ReasonReplaced, []int{1}},
		{cache.ReasonDeleted, []int{2}},
		{cache.ReasonCleared, []int{0, 1, 3, 4}},
		{cache.ReasonCapacity, nil},
		{cache.ReasonExpired, nil},
	} {
		if got := mc.heard(c.reason); !slices.Equal(got, c.want) {
			t.Errorf("OnEvict heard of keys %v as %v; want %v", got, c.reason, c.want)
		}
	}
}

func matrixLoading(t *testing.T, mc *matrixCache) {
	ctx := context.Background()
	get := func(when string, want int) {
		t.Helper()
		if v, err := mc.GetOrLoad(ctx, 7, nil); v != want || err != nil {
			t.Fatalf("GetOrLoad(7) %s = %d, %v; want %d, nil", when, v, err, want)
		}
	}
	get("on a miss", 7001)
	get("on a hit", 7001)
	mc.clock.Advance(matrixRefresh + 5*time.Second) // 25s: stale, still live
	get("once stale", 7001)                         // refresh serves the old value at once
	synctest.Wait()
	loads, value := int64(1), 7001
	if mc.m.refresh {
		loads, value = 2, 7002
	}
	if n := mc.loads.Load(); n != loads {
		t.Fatalf("%d loads after a stale hit; want %d", n, loads)
	}
	if v, ok := mc.Peek(7); !ok || v != value {
		t.Fatalf("Peek(7) after a stale hit = %d, %v; want %d, true", v, ok, value)
	}
	if mc.m.hook && mc.m.refresh {
		if got := mc.heard(cache.ReasonReplaced); !slices.Equal(got, []int{7}) {
			t.Fatalf("OnEvict heard of replaced keys %v; want the refreshed [7]", got)
		}
	}
	mc.clock.Advance(2 * matrixTTL) // past any lifetime
	want := value
	if mc.m.expiry != "none" {
		want = 7000 + int(loads) + 1 // expired: loaded again
	}
	get("after two lifetimes", want)
	synctest.Wait() // for a refresh it may have started
}

func matrixSnapshot(t *testing.T, mc *matrixCache) {
	fill(mc, 0, 20)
	mc.clock.Advance(10 * time.Second)
	var buf bytes.Buffer
	if _, err := mc.SaveSnapshot(&buf, cache.SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	restored := mc.m.newCache(t, mc.clock)
	defer restored.Close()
	if _, err := restored.LoadSnapshot(&buf, cache.SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, want := maps.Collect(restored.All()), maps.Collect(mc.All()); !maps.Equal(got, want) {
		t.Fatalf("the restored cache holds %v; want %v", got, want)
	}
	// The entries keep what was left of their lifetimes: 50s.
	restored.clock.Advance(matrixTTL - 5*time.Second)
	restored.Flush()
	want := 20
	if mc.m.expiry != "none" {
		want = 0
	}
	if n := restored.Len(); n != want {
		t.Fatalf("65s after the writes the restored cache holds %d entries; want %d", n, want)
	}
}

func matrixResize(t *testing.T, mc *matrixCache) {
	setBound := func(n int) error {
		if mc.m.weighted {
			return mc.SetMaxWeight(int64(n) * matrixWeight / matrixEntries)
		}
		return mc.SetMaxEntries(n)
	}
	fill(mc, 0, 200)
	checkBound(t, mc, 0, 200)
	before := mc.Len()
	if err := setBound(matrixEntries / 2); err != nil {
		t.Fatal(err)
	}
	checkBound(t, mc, before, 0)
	if mc.Len() >= before {
		t.Fatalf("halving the bound left %d of %d entries", mc.Len(), before)
	}
	if err := setBound(matrixEntries * 2); err != nil {
		t.Fatal(err)
	}
	before = mc.Len()
	fill(mc, 200, 400)
	checkBound(t, mc, before, 400)
	if err := setBound(0); err == nil || !strings.HasPrefix(err.Error(), "cache: ") {
		t.Fatalf("setting a bound of 0: %v; want an error beginning cache:", err)
	}
}
