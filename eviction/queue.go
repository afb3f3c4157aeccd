package eviction

import "github.com/stratacache/cache/entry"

// queue is one of a policy's intrusive lists together with the total
// weight of the entries in it, which policies that size their regions in
// weight units need.
//
// The weight can drift: a write that changes an entry's weight reaches
// the policy (Update) after the change, so the old weight is unknown.
// Owners call drifted on such updates and resync, which walks the list, at
// most once per len(list) operations, keeping the cost amortised O(1).
type queue[K comparable, V any] struct {
	list   entry.List[K, V]
	weight int64
	// stale counts operations since the last resync while drift is
	// possible; negative means the weight is exact.
	stale int
}

func (q *queue[K, V]) len() int                  { return q.list.Len() }
func (q *queue[K, V]) front() *entry.Entry[K, V] { return q.list.Front() }

func (q *queue[K, V]) pushBack(e *entry.Entry[K, V]) {
	q.list.PushBack(e)
	q.weight += int64(e.Weight())
}

func (q *queue[K, V]) remove(e *entry.Entry[K, V]) {
	q.list.Remove(e)
	q.weight -= int64(e.Weight())
	if q.list.Len() == 0 {
		// An empty queue weighs nothing, whatever drift said.
		q.weight, q.stale = 0, -1
	}
}

func (q *queue[K, V]) moveToBack(e *entry.Entry[K, V]) { q.list.MoveToBack(e) }

// drifted records that an entry in q may have changed weight.
func (q *queue[K, V]) drifted() {
	if q.stale < 0 {
		q.stale = 0
	}
}

// settle recomputes the weight if it may have drifted and enough
// operations have passed to pay for the walk.
func (q *queue[K, V]) settle() {
	if q.stale < 0 {
		return
	}
	if q.stale++; q.stale < q.list.Len() {
		return
	}
	var w int64
	for e := q.list.Front(); e != nil; e = q.list.Next(e) {
		w += int64(e.Weight())
	}
	q.weight, q.stale = w, -1
}
