package cache

import (
	"strconv"
	"strings"
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
	// Removed counts the entries that left the cache, indexed by Reason
	// (Removed[ReasonCapacity]). Negative entries are counted, though
	// OnEvict does not hear of them.
	Removed Removals
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

// Removals counts removed entries by the reason they left, indexed by
// Reason. It prints with each count named by its reason, as
// "[capacity:3 expired:1 deleted:0 replaced:2 cleared:0]".
type Removals [NumReasons]uint64

// String lists every reason's count, in Reason order.
func (r Removals) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, n := range r {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Reason(i).String())
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(n, 10))
	}
	b.WriteByte(']')
	return b.String()
}

// Total returns the number of entries removed for any reason.
func (r Removals) Total() uint64 {
	var t uint64
	for _, n := range r {
		t += n
	}
	return t
}

// String prints every counter, named as its field is, on one line:
//
//	{Hits:1 Misses:1 NegativeHits:0 Sets:20 Removed:[capacity:10 expired:0 ...] Entries:10 ...}
//
// Removed names each reason; LoadBuckets lists only its non-empty buckets,
// each named by its bound ("<=1ms:2", and ">10s:" for the last). It is
// what %v and %+v print; %#v still prints the struct as Go syntax.
func (s Stats) String() string {
	var b strings.Builder
	field := func(name string, v uint64) {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(v, 10))
		b.WriteByte(' ')
	}
	b.WriteByte('{')
	field("Hits", s.Hits)
	field("Misses", s.Misses)
	field("NegativeHits", s.NegativeHits)
	field("Sets", s.Sets)
	b.WriteString("Removed:" + s.Removed.String() + " ")
	b.WriteString("Entries:" + strconv.Itoa(s.Entries) + " ")
	b.WriteString("Weight:" + strconv.FormatInt(s.Weight, 10) + " ")
	field("LoadsSucceeded", s.LoadsSucceeded)
	field("LoadsFailed", s.LoadsFailed)
	field("LoadsPanicked", s.LoadsPanicked)
	field("RefreshesSucceeded", s.RefreshesSucceeded)
	field("RefreshesFailed", s.RefreshesFailed)
	b.WriteString("LoadTime:" + s.LoadTime.String() + " LoadBuckets:[")
	sep := ""
	for i, n := range s.LoadBuckets {
		if n == 0 {
			continue
		}
		bound := ">" + loadBounds[len(loadBounds)-1].String()
		if i < len(loadBounds) {
			bound = "<=" + loadBounds[i].String()
		}
		b.WriteString(sep + bound + ":" + strconv.FormatUint(n, 10))
		sep = " "
	}
	b.WriteString("]}")
	return b.String()
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
