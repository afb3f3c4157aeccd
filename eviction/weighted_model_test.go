package eviction

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stratacache/cache/entry"
)

// TestWeightedModel drives every policy, bare and behind the Custom
// adapters (Builtin inside NewCustom), with weighted adds, reads, updates
// that may make an entry heavier than the capacity, removals, capacity
// changes down to 1 and resets, evicting as a shard does after each, and
// compares it with a model: the set of tracked entries and their weight.
// Evict must return only tracked entries, each once, spare the entry
// added last while others remain, and return nil only when empty; Len,
// Ordered and the policy's own weight totals must match the model.
func TestWeightedModel(t *testing.T) {
	for _, a := range allAlgorithms {
		for _, wrapped := range []bool{false, true} {
			for seed := range uint64(12) {
				t.Run(fmt.Sprintf("%v/custom=%v/seed=%d", a, wrapped, seed), func(t *testing.T) {
					checkWeightedModel(t, a, wrapped, seed)
				})
			}
		}
	}
}

func checkWeightedModel(t *testing.T, a Algorithm, wrapped bool, seed uint64) {
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
	leave := func(e *ent, why string, step int) {
		if !tracked[e] {
			t.Fatalf("step %d: %s: key %d is not tracked", step, why, e.Key())
		}
		delete(tracked, e)
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
