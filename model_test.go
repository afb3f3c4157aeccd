package cache

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stratacache/cache/eviction"
)

// This file checks the cache against a reference model: a plain map with
// an explicit recency order, deadlines and a clock. Every operation is
// applied to both; the cache's answers and every OnEvict event must agree
// with the model. With one shard and LRU the eviction order is exact.

type modelEntry struct {
	value    int
	deadline time.Duration // 0: never
	ttl      time.Duration
	used     int // recency stamp; larger is more recent
}

type evictEvent struct {
	key, value int
	reason     Reason
}

type modelRun struct {
	t        testing.TB
	c        *Cache[int, int]
	clock    *fakeClock
	start    time.Time
	capacity int
	ttl      time.Duration
	access   bool
	// writeLife and readLife turn on Options.ExpireAfterWrite and
	// ExpireAfterRead, with lifetimes that depend on the value (see
	// modelWriteLife and modelReadLife).
	writeLife, readLife bool
	strict              bool // check LRU order of capacity evictions
	entries             map[int]*modelEntry
	stamp               int
	events              []evictEvent
	gets                [2]uint64 // hits, misses
	sets                uint64
	removed             [NumReasons]uint64
	nextVal             int
	// added is the key whose entry the cache added last (an overwrite
	// updates in place and adds nothing), -1 if none: a policy spares it
	// while it holds others, so a resize evicts around it.
	added int
}

// modelWriteLife is the model's ExpireAfterWrite: every kind of answer,
// chosen by the value.
func modelWriteLife(_, v int) time.Duration {
	return [...]time.Duration{0, 700 * time.Millisecond, NoTTL, 1500 * time.Millisecond, -time.Second}[v%5]
}

// modelReadLife is the model's ExpireAfterRead: leave, set or clear the
// deadline, chosen by the value.
func modelReadLife(_, v int, _ time.Duration) time.Duration {
	return [...]time.Duration{0, time.Second, NoTTL, 300 * time.Millisecond}[v%4]
}

func newModelRun(t testing.TB, capacity int, ttl time.Duration, access, writeLife, readLife bool, policy eviction.Algorithm) *modelRun {
	m := &modelRun{
		t: t, clock: newFakeClock(), capacity: capacity, ttl: ttl, access: access,
		writeLife: writeLife, readLife: readLife,
		strict: policy.Resolve() == eviction.LRU, entries: map[int]*modelEntry{}, added: -1,
	}
	m.start = m.clock.Now()
	opts := Options[int, int]{
		MaxEntries: capacity, TTL: ttl, ExpireAfterAccess: access, Policy: policy, Shards: 1, Clock: m.clock,
		OnEvict: func(k, v int, r Reason) { m.events = append(m.events, evictEvent{k, v, r}) },
	}
	if writeLife {
		opts.ExpireAfterWrite = modelWriteLife
	}
	if readLife {
		opts.ExpireAfterRead = modelReadLife
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	m.c = c
	return m
}

func (m *modelRun) now() time.Duration { return m.clock.Now().Sub(m.start) }

func (m *modelRun) live(e *modelEntry) bool {
	return e.deadline == 0 || e.deadline > m.now()+1 // the cache's clock starts at 1ns
}

func (m *modelRun) touch(k int) {
	m.stamp++
	m.entries[k].used = m.stamp
}

func (m *modelRun) oldest(except int) int {
	best, bestUsed := -1, 0
	for k, e := range m.entries {
		if k != except && (best == -1 || e.used < bestUsed) {
			best, bestUsed = k, e.used
		}
	}
	return best
}

// lifetime mirrors how the cache turns a write's TTL into a deadline, for
// a write of value v.
func (m *modelRun) lifetime(ttl time.Duration, v int) (deadline, life time.Duration) {
	if ttl == 0 && m.writeLife {
		ttl = modelWriteLife(0, v)
	}
	switch ttl {
	case 0:
		ttl = m.ttl
	case NoTTL:
		ttl = 0
	}
	if ttl == 0 {
		return 0, 0
	}
	return m.now() + 1 + ttl, ttl
}

// settle checks the events an operation produced. storeKey is the key the
// operation wrote (or -1) and store its new entry; removal is the reason
// the operation itself removes opKey with (Deleted), if any.
func (m *modelRun) settle(op string, storeKey int, store *modelEntry) {
	m.t.Helper()
	stored := false
	apply := func() {
		if storeKey >= 0 && !stored {
			stored = true
			if m.entries[storeKey] == nil {
				m.added = storeKey
			}
			m.entries[storeKey] = store
			m.touch(storeKey)
			m.sets++
		}
	}
	for _, ev := range m.events {
		if ev.key == storeKey && !stored && store != nil && ev.value == store.value {
			// Maintenance after the write removed what it stored: an
			// entry stored already expired.
			apply()
		}
		e := m.entries[ev.key]
		if ev.key == storeKey && stored && e == store && (ev.reason != ReasonExpired || m.live(e)) {
			// The entry this operation stored is being removed again;
			// only a store heavier than the shard can do that.
			m.t.Fatalf("%s: stored key %d removed at once (%v)", op, ev.key, ev.reason)
		}
		if e == nil {
			m.t.Fatalf("%s: OnEvict(%d, %d, %v) for a key the model does not hold", op, ev.key, ev.value, ev.reason)
		}
		if e.value != ev.value {
			m.t.Fatalf("%s: OnEvict(%d, %d, %v): model value is %d", op, ev.key, ev.value, ev.reason, e.value)
		}
		switch ev.reason {
		case ReasonExpired:
			if m.live(e) {
				m.t.Fatalf("%s: key %d reported expired at %v, deadline %v", op, ev.key, m.now(), e.deadline)
			}
		case ReasonReplaced:
			if ev.key != storeKey || !m.live(e) {
				m.t.Fatalf("%s: key %d reported replaced (store key %d, live %v)", op, ev.key, storeKey, m.live(e))
			}
		case ReasonCapacity:
			apply()
			if !m.live(e) {
				m.t.Fatalf("%s: expired key %d reported as capacity eviction", op, ev.key)
			}
			spared := storeKey
			if storeKey < 0 {
				spared = m.added
			}
			if o := m.oldest(spared); m.strict && o != ev.key {
				m.t.Fatalf("%s: evicted key %d, LRU order says %d", op, ev.key, o)
			}
		case ReasonDeleted, ReasonCleared:
			if !m.live(e) {
				m.t.Fatalf("%s: expired key %d reported as %v", op, ev.key, ev.reason)
			}
		}
		m.removed[ev.reason]++
		if ev.reason != ReasonReplaced {
			delete(m.entries, ev.key)
		}
	}
	m.events = m.events[:0]
	apply()
	if len(m.entries) > m.capacity {
		m.t.Fatalf("%s: model holds %d entries, capacity %d", op, len(m.entries), m.capacity)
	}
	if n := m.c.Len(); n != len(m.entries) {
		m.t.Fatalf("%s: cache holds %d entries, model %d", op, n, len(m.entries))
	}
}

func (m *modelRun) newValue() int { m.nextVal++; return m.nextVal }

func (m *modelRun) get(k int) {
	v, ok := m.c.Get(k)
	e := m.entries[k]
	want := e != nil && m.live(e)
	if ok != want || (ok && v != e.value) {
		m.t.Fatalf("Get(%d) = %d, %v; model has %+v live=%v", k, v, ok, e, want)
	}
	if ok {
		m.gets[0]++
		m.touch(k)
		if m.access && e.ttl > 0 {
			e.deadline = m.now() + 1 + e.ttl
		}
		if m.readLife {
			switch d := modelReadLife(k, v, 0); d {
			case 0:
			case NoTTL:
				e.deadline = 0
			default:
				e.deadline = m.now() + 1 + d
			}
		}
	} else {
		m.gets[1]++
	}
	m.settle("Get", -1, nil)
}

func (m *modelRun) peek(k int) {
	v, ok := m.c.Peek(k)
	e := m.entries[k]
	want := e != nil && m.live(e)
	if ok != want || (ok && v != e.value) {
		m.t.Fatalf("Peek(%d) = %d, %v; model has %+v live=%v", k, v, ok, e, want)
	}
}

func (m *modelRun) set(k int, ttl time.Duration) {
	v := m.newValue()
	if ttl == 0 {
		m.c.Set(k, v)
	} else {
		m.c.SetWithTTL(k, v, ttl)
	}
	d, life := m.lifetime(ttl, v)
	m.settle(fmt.Sprintf("SetWithTTL(%d, %d, %v)", k, v, ttl), k, &modelEntry{value: v, deadline: d, ttl: life})
}

func (m *modelRun) getOrSet(k int) {
	v := m.newValue()
	e := m.entries[k]
	got, loaded := m.c.GetOrSet(k, v)
	if e != nil && m.live(e) {
		if !loaded || got != e.value {
			m.t.Fatalf("GetOrSet(%d) = %d, %v; model has %d", k, got, loaded, e.value)
		}
		m.touch(k)
		m.settle("GetOrSet hit", -1, nil)
		return
	}
	if loaded || got != v {
		m.t.Fatalf("GetOrSet(%d, %d) = %d, %v on a miss", k, v, got, loaded)
	}
	d, life := m.lifetime(0, v)
	m.settle("GetOrSet miss", k, &modelEntry{value: v, deadline: d, ttl: life})
}

func (m *modelRun) compute(k int, action Action) {
	e := m.entries[k]
	live := e != nil && m.live(e)
	v := m.newValue()
	got, ok := m.c.Compute(k, func(old int, found bool) (int, Action) {
		if found != live || (found && old != e.value) {
			m.t.Fatalf("Compute(%d) saw %d, %v; model has %+v live=%v", k, old, found, e, live)
		}
		return v, action
	})
	switch action {
	case ActionSet:
		if !ok || got != v {
			m.t.Fatalf("Compute(%d, set %d) = %d, %v", k, v, got, ok)
		}
		d, life := m.lifetime(0, v)
		m.settle("Compute set", k, &modelEntry{value: v, deadline: d, ttl: life})
	case ActionDelete:
		if ok {
			m.t.Fatalf("Compute(%d, delete) = %d, true", k, got)
		}
		m.settle("Compute delete", -1, nil)
		if _, still := m.entries[k]; still {
			m.t.Fatalf("Compute(%d, delete) left the key in the model", k)
		}
	default:
		if ok != live || (ok && got != e.value) {
			m.t.Fatalf("Compute(%d, keep) = %d, %v", k, got, ok)
		}
		m.settle("Compute keep", -1, nil)
	}
}

func (m *modelRun) delete(k int) {
	e := m.entries[k]
	live := e != nil && m.live(e)
	if got := m.c.Delete(k); got != live {
		m.t.Fatalf("Delete(%d) = %v, model live = %v", k, got, live)
	}
	m.settle("Delete", -1, nil)
	if _, still := m.entries[k]; still {
		m.t.Fatalf("Delete(%d) left the key in the model", k)
	}
}

func (m *modelRun) clear() {
	m.c.Clear()
	m.settle("Clear", -1, nil)
	if len(m.entries) != 0 {
		m.t.Fatalf("Clear left %d entries in the model", len(m.entries))
	}
}

// resize changes the bound: shrinking evicts the least recently used
// (under LRU, exactly) before SetMaxEntries returns.
func (m *modelRun) resize(n int) {
	if err := m.c.SetMaxEntries(n); err != nil {
		m.t.Fatalf("SetMaxEntries(%d): %v", n, err)
	}
	m.capacity = n
	m.settle(fmt.Sprintf("SetMaxEntries(%d)", n), -1, nil)
}

func (m *modelRun) sweep() {
	m.c.c.expire()
	for _, ev := range m.events {
		if ev.reason != ReasonExpired {
			m.t.Fatalf("expiry sweep reported %+v", ev)
		}
	}
	m.settle("sweep", -1, nil)
}

// checkAll compares iteration and Stats with the model.
func (m *modelRun) checkAll() {
	m.t.Helper()
	var got, want []int
	for k, v := range m.c.All() {
		got = append(got, k<<32|v)
	}
	for k, e := range m.entries {
		if m.live(e) {
			want = append(want, k<<32|e.value)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		m.t.Fatalf("All() = %x, model %x", got, want)
	}
	st := m.c.Stats()
	if st.Hits != m.gets[0] || st.Misses != m.gets[1] || st.Sets != m.sets || st.Removed != m.removed {
		m.t.Fatalf("Stats = %+v; model hits %d misses %d sets %d removed %v", st, m.gets[0], m.gets[1], m.sets, m.removed)
	}
}

var modelTTLs = []time.Duration{0, 0, NoTTL, -time.Second, 500 * time.Millisecond, 2 * time.Second, 10 * time.Second}

// step applies one operation chosen by op and arg.
func (m *modelRun) step(op, arg byte) {
	k := int(arg % 16)
	switch op % 12 {
	case 0, 1, 2:
		m.get(k)
	case 3, 4:
		m.set(k, modelTTLs[int(arg/16)%len(modelTTLs)])
	case 5:
		m.getOrSet(k)
	case 6:
		m.compute(k, Action(arg/16%3))
	case 7:
		m.delete(k)
	case 8:
		m.peek(k)
	case 9:
		m.clock.Advance(time.Duration(arg) * 20 * time.Millisecond)
	case 10:
		m.sweep()
	case 11:
		switch {
		case arg < 8:
			m.clear()
		case arg < 24:
			m.resize(1 + int(arg%8))
		default:
			m.checkAll()
		}
	}
}

// finish moves time past every deadline: the sweep must then report every
// entry that had one, and the cache must end where the model does.
func (m *modelRun) finish() {
	m.checkAll()
	m.clock.Advance(24 * time.Hour)
	m.sweep()
	m.clock.Advance(24 * time.Hour)
	m.sweep()
	for k, e := range m.entries {
		if e.deadline != 0 {
			m.t.Fatalf("key %d (deadline %v) was never reported expired", k, e.deadline)
		}
	}
	m.checkAll()
	m.c.Close()
	m.settle("Close", -1, nil)
}

func runModel(t testing.TB, seed uint64, data []byte) {
	r := rand.New(rand.NewPCG(seed, seed>>7))
	policies := append([]eviction.Algorithm{eviction.Default}, eviction.Algorithms()...)
	policy := policies[r.IntN(len(policies))]
	ttl := []time.Duration{0, 3 * time.Second}[r.IntN(2)]
	access := r.IntN(3) == 0
	// Value-decided lifetimes in a third of the runs each; reads set
	// lifetimes only without ExpireAfterAccess, which they replace.
	writeLife, readLife := r.IntN(3) == 0, !access && r.IntN(3) == 0
	m := newModelRun(t, 1+r.IntN(8), ttl, access, writeLife, readLife, policy)
	for i := 0; i+1 < len(data); i += 2 {
		m.step(data[i], data[i+1])
	}
	m.finish()
}

func TestModel(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 50
	}
	for seed := range uint64(n) {
		r := rand.New(rand.NewPCG(seed, 99))
		data := make([]byte, 2*600)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		runModel(t, seed, data)
	}
}

func FuzzModel(f *testing.F) {
	f.Add(uint64(1), []byte{3, 1, 3, 2, 0, 1, 9, 200, 10, 0})
	f.Add(uint64(2), []byte{3, 0x51, 3, 0x52, 9, 255, 9, 255, 10, 0, 0, 1})
	f.Add(uint64(3), []byte{5, 1, 6, 0x11, 6, 0x21, 7, 1, 11, 1, 11, 200})
	f.Fuzz(func(t *testing.T, seed uint64, data []byte) {
		runModel(t, seed, data)
	})
}
