package eviction

import "github.com/stratacache/cache/entry"

// S3FIFO keeps a small FIFO for new entries, a main FIFO for those read
// again, and a ghost of recent evictions: hits cost one store, and
// one-hit wonders never reach main. Hottest first: read entries of the
// small queue, then main by the rounds each entry has left, then the
// small queue's unread entries.
const S3FIFO Algorithm = 3

// s3fifo is S3-FIFO (Yang et al., SOSP'23): three FIFO queues instead of
// one LRU list. New entries go to a small queue worth a tenth of the
// capacity; those read again while there move on to the main queue, the
// rest leave at once and their hashes go to a ghost queue. An entry whose
// hash is in the ghost skips the small queue when it returns. The main
// queue is a FIFO with a 2-bit frequency (kept in Mark) that buys each
// entry up to three more rounds.
//
// When: traffic full of one-hit wonders, and working sets close to the
// cache size, where it can beat TinyLFU (docs/eviction.md); its hits cost
// less. Cost: a hit is one store; an eviction is amortised O(1) (each pass
// over a main entry spends one of its frequency units); the ghost keeps 8
// bytes of ring and one map slot per hash, for up to nine tenths as many
// hashes as there are entries.
type s3fifo[K comparable, V any] struct {
	capacity int64
	small    queue[K, V]
	main     queue[K, V]
	ghost    ghost
	newest   *entry.Entry[K, V] // added last; never the victim while others remain
	entries  int                // tracked, newest included even while spared
}

const (
	s3Small = 1 + iota // Queue values
	s3Main
)

const (
	s3MaxFreq = 3
	// s3Promote is the frequency at which a small-queue entry earns a
	// place in main rather than a ghost.
	s3Promote = 1
)

func newS3FIFO[K comparable, V any](capacity int64) *s3fifo[K, V] {
	return &s3fifo[K, V]{capacity: capacity}
}

// smallTarget is the small queue's share: a tenth of the capacity, which
// the S3-FIFO paper found enough to filter one-hit wonders.
func (p *s3fifo[K, V]) smallTarget() int64 { return max(p.capacity/10, 1) }

func (p *s3fifo[K, V]) Add(e *entry.Entry[K, V]) {
	p.newest = e
	p.entries++
	e.SetMark(0)
	if p.ghost.contains(e.Hash()) {
		// Evicted from the small queue recently and back already: it
		// is reused at a distance the small queue is too short for.
		p.ghost.forget(e.Hash())
		e.SetQueue(s3Main)
		p.main.pushBack(e)
		return
	}
	e.SetQueue(s3Small)
	p.small.pushBack(e)
}

func (p *s3fifo[K, V]) Access(e *entry.Entry[K, V]) {
	if f := e.Mark(); f < s3MaxFreq {
		e.SetMark(f + 1)
	}
}

func (p *s3fifo[K, V]) Update(e *entry.Entry[K, V], oldWeight uint32) {
	p.queueOf(e).reweigh(e, oldWeight)
	p.Access(e)
}

func (p *s3fifo[K, V]) Remove(e *entry.Entry[K, V]) {
	p.entries--
	if e == p.newest {
		p.newest = nil
	}
	p.queueOf(e).remove(e)
	e.SetQueue(0)
}

func (p *s3fifo[K, V]) queueOf(e *entry.Entry[K, V]) *queue[K, V] {
	if e.Queue() == s3Small {
		return &p.small
	}
	return &p.main
}

func (p *s3fifo[K, V]) Evict() *entry.Entry[K, V] {
	var q *queue[K, V]
	if p.newest != nil {
		q = p.queueOf(p.newest)
	}
	v := spareNewest(p.newest, q, p.entries-1, p.evict)
	if v != nil {
		p.entries--
	}
	if v == p.newest {
		p.newest = nil
	}
	return v
}

func (p *s3fifo[K, V]) evict() *entry.Entry[K, V] {
	for {
		if p.small.len() > 0 && (p.small.weight > p.smallTarget() || p.main.len() == 0) {
			e := p.small.front()
			p.small.remove(e)
			if e.Mark() >= s3Promote {
				e.SetMark(0)
				e.SetQueue(s3Main)
				p.main.pushBack(e)
				continue
			}
			// The ghost remembers about as many hashes as main
			// holds entries once the cache is full (nine tenths of
			// them): a returning key is worth promoting only if it
			// would have survived in main meanwhile.
			p.ghost.add(e.Hash(), max(9*p.entries/10, 1))
			e.SetQueue(0)
			return e
		}
		e := p.main.front()
		if e == nil {
			return nil
		}
		if f := e.Mark(); f > 0 {
			e.SetMark(f - 1)
			p.main.moveToBack(e)
			continue
		}
		p.main.remove(e)
		e.SetQueue(0)
		return e
	}
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
