package bytecache

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/codec"
	"github.com/stratacache/cache/internal/fakeclock"
)

// keyInShard returns a key that the store puts in shard i.
func keyInShard(s *Store, i int) string {
	for n := 0; ; n++ {
		k := fmt.Sprint("k", n)
		if _, sh := s.hash(k); sh == s.shards[i] {
			return k
		}
	}
}

// MaxEntrySize is a promise for every key: when MaxBytes does not divide
// evenly, the shards differ by a byte, and an entry of MaxEntrySize must
// fit the smallest of them too.
func TestMaxEntrySizeFitsEveryShard(t *testing.T) {
	s := newStore(t, StoreOptions{MaxBytes: 4*1003 + 1, Shards: 4})
	max := s.MaxEntrySize()
	for i := range s.shards {
		k := keyInShard(s, i)
		v := strings.Repeat("v", max-EntrySize(len(k), 0, false))
		if EntrySize(len(k), len(v), false) != max {
			t.Fatalf("entry size %d, want %d", EntrySize(len(k), len(v), false), max)
		}
		if !s.Set(k, []byte(v)) {
			t.Errorf("shard %d: Set of an entry of MaxEntrySize (%d bytes) stored nothing", i, max)
		}
	}
}

// A lifetime too long to add to the clock's time never expires, as in the
// object cache, instead of wrapping to a deadline in the past.
func TestLongestLifetimesNeverExpire(t *testing.T) {
	clk := fakeclock.New()
	s := newStore(t, StoreOptions{MaxBytes: 1 << 20, Clock: clk})
	for _, ttl := range []time.Duration{250 * 365 * 24 * time.Hour, 1<<63 - 2} {
		if !s.SetWithTTL("k", []byte("v"), ttl) {
			t.Fatalf("SetWithTTL(%v) stored nothing", ttl)
		}
		if v, ok := s.Get("k"); !ok || string(v) != "v" {
			t.Errorf("SetWithTTL(%v), then Get = %q, %v; want a hit", ttl, v, ok)
		}
	}
}

// hookedBadCodec is badCodec that calls onFail as a decode fails.
type hookedBadCodec struct {
	badCodec
	onFail func()
}

func (h hookedBadCodec) Unmarshal(data []byte) (string, error) {
	v, err := h.badCodec.Unmarshal(data)
	if err != nil && h.onFail != nil {
		h.onFail()
	}
	return v, err
}

// A Get that drops bytes that do not decode drops those bytes only: a Set
// landing between its read and its removal is kept.
func TestDecodeErrorDropKeepsANewerWrite(t *testing.T) {
	var c *Cache[string, string]
	once := false
	cd := hookedBadCodec{badCodec: badCodec{codec.Raw[string]()}, onFail: func() {
		if !once {
			once = true
			if err := c.Set("k", "fresh"); err != nil {
				t.Error(err)
			}
		}
	}}
	c = newCache(t, Options[string, string]{MaxBytes: 1 << 20, Codec: cd})
	c.Set("k", "!broken")
	if v, ok := c.Get("k"); ok {
		t.Fatalf("Get of undecodable bytes = %q, want a miss", v)
	}
	if v, ok := c.Get("k"); !ok || v != "fresh" {
		t.Fatalf("after a Set during the failed Get's decode, Get = %q, %v; want \"fresh\"", v, ok)
	}
}

// gateClock is a fakeclock whose next read after arm blocks until release,
// so that a test can run Close while a Set is between its closed check and
// its write.
type gateClock struct {
	*fakeclock.Clock
	armed            atomic.Bool
	entered, release chan struct{}
}

func (g *gateClock) Now() time.Time {
	if g.armed.CompareAndSwap(true, false) {
		close(g.entered)
		<-g.release
	}
	return g.Clock.Now()
}

// A Set that overlaps Close stores nothing: Close leaves no entry behind,
// unreported to OnEvict and holding slab memory Close released.
func TestSetOverlappingCloseStoresNothing(t *testing.T) {
	clk := &gateClock{Clock: fakeclock.New(), entered: make(chan struct{}), release: make(chan struct{})}
	var heard []string
	s := newStore(t, StoreOptions{MaxBytes: 1 << 20, TTL: time.Minute, Clock: clk,
		OnEvict: func(k string, _ []byte, _ cache.Reason) { heard = append(heard, k) }})
	clk.armed.Store(true)
	stored := make(chan bool)
	go func() { stored <- s.Set("k", []byte("v")) }()
	<-clk.entered // the Set has passed its closed check
	s.Close()
	close(clk.release)
	if <-stored {
		t.Error("a Set that returned after Close reported it stored its value")
	}
	if n := s.Len(); n != 0 || len(heard) != 0 {
		t.Errorf("after Close: Len %d, OnEvict heard %v; want an empty store and nothing to hear", n, heard)
	}
}

// After Close every write reports it, a negative lifetime's delete too.
func TestWritesAfterCloseAreErrors(t *testing.T) {
	c := newCache(t, Options[string, string]{MaxBytes: 1 << 20, Codec: codec.Raw[string]()})
	c.Close()
	for _, ttl := range []time.Duration{0, time.Minute, -1} {
		if err := c.SetWithTTL("k", "v", ttl); !errors.Is(err, cache.ErrClosed) {
			t.Errorf("SetWithTTL(%v) after Close = %v, want cache.ErrClosed", ttl, err)
		}
		if c.s.SetWithTTL("k", []byte("v"), ttl) {
			t.Errorf("Store.SetWithTTL(%v) after Close reported true", ttl)
		}
	}
}
