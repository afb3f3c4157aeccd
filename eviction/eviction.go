// Package eviction defines the contract between a Strata shard and the
// policy that decides which of its entries to give up when the shard is
// over capacity, and ships the policies.
//
// Two contracts: [Custom] is the stable one for policies written outside
// Strata (Options.NewPolicy plugs one in; package evictiontest checks
// one); [Policy] is the shard's own, which the built-in policies implement
// on the shard's entries directly, and which carries no compatibility
// promise beyond this module. Choose a built-in with [Algorithm].
//
// A policy is always called with its shard's policy lock held, so it needs
// no synchronisation of its own; what the shards of one cache share (a
// [Group]) locks for itself. Reads and writes reach it late and in batches
// (the shard buffers them): an entry may already be gone from the shard
// when the policy hears of it, but the policy always hears of an entry's
// Add, Updates and Remove in order. Under heavy contention some reads are
// dropped, never writes: a policy must treat Access as a hint. Adding a
// policy: CONTRIBUTING.md.
package eviction

import "github.com/stratacache/cache/entry"

// Policy orders a shard's entries for eviction. It is the shard's contract
// with the built-in policies, in terms of the shard's entries (package
// entry, internal to Strata): it may change in any release. Write a
// policy of your own against [Custom] instead.
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

	// The rest of the contract is for runtime control: resizing, and
	// the ordered walks behind the views and snapshots.

	// SetCapacity changes the capacity, in weight units, that the policy
	// sizes its regions by. It evicts nothing: the shard then calls Evict
	// until its weight fits the new capacity.
	SetCapacity(capacity int64)
	// Len returns the number of entries the policy tracks.
	Len() int
	// Ordered calls yield with the tracked entries, coldest first (the
	// order in which the policy would evict them if nothing were read
	// again) or, with hottest, in the reverse order, until yield returns
	// false. yield must not change the policy; the walk only reads its
	// links, under the shard's policy lock. Each policy documents
	// its order and cost on its Ordered method; the newest entry, which
	// Evict spares, is not treated specially.
	Ordered(hottest bool, yield func(*entry.Entry[K, V]) bool)
	// Reset forgets every entry and everything learned, leaving the
	// policy as New made it, at its current capacity. The entries it
	// tracked keep stale links; the shard discards them.
	Reset()
}
