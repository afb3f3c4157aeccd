// Package evictiontest is a conformance kit for eviction policies: it
// checks that a policy keeps the [eviction.Custom] contract, so that a
// cache using it holds its bound and reports every entry once. Run it from
// a test of the package that defines the policy:
//
//	func TestMyPolicy(t *testing.T) {
//		evictiontest.Run(t, func(capacity int64) eviction.Custom[int, int] {
//			return newMyPolicy[int, int](capacity)
//		})
//	}
//
// Strata runs it against every built-in policy (through eviction.Builtin).
// It checks the contract, not the hit ratio: measure that with the
// simulator in the benchmarks module. The checks are deterministic and
// take well under a second for an O(1) policy.
package evictiontest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stratacache/cache/eviction"
)

// NewPolicy makes a policy for a shard of capacity units of weight, as
// Options.NewPolicy does.
type NewPolicy = func(capacity int64) eviction.Custom[int, int]

// Run checks that the policies newPolicy makes keep the eviction.Custom
// contract, each rule in a subtest of its own named for it:
//
//   - EmptyEvictsNothing: a new policy's Evict reports false.
//   - EvictsEveryEntryOnce: entries of mixed weights, some read or
//     rewritten, are each evicted exactly once, then Evict reports false.
//   - RemovedEntriesAreNeverEvicted: nor yielded by Ordered.
//   - OrderedYieldsEveryEntryOnce: in both directions, hottest first being
//     coldest first reversed.
//   - OrderedStopsWhenYieldReturnsFalse.
//   - SetCapacityEvictsNothing: shrinking keeps every entry until Evict.
//   - PoliciesShareNoEntries: two policies from newPolicy are independent,
//     as each shard's must be.
//   - RandomOperationsMatchModel: a long random sequence of every call,
//     compared after each with the set of entries that should be tracked.
func Run(t *testing.T, newPolicy NewPolicy) {
	t.Helper()
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if err := c.run(newPolicy); err != nil {
				t.Error(err)
			}
		})
	}
}

type handle = eviction.Handle[int, int]

var checks = []struct {
	name string
	run  func(NewPolicy) error
}{
	{"EmptyEvictsNothing", emptyEvictsNothing},
	{"EvictsEveryEntryOnce", evictsEveryEntryOnce},
	{"RemovedEntriesAreNeverEvicted", removedNeverEvicted},
	{"OrderedYieldsEveryEntryOnce", orderedYieldsEveryEntryOnce},
	{"OrderedStopsWhenYieldReturnsFalse", orderedStops},
	{"SetCapacityEvictsNothing", setCapacityEvictsNothing},
	{"PoliciesShareNoEntries", policiesShareNoEntries},
	{"RandomOperationsMatchModel", randomOperationsMatchModel},
}

// capacity is the capacity the checks give a policy: more than the
// entries they add, and less, so that size-dependent regions are shaped.
const capacity = 64

// newHandles makes n handles with keys first.., hashes mixed from the
// keys, and weights from 1 to 4 when weighted.
func newHandles(first, n int, weighted bool) []handle {
	hs := make([]handle, n)
	for i := range hs {
		k := first + i
		w := uint32(1)
		if weighted {
			w = uint32(1 + k%4)
		}
		hs[i] = eviction.NewHandle[int, int](k, mix(uint64(k)), w)
	}
	return hs
}

// mix spreads a key's bits over the 32 bits a Handle's hash carries.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return x & 0xFFFFFFFF
}

// tracked is the model: the entries a policy should be tracking.
type tracked map[handle]bool

func makePolicy(newPolicy NewPolicy, capacity int64) (eviction.Custom[int, int], error) {
	p := newPolicy(capacity)
	if p == nil {
		return nil, errors.New("newPolicy returned nil")
	}
	return p, nil
}

// drain evicts until the policy reports false, checking that each victim
// was tracked and is evicted once, and that nothing tracked is left.
func drain(p eviction.Custom[int, int], want tracked) error {
	for len(want) > 0 {
		v, ok := p.Evict()
		switch {
		case !ok:
			return fmt.Errorf("policy.Evict reported false with %d entries tracked", len(want))
		case v.IsZero():
			return errors.New("policy.Evict returned the zero Handle and true")
		case !want[v]:
			return fmt.Errorf("policy.Evict returned key %d, which it was not tracking (never added, removed, or evicted already)", v.Key())
		}
		delete(want, v)
	}
	if v, ok := p.Evict(); ok {
		return fmt.Errorf("policy.Evict returned key %d after every tracked entry was evicted", v.Key())
	}
	return nil
}

// checkOrdered checks that Ordered yields exactly want, each once, in
// both directions, one the reverse of the other.
func checkOrdered(p eviction.Custom[int, int], want tracked) error {
	var walks [2][]handle
	for i, hottest := range []bool{false, true} {
		seen := make(map[handle]bool, len(want))
		p.Ordered(hottest, func(h handle) bool {
			walks[i] = append(walks[i], h)
			seen[h] = true
			return true
		})
		if len(walks[i]) != len(seen) {
			return fmt.Errorf("policy.Ordered(hottest=%v) yielded an entry twice: %d yields, %d entries", hottest, len(walks[i]), len(seen))
		}
		for h := range seen {
			if !want[h] {
				return fmt.Errorf("policy.Ordered(hottest=%v) yielded key %d, which it was not tracking", hottest, h.Key())
			}
		}
		if len(seen) != len(want) {
			return fmt.Errorf("policy.Ordered(hottest=%v) yielded %d entries; %d are tracked", hottest, len(seen), len(want))
		}
	}
	slices.Reverse(walks[1])
	if !slices.Equal(walks[0], walks[1]) {
		return errors.New("policy.Ordered hottest first is not Ordered coldest first reversed")
	}
	return nil
}

func emptyEvictsNothing(newPolicy NewPolicy) error {
	p, err := makePolicy(newPolicy, capacity)
	if err != nil {
		return err
	}
	if v, ok := p.Evict(); ok {
		return fmt.Errorf("a new policy evicted key %d", v.Key())
	}
	return checkOrdered(p, tracked{})
}

// fill adds hs to p and to the model, then reads and rewrites some.
func fill(p eviction.Custom[int, int], hs []handle) tracked {
	want := tracked{}
	for i, h := range hs {
		p.Add(h)
		want[h] = true
		if i%3 == 0 {
			p.Access(hs[i/2])
		}
		if i%5 == 0 {
			p.Update(hs[i/3], hs[i/3].Weight())
		}
	}
	return want
}

func evictsEveryEntryOnce(newPolicy NewPolicy) error {
	for _, n := range []int{1, capacity / 2, capacity * 3} {
		p, err := makePolicy(newPolicy, capacity)
		if err != nil {
			return err
		}
		if err := drain(p, fill(p, newHandles(0, n, true))); err != nil {
			return fmt.Errorf("with %d entries added: %w", n, err)
		}
	}
	return nil
}

func removedNeverEvicted(newPolicy NewPolicy) error {
	p, err := makePolicy(newPolicy, capacity)
	if err != nil {
		return err
	}
	hs := newHandles(0, capacity*2, false)
	want := fill(p, hs)
	for i := 0; i < len(hs); i += 3 {
		p.Remove(hs[i])
		delete(want, hs[i])
	}
	if err := checkOrdered(p, want); err != nil {
		return fmt.Errorf("after removing every third entry: %w", err)
	}
	return drain(p, want)
}

func orderedYieldsEveryEntryOnce(newPolicy NewPolicy) error {
	for _, n := range []int{1, capacity / 2, capacity * 3} {
		p, err := makePolicy(newPolicy, capacity)
		if err != nil {
			return err
		}
		want := fill(p, newHandles(0, n, true))
		if err := checkOrdered(p, want); err != nil {
			return fmt.Errorf("with %d entries added: %w", n, err)
		}
	}
	return nil
}

func orderedStops(newPolicy NewPolicy) error {
	p, err := makePolicy(newPolicy, capacity)
	if err != nil {
		return err
	}
	fill(p, newHandles(0, capacity, false))
	for _, hottest := range []bool{false, true} {
		calls := 0
		p.Ordered(hottest, func(handle) bool {
			calls++
			return calls < 3
		})
		if calls != 3 {
			return fmt.Errorf("policy.Ordered(hottest=%v) called yield %d times after it returned false at its third call", hottest, calls)
		}
	}
	return nil
}

func setCapacityEvictsNothing(newPolicy NewPolicy) error {
	p, err := makePolicy(newPolicy, capacity)
	if err != nil {
		return err
	}
	want := fill(p, newHandles(0, capacity, true))
	p.SetCapacity(capacity / 4)
	if err := checkOrdered(p, want); err != nil {
		return fmt.Errorf("after SetCapacity(%d): %w", capacity/4, err)
	}
	p.SetCapacity(capacity * 4)
	for h := range fill(p, newHandles(capacity, capacity, true)) {
		want[h] = true
	}
	return drain(p, want)
}

func policiesShareNoEntries(newPolicy NewPolicy) error {
	a, err := makePolicy(newPolicy, capacity)
	if err != nil {
		return err
	}
	b, err := makePolicy(newPolicy, capacity)
	if err != nil {
		return err
	}
	fill(a, newHandles(0, capacity/2, false))
	if v, ok := b.Evict(); ok {
		return fmt.Errorf("a policy evicted key %d, which was added to another policy from the same newPolicy; each call must return a new policy", v.Key())
	}
	return nil
}

func randomOperationsMatchModel(newPolicy NewPolicy) error {
	rng := rand.New(rand.NewPCG(23, 4))
	p, err := makePolicy(newPolicy, capacity)
	if err != nil {
		return err
	}
	want := tracked{}
	var live []handle // the model's entries, for picking one at random
	pick := func() (handle, int) {
		i := rng.IntN(len(live))
		return live[i], i
	}
	drop := func(i int) {
		delete(want, live[i])
		live[i] = live[len(live)-1]
		live = live[:len(live)-1]
	}
	next := 0
	for step := range 20000 {
		switch r := rng.IntN(100); {
		case r < 35 || len(live) == 0:
			h := newHandles(next, 1, true)[0]
			next++
			p.Add(h)
			want[h] = true
			live = append(live, h)
		case r < 65:
			h, _ := pick()
			p.Access(h)
		case r < 75:
			h, _ := pick()
			p.Update(h, h.Weight())
		case r < 82:
			h, i := pick()
			p.Remove(h)
			drop(i)
		case r < 99:
			v, ok := p.Evict()
			if !ok {
				return fmt.Errorf("step %d: policy.Evict reported false with %d entries tracked", step, len(want))
			}
			if !want[v] {
				return fmt.Errorf("step %d: policy.Evict returned key %d, which it was not tracking", step, v.Key())
			}
			drop(slices.Index(live, v))
		default:
			p.SetCapacity(int64(1 + rng.IntN(capacity*2)))
		}
		if step%1000 == 0 {
			if err := checkOrdered(p, want); err != nil {
				return fmt.Errorf("step %d: %w", step, err)
			}
		}
	}
	return drain(p, want)
}
