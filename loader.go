package cache

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Loader fetches the value of a key the cache does not hold, for
// GetOrLoad. See docs/loading.md for the full semantics.
//
// Load runs on a goroutine of the cache's, with no lock held, at most
// once at a time per key however many callers miss on it. Its ctx carries
// the values of the first caller's context but not its cancellation: it is
// cancelled by Options.LoadTimeout and by Close, and Load should return
// soon after. Load reports a key that does not exist with an error that
// wraps ErrNotFound. It must not wait for a load of its own key.
//
// A typed nil given as a Loader (a nil LoaderFunc, a nil *MyLoader) counts
// as no loader, like nil itself.
type Loader[K comparable, V any] interface {
	Load(ctx context.Context, key K) (V, error)
}

// LoaderFunc adapts a function to a Loader.
type LoaderFunc[K comparable, V any] func(ctx context.Context, key K) (V, error)

// Load calls f.
func (f LoaderFunc[K, V]) Load(ctx context.Context, key K) (V, error) { return f(ctx, key) }

// TTLLoader is a Loader that also says how long each value it loads lives:
// GetOrLoad, and the refreshes it starts, call LoadTTL in its place. The
// lifetime means what SetWithTTL's ttl means: 0 the cache's own
// (Options.ExpireAfterWrite, else Options.TTL), NoTTL never, and negative
// returns the value to the callers waiting without keeping it. It is not
// jittered: the loader knows how long its answer is good for.
type TTLLoader[K comparable, V any] interface {
	Loader[K, V]
	LoadTTL(ctx context.Context, key K) (V, time.Duration, error)
}

// TTLLoaderFunc adapts a function to a TTLLoader.
type TTLLoaderFunc[K comparable, V any] func(ctx context.Context, key K) (V, time.Duration, error)

// Load calls f and drops the lifetime.
func (f TTLLoaderFunc[K, V]) Load(ctx context.Context, key K) (V, error) {
	v, _, err := f(ctx, key)
	return v, err
}

// LoadTTL calls f.
func (f TTLLoaderFunc[K, V]) LoadTTL(ctx context.Context, key K) (V, time.Duration, error) {
	return f(ctx, key)
}

// WithTTL is a value with the lifetime to keep it for, as a TTLBulkLoader
// returns it; TTL means what TTLLoader's lifetime means.
type WithTTL[V any] struct {
	Value V
	TTL   time.Duration
}

// TTLBulkLoader is a BulkLoader that also says how long each value it
// loads lives: GetMany, and the refreshes it starts, call LoadManyTTL in
// its place.
type TTLBulkLoader[K comparable, V any] interface {
	BulkLoader[K, V]
	LoadManyTTL(ctx context.Context, keys []K) (map[K]WithTTL[V], error)
}

// TTLBulkLoaderFunc adapts a function to a TTLBulkLoader.
type TTLBulkLoaderFunc[K comparable, V any] func(ctx context.Context, keys []K) (map[K]WithTTL[V], error)

// LoadMany calls f and drops the lifetimes, copying the values into a
// new map.
func (f TTLBulkLoaderFunc[K, V]) LoadMany(ctx context.Context, keys []K) (map[K]V, error) {
	timed, err := f(ctx, keys)
	if timed == nil {
		return nil, err
	}
	m := make(map[K]V, len(timed))
	for k, t := range timed {
		m[k] = t.Value
	}
	return m, err
}

// LoadManyTTL calls f.
func (f TTLBulkLoaderFunc[K, V]) LoadManyTTL(ctx context.Context, keys []K) (map[K]WithTTL[V], error) {
	return f(ctx, keys)
}

// BulkLoader fetches the values of many keys in one call, for GetMany.
// It runs like a Loader, with every key it is given registered as being
// loaded. It returns the values it found; a requested key missing from the
// map does not exist (as if its load had returned ErrNotFound), and keys
// that were not requested are ignored. An error fails every key of the
// call; one wrapping ErrNotFound means none of them exists. keys is the
// loader's own slice: it may keep or reorder it.
type BulkLoader[K comparable, V any] interface {
	LoadMany(ctx context.Context, keys []K) (map[K]V, error)
}

// BulkLoaderFunc adapts a function to a BulkLoader.
type BulkLoaderFunc[K comparable, V any] func(ctx context.Context, keys []K) (map[K]V, error)

// LoadMany calls f.
func (f BulkLoaderFunc[K, V]) LoadMany(ctx context.Context, keys []K) (map[K]V, error) {
	return f(ctx, keys)
}

var (
	// ErrNoLoader is returned by GetOrLoad and GetMany when they are given
	// no loader and Options has no default one.
	ErrNoLoader = errors.New("cache: no loader given and no default loader in Options")

	// ErrNotFound is how a loader says that a key does not exist. The
	// cache returns it (or the loader's error wrapping it: test with
	// errors.Is), and caches the answer for Options.NegativeTTL.
	ErrNotFound = errors.New("cache: key not found")

	// ErrLoaderExited is returned to the callers waiting on a load whose
	// loader called runtime.Goexit (as t.FailNow does).
	ErrLoaderExited = errors.New("cache: loader called runtime.Goexit")

	// errNilContext is returned by GetOrLoad and GetMany given a nil ctx,
	// which a load would otherwise panic on, on a goroutine of its own.
	errNilContext = errors.New("cache: nil context.Context given; pass context.Background() or context.TODO()")

	// ErrClosed is returned by loading reads on a closed cache, and to
	// the callers waiting on a load when Close is called. It is also the
	// cause (context.Cause) of a load's context cancelled by Close.
	ErrClosed = errors.New("cache: closed")
)

// PanicError is returned to every caller waiting on a load whose loader
// panicked. The panic is recovered: it does not crash the program, and
// nothing is cached.
type PanicError struct {
	// Value is the value the loader panicked with.
	Value any
	// Stack is the loader goroutine's stack trace at the panic.
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("cache: loader panicked: %v", e.Value)
}

// Unwrap returns the panic value if it is an error, so errors.Is and
// errors.As see through the panic.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
