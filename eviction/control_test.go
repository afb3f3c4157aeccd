package eviction

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stratacache/cache/entry"
)

func ordered(p Policy[int, int], hottest bool) []int {
	var keys []int
	p.Ordered(hottest, func(e *ent) bool { keys = append(keys, e.Key()); return true })
	return keys
}

// TestOrderedAndSetCapacity drives every policy with random adds, reads,
// removals and capacity changes, evicting down to the capacity after each
// as a shard does, and checks that Len counts the tracked entries and that
// Ordered yields each of them exactly once, hottest first being the exact
// reverse of coldest first, and stops when yield says so.
func TestOrderedAndSetCapacity(t *testing.T) {
	for _, a := range allAlgorithms {
		for seed := range uint64(10) {
			t.Run(fmt.Sprintf("%v/seed=%d", a, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 99))
				capacity := int64(5 + rng.IntN(50))
				p := New[int, int](a, capacity)
				tracked := map[int]*ent{}
				var weight int64
				fit := func() {
					for weight > capacity {
						v := p.Evict()
						if v == nil {
							t.Fatalf("Evict returned nil over capacity")
						}
						delete(tracked, v.Key())
						weight -= int64(v.Weight())
						v.MarkRemoved(entry.ReasonCapacity)
					}
				}
				next := 0
				for step := range 2000 {
					switch op := rng.IntN(20); {
					case op < 9:
						e := newEnt(next, 1)
						next++
						p.Add(e)
						tracked[e.Key()] = e
						weight++
						fit()
					case op < 17:
						for _, e := range tracked {
							p.Access(e)
							break
						}
					case op < 19:
						for _, e := range tracked {
							p.Remove(e)
							delete(tracked, e.Key())
							weight--
							break
						}
					default:
						capacity = int64(1 + rng.IntN(80))
						p.SetCapacity(capacity)
						fit()
					}
					if p.Len() != len(tracked) {
						t.Fatalf("step %d: Len %d, tracking %d", step, p.Len(), len(tracked))
					}
					cold, hot := ordered(p, false), ordered(p, true)
					if len(cold) != len(tracked) {
						t.Fatalf("step %d: coldest-first yielded %d entries, tracking %d", step, len(cold), len(tracked))
					}
					seen := map[int]bool{}
					for _, k := range cold {
						if seen[k] || tracked[k] == nil {
							t.Fatalf("step %d: coldest-first yielded key %d twice or untracked", step, k)
						}
						seen[k] = true
					}
					slices.Reverse(hot)
					if !slices.Equal(cold, hot) {
						t.Fatalf("step %d: hottest first is not the reverse of coldest first:\n%v\n%v", step, cold, hot)
					}
					if len(cold) > 2 {
						n := 0
						p.Ordered(rng.IntN(2) == 0, func(*ent) bool { n++; return n < 2 })
						if n != 2 {
							t.Fatalf("step %d: Ordered went on after yield returned false (%d calls)", step, n)
						}
					}
				}
			})
		}
	}
}

// For LRU and SIEVE the coldest-first order is exactly the eviction order
// when nothing is read meanwhile, but for the entry added last, which
// Evict spares until it is alone.
func TestOrderedIsEvictionOrder(t *testing.T) {
	for _, a := range []Algorithm{LRU, SIEVE} {
		rng := rand.New(rand.NewPCG(5, 6))
		p := New[int, int](a, 1000)
		var es []*ent
		for i := range 200 {
			e := newEnt(i, 1)
			p.Add(e)
			es = append(es, e)
			if i > 50 && rng.IntN(4) == 0 {
				p.Evict().MarkRemoved(entry.ReasonCapacity) // moves SIEVE's hand into the middle
			}
			if e := es[rng.IntN(len(es))]; i < 199 && e.Resident() && rng.IntN(3) == 0 {
				p.Access(e)
			}
		}
		want := ordered(p, false)
		newest := es[len(es)-1].Key()
		want = append(slices.DeleteFunc(want, func(k int) bool { return k == newest }), newest)
		var got []int
		for v := p.Evict(); v != nil; v = p.Evict() {
			got = append(got, v.Key())
		}
		if !slices.Equal(got, want) {
			t.Errorf("%v: evicted %v\nOrdered said %v", a, got, want)
		}
	}
}

// S3-FIFO's main queue is ordered by the rounds its entries survive, and
// TinyLFU's protected entries are hottest.
func TestOrderedSegments(t *testing.T) {
	t.Run("TinyLFU", func(t *testing.T) {
		p := New[int, int](TinyLFU, 100)
		es := make([]*ent, 50)
		for i := range es {
			es[i] = newEnt(i, 1)
			p.Add(es[i])
		}
		for range 120 { // fill past the window, so entries reach main
			e := newEnt(len(es), 1)
			es = append(es, e)
			p.Add(e)
			for p.Len() > 100 {
				p.Evict()
			}
		}
		var main []*ent
		for _, e := range es {
			if e.Resident() && e.Queue() == tlProbation {
				main = append(main, e)
			}
		}
		if len(main) < 3 {
			t.Fatalf("only %d entries on probation", len(main))
		}
		p.Access(main[1])
		p.Access(main[0]) // now protected, the most recent
		hot := ordered(p, true)
		if hot[0] != main[0].Key() || hot[1] != main[1].Key() {
			t.Fatalf("hottest %v, want keys %d, %d (protected) first", hot[:2], main[0].Key(), main[1].Key())
		}
		cold := ordered(p, false)
		if cold[0] != p.(*tinyLFU[int, int]).window.front().Key() {
			t.Fatalf("coldest is %d, want the window's oldest", cold[0])
		}
	})
	t.Run("S3FIFO", func(t *testing.T) {
		p := New[int, int](S3FIFO, 20)
		var es []*ent
		for i := range 30 {
			e := newEnt(i, 1)
			es = append(es, e)
			p.Add(e)
			if i%3 == 0 {
				p.Access(e) // read once: promoted to main when small overflows
			}
			for p.Len() > 20 {
				p.Evict()
			}
		}
		s := p.(*s3fifo[int, int])
		for _, e := range es {
			if e.Resident() && e.Queue() == s3Main {
				p.Access(e)
				p.Access(e)
				break
			}
		}
		var marks []uint8
		var queues []uint8
		p.Ordered(false, func(e *ent) bool { marks = append(marks, e.Mark()); queues = append(queues, e.Queue()); return true })
		// Expected classes, coldest first: small unread, main by frequency, small read.
		class := func(i int) int {
			if queues[i] == s3Small {
				if marks[i] == 0 {
					return 0
				}
				return 5
			}
			return 1 + int(marks[i])
		}
		for i := 1; i < len(marks); i++ {
			if class(i) < class(i-1) {
				t.Fatalf("coldest-first order out of class at %d: queues %v marks %v", i, queues, marks)
			}
		}
		if s.main.len() == 0 {
			t.Fatal("nothing reached main")
		}
	})
}

// Resizing keeps TinyLFU's proportions (the window's share, protected's
// share of main) and folds its sketch down on a shrink, keeping what it
// counted; S3-FIFO's small queue follows the capacity.
func TestSetCapacityProportions(t *testing.T) {
	p := New[int, int](TinyLFU, 100_000).(*tinyLFU[int, int])
	p.setWindowShare(0.2)
	for i := range 20_000 {
		p.Add(newEnt(i, 1))
	}
	hot := newEnt(-1, 1)
	p.Add(hot)
	for range 5 {
		p.Access(hot)
	}
	before := p.sketch.Estimate(hot.Hash())
	p.SetCapacity(10_000)
	if p.windowShare != 0.2 || p.maxWindow != 2000 || p.maxProtected != 6400 {
		t.Fatalf("after shrinking to 10000: share %v, window %d, protected %d; want 0.2, 2000, 6400", p.windowShare, p.maxWindow, p.maxProtected)
	}
	if p.sketch.Capacity() != 10_000 {
		t.Fatalf("sketch sized for %d keys after shrinking to 10000", p.sketch.Capacity())
	}
	if got := p.sketch.Estimate(hot.Hash()); got < before {
		t.Fatalf("the hot key's estimate fell from %d to %d in the fold", before, got)
	}
	p.SetCapacity(40_000)
	if p.maxWindow != 8000 || p.sketch.Capacity() != 10_000 {
		t.Fatalf("after growing to 40000: window %d, sketch %d (it grows with the entries, not at once)", p.maxWindow, p.sketch.Capacity())
	}

	s := New[int, int](S3FIFO, 1000).(*s3fifo[int, int])
	s.SetCapacity(50)
	if s.smallTarget() != 5 {
		t.Fatalf("S3-FIFO small target %d at capacity 50, want 5", s.smallTarget())
	}
}

// Reset leaves a policy empty and usable, at its capacity.
func TestReset(t *testing.T) {
	for _, a := range allAlgorithms {
		p := New[int, int](a, 10)
		for i := range 30 {
			p.Add(newEnt(i, 1))
			for p.Len() > 10 {
				p.Evict()
			}
		}
		p.Reset()
		if p.Len() != 0 || len(ordered(p, false)) != 0 || p.Evict() != nil {
			t.Fatalf("%v: after Reset: Len %d, order %v", a, p.Len(), ordered(p, false))
		}
		e := newEnt(100, 1)
		p.Add(e)
		if got := ordered(p, true); len(got) != 1 || got[0] != 100 || p.Evict() != e {
			t.Fatalf("%v: after Reset and one Add: order %v", a, got)
		}
	}
}
