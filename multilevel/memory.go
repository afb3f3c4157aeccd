package multilevel

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"sync"
	"time"

	"github.com/stratacache/cache"
)

// MemoryStoreOptions configures a MemoryStore. The zero value is a 64 MiB
// store on the system clock.
type MemoryStoreOptions struct {
	// MaxBytes bounds the memory the entries use, counting their keys,
	// their values and about 100 bytes of bookkeeping each. When it is
	// reached, the least valuable entries are evicted. An entry larger
	// than a sixteenth of MaxBytes (all of it, below 16 MiB) is not kept.
	// 0 means DefaultMemoryStoreBytes.
	MaxBytes int64

	// Clock supplies the time for expiry; nil means the system clock.
	Clock cache.Clock
}

// DefaultMemoryStoreBytes is the size of a MemoryStore whose MaxBytes is 0,
// and of the private store a Cache makes when it is given none.
const DefaultMemoryStoreBytes = 64 << 20

// memoryEntryOverhead approximates what one entry costs beside its key
// and value: the entry struct, its map slot and the slice header.
const memoryEntryOverhead = 100

// MemoryStore is an in-process Store, Bus and Leaser: a bounded Strata
// cache of byte slices with per-entry expiry, and a bus that delivers
// invalidations to the caches of this process that share it. It is what a Cache uses
// when Options.Store is nil; share one between several caches (with
// different namespaces, or with the same one for caches that must
// invalidate each other) to bound their memory together.
//
// Get and Set cost what a Strata cache's Get and Set cost; values are not
// copied either way (see Store). Publish calls the subscribers' Message
// functions on the publishing goroutine before it returns, so a Set or
// Delete through one cache has evicted the key from every other cache of
// the namespace by the time it returns.
type MemoryStore struct {
	c *cache.Cache[string, []byte]
	localBus

	// Writes of a key hold its stripe, so that TryLease and Release,
	// which read before they write, are atomic with respect to them.
	seed    maphash.Seed
	stripes [64]sync.Mutex
}

var (
	_ Store     = (*MemoryStore)(nil)
	_ Bus       = (*MemoryStore)(nil)
	_ Leaser    = (*MemoryStore)(nil)
	_ TTLGetter = (*MemoryStore)(nil)
)

// NewMemoryStore returns an empty store, or an error naming the offending
// field of opts.
func NewMemoryStore(opts MemoryStoreOptions) (*MemoryStore, error) {
	if opts.MaxBytes < 0 {
		return nil, fmt.Errorf("multilevel: MemoryStoreOptions.MaxBytes is %d; it must be 0 (default) or positive: %w",
			opts.MaxBytes, ErrInvalidOptions)
	}
	maxBytes := opts.MaxBytes
	if maxBytes == 0 {
		maxBytes = DefaultMemoryStoreBytes
	}
	shards := 1
	if maxBytes >= 16<<20 {
		shards = 16
	}
	c, err := cache.New(cache.Options[string, []byte]{
		MaxWeight: maxBytes,
		Weigher:   weighBytes,
		Shards:    shards,
		Clock:     opts.Clock,
	})
	if err != nil {
		return nil, fmt.Errorf("multilevel: memory store: %w", err)
	}
	return &MemoryStore{c: c, seed: maphash.MakeSeed()}, nil
}

func weighBytes(key string, value []byte) uint32 {
	w := int64(len(key)) + int64(len(value)) + memoryEntryOverhead
	return uint32(min(w, math.MaxUint32))
}

// Get returns the bytes stored under key, or ErrMiss. The slice is the
// store's own: read it, do not modify it.
func (s *MemoryStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if v, ok := s.c.Get(key); ok {
		return v, nil
	}
	return nil, ErrMiss
}

// GetTTL is Get that also returns the time the value has left: 0 if it
// does not expire.
func (s *MemoryStore) GetTTL(ctx context.Context, key string) ([]byte, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	v, left, ok := s.c.GetWithTTL(key)
	if !ok {
		return nil, 0, ErrMiss
	}
	if left == cache.NoTTL {
		left = 0
	}
	return v, left, nil
}

// Set stores value under key for ttl (0: no expiry, negative: removes the
// key). The store keeps value itself: do not modify it afterwards.
func (s *MemoryStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	mu := s.stripe(key)
	mu.Lock()
	defer mu.Unlock()
	switch {
	case ttl < 0:
		s.c.Delete(key)
	case ttl == 0:
		s.c.SetWithTTL(key, value, cache.NoTTL)
	default:
		s.c.SetWithTTL(key, value, ttl)
	}
	return nil
}

// Delete removes key.
func (s *MemoryStore) Delete(ctx context.Context, key string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	mu := s.stripe(key)
	mu.Lock()
	defer mu.Unlock()
	s.c.Delete(key)
	return nil
}

// TryLease stores lease under key for ttl if key holds nothing live, and
// reports whether it did (see Leaser). The store keeps lease itself.
func (s *MemoryStore) TryLease(ctx context.Context, key string, lease []byte, ttl time.Duration) (bool, error) {
	if err := s.check(ctx); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, fmt.Errorf("multilevel: MemoryStore.TryLease of %q for %v: the lifetime must be positive", key, ttl)
	}
	mu := s.stripe(key)
	mu.Lock()
	defer mu.Unlock()
	if _, ok := s.c.Peek(key); ok {
		return false, nil
	}
	s.c.SetWithTTL(key, lease, ttl)
	return true, nil
}

// Release deletes key if it holds lease (see Leaser).
func (s *MemoryStore) Release(ctx context.Context, key string, lease []byte) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	mu := s.stripe(key)
	mu.Lock()
	defer mu.Unlock()
	if v, ok := s.c.Peek(key); ok && bytes.Equal(v, lease) {
		s.c.Delete(key)
	}
	return nil
}

func (s *MemoryStore) stripe(key string) *sync.Mutex {
	return &s.stripes[maphash.String(s.seed, key)%uint64(len(s.stripes))]
}

// Len returns the number of entries held, expired ones included until
// they are removed.
func (s *MemoryStore) Len() int { return s.c.Len() }

// Close drops every entry and makes later calls fail with ErrClosed (Get
// misses). Subscriptions stay registered but receive nothing more. It is
// idempotent.
func (s *MemoryStore) Close() {
	s.closed.Store(true)
	s.c.Close()
}
