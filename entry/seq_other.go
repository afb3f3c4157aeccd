//go:build !(amd64 || 386 || s390x)

package entry

import "sync/atomic"

// unchanged reports whether seq still reads s. Here an acquiring load
// would let the plain loads of the copy happen after it, and Go has no
// load fence; a compare-and-swap of s with itself is a full barrier, at the
// price of claiming the entry's cache line.
func unchanged(seq *atomic.Uint32, s uint32) bool { return seq.CompareAndSwap(s, s) }
