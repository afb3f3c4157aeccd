// Package timerwheel schedules entry deadlines in a hierarchical timing
// wheel, so a shard finds its expired entries in amortised O(1) per entry
// instead of scanning or keeping a heap.
//
// Level L has 64 buckets of 2^(30+6L) ns each: about 1.07 s, 68.7 s, 73 min
// and 3.3 days, covering 208 days; a later deadline waits in the last level
// and is re-filed each time its bucket comes round. Entries are linked
// through their timer links, so scheduling allocates nothing.
package timerwheel

import "github.com/stratacache/cache/entry"

const (
	levels  = 4
	buckets = 64
	shift0  = 30
)

func shift(level int) uint { return uint(shift0 + 6*level) }

// Wheel holds the scheduled entries of one shard. Its owner's lock guards it.
type Wheel[K comparable, V any] struct {
	time    int64
	count   int
	buckets [levels][buckets]entry.List[K, V]
}

// New returns an empty wheel whose clock reads now.
func New[K comparable, V any](now int64) *Wheel[K, V] {
	w := &Wheel[K, V]{time: now}
	for l := range w.buckets {
		for i := range w.buckets[l] {
			w.buckets[l][i] = entry.NewTimerList[K, V]()
		}
	}
	return w
}

// Len returns the number of scheduled entries.
func (w *Wheel[K, V]) Len() int { return w.count }

// Schedule files e by its deadline, moving it if it was already filed.
// Entries without a deadline are only unscheduled.
func (w *Wheel[K, V]) Schedule(e *entry.Entry[K, V]) {
	w.Remove(e)
	d := e.Deadline()
	if d == 0 {
		return
	}
	// A deadline already passed goes to the current bucket, which the next
	// tick processes.
	t := max(d, w.time)
	delta := t - w.time
	level := 0
	for level < levels-1 && delta >= 1<<shift(level+1) {
		level++
	}
	idx := int(t>>shift(level)) & (buckets - 1)
	w.buckets[level][idx].PushBack(e)
	e.SetTimerSlot(uint16(level*buckets+idx) + 1)
	w.count++
}

// Remove unschedules e if it is scheduled. O(1).
func (w *Wheel[K, V]) Remove(e *entry.Entry[K, V]) {
	slot := e.TimerSlot()
	if slot == 0 {
		return
	}
	slot--
	w.buckets[slot/buckets][slot%buckets].Remove(e)
	e.SetTimerSlot(0)
	w.count--
}

// Advance moves the wheel's clock to now and calls expire, unscheduled, for
// every entry whose deadline is at or before now in the buckets that time
// passed through; the others are re-filed. An entry whose deadline was moved
// later since it was filed (expire-after-access) is re-filed, not expired;
// one moved later while expire runs is the owner's to re-file.
// Expired entries in the current 1 s bucket may wait for the next tick: the
// owner must still check deadlines on read.
func (w *Wheel[K, V]) Advance(now int64, expire func(*entry.Entry[K, V])) {
	prev := w.time
	if now <= prev {
		return
	}
	w.time = now
	for level := range levels {
		pt, ct := prev>>shift(level), now>>shift(level)
		if pt == ct {
			return // higher levels turn even more slowly
		}
		n := min(ct-pt, buckets-1)
		for t := ct - n; t <= ct; t++ {
			b := &w.buckets[level][int(t)&(buckets-1)]
			due := b.TakeAll()
			for e := due.PopFront(); e != nil; e = due.PopFront() {
				e.SetTimerSlot(0)
				w.count--
				if e.ExpiredAt(now) {
					expire(e) // the owner retires it, deciding again under a claim
				} else {
					w.Schedule(e)
				}
			}
		}
	}
}
