package eviction

import "github.com/stratacache/cache/entry"

// This file holds what policies share for runtime control beyond Policy:
// the optional interfaces snapshots use, and walks over the intrusive
// lists that the policies' Ordered methods are built from.

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
// workload besides their keys' frequencies (TinyLFU: whether victims
// rotate). Snapshots save it and give it back on load, so that a restored
// cache behaves as the saved one did instead of relearning it over its
// first sample periods.
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
