// Package table is the hash table inside a shard: entry pointers stored by
// open addressing in groups of seven slots, each group led by one word of
// one-byte tags that lets a probe skip slots without touching their entries.
// A group is 64 bytes, one cache line (arrays over 32 KiB start on a page;
// smaller ones may straddle lines in one slot of seven).
//
// One writer at a time changes a table (the shard holds its lock); any
// number of readers probe it at once without a lock, because every tag
// word and slot is read and written atomically, an entry never moves while
// an array is in use, and growing or cleaning publishes a whole new array
// with one atomic store. A reader finishes on the array it started on.
// Unlike a Go map of keys to entries, it stores no copy of the key, and
// costs about 9 bytes per slot.
package table

import (
	"math/bits"
	"sync/atomic"

	"github.com/stratacache/cache/entry"
)

// Tag bytes. A full slot's tag is the low seven bits of its entry's hash.
const (
	tagEmpty   = 0x80 // never used since the array was built: ends a probe
	tagDeleted = 0xFE // used and freed: a probe must go on past it

	// groupSize slots and a tag word make 64 bytes, one cache line (a
	// group of eight straddled two lines, and the slot a probe wanted was
	// often on the second: Get took 52–62 ns instead of 46 in the parallel
	// benchmark over 2^20 keys). The tag word's top byte has no slot: it
	// always reads as deleted, and slotBits keeps it out of every match.
	groupSize = 7
	lsbs      = 0x0101010101010101
	msbs      = 0x8080808080808080
	slotBits  = msbs >> 8
	noSlotTag = uint64(tagDeleted) << 56

	// An array is rebuilt when used (full plus deleted) slots would pass
	// 7/8 of it, so a probe always meets an empty slot soon.
	maxLoadNum, maxLoadDen = 7, 8
)

type group[K comparable, V any] struct {
	tags  atomic.Uint64
	slots [groupSize]atomic.Pointer[entry.Entry[K, V]]
}

type array[K comparable, V any] struct {
	groups []group[K, V]
	n      uint64 // len(groups), any number from 1
}

func newArray[K comparable, V any](groups int) *array[K, V] {
	a := &array[K, V]{groups: make([]group[K, V], groups), n: uint64(groups)}
	for i := range a.groups {
		a.groups[i].tags.Store(tagEmpty*(lsbs>>8) | noSlotTag)
	}
	return a
}

// Table maps keys to entries. The zero value is an empty table ready to
// use. Get may be called from any goroutine at any time; every other method
// needs the owner's exclusive lock, or, for Range and Len, at least the
// assurance that no writer runs.
type Table[K comparable, V any] struct {
	arr  atomic.Pointer[array[K, V]]
	live int // entries stored
	used int // slots not empty in the current array (live + deleted)
	// limit, if not 0, is the most entries the owner will ever store; the
	// array then stops growing at the size that holds them at 3/4 load
	// instead of doubling past it.
	limit int
}

// SetLimit tells the table it will hold at most n entries (0: no limit).
// It only caps how far the array grows; nothing is allocated up front, and
// the current array is left as it is.
func (t *Table[K, V]) SetLimit(n int) { t.limit = max(n, 0) }

// split divides a hash into the first group to probe and the slot tag.
// Shards are chosen by the top bits, and entries keep the low 32 (see
// entry.Entry.Hash), so the table uses those: the whole 32 bits scaled to
// the group count (a multiply and a shift, for any count) and the low 7
// for the tag.
func (a *array[K, V]) split(hash uint64) (i uint64, tag uint8) {
	return entry.StoredHash(hash) * a.n >> 32, uint8(hash & 0x7F)
}

// next is the group after i, wrapping around.
func (a *array[K, V]) next(i uint64) uint64 {
	if i++; i == a.n {
		return 0
	}
	return i
}

// matchTag returns a byte mask with the high bit set in the bytes of w
// equal to tag (and, rarely, next to one; callers check the slot anyway).
func matchTag(w uint64, tag uint8) uint64 {
	x := w ^ (lsbs * uint64(tag))
	return (x - lsbs) &^ x & slotBits
}

// matchEmpty returns a byte mask of the empty slots of w.
func matchEmpty(w uint64) uint64 {
	return w &^ (w << 6) & slotBits
}

// matchFree returns a byte mask of the slots of w that are empty or deleted.
func matchFree(w uint64) uint64 { return w & slotBits }

// Get returns the entry stored under key, whose hash is hash, or nil. It
// takes no lock and writes no memory.
func (t *Table[K, V]) Get(hash uint64, key K) *entry.Entry[K, V] {
	a := t.arr.Load()
	if a == nil {
		return nil
	}
	i, tag := a.split(hash)
	// Probing visits each group once at most; the bound only matters to a
	// reader of an array so full of deleted slots that it is about to be
	// replaced.
	for range a.n {
		g := &a.groups[i]
		w := g.tags.Load()
		for m := matchTag(w, tag); m != 0; m &= m - 1 {
			e := g.slots[bits.TrailingZeros64(m)>>3].Load()
			if e != nil && e.Hash() == entry.StoredHash(hash) && e.Key() == key {
				return e
			}
		}
		if matchEmpty(w) != 0 {
			return nil
		}
		i = a.next(i)
	}
	return nil
}

// Len returns the number of entries stored.
func (t *Table[K, V]) Len() int { return t.live }

// Insert stores e, whose key is not in the table.
func (t *Table[K, V]) Insert(e *entry.Entry[K, V]) {
	a := t.arr.Load()
	if a == nil || (t.used+1)*maxLoadDen > len(a.groups)*groupSize*maxLoadNum {
		a = t.rebuild(t.live + 1)
	}
	if insertInto(a, e) {
		t.used++
	}
	t.live++
}

// insertInto puts e in the first free slot of its probe sequence and
// reports whether that slot was empty (rather than deleted).
func insertInto[K comparable, V any](a *array[K, V], e *entry.Entry[K, V]) (wasEmpty bool) {
	i, tag := a.split(e.Hash())
	for {
		g := &a.groups[i]
		w := g.tags.Load()
		if m := matchFree(w); m != 0 {
			b := bits.TrailingZeros64(m) &^ 7 // the slot's byte, in bits
			wasEmpty = uint8(w>>b) == tagEmpty
			// Slot first, tag second: a reader that sees the tag finds
			// the entry in the slot.
			g.slots[b>>3].Store(e)
			g.tags.Store(w&^(0xFF<<b) | uint64(tag)<<b)
			return wasEmpty
		}
		i = a.next(i)
	}
}

// Delete removes e, which must be stored in the table.
func (t *Table[K, V]) Delete(e *entry.Entry[K, V]) {
	a := t.arr.Load()
	i, _ := a.split(e.Hash())
	for range a.n {
		g := &a.groups[i]
		for j := range g.slots {
			if g.slots[j].Load() != e {
				continue
			}
			w := g.tags.Load()
			// A group with an empty slot never sent a probe on to the
			// next group, so the freed slot can be empty too; otherwise
			// it must stay a tombstone to keep later probes going.
			freed := uint64(tagDeleted)
			if matchEmpty(w) != 0 {
				freed = tagEmpty
				t.used--
			}
			b := uint(j * 8)
			g.tags.Store(w&^(0xFF<<b) | freed<<b)
			g.slots[j].Store(nil)
			t.live--
			return
		}
		i = a.next(i)
	}
	panic("table: Delete of an entry that is not stored")
}

// Clear empties the table, releasing its array.
func (t *Table[K, V]) Clear() {
	t.arr.Store(nil)
	t.live, t.used = 0, 0
}

// Range calls fn for every stored entry until fn returns false.
func (t *Table[K, V]) Range(fn func(*entry.Entry[K, V]) bool) {
	a := t.arr.Load()
	if a == nil {
		return
	}
	for i := range a.groups {
		for j := range a.groups[i].slots {
			if e := a.groups[i].slots[j].Load(); e != nil && !fn(e) {
				return
			}
		}
	}
}

// rebuild publishes a fresh array sized for want entries holding every
// stored entry, and returns it. Entries stay where they are in the old
// array, so readers still probing it are unaffected.
func (t *Table[K, V]) rebuild(want int) *array[K, V] {
	// Fill a new array to at most 7/16 so that the next rebuild is at
	// least as many inserts away as there are entries; but never past the
	// size that holds the limit at 3/4, which leaves room for deleted
	// slots between rebuilds once the owner is full.
	groups := 1
	for groups*groupSize*maxLoadNum < want*2*maxLoadDen {
		groups *= 2
	}
	if t.limit > 0 {
		if atLimit := (t.limit*4/3 + groupSize - 1) / groupSize; groups > atLimit && want*4 <= atLimit*groupSize*3 {
			groups = atLimit
		}
	}
	a := newArray[K, V](groups)
	t.Range(func(e *entry.Entry[K, V]) bool {
		insertInto(a, e)
		return true
	})
	t.used = t.live
	t.arr.Store(a)
	return a
}

// Slots returns the number of slots in the current array, for tests and
// memory accounting.
func (t *Table[K, V]) Slots() int {
	if a := t.arr.Load(); a != nil {
		return len(a.groups) * groupSize
	}
	return 0
}
