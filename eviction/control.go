package eviction

import "github.com/stratacache/cache/entry"

// This file holds the policies' part of runtime control: resizing
// (SetCapacity), counting (Len) and ordered walks (Ordered), which the
// cache's hottest/coldest views and its snapshots use.
//
// Ordered is called with the shard's lock held, at least shared; it reads
// links and marks and changes nothing. Each policy's order is the order in
// which it would evict its entries if none were read again, as far as that
// can be told without simulating the evictions; the comments say where it
// is an approximation. The newest entry, which Evict spares while others
// remain, is not treated specially.

// FrequencyCounter is implemented by policies that estimate how often each
// key was used recently (TinyLFU). Snapshots save the estimates and feed
// them back on load, so that hot keys keep winning admission after a
// restart.
type FrequencyCounter interface {
	// Frequency returns the policy's estimate of the recent uses of the
	// key with this hash (0 to 15 for TinyLFU).
	Frequency(hash uint64) int
	// RaiseFrequency makes the estimate for hash at least n, without
	// aging the others. Call it before the entry is added.
	RaiseFrequency(hash uint64, n int)
}

// Learner is implemented by policies that learn something about the
// workload besides their keys' frequencies: today TinyLFU, which learns
// whether its main region's victims should rotate (see tinyLFU). Snapshots
// save what it learned and give it back on load, so that a restored cache
// behaves as the saved one did rather than relearning it over the first
// few sample periods (about a point of hit ratio on multi2 at 1800
// entries, see warm_restart_test.go).
type Learner interface {
	// AppendLearned appends what the policy has learned, in an encoding
	// of its own, to b.
	AppendLearned(b []byte) []byte
	// Learn adopts what AppendLearned encoded, by a policy of the same
	// algorithm. It changes nothing and returns an error when b is not
	// such an encoding.
	Learn(b []byte) error
}

// walk yields l's entries from front to back, or back to front.
func walk[K comparable, V any](l *entry.List[K, V], backwards bool, yield func(*entry.Entry[K, V]) bool) bool {
	if backwards {
		for e := l.Back(); e != nil; e = l.Prev(e) {
			if !yield(e) {
				return false
			}
		}
		return true
	}
	for e := l.Front(); e != nil; e = l.Next(e) {
		if !yield(e) {
			return false
		}
	}
	return true
}

// walkIf is walk over the entries for which keep is true.
func walkIf[K comparable, V any](l *entry.List[K, V], backwards bool, keep func(*entry.Entry[K, V]) bool, yield func(*entry.Entry[K, V]) bool) bool {
	return walk(l, backwards, func(e *entry.Entry[K, V]) bool { return !keep(e) || yield(e) })
}
