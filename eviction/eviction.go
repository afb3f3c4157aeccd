// Package eviction defines the contract between a Strata shard and the
// policy that decides which of its entries to give up when the shard is
// over capacity, and ships the policies.
//
// A policy is always called with its shard's policy lock held, so it needs
// no synchronisation of its own; what the shards of one cache share (a
// [Group]) locks for itself. Reads and writes reach it late and in batches
// (the shard buffers them): an entry may already be gone from the shard
// when the policy hears of it, but the policy always hears of an entry's
// Add, Updates and Remove in order. Under heavy contention some reads are
// dropped, never writes: a policy must treat Access as a hint.
package eviction

import (
	"fmt"

	"github.com/stratacache/cache/entry"
)

// Policy orders a shard's entries for eviction.
//
// The shard calls Add once when an entry becomes resident, then any number
// of Access and Update calls, and finally exactly one of Remove (the shard
// dropped the entry: deleted, expired, cleared) or the Evict call that
// returned it.
type Policy[K comparable, V any] interface {
	// Add starts tracking a newly stored entry.
	Add(e *entry.Entry[K, V])
	// Access records a read hit on e. Delivery is buffered and lossy.
	Access(e *entry.Entry[K, V])
	// Update records that a write replaced e's value; e weighed oldWeight
	// before the write and weighs e.Weight() now.
	Update(e *entry.Entry[K, V], oldWeight uint32)
	// Remove stops tracking e.
	Remove(e *entry.Entry[K, V])
	// Evict chooses a victim, stops tracking it and returns it, or returns
	// nil when the policy tracks nothing. It must not return the entry
	// added last while it tracks others: a value just written stays
	// readable until at least the next write to its shard.
	Evict() *entry.Entry[K, V]

	// The rest of the contract is for runtime control (control.go).

	// SetCapacity changes the capacity, in weight units, that the policy
	// sizes its regions by. It evicts nothing: the shard then calls Evict
	// until its weight fits the new capacity.
	SetCapacity(capacity int64)
	// Len returns the number of entries the policy tracks.
	Len() int
	// Ordered calls yield with the tracked entries, coldest first (the
	// order in which the policy would evict them if nothing were read
	// again) or, with hottest, in the reverse order, until yield returns
	// false. yield must not change the policy. The walk only reads the
	// policy's links, so a shared lock suffices. Each policy documents
	// its order and cost on its Ordered method.
	Ordered(hottest bool, yield func(*entry.Entry[K, V]) bool)
	// Reset forgets every entry and everything learned, leaving the
	// policy as New made it, at its current capacity. The entries it
	// tracked keep stale links; the shard discards them.
	Reset()
}

// Algorithm names a policy. The zero value, [Default], selects the policy
// with the best measured hit ratio across our traces.
type Algorithm uint8

// The algorithms.
const (
	// Default is the recommended policy; today it is TinyLFU, which had
	// the best hit ratio on our traces overall (see hitratio_test.go),
	// and stays within a point of LRU where LRU does best.
	Default Algorithm = iota
	// LRU evicts the least recently used entry. Cheap and predictable; it
	// loses to scan and loop patterns.
	LRU
	// SIEVE keeps one visited bit per entry and a hand sweeping a FIFO
	// queue: a hit costs one store, and one-hit wonders leave quickly.
	SIEVE
	// S3FIFO keeps a small FIFO for new entries, a main FIFO for those
	// read again, and a ghost of recent evictions: hits cost one store,
	// and one-hit wonders never reach main.
	S3FIFO
	// TinyLFU is adaptive W-TinyLFU: an LRU window in front of a
	// segmented LRU, with admission to the main region decided by a
	// frequency sketch and the window sized by a hill climber. Scan and
	// loop resistant; a little more work per operation than the others.
	TinyLFU
	numAlgorithms
)

func (a Algorithm) String() string {
	switch a {
	case Default:
		return "Default"
	case LRU:
		return "LRU"
	case SIEVE:
		return "SIEVE"
	case S3FIFO:
		return "S3FIFO"
	case TinyLFU:
		return "TinyLFU"
	}
	return fmt.Sprintf("Algorithm(%d)", uint8(a))
}

// Valid reports whether a names a known algorithm.
func (a Algorithm) Valid() bool { return a < numAlgorithms }

// Resolve maps Default to the algorithm it currently stands for.
func (a Algorithm) Resolve() Algorithm {
	if a == Default {
		return TinyLFU
	}
	return a
}

// New returns a policy of the given algorithm for a shard holding at most
// capacity units of weight. It panics on an invalid algorithm; callers
// validate options first.
func New[K comparable, V any](a Algorithm, capacity int64) Policy[K, V] {
	return NewMember[K, V](a, capacity, nil)
}

// NewMember is New for one shard of a cache whose shards share what they
// learn through g (see Group); a nil g makes it New.
func NewMember[K comparable, V any](a Algorithm, capacity int64, g *Group) Policy[K, V] {
	switch a.Resolve() {
	case LRU:
		return &lru[K, V]{}
	case SIEVE:
		return &sieve[K, V]{}
	case S3FIFO:
		return newS3FIFO[K, V](capacity)
	case TinyLFU:
		return newTinyLFU[K, V](capacity, g)
	}
	panic("eviction: unknown algorithm " + a.String())
}
