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

// LRU: capacity does not shape it.
func (p *lru[K, V]) SetCapacity(int64) {}

func (p *lru[K, V]) Len() int { return p.list.Len() }

func (p *lru[K, V]) Reset() { *p = lru[K, V]{} }

// Ordered walks the list by recency: least recently used first when
// coldest, most recently used first when hottest. Cost: O(1) per entry
// yielded.
func (p *lru[K, V]) Ordered(hottest bool, yield func(*entry.Entry[K, V]) bool) {
	walk(&p.list, hottest, yield)
}

// SIEVE: capacity does not shape it.
func (p *sieve[K, V]) SetCapacity(int64) {}

func (p *sieve[K, V]) Len() int { return p.queue.Len() }

func (p *sieve[K, V]) Reset() { *p = sieve[K, V]{} }

// Ordered yields SIEVE's exact eviction order when coldest: the hand first
// takes the unvisited entries from itself to the newest end, wraps to take
// the unvisited ones before it, then (their bits now cleared) the visited
// ones in the same two runs. Hottest is the reverse. Cost: up to four
// passes over the queue, so reaching the first entries of a later run may
// skip over many of an earlier one.
func (p *sieve[K, V]) Ordered(hottest bool, yield func(*entry.Entry[K, V]) bool) {
	hand := p.hand
	if hand == nil {
		hand = p.queue.Front()
	}
	// run yields the visited or unvisited entries of one side of the
	// hand, in the walk's direction.
	run := func(visitedRun, afterHand bool) bool {
		keep := func(e *entry.Entry[K, V]) bool { return (e.Mark() == visited) == visitedRun }
		if !hottest {
			if afterHand {
				for e := hand; e != nil; e = p.queue.Next(e) {
					if keep(e) && !yield(e) {
						return false
					}
				}
				return true
			}
			for e := p.queue.Front(); e != nil && e != hand; e = p.queue.Next(e) {
				if keep(e) && !yield(e) {
					return false
				}
			}
			return true
		}
		if afterHand {
			for e := p.queue.Back(); e != nil; e = p.queue.Prev(e) {
				if keep(e) && !yield(e) {
					return false
				}
				if e == hand {
					break
				}
			}
			return true
		}
		if hand == nil {
			return true
		}
		for e := p.queue.Prev(hand); e != nil; e = p.queue.Prev(e) {
			if keep(e) && !yield(e) {
				return false
			}
		}
		return true
	}
	if !hottest {
		_ = run(false, true) && run(false, false) && run(true, true) && run(true, false)
		return
	}
	_ = run(true, false) && run(true, true) && run(false, false) && run(false, true)
}

// S3-FIFO: the small queue's share follows the capacity (smallTarget).
func (p *s3fifo[K, V]) SetCapacity(c int64) { p.capacity = c }

func (p *s3fifo[K, V]) Len() int { return p.entries }

func (p *s3fifo[K, V]) Reset() { *p = *newS3FIFO[K, V](p.capacity) }

// Ordered, coldest first, yields the small queue's unread entries oldest
// first (they leave without a second chance), then the main queue by the
// rounds each entry survives: frequency 0 before 1, 2 and 3, oldest first
// within a frequency (exactly main's own eviction order), then the small
// queue's read entries, which would move to main's young end. Hottest is
// the reverse. It is approximate only in placing the small queue wholly
// before or after main, where S3-FIFO interleaves them by the small
// queue's share. Cost: up to six passes over the queues.
func (p *s3fifo[K, V]) Ordered(hottest bool, yield func(*entry.Entry[K, V]) bool) {
	unread := func(e *entry.Entry[K, V]) bool { return e.Mark() < s3Promote }
	read := func(e *entry.Entry[K, V]) bool { return e.Mark() >= s3Promote }
	freq := func(f uint8) func(*entry.Entry[K, V]) bool {
		return func(e *entry.Entry[K, V]) bool { return e.Mark() == f }
	}
	small, main := &p.small.list, &p.main.list
	if !hottest {
		if !walkIf(small, false, unread, yield) {
			return
		}
		for f := uint8(0); f <= s3MaxFreq; f++ {
			if !walkIf(main, false, freq(f), yield) {
				return
			}
		}
		walkIf(small, false, read, yield)
		return
	}
	if !walkIf(small, true, read, yield) {
		return
	}
	for f := int(s3MaxFreq); f >= 0; f-- {
		if !walkIf(main, true, freq(uint8(f)), yield) {
			return
		}
	}
	walkIf(small, true, unread, yield)
}

// TinyLFU: see tinylfu_control.go.
