// Package readbuf is a small lossy buffer of pointers that readers fill
// without locks and a lock holder drains: the way a shard learns about
// reads without making every read take its lock.
package readbuf

import "sync/atomic"

// Size is the number of slots. A reader whose add fills the buffer is asked
// to drain it, so at most Size reads wait between drains.
const Size = 16

// Buffer records pointers; when writers outpace drains the oldest records
// are overwritten and lost. The zero value is ready to use.
type Buffer[T any] struct {
	head    atomic.Uint32
	drained uint32 // head at the last drain; owned by the drainer
	slots   [Size]atomic.Pointer[T]
}

// TryAdd records p and reports whether the buffer is now full and should
// be drained. If another reader claimed the same slot at the same moment,
// it records nothing and reports contended instead: the caller may spread
// its readers over more buffers.
func (b *Buffer[T]) TryAdd(p *T) (full, contended bool) {
	n := b.head.Load()
	if !b.head.CompareAndSwap(n, n+1) {
		return false, true
	}
	n++
	b.slots[n%Size].Store(p)
	return n%Size == 0, false
}

// Drain hands every recorded pointer to fn, oldest first when there was no
// concurrency, and empties the buffer. Callers serialise Drain (the shard
// holds its lock).
func (b *Buffer[T]) Drain(fn func(*T)) {
	head := b.head.Load()
	n := min(head-b.drained, Size) // slots written since the last drain
	if n == 0 {
		return
	}
	b.drained = head
	for i := head - n + 1; i != head+1; i++ {
		if p := b.slots[i%Size].Swap(nil); p != nil {
			fn(p)
		}
	}
}
