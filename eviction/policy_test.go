package eviction

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/internal/hashing"
)

type ent = entry.Entry[int, int]

// newEnt returns a resident entry for key k with a hash derived from k;
// full, so that its weight can change.
func newEnt(k int, weight uint32) *ent {
	e := entry.NewFull(k, k, hashing.Mix(uint64(k)+1), weight)
	e.MarkResident()
	return e
}

// weigher is implemented (in this test package) by the policies that
// keep per-queue weights.
type weigher interface {
	// trackedWeight is the total the policy believes it holds.
	trackedWeight() int64
}

func (p *s3fifo[K, V]) trackedWeight() int64 { return p.small.weight + p.main.weight }

func (p *tinyLFU[K, V]) trackedWeight() int64 {
	return p.window.weight + p.probation.weight + p.protected.weight
}

var allAlgorithms = Algorithms()

// TestPolicyProperties drives every policy, bare and behind the Custom
// adapters (Builtin inside NewCustom), with weighted adds, reads, updates
// that may make an entry heavier than the capacity, removals, capacity
// changes down to 1 and resets, evicting as a shard does after each, and
// compares it with a model: the set of tracked entries and their weight.
// Evict must return only tracked entries, each once, spare the entry
// added last while others remain, and return nil only when empty; Len,
// Ordered and the policy's own weight totals must match the model.
func TestPolicyProperties(t *testing.T) {
	for _, a := range allAlgorithms {
		for _, wrapped := range []bool{false, true} {
			for seed := range uint64(12) {
				t.Run(fmt.Sprintf("%v/custom=%v/seed=%d", a, wrapped, seed), func(t *testing.T) {
					checkProperties(t, a, wrapped, seed)
				})
			}
		}
	}
}

func checkProperties(t *testing.T, a Algorithm, wrapped bool, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1234))
	capacity := int64(1 + rng.IntN(40))
	var p Policy[int, int]
	if wrapped {
		p = NewCustom(func(c int64) Custom[int, int] { return Builtin[int, int](a, c) }, capacity)
	} else {
		p = New[int, int](a, capacity)
	}
	tracked := map[*ent]bool{}
	var order []*ent
	var weight int64
	var last *ent
	next := 0
	pick := func() *ent {
		for len(order) > 0 {
			i := rng.IntN(len(order))
			if e := order[i]; tracked[e] {
				return e
			}
			order[i] = order[len(order)-1]
			order = order[:len(order)-1]
		}
		return nil
	}
	gone := map[*ent]bool{}
	leave := func(e *ent, why string, step int) {
		if gone[e] {
			t.Fatalf("step %d: %s: key %d had already left", step, why, e.Key())
		}
		if !tracked[e] {
			t.Fatalf("step %d: %s: key %d is not tracked", step, why, e.Key())
		}
		delete(tracked, e)
		gone[e] = true
		e.SetInPolicy(false)
		weight -= int64(e.Weight())
		e.MarkRemoved(entry.ReasonCapacity)
	}
	fit := func(step int) {
		for weight > capacity {
			v := p.Evict()
			if v == nil {
				t.Fatalf("step %d: Evict returned nil with %d entries tracked, weight %d over %d", step, len(tracked), weight, capacity)
			}
			if v == last && len(tracked) > 1 {
				t.Fatalf("step %d: Evict returned the entry added last while %d others were tracked", step, len(tracked)-1)
			}
			leave(v, "Evict", step)
		}
	}
	weightOf := func() uint32 {
		switch rng.IntN(6) {
		case 0:
			return uint32(rng.Int64N(capacity + 1)) // up to the capacity
		case 1:
			return uint32(capacity + 1 + int64(rng.IntN(5))) // heavier
		}
		return 1
	}
	for step := range 2500 {
		switch op := rng.IntN(40); {
		case op < 14:
			w := weightOf()
			if int64(w) > capacity {
				w = 1 // a shard rejects these before the policy sees them
			}
			k := next
			if rng.IntN(3) == 0 && next > 8 {
				k = next - rng.IntN(8) // repeats, for ghosts and sketches
			}
			next++
			e := newEnt(k, w)
			p.Add(e)
			e.SetInPolicy(true)
			tracked[e], last = true, e
			order = append(order, e)
			weight += int64(w)
			fit(step)
		case op < 26:
			if e := pick(); e != nil {
				p.Access(e)
			}
		case op < 32:
			if e := pick(); e != nil {
				old := e.Weight()
				w := weightOf()
				e.SetWeight(w)
				weight += int64(w) - int64(old)
				p.Update(e, old)
				fit(step)
			}
		case op < 36:
			if e := pick(); e != nil {
				p.Remove(e)
				leave(e, "Remove", step)
			}
		case op < 38:
			capacity = 1 + rng.Int64N(40)
			if rng.IntN(4) == 0 {
				capacity = 1
			}
			p.SetCapacity(capacity)
			fit(step)
		case op < 39:
			p.Reset()
			for e := range tracked {
				e.SetInPolicy(false)
				e.MarkRemoved(entry.ReasonCleared)
			}
			clear(tracked)
			order, weight, last = order[:0], 0, nil
		default:
			if len(tracked) > 0 {
				v := p.Evict()
				if v == nil {
					t.Fatalf("step %d: Evict returned nil with %d tracked", step, len(tracked))
				}
				if v == last && len(tracked) > 1 {
					t.Fatalf("step %d: Evict returned the entry added last while others were tracked", step)
				}
				leave(v, "Evict", step)
			}
		}
		if p.Len() != len(tracked) {
			t.Fatalf("step %d: Len %d, tracking %d", step, p.Len(), len(tracked))
		}
		if pw, ok := p.(weigher); ok {
			if got := pw.trackedWeight(); got != weight {
				t.Fatalf("step %d: policy weighs %d, entries weigh %d", step, got, weight)
			}
		}
		n := 0
		p.Ordered(false, func(e *ent) bool {
			if !tracked[e] {
				t.Fatalf("step %d: Ordered yielded key %d, not tracked", step, e.Key())
			}
			n++
			return true
		})
		if n != len(tracked) {
			t.Fatalf("step %d: Ordered yielded %d entries, tracking %d", step, n, len(tracked))
		}
	}
	for len(tracked) > 0 {
		v := p.Evict()
		if v == nil {
			t.Fatalf("drain: Evict returned nil with %d tracked", len(tracked))
		}
		leave(v, "Evict", -1)
	}
	if v := p.Evict(); v != nil {
		t.Fatalf("Evict on an empty policy returned key %d", v.Key())
	}
}

// TestUpdateKeepsWeightsExact checks that a write changing an entry's
// weight is reflected in the policy's totals at once, wherever the update
// moves the entry, and through evictions.
func TestUpdateKeepsWeightsExact(t *testing.T) {
	for _, a := range []Algorithm{S3FIFO, TinyLFU} {
		p := New[int, int](a, 1000)
		var es []*ent
		for i := range 50 {
			e := newEnt(i, 1)
			p.Add(e)
			es = append(es, e)
		}
		for _, e := range es[:10] {
			old := e.Weight()
			e.SetWeight(3)
			p.Update(e, old)
		}
		want := int64(40 + 30)
		if got := p.(weigher).trackedWeight(); got != want {
			t.Fatalf("%v: weight %d after the updates, entries weigh %d", a, got, want)
		}
		for range 30 {
			v := p.Evict()
			want -= int64(v.Weight())
			if got := p.(weigher).trackedWeight(); got != want {
				t.Fatalf("%v: weight %d after evicting key %d, entries weigh %d", a, got, v.Key(), want)
			}
		}
	}
}

// keys returns the keys of entries, for messages.
func keys(es ...*ent) []int {
	out := make([]int, len(es))
	for i, e := range es {
		out[i] = e.Key()
	}
	return out
}

// evictOrder drains p and returns the keys in eviction order.
func evictOrder(p Policy[int, int]) []int {
	var out []int
	for e := p.Evict(); e != nil; e = p.Evict() {
		out = append(out, e.Key())
	}
	return out
}

func addAll(p Policy[int, int], n int) []*ent {
	es := make([]*ent, n)
	for i := range es {
		es[i] = newEnt(i, 1)
		p.Add(es[i])
	}
	return es
}

func wantKeys(t *testing.T, what string, got []int, want ...int) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

func TestLRUOrder(t *testing.T) {
	p := New[int, int](LRU, 10)
	es := addAll(p, 4)
	p.Access(es[0])
	p.Update(es[2], es[2].Weight())
	p.Remove(es[1])
	// Least recent first, except that 3, added last, goes last.
	wantKeys(t, "eviction order", evictOrder(p), 0, 2, 3)
}

func TestSIEVEOrder(t *testing.T) {
	p := New[int, int](SIEVE, 10)
	es := addAll(p, 5)
	p.Access(es[0])
	p.Access(es[2])
	// The hand clears 0's bit, evicts 1; then passes 2 (clearing it),
	// evicts 3.
	wantKeys(t, "first", keys(p.Evict(), p.Evict()), 1, 3)
	p.Access(es[4])
	p.Remove(es[0])
	// The hand is at 4: clear it, wrap to 2 (unvisited now), evict it.
	wantKeys(t, "rest", evictOrder(p), 2, 4)
}

// TestAlgorithms: every registered algorithm has its own value and name,
// is valid and builds a policy; Default and only Default is valid beside
// them.
func TestAlgorithms(t *testing.T) {
	if len(allAlgorithms) == 0 {
		t.Fatal("no algorithms registered")
	}
	seen := map[Algorithm]bool{Default: true}
	names := map[string]bool{"Default": true}
	for _, a := range allAlgorithms {
		if seen[a] || names[a.String()] {
			t.Errorf("%d (%v): value or name registered twice", a, a)
		}
		seen[a], names[a.String()] = true, true
		if !a.Valid() || a.String() == fmt.Sprintf("Algorithm(%d)", uint8(a)) {
			t.Errorf("%d: String %q, Valid %v", a, a, a.Valid())
		}
		if New[int, int](a, 10) == nil {
			t.Errorf("New(%v) returned nil", a)
		}
	}
	for _, a := range []Algorithm{LRU, SIEVE, S3FIFO, TinyLFU} {
		if !seen[a] {
			t.Errorf("%v is not registered", a)
		}
	}
	if Default.String() != "Default" || !Default.Valid() {
		t.Errorf("Default: String %q, Valid %v", Default, Default.Valid())
	}
	for a := Algorithm(1); a != 0; a++ {
		if !seen[a] && (a.Valid() || a.String() != fmt.Sprintf("Algorithm(%d)", uint8(a))) {
			t.Errorf("unregistered %d: Valid %v, String %q", a, a.Valid(), a)
		}
	}
	// Default stands for the policy the hit-ratio tables favour.
	if Default.Resolve() != TinyLFU {
		t.Errorf("Default resolves to %v", Default.Resolve())
	}
}
