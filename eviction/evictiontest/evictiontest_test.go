package evictiontest

import (
	"slices"
	"testing"

	"github.com/stratacache/cache/eviction"
)

// TestBuiltins runs the kit against every registered policy, so that a
// new one is checked once it is registered.
func TestBuiltins(t *testing.T) {
	for _, a := range eviction.Algorithms() {
		t.Run(a.String(), func(t *testing.T) {
			Run(t, func(capacity int64) eviction.Custom[int, int] {
				return eviction.Builtin[int, int](a, capacity)
			})
		})
	}
}

// fifo is a small correct policy with switchable faults, to show that
// each check catches the fault it is about.
type fifo struct {
	order []handle
	fault string
}

func (f *fifo) Add(h handle)          { f.order = append(f.order, h) }
func (f *fifo) Access(handle)         {}
func (f *fifo) Update(handle, uint32) {}
func (f *fifo) SetCapacity(int64)     {}
func (f *fifo) remove(h handle) {
	f.order = slices.DeleteFunc(f.order, func(x handle) bool { return x == h })
}
func (f *fifo) Remove(h handle) {
	if f.fault != "forget removes" {
		f.remove(h)
	}
}

func (f *fifo) Evict() (handle, bool) {
	if len(f.order) == 0 || (f.fault == "keep the last" && len(f.order) == 1) {
		return handle{}, false
	}
	v := f.order[0]
	if f.fault != "evict twice" || len(f.order) > 1 {
		f.order = f.order[1:]
	}
	return v, true
}

func (f *fifo) Ordered(hottest bool, yield func(handle) bool) {
	walk := slices.Clone(f.order)
	if hottest {
		slices.Reverse(walk)
	}
	if f.fault == "hottest not reversed" && hottest {
		slices.Reverse(walk[:len(walk)/2])
	}
	for _, h := range walk {
		if !yield(h) && f.fault != "ignore stop" {
			return
		}
	}
}

func TestChecksCatchFaults(t *testing.T) {
	if err := runAll(func(int64) eviction.Custom[int, int] { return &fifo{} }); err != "" {
		t.Fatalf("a correct FIFO fails %s", err)
	}
	shared := &fifo{}
	for _, tc := range []struct {
		fault, check string
		policy       NewPolicy
	}{
		{"forget removes", "RemovedEntriesAreNeverEvicted", nil},
		{"keep the last", "EvictsEveryEntryOnce", nil},
		{"evict twice", "EvictsEveryEntryOnce", nil},
		{"hottest not reversed", "OrderedYieldsEveryEntryOnce", nil},
		{"ignore stop", "OrderedStopsWhenYieldReturnsFalse", nil},
		{"one instance", "PoliciesShareNoEntries", func(int64) eviction.Custom[int, int] { return shared }},
		{"nil", "EmptyEvictsNothing", func(int64) eviction.Custom[int, int] { return nil }},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			newPolicy := tc.policy
			if newPolicy == nil {
				newPolicy = func(int64) eviction.Custom[int, int] { return &fifo{fault: tc.fault} }
			}
			for _, c := range checks {
				if c.name == tc.check {
					if err := c.run(newPolicy); err == nil {
						t.Errorf("%s passes a policy that has the fault %q", c.name, tc.fault)
					} else {
						t.Logf("%s: %v", c.name, err)
					}
				}
			}
		})
	}
}

// runAll returns the name and error of the first check newPolicy fails,
// or "".
func runAll(newPolicy NewPolicy) string {
	for _, c := range checks {
		if err := c.run(newPolicy); err != nil {
			return c.name + ": " + err.Error()
		}
	}
	return ""
}
