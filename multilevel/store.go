package multilevel

import (
	"context"
	"errors"
	"time"
)

// ErrMiss is what a Store's Get returns for a key it does not hold (absent
// or expired). It is an answer, not a failure: it does not count against
// the store's health.
var ErrMiss = errors.New("multilevel: key not in store")

// Store is a remote (or embedded) byte store: the second level of a
// multilevel cache, shared by every instance that uses the same store and
// namespace. The Redis store in github.com/stratacache/cache/redisstore and
// MemoryStore implement it.
//
// Every method gets a context with a deadline (Options.Timeout) and must
// return soon after the context ends. Errors other than ErrMiss count as
// failures of the store for the circuit breaker, unless the caller's own
// context ended first. Implementations are safe for concurrent use.
type Store interface {
	// Get returns the bytes stored under key, or ErrMiss. The caller only
	// reads the slice and does not keep it past decoding, so a store may
	// return memory it shares with others.
	Get(ctx context.Context, key string) ([]byte, error)

	// Set stores value under key for ttl; ttl 0 means no expiry. The
	// store may keep value: the caller never modifies it afterwards.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error

	// Delete removes key. Deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
}

// TTLGetter is a Store that can say how long a value has left, so that an
// instance reading a value another one wrote keeps it in its L1 no longer
// than the store keeps it. MemoryStore, GCFreeStore and the Redis store
// implement it; with a store that does not, such a value stays in the L1
// for the L1's own lifetime.
type TTLGetter interface {
	// GetTTL is Get that also returns the time the value has left in
	// the store, read together with it: 0 if it does not expire.
	GetTTL(ctx context.Context, key string) ([]byte, time.Duration, error)
}

// Message is an invalidation: the value stored under Key changed or was
// removed, through the instance called Sender.
type Message struct {
	// Namespace is the Options.Namespace of the cache that sent it; a bus
	// delivers a message only to subscribers of that namespace.
	Namespace string
	// Key is the store key (namespace prefix included) that changed.
	Key string
	// Sender identifies the sending instance, so that it can ignore its
	// own messages. It is never empty.
	Sender string
}

// Subscriber is what a Bus calls back. The functions run with no lock of
// the bus held, on a goroutine of the bus (the Redis store) or of the
// publisher (MemoryStore), so they may run concurrently with each other.
// They must not block for long: messages wait for them.
type Subscriber struct {
	// Message is called for every message published on the namespace,
	// including the subscriber's own.
	Message func(Message)

	// Up is called each time the subscription becomes active: once at
	// first, and again after each interruption. Messages published while
	// the subscription was not active are lost; Up is the signal that the
	// subscriber may have missed some.
	Up func()

	// Down is called when an active subscription is interrupted, with
	// the cause. Up follows once it is active again.
	Down func(err error)
}

// Bus carries invalidation messages between the instances that share a
// store. Delivery is best effort and at most once: a message may be lost
// while a subscription is down (which the subscriber hears about through
// Down and Up), but never delivered twice.
//
// A Store that also implements Bus (the Redis store and MemoryStore do) is
// used as the bus unless Options.Bus says otherwise.
type Bus interface {
	// Publish sends m to every subscriber of m.Namespace, the sender's
	// own subscription included. It returns once the bus has accepted m.
	Publish(ctx context.Context, m Message) error

	// Subscribe starts delivering the messages of namespace to s, until
	// stop is called. Once stop returns, s is sent nothing new (a call
	// already being made may still finish), and any goroutine the bus ran
	// for s has exited, unless stop was called from one of s's functions. The error is for a subscription
	// that cannot even be attempted (a closed bus); a bus that is
	// unreachable at the moment keeps trying, and calls s.Up once it
	// succeeds.
	Subscribe(namespace string, s Subscriber) (stop func(), err error)
}
