package eviction

import "github.com/stratacache/cache/entry"

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
