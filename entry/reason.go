package entry

import "strconv"

// Reason says why an entry left the cache.
type Reason uint8

// The reasons, in the order the removal counters list them.
const (
	// ReasonCapacity: the eviction policy chose the entry to make room.
	ReasonCapacity Reason = iota
	// ReasonExpired: the entry's deadline passed. Any removal of an entry
	// after its deadline reports this, whatever triggered it.
	ReasonExpired
	// ReasonDeleted: the application deleted the key.
	ReasonDeleted
	// ReasonReplaced: a write stored a new value for the key.
	ReasonReplaced
	// ReasonCleared: the cache was cleared or closed.
	ReasonCleared
	// NumReasons is the number of reasons, for arrays indexed by Reason.
	NumReasons
)

// String returns the reason's word as metrics and the docs show it:
// "capacity", "expired", "deleted", "replaced" or "cleared"; a number that
// names no reason prints as "Reason(N)".
func (r Reason) String() string {
	switch r {
	case ReasonCapacity:
		return "capacity"
	case ReasonExpired:
		return "expired"
	case ReasonDeleted:
		return "deleted"
	case ReasonReplaced:
		return "replaced"
	case ReasonCleared:
		return "cleared"
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}
