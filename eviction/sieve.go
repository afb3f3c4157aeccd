package eviction

import "github.com/stratacache/cache/entry"

// SIEVE keeps one visited bit per entry and a hand sweeping a FIFO queue:
// a hit costs one store, and new entries never read again leave first.
// Hottest first: the reverse of its eviction order from the hand, visited
// entries last to go.
const SIEVE Algorithm = 2

// sieve is SIEVE (Zhang et al., NSDI'24): a FIFO queue, oldest at the
// front, and a hand that walks from old to new. A hit only sets the
// entry's visited bit; the hand clears set bits as it passes and evicts the
// first entry it finds unvisited. Survivors keep their place, so new entries
// that are never read again are the first to go.
type sieve[K comparable, V any] struct {
	queue entry.List[K, V]
	hand  *entry.Entry[K, V]
}

const visited = 1

func (p *sieve[K, V]) Add(e *entry.Entry[K, V]) {
	e.SetMark(0)
	p.queue.PushBack(e)
}

func (p *sieve[K, V]) Access(e *entry.Entry[K, V])           { e.SetMark(visited) }
func (p *sieve[K, V]) Update(e *entry.Entry[K, V], _ uint32) { e.SetMark(visited) }

func (p *sieve[K, V]) Remove(e *entry.Entry[K, V]) {
	if p.hand == e {
		p.hand = p.queue.Next(e)
	}
	p.queue.Remove(e)
}

func (p *sieve[K, V]) Evict() *entry.Entry[K, V] {
	e := p.hand
	for {
		// The newest entry is skipped while there are others, so a value
		// just written survives the eviction its own write causes.
		if e == nil || (e == p.queue.Back() && p.queue.Len() > 1) {
			e = p.queue.Front()
			if e == nil {
				return nil
			}
		}
		if e.Mark() != visited {
			break
		}
		e.SetMark(0)
		e = p.queue.Next(e)
	}
	p.hand = p.queue.Next(e)
	p.queue.Remove(e)
	return e
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
