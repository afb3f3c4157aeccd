package bytecache

import (
	"fmt"
	"strings"
	"testing"
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
