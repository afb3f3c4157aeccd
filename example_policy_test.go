package cache_test

import (
	"container/list"
	"fmt"
	"testing"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/eviction"
	"github.com/stratacache/cache/eviction/evictiontest"
)

// fifo is an eviction policy of a user's own: first in, first out, reads
// ignored. A list keeps the order, and a map finds an entry's element.
type fifo[K comparable, V any] struct {
	order *list.List // of eviction.Handle[K, V], oldest at the front
	elems map[eviction.Handle[K, V]]*list.Element
}

func newFIFO[K comparable, V any](capacity int64) eviction.Custom[K, V] {
	return &fifo[K, V]{order: list.New(), elems: map[eviction.Handle[K, V]]*list.Element{}}
}

func (f *fifo[K, V]) Add(e eviction.Handle[K, V])          { f.elems[e] = f.order.PushBack(e) }
func (f *fifo[K, V]) Access(eviction.Handle[K, V])         {}
func (f *fifo[K, V]) Update(eviction.Handle[K, V], uint32) {}
func (f *fifo[K, V]) SetCapacity(int64)                    {}
func (f *fifo[K, V]) Remove(e eviction.Handle[K, V]) {
	f.order.Remove(f.elems[e])
	delete(f.elems, e)
}

func (f *fifo[K, V]) Evict() (eviction.Handle[K, V], bool) {
	front := f.order.Front()
	if front == nil {
		return eviction.Handle[K, V]{}, false
	}
	e := front.Value.(eviction.Handle[K, V])
	f.Remove(e)
	return e, true
}

func (f *fifo[K, V]) Ordered(hottest bool, yield func(eviction.Handle[K, V]) bool) {
	if hottest {
		for el := f.order.Back(); el != nil; el = el.Prev() {
			if !yield(el.Value.(eviction.Handle[K, V])) {
				return
			}
		}
		return
	}
	for el := f.order.Front(); el != nil; el = el.Next() {
		if !yield(el.Value.(eviction.Handle[K, V])) {
			return
		}
	}
}

// A policy of your own plugs in through Options.NewPolicy; check it with
// the conformance kit first (see TestFIFOConformance).
func ExampleOptions_newPolicy() {
	c, err := cache.New(cache.Options[string, int]{
		MaxEntries: 2,
		Shards:     1,
		NewPolicy:  newFIFO[string, int],
		OnEvict: func(key string, _ int, reason cache.Reason) {
			fmt.Println("evicted", key, reason)
		},
	})
	if err != nil {
		panic(err)
	}
	defer c.Close() // reports what is left, as cleared
	c.Set("a", 1)
	c.Set("b", 2)
	c.Get("a") // FIFO ignores reads: "a" stays first in line
	c.Set("c", 3)
	c.Flush()
	for k := range c.Coldest(2) {
		fmt.Println("holds", k)
	}
	// Output:
	// evicted a capacity
	// holds b
	// holds c
	// evicted b cleared
	// evicted c cleared
}

// TestFIFOConformance runs the conformance kit against the example's
// policy, as a user would against theirs.
func TestFIFOConformance(t *testing.T) {
	evictiontest.Run(t, newFIFO[int, int])
}
