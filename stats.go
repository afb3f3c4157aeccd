package cache

import (
	"time"

	"github.com/stratacache/cache/entry"
)

// Reason says why an entry left the cache; OnEvict receives it. Its String
// is the word the metrics' reason label and the docs use: "capacity",
// "expired", "deleted", "replaced" or "cleared".
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
	// LoadBuckets is a histogram of the same loader calls' durations:
	// LoadBuckets[i] counts the calls that took at most
	// LoadBucketBounds()[i] and longer than the bound before it; the last
	// bucket counts the calls slower than every bound. The buckets add up
	// to Loads(), give or take loads that ended while Stats was reading.
	LoadBuckets [NumLoadBuckets]uint64
}

// NumLoadBuckets is the number of buckets in Stats.LoadBuckets: one per
// bound of LoadBucketBounds and one for the loads slower than all of them.
const NumLoadBuckets = len(loadBounds) + 1

// loadBounds are the inclusive upper bounds of the load-latency buckets, a
// 1-2.5-5 series from 100µs (a local store) to 10s (a timeout).
var loadBounds = [...]time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second,
	10 * time.Second,
}

// LoadBucketBounds returns the upper bounds of Stats.LoadBuckets, in
// increasing order; they are the same for every cache and never change.
func LoadBucketBounds() [NumLoadBuckets - 1]time.Duration { return loadBounds }

// loadBucket returns the index of the bucket a load of took nanoseconds
// falls in.
func loadBucket(took int64) int {
	for i, b := range loadBounds {
		if took <= int64(b) {
			return i
		}
	}
	return len(loadBounds)
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
