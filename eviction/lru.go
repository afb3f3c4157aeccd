package eviction

import "github.com/stratacache/cache/entry"

// lru keeps entries in one list, least recently used at the front.
type lru[K comparable, V any] struct {
	list entry.List[K, V]
}

func (p *lru[K, V]) Add(e *entry.Entry[K, V])    { p.list.PushBack(e) }
func (p *lru[K, V]) Access(e *entry.Entry[K, V]) { p.list.MoveToBack(e) }
func (p *lru[K, V]) Update(e *entry.Entry[K, V]) { p.list.MoveToBack(e) }
func (p *lru[K, V]) Remove(e *entry.Entry[K, V]) { p.list.Remove(e) }
func (p *lru[K, V]) Evict() *entry.Entry[K, V]   { return p.list.PopFront() }
