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

// TestPolicyProperties drives every policy with random operations, the
// way a shard would, and checks the contract: Evict returns only tracked
// entries, each once, and nil only when nothing is tracked; weights add
// up.
func TestPolicyProperties(t *testing.T) {
	for _, a := range allAlgorithms {
		for _, reweigh := range []bool{false, true} {
			for seed := range uint64(20) {
				t.Run(fmt.Sprintf("%v/reweigh=%v/seed=%d", a, reweigh, seed), func(t *testing.T) {
					checkProperties(t, a, seed, reweigh)
				})
			}
		}
	}
}

func checkProperties(t *testing.T, a Algorithm, seed uint64, reweigh bool) {
	rng := rand.New(rand.NewPCG(seed, 77))
	capacity := int64(1 + rng.IntN(60))
	p := New[int, int](a, capacity)
	tracked := map[*ent]bool{}
	var order []*ent // tracked entries, for picking one at random
	var weight int64
	gone := map[*ent]bool{}
	next := 0
	var last *ent // added last

	pick := func() *ent {
		for len(order) > 0 {
			i := rng.IntN(len(order))
			e := order[i]
			if tracked[e] {
				return e
			}
			order[i] = order[len(order)-1]
			order = order[:len(order)-1]
		}
		return nil
	}
	drop := func(e *ent, why string) {
		if gone[e] {
			t.Fatalf("%s returned key %d, which had already left", why, e.Key())
		}
		if !tracked[e] {
			t.Fatalf("%s returned key %d, which was never added", why, e.Key())
		}
		delete(tracked, e)
		gone[e] = true
		weight -= int64(e.Weight())
		e.MarkRemoved(entry.ReasonCapacity)
	}
	evict := func() {
		v := p.Evict()
		if v == nil {
			if len(tracked) > 0 {
				t.Fatalf("Evict returned nil with %d entries tracked", len(tracked))
			}
			return
		}
		if v == last && len(tracked) > 1 {
			t.Fatalf("Evict returned key %d, the entry added last, while %d others were tracked", v.Key(), len(tracked)-1)
		}
		drop(v, "Evict")
	}
	for step := range 3000 {
		switch op := rng.IntN(10); {
		case op < 4: // a miss and a write, as a shard stores a new key
			w := uint32(1)
			if rng.IntN(3) == 0 {
				w = uint32(rng.IntN(4)) // weights of 0 are legal
			}
			if int64(w) > capacity {
				w = 1
			}
			e := newEnt(next, w)
			// Some keys come back, so ghosts and sketches see repeats.
			if rng.IntN(3) == 0 && next > 10 {
				e = newEnt(next-rng.IntN(10), w)
			}
			next++
			p.Add(e)
			last = e
			tracked[e] = true
			order = append(order, e)
			weight += int64(w)
			for weight > capacity {
				evict()
			}
		case op < 7:
			if e := pick(); e != nil {
				p.Access(e)
			}
		case op < 8:
			if e := pick(); e != nil {
				w := e.Weight()
				if reweigh {
					w = uint32(rng.IntN(3))
				}
				old := e.Weight()
				weight += int64(w) - int64(old)
				e.SetWeight(w)
				p.Update(e, old)
				for weight > capacity {
					evict()
				}
			}
		case op < 9:
			if e := pick(); e != nil {
				p.Remove(e)
				drop(e, "Remove")
			}
		default:
			evict()
		}
		if pw, ok := p.(weigher); ok {
			// Exact at every step, weights changed by writes included.
			if got := pw.trackedWeight(); got != weight {
				t.Fatalf("step %d: policy tracks weight %d, entries weigh %d", step, got, weight)
			}
		}
	}
	// Draining returns every tracked entry exactly once, then nil.
	for len(tracked) > 0 {
		v := p.Evict()
		if v == nil {
			t.Fatalf("Evict returned nil with %d entries left", len(tracked))
		}
		drop(v, "Evict")
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
