package multilevel

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/codec"
)

// Options configures a multilevel Cache. The zero value is valid for string
// and integer keys: a 10,000-entry local tier with a one-minute TTL in
// front of a private 64 MiB MemoryStore, no loader, msgpack values.
//
// Every field can be set without spelling type arguments at the call site:
// L1's fields by assignment (opts.L1.TTL = time.Minute), the rest are plain
// values and functions. New reads the struct and never writes to it.
type Options[K comparable, V any] struct {
	// L1 configures the local tier that New builds, a Strata cache. Its
	// zero fields mean the cache package's defaults, except that an
	// unbounded L1 gets MaxEntries DefaultL1Entries and a TTL of 0 becomes
	// DefaultL1TTL: the L1 TTL is what bounds staleness when invalidations
	// are lost, so it is finite unless you ask for cache.NoTTL. L1.Load
	// and L1.LoadMany must be nil (use Load). L1.Clock also drives the
	// circuit breaker and the private store.
	L1 cache.Options[K, V]

	// L1Cache, if not nil, is the local tier to use instead of building
	// one from L1, which must then be zero. It may be shared with other
	// code, which should not write to it directly (those writes would
	// reach neither the store nor the other instances). Close does not
	// close it.
	L1Cache *cache.Cache[K, V]

	// Store is the second level. nil means a private MemoryStore of
	// DefaultMemoryStoreBytes, closed by Close; a two-level cache in one
	// process. A Store shared between caches needs a Namespace.
	Store Store

	// Bus carries invalidations between the instances sharing Store.
	// nil means Store itself if it implements Bus (the Redis store and
	// MemoryStore do), and no invalidation otherwise.
	Bus Bus

	// NoInvalidation turns cross-instance invalidation off: writes are
	// not published and Bus is not subscribed to. Staleness is then
	// bounded by the L1 TTL alone.
	NoInvalidation bool

	// Namespace prefixes every store key (Namespace + ":" + key) and
	// names the invalidation channel, keeping caches that share a store
	// apart. It is required when Store is set; nil Store means "local".
	Namespace string

	// Format is the codec that turns values into store bytes: one of
	// codec.FormatMsgpack (the default, also meant by 0),
	// codec.FormatJSON, codec.FormatGob, or codec.FormatRaw for V whose
	// kind is string or []byte. Instances sharing a namespace must agree.
	Format codec.Format

	// Schema is the version of V's meaning, recorded with every value in
	// the store; bump it when V changes meaning without changing
	// structure (see codec.Type). Values written for another V, or
	// another Schema, are a miss: loaded again and overwritten, and
	// counted in Stats().L2.TypeMismatches. Instances sharing a
	// namespace during a deploy may disagree; they then overwrite each
	// other's values until all run the same release.
	Schema uint32

	// MaxDecodeBytes bounds the memory one store value may take to
	// decode, estimated before decoding (see package codec); a larger
	// value counts as a decode error and is loaded again. 0 means
	// codec.DefaultMaxDecodeBytes (64 MiB).
	MaxDecodeBytes int64

	// Marshal and Unmarshal, if set (both or neither), replace Format
	// with a codec of your own, which must then check types itself. An
	// Unmarshal error matching codec.ErrTypeMismatch counts as a type
	// mismatch, any other error or a panic as a decode failure. Unmarshal
	// must not keep or modify its input.
	Marshal   func(value V) ([]byte, error)
	Unmarshal func(data []byte) (V, error)

	// EncodeKey turns a key into its part of the store key. nil means the
	// default for keys of a string kind (the string itself) and of an
	// integer kind (decimal); New fails for other key types without it.
	EncodeKey func(key K) string

	// DecodeKey inverts EncodeKey, for the invalidation messages, which
	// carry store keys. It is required with EncodeKey unless
	// invalidation is off; the default keys have a default inverse.
	DecodeKey func(s string) (K, error)

	// Load fetches a value that neither level holds, for Get. It runs
	// once per key at a time per instance however many Gets miss (once
	// across the instances with Lease), on a
	// goroutine of the L1's, never under a lock. Its context carries the
	// first caller's values but not its cancellation; it is cancelled by
	// L1.LoadTimeout and by Close, and Load must return soon after.
	// Return an error wrapping ErrNotFound for keys that do not exist.
	// nil means Get returns ErrNotFound when both levels miss.
	Load func(ctx context.Context, key K) (V, error)

	// L2TTL is how long the store keeps a value. 0 means DefaultL2TTL;
	// cache.NoTTL means no expiry. The instance that writes or loads a
	// value keeps it in its L1 no longer than L2TTL either.
	L2TTL time.Duration

	// Timeout bounds every call to Store and Bus. 0 means
	// DefaultTimeout.
	Timeout time.Duration

	// Breaker tunes the circuit breaker in front of Store.
	Breaker BreakerOptions

	// Lease, when enabled, makes the instances that share Store load a
	// key missing from every level once between them instead of once
	// each: see LeaseOptions. Off by default.
	Lease LeaseOptions
}

// LeaseOptions turns on one origin load per key across the instances that
// share a store. A Get that misses the L1 and the store takes a short
// lease on the key in the store before it loads; the other instances that
// miss meanwhile find the lease and wait for the value to appear in the
// store instead of loading it too. They are woken by the invalidation the
// loading instance publishes once the value is stored, or find it by
// polling; if it does not appear within Wait (the holder died, its load
// failed or is slow), each loads the key itself. The zero value is off.
//
// The mode costs a miss one more store round trip (the lease) and, with a
// bus, one publish; a read that waits costs at most Wait more than its
// own load would have. The Store must implement Leaser (MemoryStore,
// GCFreeStore and the Redis store do). Enable it only once every instance
// of the namespace runs a version that knows leases: an older one takes a
// lease for undecodable bytes, and loads the key and overwrites the lease.
type LeaseOptions struct {
	// Enabled turns the mode on. It needs no bus, but one wakes the
	// waiting instances as soon as the value is stored.
	Enabled bool

	// Wait bounds how long a read waits for another instance's load, and
	// is the lifetime of a lease in the store, so that a lease whose
	// holder died ends by itself. Set it above the loader's usual
	// latency: a load slower than Wait is repeated by every waiting
	// instance. 0 means DefaultLeaseWait.
	Wait time.Duration

	// Poll is how often a waiting read looks in the store besides when
	// an invalidation of the key wakes it (without a bus, polling is all
	// there is). 0 means DefaultLeasePoll; it is capped at Wait.
	Poll time.Duration
}

// BreakerOptions tunes the circuit breaker that stops calls to a failing
// store (breaker.go). The zero value gives the defaults below. While the breaker is
// open, reads skip the store (falling back to the loader) and writes fail
// at once with ErrStoreUnavailable.
type BreakerOptions struct {
	// Failures is the number of consecutive failed calls that opens the
	// breaker. 0 means 5.
	Failures int
	// Ratio and MinCalls: the breaker also opens when at least MinCalls
	// calls in one Window ended and Ratio of them or more failed. 0 means
	// 0.5, 20 and 10s.
	Ratio    float64
	MinCalls int
	Window   time.Duration
	// OpenFor is how long the breaker stays open before it lets one
	// probe call through. 0 means 1s.
	OpenFor time.Duration
	// Probes is the number of consecutive successful probes that closes
	// it again. 0 means 3.
	Probes int
	// Disabled turns the breaker off: every call goes to the store.
	Disabled bool
}

// Defaults applied by New.
const (
	DefaultL1Entries = 10_000
	DefaultL1TTL     = time.Minute
	DefaultL2TTL     = time.Hour
	DefaultTimeout   = 50 * time.Millisecond
	DefaultLeaseWait = 500 * time.Millisecond
	DefaultLeasePoll = 10 * time.Millisecond
	localNamespace   = "local"
)

// ErrInvalidOptions is wrapped by every error New returns for bad options.
// It is the cache package's sentinel, so errors.Is matches either way.
var ErrInvalidOptions = cache.ErrInvalidOptions

func optionError(field, format string, args ...any) error {
	return fmt.Errorf("multilevel: Options.%s %s: %w", field, fmt.Sprintf(format, args...), ErrInvalidOptions)
}

func (o *Options[K, V]) validate() error {
	switch {
	case o.L1Cache != nil && !reflect.ValueOf(o.L1).IsZero():
		return optionError("L1", "is set but Options.L1Cache is given; configure one or the other")
	case o.L1.Load != nil:
		return optionError("L1.Load", "is set; use Options.Load, which the multilevel read path wraps")
	case o.L1.LoadMany != nil:
		return optionError("L1.LoadMany", "is set; bulk loading is not supported across levels")
	case o.Store != nil && o.Namespace == "":
		return optionError("Namespace", "is empty but Options.Store is set; a shared store needs a namespace to keep caches apart")
	case strings.ContainsAny(o.Namespace, "\x00"):
		return optionError("Namespace", "%q contains a NUL byte", o.Namespace)
	case o.Marshal != nil && o.Unmarshal == nil:
		return optionError("Unmarshal", "is nil but Options.Marshal is set; give both or neither")
	case o.Marshal == nil && o.Unmarshal != nil:
		return optionError("Marshal", "is nil but Options.Unmarshal is set; give both or neither")
	case o.Marshal != nil && o.Format != 0:
		return optionError("Format", "is %v but Options.Marshal is set; choose one codec", o.Format)
	case o.Marshal != nil && o.Schema != 0:
		return optionError("Schema", "is %d but Options.Marshal is set; a codec of your own records its own schema", o.Schema)
	case o.Marshal != nil && o.MaxDecodeBytes != 0:
		return optionError("MaxDecodeBytes", "is %d but Options.Marshal is set; a codec of your own bounds its own decoding", o.MaxDecodeBytes)
	case o.MaxDecodeBytes < 0:
		return optionError("MaxDecodeBytes", "is %d; it must be 0 (default) or positive", o.MaxDecodeBytes)
	case o.L2TTL < 0:
		return optionError("L2TTL", "is %v; it must be 0 (default), positive, or cache.NoTTL", o.L2TTL)
	case o.Timeout < 0:
		return optionError("Timeout", "is %v; it must be 0 (default) or positive", o.Timeout)
	case o.Lease.Wait < 0:
		return optionError("Lease.Wait", "is %v; it must be 0 (default) or positive", o.Lease.Wait)
	case o.Lease.Poll < 0:
		return optionError("Lease.Poll", "is %v; it must be 0 (default) or positive", o.Lease.Poll)
	}
	if o.Lease.Enabled && o.Store != nil {
		if _, ok := o.Store.(Leaser); !ok {
			return optionError("Lease.Enabled", "is set but the Store (%T) does not implement Leaser", o.Store)
		}
	}
	return o.Breaker.validate()
}

func (b *BreakerOptions) validate() error {
	switch {
	case b.Failures < 0:
		return optionError("Breaker.Failures", "is %d; it must be 0 (default) or positive", b.Failures)
	case !(b.Ratio >= 0 && b.Ratio <= 1):
		return optionError("Breaker.Ratio", "is %v; it must be in [0, 1] (0: default)", b.Ratio)
	case b.MinCalls < 0:
		return optionError("Breaker.MinCalls", "is %d; it must be 0 (default) or positive", b.MinCalls)
	case b.Window < 0:
		return optionError("Breaker.Window", "is %v; it must be 0 (default) or positive", b.Window)
	case b.OpenFor < 0:
		return optionError("Breaker.OpenFor", "is %v; it must be 0 (default) or positive", b.OpenFor)
	case b.Probes < 0:
		return optionError("Breaker.Probes", "is %d; it must be 0 (default) or positive", b.Probes)
	}
	return nil
}

// l1Options returns the options of the local tier New builds, defaults
// applied.
func (o *Options[K, V]) l1Options() cache.Options[K, V] {
	l1 := o.L1
	if l1.MaxEntries == 0 && l1.MaxWeight == 0 {
		l1.MaxEntries = DefaultL1Entries
	}
	if l1.TTL == 0 {
		l1.TTL = DefaultL1TTL
	}
	return l1
}

// leaseTimes returns the lease's Wait and Poll with their defaults applied.
func (o *Options[K, V]) leaseTimes() (wait, poll time.Duration) {
	wait, poll = o.Lease.Wait, o.Lease.Poll
	if wait == 0 {
		wait = DefaultLeaseWait
	}
	if poll == 0 {
		poll = DefaultLeasePoll
	}
	return wait, min(poll, wait)
}

// storeTTL returns the lifetime to give the store: L2TTL with its
// default applied, NoTTL as the store's 0.
func (o *Options[K, V]) storeTTL() time.Duration {
	switch o.L2TTL {
	case 0:
		return DefaultL2TTL
	case cache.NoTTL:
		return 0
	}
	return o.L2TTL
}
