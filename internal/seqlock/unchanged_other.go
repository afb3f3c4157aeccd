//go:build !(amd64 || 386 || s390x)

package seqlock

import "sync/atomic"

// Unchanged reports whether seq still reads s. Here an acquiring load
// would let the plain loads of a reader happen after it, and Go has no
// load fence; a compare-and-swap of s with itself is a full barrier, at the
// price of claiming the cache line of seq.
func Unchanged(seq *atomic.Uint32, s uint32) bool { return seq.CompareAndSwap(s, s) }
