package eviction

import "github.com/stratacache/cache/entry"

// LRU evicts the least recently used entry. Cheap and predictable; it
// loses to scans and loops larger than the cache. Hottest first: most to
// least recently used.
const LRU Algorithm = 1

// lru keeps entries in one list, least recently used at the front.
type lru[K comparable, V any] struct {
	list   entry.List[K, V]
	newest *entry.Entry[K, V] // added last; never the victim while others remain
}

func (p *lru[K, V]) Add(e *entry.Entry[K, V]) {
	p.newest = e
	p.list.PushBack(e)
}

func (p *lru[K, V]) Access(e *entry.Entry[K, V])           { p.list.MoveToBack(e) }
func (p *lru[K, V]) Update(e *entry.Entry[K, V], _ uint32) { p.list.MoveToBack(e) }

func (p *lru[K, V]) Remove(e *entry.Entry[K, V]) {
	if e == p.newest {
		p.newest = nil
	}
	p.list.Remove(e)
}

func (p *lru[K, V]) Evict() *entry.Entry[K, V] {
	e := p.list.Front()
	if e != nil && e == p.newest && p.list.Len() > 1 {
		// Reads of others since its write left the newest entry least
		// recent, but a value just written must survive the eviction
		// its own write causes.
		e = p.list.Next(e)
	}
	if e != nil {
		p.Remove(e)
	}
	return e
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
