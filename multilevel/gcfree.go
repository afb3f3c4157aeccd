package multilevel

import (
	"context"
	"fmt"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/bytecache"
)

// GCFreeStoreOptions configures a GCFreeStore. The zero value is a 64 MiB
// store on the system clock.
type GCFreeStoreOptions struct {
	// MaxBytes bounds the bytes the entries take in the slabs (keys,
	// values and bytecache.EntryOverhead each); see
	// bytecache.StoreOptions. 0 means DefaultMemoryStoreBytes.
	MaxBytes int64

	// Shards is as in bytecache.StoreOptions; 0 picks automatically.
	Shards int

	// Clock supplies the time for expiry; nil means the system clock.
	Clock cache.Clock
}

// GCFreeStore is an in-process Store, Bus, Leaser and TTLGetter like
// MemoryStore, whose entries live in byte slabs (package bytecache)
// instead of as Go objects: however many it holds, the garbage collector
// has a few hundred pointers to follow. Put it behind an L1 of live
// objects and a multilevel Cache is a hybrid: the hot set as Go values,
// the long tail as bytes.
//
// Get and GetTTL return a copy of the stored bytes, so the caller may keep
// it. Set copies value into a slab. An entry larger than the slabs accept
// (bytecache.Store.MaxEntrySize) is not kept, and Set still succeeds, as
// for MemoryStore. TryLease and Release test and write in one step under
// the key's shard lock, so leases (Options.Lease) add no lock to other
// writes. Its bus is MemoryStore's: Publish delivers on the publishing goroutine to the
// caches of this process.
type GCFreeStore struct {
	s *bytecache.Store
	localBus
}

var (
	_ Store     = (*GCFreeStore)(nil)
	_ Bus       = (*GCFreeStore)(nil)
	_ Leaser    = (*GCFreeStore)(nil)
	_ TTLGetter = (*GCFreeStore)(nil)
)

// NewGCFreeStore returns an empty store, or an error naming the offending
// field of opts.
func NewGCFreeStore(opts GCFreeStoreOptions) (*GCFreeStore, error) {
	maxBytes := opts.MaxBytes
	if maxBytes == 0 {
		maxBytes = DefaultMemoryStoreBytes
	}
	if opts.MaxBytes < 0 {
		return nil, fmt.Errorf("multilevel: GCFreeStoreOptions.MaxBytes is %d; it must be 0 (default) or positive: %w",
			opts.MaxBytes, ErrInvalidOptions)
	}
	s, err := bytecache.NewStore(bytecache.StoreOptions{MaxBytes: maxBytes, Shards: opts.Shards, Clock: opts.Clock})
	if err != nil {
		return nil, fmt.Errorf("multilevel: GC-free store: %w", err)
	}
	return &GCFreeStore{s: s}, nil
}

// Get returns a copy of the bytes stored under key, or ErrMiss.
func (s *GCFreeStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if v, ok := s.s.Get(key); ok {
		return v, nil
	}
	return nil, ErrMiss
}

// GetTTL is Get that also returns the time the value has left: 0 if it
// does not expire.
func (s *GCFreeStore) GetTTL(ctx context.Context, key string) ([]byte, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	v, left, ok := s.s.GetWithTTL(key)
	if !ok {
		return nil, 0, ErrMiss
	}
	if left == cache.NoTTL {
		left = 0
	}
	return v, left, nil
}

// Set stores a copy of value under key for ttl (0: no expiry, negative:
// removes the key).
func (s *GCFreeStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if ttl == 0 {
		ttl = cache.NoTTL
	}
	s.s.SetWithTTL(key, value, ttl)
	return nil
}

// Delete removes key.
func (s *GCFreeStore) Delete(ctx context.Context, key string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	s.s.Delete(key)
	return nil
}

// TryLease stores a copy of lease under key for ttl if key holds nothing
// live, and reports whether it did (see Leaser). A lease too large for the
// slabs (a store of a few KiB), or a key longer than bytecache.MaxKeyLen,
// is an error, not a refusal: no other instance holds the key.
func (s *GCFreeStore) TryLease(ctx context.Context, key string, lease []byte, ttl time.Duration) (bool, error) {
	if err := s.check(ctx); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, fmt.Errorf("multilevel: GCFreeStore.TryLease of %q for %v: the lifetime must be positive", key, ttl)
	}
	if len(key) > bytecache.MaxKeyLen {
		return false, fmt.Errorf("multilevel: GCFreeStore.TryLease: the key is %d bytes, more than the %d a key may take",
			len(key), bytecache.MaxKeyLen)
	}
	if n := bytecache.EntrySize(len(key), len(lease), true); n > s.s.MaxEntrySize() {
		return false, fmt.Errorf("multilevel: GCFreeStore.TryLease of %q: the lease takes %d bytes, more than the %d an entry may take",
			key, n, s.s.MaxEntrySize())
	}
	return s.s.SetIfAbsent(key, lease, ttl), nil
}

// Release deletes key if it holds lease (see Leaser).
func (s *GCFreeStore) Release(ctx context.Context, key string, lease []byte) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	s.s.CompareAndDelete(key, lease)
	return nil
}

// Len returns the number of entries held, expired ones included until
// they are removed.
func (s *GCFreeStore) Len() int { return s.s.Len() }

// Stats returns the counters of the slabs' store (Weight is their bytes
// in use).
func (s *GCFreeStore) Stats() cache.Stats { return s.s.Stats() }

// Close drops every entry, releases the slabs and makes later calls fail
// with ErrClosed (Get misses). It is idempotent.
func (s *GCFreeStore) Close() {
	s.closed.Store(true)
	s.s.Close()
}
