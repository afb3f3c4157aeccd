package entry

// List is an intrusive doubly linked list of entries. It allocates nothing:
// the links live in the entries. An entry can be in at most one List through
// the policy links and one through the timer links at a time.
//
// The zero value is an empty list threaded through the policy links; use
// [NewTimerList] for a list threaded through the timer links, which live in
// an entry's timer section: only entries that have one (made by NewTimed or
// NewFull, or given a deadline) go in a timer list. Lists are not safe for
// concurrent use; the owning shard's lock protects them.
type List[K comparable, V any] struct {
	head, tail *Entry[K, V]
	len        int
	timer      bool
	panicked   any // see SetPanic
}

// SetPanic records, unless one is recorded already, the value of a panic
// met while the list's entries were being removed (a user's eviction policy
// that panicked), for whoever reports the entries to re-raise once they
// are reported.
func (l *List[K, V]) SetPanic(p any) {
	if l.panicked == nil {
		l.panicked = p
	}
}

// TakePanic returns the value SetPanic recorded, or nil, and forgets it.
func (l *List[K, V]) TakePanic() any {
	p := l.panicked
	l.panicked = nil
	return p
}

// NewTimerList returns an empty list threaded through the entries' timer
// links, so that an entry can sit in a policy queue and a timer-wheel bucket
// at once.
func NewTimerList[K comparable, V any]() List[K, V] {
	return List[K, V]{timer: true}
}

// links returns pointers to the prev and next fields this list uses. The
// branch is perfectly predicted for a given list, so one implementation
// serves both link sets.
func (l *List[K, V]) links(e *Entry[K, V]) (prev, next **Entry[K, V]) {
	if l.timer {
		x := e.x.Load()
		return &x.tprev, &x.tnext
	}
	return &e.prev, &e.next
}

// Len returns the number of entries in the list. O(1).
func (l *List[K, V]) Len() int { return l.len }

// Front returns the first (oldest pushed) entry, or nil.
func (l *List[K, V]) Front() *Entry[K, V] { return l.head }

// Back returns the last (newest pushed) entry, or nil.
func (l *List[K, V]) Back() *Entry[K, V] { return l.tail }

// Next returns the entry after e in this list, or nil.
func (l *List[K, V]) Next(e *Entry[K, V]) *Entry[K, V] {
	_, next := l.links(e)
	return *next
}

// Prev returns the entry before e in this list, or nil.
func (l *List[K, V]) Prev(e *Entry[K, V]) *Entry[K, V] {
	prev, _ := l.links(e)
	return *prev
}

// PushBack appends e, which must not be in a list of the same link set.
func (l *List[K, V]) PushBack(e *Entry[K, V]) {
	prev, next := l.links(e)
	*prev, *next = l.tail, nil
	if l.tail == nil {
		l.head = e
	} else {
		_, tailNext := l.links(l.tail)
		*tailNext = e
	}
	l.tail = e
	l.len++
}

// pushFront prepends e, which must not be in a list of the same link set.
func (l *List[K, V]) pushFront(e *Entry[K, V]) {
	prev, next := l.links(e)
	*prev, *next = nil, l.head
	if l.head == nil {
		l.tail = e
	} else {
		headPrev, _ := l.links(l.head)
		*headPrev = e
	}
	l.head = e
	l.len++
}

// Remove unlinks e, which must be in l. O(1).
func (l *List[K, V]) Remove(e *Entry[K, V]) {
	prev, next := l.links(e)
	if *prev == nil {
		l.head = *next
	} else {
		_, pn := l.links(*prev)
		*pn = *next
	}
	if *next == nil {
		l.tail = *prev
	} else {
		np, _ := l.links(*next)
		*np = *prev
	}
	*prev, *next = nil, nil
	l.len--
}

// MoveToBack moves e, which must be in l, to the back. O(1).
func (l *List[K, V]) MoveToBack(e *Entry[K, V]) {
	if l.tail == e {
		return
	}
	l.Remove(e)
	l.PushBack(e)
}

// PopFront removes and returns the first entry, or nil if l is empty.
func (l *List[K, V]) PopFront() *Entry[K, V] {
	e := l.head
	if e != nil {
		l.Remove(e)
	}
	return e
}

// TakeAll empties l and returns its former contents as a list of its own,
// so a caller can walk entries while pushing some of them back into l.
func (l *List[K, V]) TakeAll() List[K, V] {
	out := *l
	l.head, l.tail, l.len = nil, nil, 0
	return out
}
