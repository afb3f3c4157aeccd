package cache_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/eviction"
)

// A NewPolicy that returns a typed nil (a nil *T in the interface) has
// returned no policy, as much as one that returns nil: New must say so
// rather than build a cache whose first write panics.
func TestNewPolicyTypedNil(t *testing.T) {
	c, err := cache.New(cache.Options[int, int]{
		MaxEntries: 8,
		Shards:     2,
		NewPolicy: func(int64) eviction.Custom[int, int] {
			var p *fifo[int, int]
			return p
		},
	})
	if err == nil {
		defer c.Close()
		t.Fatal("New accepted a NewPolicy that returns a nil *fifo")
	}
	if !errors.Is(err, cache.ErrInvalidOptions) || !strings.Contains(err.Error(), "Options.NewPolicy returned nil") {
		t.Fatalf("New: %v; want an error wrapping ErrInvalidOptions that says NewPolicy returned nil", err)
	}
}

// A NewPolicy that returns the same policy for every shard would have one
// shard evict another's entries: New must refuse it.
func TestNewPolicySharedInstance(t *testing.T) {
	shared := newFIFO[int, int](8)
	c, err := cache.New(cache.Options[int, int]{
		MaxEntries: 8,
		Shards:     2,
		NewPolicy:  func(int64) eviction.Custom[int, int] { return shared },
	})
	if err == nil {
		defer c.Close()
		for k := range 100 {
			c.Set(k, k)
		}
		t.Fatalf("New accepted a NewPolicy that returns one policy for every shard (Len %d after 100 writes)", c.Len())
	}
	if !errors.Is(err, cache.ErrInvalidOptions) || !strings.Contains(err.Error(), "Options.NewPolicy") {
		t.Fatalf("New: %v; want an error wrapping ErrInvalidOptions about NewPolicy", err)
	}
}
