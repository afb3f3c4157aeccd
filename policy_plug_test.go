package cache_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/eviction"
)

func TestNewPolicyOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts cache.Options[int, int]
		want string
	}{
		{"with Policy", cache.Options[int, int]{MaxEntries: 8, Policy: eviction.LRU, NewPolicy: newFIFO[int, int]}, "Options.NewPolicy is set and so is Options.Policy (LRU)"},
		{"unbounded", cache.Options[int, int]{NewPolicy: newFIFO[int, int]}, "Options.NewPolicy is set but the cache is unbounded"},
		{"returning nil", cache.Options[int, int]{MaxEntries: 8, Shards: 2, NewPolicy: func(int64) eviction.Custom[int, int] { return nil }}, "Options.NewPolicy returned nil for shard 0 of 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := cache.New(tc.opts)
			if err == nil {
				c.Close()
				t.Fatal("New accepted the options")
			}
			if !errors.Is(err, cache.ErrInvalidOptions) || !strings.HasPrefix(err.Error(), "cache: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v; want a cache: error wrapping ErrInvalidOptions that says %q", err, tc.want)
			}
		})
	}
}

// counting is a FIFO that records what its shard told it.
type counting struct {
	eviction.Custom[int, int]
	capacities []int64 // from New, then SetCapacity
	tracked    int
}

func (p *counting) Add(e eviction.Handle[int, int])    { p.tracked++; p.Custom.Add(e) }
func (p *counting) Remove(e eviction.Handle[int, int]) { p.tracked--; p.Custom.Remove(e) }
func (p *counting) SetCapacity(c int64)                { p.capacities = append(p.capacities, c) }
func (p *counting) Evict() (eviction.Handle[int, int], bool) {
	e, ok := p.Custom.Evict()
	if ok {
		p.tracked--
	}
	return e, ok
}

// TestNewPolicyDrivesEachShard checks that each shard gets a policy of its
// own sized by its share, that the cache keeps its bound by the policy's
// choices, and that Clear and SetMaxEntries reach the policy.
func TestNewPolicyDrivesEachShard(t *testing.T) {
	var policies []*counting
	var evicted []int
	c, err := cache.New(cache.Options[int, int]{
		MaxEntries: 10,
		Shards:     4,
		NewPolicy: func(capacity int64) eviction.Custom[int, int] {
			p := &counting{Custom: newFIFO[int, int](capacity), capacities: []int64{capacity}}
			policies = append(policies, p)
			return p
		},
		OnEvict: func(k, _ int, r cache.Reason) {
			if r == cache.ReasonCapacity {
				evicted = append(evicted, k)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var shares []int64
	for _, p := range policies {
		shares = append(shares, p.capacities[0])
	}
	if !slices.Equal(shares, []int64{3, 3, 2, 2}) {
		t.Fatalf("shards' policies were made with capacities %v; want [3 3 2 2]", shares)
	}
	for k := range 100 {
		c.Set(k, k)
		c.Get(0) // a FIFO ignores it: 0 is evicted all the same
	}
	c.Flush()
	if n := c.Len(); n != 10 {
		t.Fatalf("Len = %d after 100 writes with MaxEntries 10", n)
	}
	if len(evicted) != 90 || !slices.Contains(evicted, 0) {
		t.Fatalf("%d entries evicted, key 0 among them: %v; want 90, true", len(evicted), slices.Contains(evicted, 0))
	}
	tracked := 0
	for _, p := range policies {
		tracked += p.tracked
	}
	if tracked != 10 {
		t.Fatalf("the policies track %d entries; the cache holds 10", tracked)
	}
	if err := c.SetMaxEntries(4); err != nil {
		t.Fatal(err)
	}
	c.Flush()
	for i, p := range policies {
		if got := p.capacities[len(p.capacities)-1]; got != 1 {
			t.Errorf("shard %d's policy was last given capacity %d; want 1 after SetMaxEntries(4)", i, got)
		}
	}
	if n := c.Len(); n != 4 {
		t.Fatalf("Len = %d after SetMaxEntries(4)", n)
	}
	c.Clear()
	for i, p := range policies {
		if p.tracked != 0 {
			t.Errorf("shard %d's policy tracks %d entries after Clear", i, p.tracked)
		}
	}
}
