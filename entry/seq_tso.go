//go:build amd64 || 386 || s390x

package entry

import "sync/atomic"

// unchanged reports whether seq still reads s. On these processors loads
// are not reordered with other loads, so the plain loads of the copy are
// done before this one.
func unchanged(seq *atomic.Uint32, s uint32) bool { return seq.Load() == s }
