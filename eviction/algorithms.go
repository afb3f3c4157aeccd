package eviction

import "fmt"

// Algorithm names a policy. Each policy declares its constant, with what
// it does and when to choose it, in its own file. Values are stable:
// snapshots record them.
type Algorithm uint8

// Default is the zero Algorithm: the policy with the best measured hit
// ratio overall, today [TinyLFU] (docs/eviction.md).
const Default Algorithm = 0

// A registration is one policy's row in the registry: its algorithm, the
// name String gives it, and its constructor. A constructor gets the
// shard's capacity and, for a sharded cache, the Group its shards share
// (nil otherwise); policies that learn nothing across shards ignore it.
type registration[K comparable, V any] struct {
	algorithm Algorithm
	name      string
	new       func(capacity int64, g *Group) Policy[K, V]
}

// registry lists every policy, in the order Algorithms returns them.
// Adding a policy is a file of its own and a row here (CONTRIBUTING.md).
func registry[K comparable, V any]() []registration[K, V] {
	return []registration[K, V]{
		{LRU, "LRU", func(int64, *Group) Policy[K, V] { return &lru[K, V]{} }},
		{SIEVE, "SIEVE", func(int64, *Group) Policy[K, V] { return &sieve[K, V]{} }},
		{S3FIFO, "S3FIFO", func(c int64, _ *Group) Policy[K, V] { return newS3FIFO[K, V](c) }},
		{TinyLFU, "TinyLFU", func(c int64, g *Group) Policy[K, V] { return newTinyLFU[K, V](c, g) }},
	}
}

// registered is the registry for what does not depend on K and V: names
// and validity.
var registered = registry[struct{}, struct{}]()

// Algorithms returns every policy, Default excluded, in registration
// order. Tests, benchmarks and the simulator range over it, so a new
// policy is covered once it is registered.
func Algorithms() []Algorithm {
	as := make([]Algorithm, len(registered))
	for i, r := range registered {
		as[i] = r.algorithm
	}
	return as
}

func (a Algorithm) String() string {
	if a == Default {
		return "Default"
	}
	for _, r := range registered {
		if r.algorithm == a {
			return r.name
		}
	}
	return fmt.Sprintf("Algorithm(%d)", uint8(a))
}

// Valid reports whether a is Default or a registered algorithm.
func (a Algorithm) Valid() bool {
	for _, r := range registered {
		if r.algorithm == a {
			return true
		}
	}
	return a == Default
}

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
	a = a.Resolve()
	for _, r := range registry[K, V]() {
		if r.algorithm == a {
			return r.new(capacity, g)
		}
	}
	panic("eviction: unknown algorithm " + a.String())
}
