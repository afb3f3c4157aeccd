package eviction

import "github.com/stratacache/cache/entry"

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
