package cache

import "github.com/stratacache/cache/entry"

// Reason says why an entry left the cache; OnEvict receives it.
type Reason = entry.Reason

// The reasons an entry leaves the cache.
const (
	ReasonCapacity = entry.ReasonCapacity // evicted by the policy to make room
	ReasonExpired  = entry.ReasonExpired  // its deadline passed (whatever removed it)
	ReasonDeleted  = entry.ReasonDeleted  // Delete, or Compute returning ActionDelete
	ReasonReplaced = entry.ReasonReplaced // a write stored a new value
	ReasonCleared  = entry.ReasonCleared  // Clear or Close
	NumReasons     = entry.NumReasons     // the number of reasons
)

// Stats is a snapshot of a cache's counters, summed over shards. Shards are
// read one after another, so under concurrent use the totals may mix
// slightly different moments.
type Stats struct {
	// Hits and Misses count Get calls. Peek, GetOrSet and Compute are not
	// counted.
	Hits, Misses uint64
	// Sets counts values stored by Set, SetWithTTL, GetOrSet and Compute.
	Sets uint64
	// Removed counts the entries that left the cache, indexed by Reason.
	Removed [NumReasons]uint64
	// Entries is the number of stored entries; expired ones count until
	// they are removed.
	Entries int
	// Weight is the total weight of the stored entries (their count when
	// the cache has no weigher).
	Weight int64
}

// Evictions returns the entries the cache removed by itself: for capacity
// or expiry.
func (s Stats) Evictions() uint64 {
	return s.Removed[ReasonCapacity] + s.Removed[ReasonExpired]
}

// HitRatio returns Hits/(Hits+Misses), or 0 before the first Get.
func (s Stats) HitRatio() float64 {
	if n := s.Hits + s.Misses; n > 0 {
		return float64(s.Hits) / float64(n)
	}
	return 0
}
