//go:build amd64 || 386 || s390x

package seqlock

import "sync/atomic"

// Unchanged reports whether seq still reads s. On these processors loads
// are not reordered with other loads, so the plain loads of a reader are
// done before this one.
func Unchanged(seq *atomic.Uint32, s uint32) bool { return seq.Load() == s }
