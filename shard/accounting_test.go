package shard

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/eviction"
)

// unruly is a Custom policy that tracks its entries honestly but, when
// asked for a victim, sometimes answers badly: nothing, the zero handle,
// or a victim it gave up before.
type unruly struct {
	rng     *rand.Rand
	tracked map[eviction.Handle[int, int]]bool
	order   []eviction.Handle[int, int]
	gone    []eviction.Handle[int, int]
}

func (u *unruly) Add(h eviction.Handle[int, int]) {
	u.tracked[h] = true
	u.order = append(u.order, h)
}
func (u *unruly) Access(eviction.Handle[int, int])         {}
func (u *unruly) Update(eviction.Handle[int, int], uint32) {}
func (u *unruly) Remove(h eviction.Handle[int, int])       { delete(u.tracked, h) }
func (u *unruly) SetCapacity(int64)                        {}
func (u *unruly) Ordered(_ bool, yield func(eviction.Handle[int, int]) bool) {
	for h := range u.tracked {
		if !yield(h) {
			return
		}
	}
}

func (u *unruly) Evict() (eviction.Handle[int, int], bool) {
	switch u.rng.IntN(8) {
	case 0:
		return eviction.Handle[int, int]{}, false
	case 1:
		return eviction.Handle[int, int]{}, true
	case 2:
		if len(u.gone) > 0 {
			return u.gone[u.rng.IntN(len(u.gone))], true
		}
	}
	for len(u.order) > 0 {
		h := u.order[0]
		u.order = u.order[1:]
		if u.tracked[h] {
			delete(u.tracked, h)
			u.gone = append(u.gone, h)
			return h, true
		}
	}
	return eviction.Handle[int, int]{}, false
}

// checkAccountingLocked checks that the shard's weight is the sum of its
// entries' weights, and that, with nothing pending, the policy tracks
// exactly the stored entries. The caller holds both locks.
func checkAccountingLocked(t *testing.T, s *Shard[int, int], step int) {
	t.Helper()
	var sum int64
	n := 0
	s.table.Range(func(e *entry.Entry[int, int]) bool {
		sum += int64(e.StoredWeight())
		n++
		if !e.Resident() {
			t.Fatalf("step %d: key %d is in the table but not resident", step, e.Key())
		}
		if len(s.writes) == 0 && !e.InPolicy() {
			t.Fatalf("step %d: key %d is stored but not in the policy", step, e.Key())
		}
		return true
	})
	if sum != s.weight {
		t.Fatalf("step %d: shard weight %d, entries weigh %d", step, s.weight, sum)
	}
	if len(s.writes) == 0 && s.policy.Len() != n {
		t.Fatalf("step %d: policy tracks %d entries, the shard stores %d", step, s.policy.Len(), n)
	}
}

// TestShardAccountingModel drives weighted shards of every policy, and of
// a misbehaving Custom one, with writes of every weight (some heavier
// than the bound), deletions, reads, resizes down to 1, clears and
// flushes, and checks after each step that the shard's weight matches its
// entries and, after a flush, that the policy tracks exactly them and
// (well-behaved policies) that the shard fits its bound.
func TestShardAccountingModel(t *testing.T) {
	for _, a := range append(eviction.Algorithms(), 0) {
		name := a.String()
		if a == 0 {
			name = "unruly"
		}
		for seed := range uint64(6) {
			t.Run(fmt.Sprintf("%s/seed=%d", name, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 5))
				capacity := int64(1 + rng.IntN(30))
				var p eviction.Policy[int, int]
				if a == 0 {
					p = eviction.NewCustom(func(int64) eviction.Custom[int, int] {
						return &unruly{rng: rand.New(rand.NewPCG(seed, 6)), tracked: map[eviction.Handle[int, int]]bool{}}
					}, capacity)
				}
				clk := &clock{now: 1}
				s := NewWithPolicy[int, int](Config{Capacity: capacity, Policy: a, Weighted: true, Clock: clk.read}, p)
				for step := range 3000 {
					k := rng.IntN(40)
					h := uint64(k) * 0x9E3779B97F4A7C15
					switch op := rng.IntN(30); {
					case op < 14:
						w := uint32(1 + rng.IntN(4))
						if rng.IntN(10) == 0 {
							w = uint32(capacity + int64(rng.IntN(3)))
						}
						var ttl int64
						if rng.IntN(5) == 0 {
							ttl = int64(1 + rng.IntN(50))
						}
						s.Set(k, h, step, w, ttl, rng.IntN(4) == 0)
					case op < 18:
						s.Delete(k, h)
					case op < 24:
						s.Get(k, h)
					case op < 26:
						capacity = 1 + rng.Int64N(30)
						s.SetCapacity(capacity)
					case op < 27:
						s.Clear()
					default:
						clk.now += int64(rng.IntN(20))
						s.Flush()
						s.policyMu.Lock()
						s.mu.Lock()
						if a != 0 && s.weight > capacity {
							t.Fatalf("step %d: weight %d over the bound %d after Flush", step, s.weight, capacity)
						}
						checkAccountingLocked(t, s, step)
						s.mu.Unlock()
						s.policyMu.Unlock()
						continue
					}
					s.policyMu.Lock()
					s.mu.Lock()
					checkAccountingLocked(t, s, step)
					s.mu.Unlock()
					s.policyMu.Unlock()
				}
			})
		}
	}
}
