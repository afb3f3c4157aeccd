package bytecache

import (
	"fmt"
	"strings"
	"testing"
	"time"

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
