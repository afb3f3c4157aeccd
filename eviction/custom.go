package eviction

import (
	"errors"

	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/internal/isnil"
)

// Custom is the contract of an eviction policy written outside Strata,
// plugged in with the cache's Options.NewPolicy. It is stable: it changes
// only with a major version. Run the conformance kit,
// [github.com/stratacache/cache/eviction/evictiontest], against an
// implementation before plugging it in.
//
// Each shard of a cache gets a policy of its own, and calls it only with
// that shard's policy lock held, so a policy needs no locking unless its
// instances share state. Reads and writes reach it late and in batches:
// the shard calls Add once when an entry becomes resident, then any number
// of Access and Update calls, and finally either Remove or the Evict call
// that returned the entry, never both and never twice. Under heavy
// contention some reads are dropped, never writes: Access is a hint.
//
// Strata keeps the rest of the bookkeeping: the shard's total weight (it
// calls Evict until the shard fits its bound), the count of entries, and
// the rule that a value just written stays readable until the next write
// to its shard (should Evict return the entry added last while others
// remain, Strata asks for another victim and gives that one back with
// Add). A policy's methods must not panic or block, and cost what a read
// or write may cost: O(1), or O(log n) at most. Should one panic anyway,
// the shard stops calling the policy, hands its entries to the built-in
// Default policy, and re-raises the panic once the operation that met it
// (for a read's bookkeeping or a walk, a later write to that shard or the
// next Flush) has released its locks and reported its removals: a
// panicking policy never leaves a shard locked. One that calls
// runtime.Goexit (t.FailNow in a test's policy) ends its goroutine, as
// Goexit does; the shard's locks are released on the way and the policy
// is replaced as after a panic, with nothing re-raised.
type Custom[K comparable, V any] interface {
	// Add starts tracking an entry that was just stored.
	Add(e Handle[K, V])
	// Access records a read hit on a tracked entry.
	Access(e Handle[K, V])
	// Update records that a write replaced a tracked entry's value; it
	// weighed oldWeight before the write and weighs e.Weight() now.
	Update(e Handle[K, V], oldWeight uint32)
	// Remove stops tracking e: it was deleted, expired or cleared.
	Remove(e Handle[K, V])
	// Evict chooses a victim among the tracked entries, stops tracking it
	// and returns it, or reports false when it tracks nothing. Returning
	// false, or an entry it does not track, while it tracks some leaves
	// the shard over its bound until the next write.
	Evict() (victim Handle[K, V], ok bool)
	// SetCapacity tells the policy that the shard's bound, in weight
	// units, changed (Cache.Resize). It must evict nothing itself: the
	// shard calls Evict until its entries fit.
	SetCapacity(capacity int64)
	// Ordered calls yield with every tracked entry, once each, coldest
	// first (the order Evict would take them in if nothing were read
	// again) or, with hottest, hottest first, until yield returns false.
	// yield does not call the policy. The views (Cache.Hottest,
	// Cache.Coldest) and snapshots follow this order.
	Ordered(hottest bool, yield func(e Handle[K, V]) bool)
}

// Handle is what a [Custom] policy sees of a cached entry. Handles are
// comparable: two handles are equal when they name the same entry, so a
// policy may key a map by them. The zero Handle names no entry.
type Handle[K comparable, V any] struct {
	e *entry.Entry[K, V]
}

// NewHandle returns a handle for an entry that no cache holds, with the
// given key, hash and weight (0 counts as 1): for testing or simulating a
// policy on its own, as the conformance kit does. Each call names a new
// entry.
func NewHandle[K comparable, V any](key K, hash uint64, weight uint32) Handle[K, V] {
	var zero V
	return Handle[K, V]{entry.NewFull(key, zero, hash, max(weight, 1))}
}

// Key returns the entry's key.
func (h Handle[K, V]) Key() K { return h.e.Key() }

// Hash returns the key's hash: 32 well-mixed bits, seeded per cache, so
// keys collide across caches differently. A frequency sketch or a ghost
// queue can use it instead of hashing the key again.
func (h Handle[K, V]) Hash() uint64 { return h.e.Hash() }

// Weight returns the entry's weight as the policy was last told it: 1 in
// a cache that counts entries, else what Options.Weigher returned (0
// counted as 1). It changes only when a write replaces the value, which
// the policy then hears of with Update.
func (h Handle[K, V]) Weight() uint32 { return h.e.Weight() }

// IsZero reports whether h is the zero Handle.
func (h Handle[K, V]) IsZero() bool { return h.e == nil }

// NewCustom returns the Policy through which a shard of capacity units
// drives the Custom policy newPolicy makes, keeping the rules the
// contract leaves to Strata (see Custom). It returns nil if newPolicy
// does, a typed nil (such as a nil *T) included.
func NewCustom[K comparable, V any](newPolicy func(capacity int64) Custom[K, V], capacity int64) Policy[K, V] {
	p := newPolicy(capacity)
	if isnil.IsNil(p) {
		return nil
	}
	return &custom[K, V]{p: p}
}

// custom adapts a Custom policy to Policy.
//
// A panic in the user's policy must not leave the shard's locks held
// (every later operation on the shard would block), so each call into it
// recovers: the policy is then broken, is never called again, and its
// methods here do nothing (Evict finds no victim) until the shard, which
// checks Broken whenever it evicts, replaces it and re-raises the panic.
// A runtime.Goexit breaks it too; the shard releases its locks by defer.
type custom[K comparable, V any] struct {
	p        Custom[K, V]
	n        int                // entries p tracks
	newest   *entry.Entry[K, V] // added last; never the victim while others remain
	broken   bool
	panicked any // what the panic that broke p was called with
}

// ErrPolicyExited is what Broken reports for a custom policy that called
// runtime.Goexit (as t.FailNow does in a test's policy). The goroutine
// that met it has ended by then, so the shard replaces the policy without
// raising anything to a later caller.
var ErrPolicyExited = errors.New("eviction: custom policy called runtime.Goexit")

// call runs f, which calls into p, and breaks the policy if f panics
// (recovered) or calls runtime.Goexit (which cannot be stopped: the
// goroutine still ends, and the shard's deferred unlocks release its
// locks on the way).
func (c *custom[K, V]) call(f func()) {
	returned := false
	defer func() {
		if returned {
			return
		}
		r := recover()
		if r == nil {
			r = ErrPolicyExited
		}
		c.broken, c.panicked = true, r
	}()
	f()
	returned = true
}

// Broken returns the value of the panic that broke the user's policy
// behind p (a Policy made by NewCustom), ErrPolicyExited if the policy
// called runtime.Goexit, or nil if p is not such a policy or is not
// broken. A broken policy has stopped tracking entries: the shard
// replaces it.
func Broken[K comparable, V any](p Policy[K, V]) any {
	if c, ok := p.(*custom[K, V]); ok && c.broken {
		return c.panicked
	}
	return nil
}

func (c *custom[K, V]) Add(e *entry.Entry[K, V]) {
	if c.broken {
		return
	}
	c.call(func() {
		c.n++
		c.newest = e
		c.p.Add(Handle[K, V]{e})
	})
}

func (c *custom[K, V]) Access(e *entry.Entry[K, V]) {
	if c.broken {
		return
	}
	c.call(func() { c.p.Access(Handle[K, V]{e}) })
}

func (c *custom[K, V]) Update(e *entry.Entry[K, V], oldWeight uint32) {
	if c.broken {
		return
	}
	c.call(func() { c.p.Update(Handle[K, V]{e}, oldWeight) })
}

func (c *custom[K, V]) Remove(e *entry.Entry[K, V]) {
	if c.broken {
		return
	}
	c.call(func() {
		c.n--
		if e == c.newest {
			c.newest = nil
		}
		c.p.Remove(Handle[K, V]{e})
	})
}

func (c *custom[K, V]) Evict() (v *entry.Entry[K, V]) {
	if c.broken {
		return nil
	}
	c.call(func() { v = c.evict() })
	if c.broken {
		return nil
	}
	return v
}

// evict is Evict's work, run by call.
func (c *custom[K, V]) evict() *entry.Entry[K, V] {
	v := c.victim()
	if v != nil && v == c.newest && c.n > 0 {
		// The policy's choice would make the write that caused this
		// eviction invisible: take another, and give the newest back.
		other := c.victim()
		if other == v {
			c.n++ // a victim it had already given up: refuse it
			other = nil
		}
		c.Add(v)
		v = other
	}
	if v == c.newest {
		c.newest = nil
	}
	if c.broken { // Add gave the newest back, and panicked
		return nil
	}
	return v
}

// victim asks the policy for one victim and checks that it was tracked:
// the shard marks every tracked entry InPolicy and clears the mark once
// the entry leaves, so a stale, foreign or zero handle is refused.
func (c *custom[K, V]) victim() *entry.Entry[K, V] {
	if c.n == 0 {
		return nil
	}
	h, ok := c.p.Evict()
	if !ok || h.e == nil || !h.e.InPolicy() {
		return nil
	}
	c.n--
	return h.e
}

func (c *custom[K, V]) SetCapacity(capacity int64) {
	if c.broken {
		return
	}
	c.call(func() { c.p.SetCapacity(capacity) })
}

func (c *custom[K, V]) Len() int { return c.n }

func (c *custom[K, V]) Ordered(hottest bool, yield func(*entry.Entry[K, V]) bool) {
	if c.broken {
		return
	}
	c.call(func() {
		c.p.Ordered(hottest, func(h Handle[K, V]) bool { return h.e == nil || yield(h.e) })
	})
}

// Reset removes every tracked entry from the policy, which keeps what it
// learned otherwise: the contract has no reset, so that a policy need not
// write one. O(n) and one slice of n handles, on Clear only.
func (c *custom[K, V]) Reset() {
	if c.broken {
		return
	}
	c.call(func() {
		all := make([]Handle[K, V], 0, c.n)
		c.p.Ordered(false, func(h Handle[K, V]) bool {
			all = append(all, h)
			return true
		})
		for _, h := range all {
			c.p.Remove(h)
		}
		c.n, c.newest = 0, nil
	})
}

// Builtin returns the policy of algorithm a for capacity units of weight,
// behind the Custom contract: to run the conformance kit on it, or to
// build a policy of one's own around it. It panics on an invalid
// algorithm (see Algorithm.Valid).
func Builtin[K comparable, V any](a Algorithm, capacity int64) Custom[K, V] {
	return &builtin[K, V]{New[K, V](a, capacity)}
}

// builtin adapts a Policy to Custom.
type builtin[K comparable, V any] struct{ p Policy[K, V] }

func (b *builtin[K, V]) Add(e Handle[K, V])    { b.p.Add(e.e) }
func (b *builtin[K, V]) Access(e Handle[K, V]) { b.p.Access(e.e) }
func (b *builtin[K, V]) Remove(e Handle[K, V]) { b.p.Remove(e.e) }

func (b *builtin[K, V]) Update(e Handle[K, V], oldWeight uint32) { b.p.Update(e.e, oldWeight) }

func (b *builtin[K, V]) Evict() (Handle[K, V], bool) {
	e := b.p.Evict()
	return Handle[K, V]{e}, e != nil
}

func (b *builtin[K, V]) SetCapacity(capacity int64) { b.p.SetCapacity(capacity) }

func (b *builtin[K, V]) Ordered(hottest bool, yield func(Handle[K, V]) bool) {
	b.p.Ordered(hottest, func(e *entry.Entry[K, V]) bool { return yield(Handle[K, V]{e}) })
}
