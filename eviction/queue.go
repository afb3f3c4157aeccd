package eviction

import "github.com/stratacache/cache/entry"

// queue is one of a policy's intrusive lists together with the total
// weight of the entries in it, which policies that size their regions in
// weight units need. Update tells a policy the weight an entry had before
// a write, so the total is always exact.
type queue[K comparable, V any] struct {
	list   entry.List[K, V]
	weight int64

	// The tail zone: the zoneLen oldest entries, up to zoneLast, carry
	// the inZone bit in their Mark, so that a policy can tell in O(1)
	// whether a hit landed among the entries it would lose if the queue
	// were zoneLen entries shorter. Only policies that call fitZone use
	// it; it costs them one bit of Mark.
	zoneLast *entry.Entry[K, V]
	zoneLen  int
}

const inZone = 0x80

func (q *queue[K, V]) len() int                  { return q.list.Len() }
func (q *queue[K, V]) front() *entry.Entry[K, V] { return q.list.Front() }

func (q *queue[K, V]) pushBack(e *entry.Entry[K, V]) {
	q.list.PushBack(e)
	q.weight += int64(e.Weight())
}

func (q *queue[K, V]) remove(e *entry.Entry[K, V]) {
	q.leaveZone(e)
	q.list.Remove(e)
	q.weight -= int64(e.Weight())
	if q.list.Len() == 0 {
		q.weight = 0
	}
}

func (q *queue[K, V]) moveToBack(e *entry.Entry[K, V]) {
	q.leaveZone(e)
	q.list.MoveToBack(e)
}

func (q *queue[K, V]) leaveZone(e *entry.Entry[K, V]) {
	if e.Mark()&inZone == 0 {
		return
	}
	if e == q.zoneLast {
		q.zoneLast = q.list.Prev(e)
	}
	q.zoneLen--
	e.SetMark(e.Mark() &^ inZone)
}

// fitZone grows or trims the tail zone to n entries (or the whole queue).
// Entries join it only as they age towards the front, so the cost is
// amortised O(1) per entry.
func (q *queue[K, V]) fitZone(n int) {
	for q.zoneLen < n {
		next := q.list.Front()
		if q.zoneLast != nil {
			next = q.list.Next(q.zoneLast)
		}
		if next == nil {
			break
		}
		next.SetMark(next.Mark() | inZone)
		q.zoneLast = next
		q.zoneLen++
	}
	for q.zoneLen > n {
		e := q.zoneLast
		q.zoneLast = q.list.Prev(e)
		e.SetMark(e.Mark() &^ inZone)
		q.zoneLen--
	}
}

// reweigh records that e, in q, changed weight from old to its current
// weight.
func (q *queue[K, V]) reweigh(e *entry.Entry[K, V], old uint32) {
	q.weight += int64(e.Weight()) - int64(old)
}

// spareNewest runs evict with newest (the entry added last) unlinked from
// q, so that it cannot be chosen while others can: an entry just written
// must stay readable until the next write to its shard. Its weight stays
// in q's total meanwhile, so that the policy still sizes its queues by
// what they really hold. Afterwards it goes back to q's young end. With
// newest the only entry left, evict runs as is.
func spareNewest[K comparable, V any](newest *entry.Entry[K, V], q *queue[K, V], others int, evict func() *entry.Entry[K, V]) *entry.Entry[K, V] {
	if newest == nil || others == 0 {
		return evict()
	}
	q.leaveZone(newest)
	q.list.Remove(newest)
	v := evict()
	q.list.PushBack(newest)
	if q.list.Len() == 1 {
		// Emptied meanwhile, which zeroed the weight: newest is all
		// there is.
		q.weight = int64(newest.Weight())
	}
	return v
}
