package cache

import (
	"time"

	"github.com/stratacache/cache/entry"
)

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
	// Hits and Misses count lookups by Get, GetOrLoad and GetMany (one
	// per key). Peek, GetOrSet and Compute are not counted.
	Hits, Misses uint64
	// NegativeHits counts lookups that found a negative entry (a cached
	// not-found answer, see Options.NegativeTTL). They are neither Hits
	// nor Misses: Hits+Misses+NegativeHits is the number of lookups.
	NegativeHits uint64
	// Sets counts values stored by Set, SetWithTTL, GetOrSet, Compute and
	// loads (negative entries included).
	Sets uint64
	// Removed counts the entries that left the cache, indexed by Reason.
	// Negative entries are counted, though OnEvict does not hear of them.
	Removed [NumReasons]uint64
	// Entries is the number of stored entries; expired and negative ones
	// count until they are removed.
	Entries int
	// Weight is the total weight of the stored entries (their count when
	// the cache has no weigher). A negative entry weighs 1.
	Weight int64

	// LoadsSucceeded, LoadsFailed and LoadsPanicked count loader calls
	// (Load or LoadMany, one per call however many keys it covers,
	// refreshes included) by outcome. A not-found answer is a success; a
	// failure is any other error, the context's included; a panic or
	// runtime.Goexit counts as panicked.
	LoadsSucceeded, LoadsFailed, LoadsPanicked uint64
	// RefreshesSucceeded and RefreshesFailed count the background reloads
	// of refresh-ahead, a subset of the loads above; a panic is a failure.
	RefreshesSucceeded, RefreshesFailed uint64
	// LoadTime is the total time loader calls took, on Options.Clock.
	// LoadTime / Loads() is the mean load latency.
	LoadTime time.Duration
}

// Loads returns the number of loader calls.
func (s Stats) Loads() uint64 {
	return s.LoadsSucceeded + s.LoadsFailed + s.LoadsPanicked
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
