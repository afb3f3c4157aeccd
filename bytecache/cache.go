package bytecache

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/codec"
	"github.com/stratacache/cache/internal/keyenc"
)

// Options configures a Cache. The zero value is valid for keys of string
// and integer kinds: a 64 MiB cache without expiry whose values are
// msgpack-encoded.
type Options[K comparable, V any] struct {
	// MaxBytes, Shards and TTL are as in StoreOptions. MaxBytes counts
	// the encoded keys and values: with a codec of package codec, each
	// value is its body and one byte, as the codec's header (which records
	// the value type) is kept once per Cache; with another codec, all of
	// Marshal's output.
	MaxBytes int64
	Shards   int
	TTL      time.Duration

	// Codec turns values into the bytes the slabs hold; nil means
	// codec.Default (msgpack). codec.Raw suits []byte and string values;
	// with it the cache copies values in and out of the slabs itself, so
	// a Get allocates only the value it returns and a Set nothing.
	Codec codec.Codec[V]

	// EncodeKey turns a key into the string the store indexes. nil means
	// the default for keys of a string kind (the string itself) and of
	// an integer kind (decimal); New fails for other key types without it.
	EncodeKey func(key K) string

	// DecodeKey inverts EncodeKey, for OnEvict, which is given keys the
	// store kept as bytes. It is required with EncodeKey and OnEvict.
	DecodeKey func(s string) (K, error)

	// OnEvict, if set, is called for every entry that leaves the cache,
	// with a decoded copy of its key and value and the reason, after the
	// shard's lock is released, on the goroutine that removed it. Each
	// removal then costs a copy and a decode.
	OnEvict func(key K, value V, reason cache.Reason)

	// Load is the default loader of GetOrLoad. nil means GetOrLoad needs
	// a loader of its own.
	Load func(ctx context.Context, key K) (V, error)

	// LoadTimeout bounds each load; 0 means no bound beyond Close.
	LoadTimeout time.Duration

	// Clock supplies the time for expiry and load timing; nil means the
	// system clock.
	Clock cache.Clock
}

// ErrTooLarge is returned by Set for an entry larger than the store's
// MaxEntrySize, which is not stored.
var ErrTooLarge = errors.New("bytecache: entry too large for a shard")

// Cache is a typed cache over a GC-free Store: values go through a codec
// into the store's slabs and come back decoded, so the garbage collector
// never sees them while they are cached. Each Get decodes a fresh V, which
// shares no memory with the store. It is safe for concurrent use; make one
// with New and Close it when done.
//
// Choose it over the object cache (cache.New) for millions of entries in
// a program whose GC pauses or CPU matter; it trades a decode per hit and
// an encode per write for a heap the collector scans in microseconds.
type Cache[K comparable, V any] struct {
	s       *Store
	codec   codec.Codec[V]
	enc     func(K) string
	dec     func(string) (K, error)
	clock   cache.Clock
	load    cache.Loader[K, V]
	timeout time.Duration
	scratch sync.Pool  // *[]byte: values are copied out, then decoded
	raw     *rawLayout // set for a raw codec: values skip the codec
	hdr     []byte     // the codec's header (codec.HeaderOf), nil for a codec of another package
	loads   loadGroup[K, V]

	decodeErrors atomic.Uint64
	// badHits counts the Gets that found bytes that did not decode: the
	// store counted hits, the caller saw misses, and Stats says so.
	badHits atomic.Uint64
}

// New returns an empty Cache configured by opts, or an error beginning
// "bytecache:" that names the offending field.
func New[K comparable, V any](opts Options[K, V]) (*Cache[K, V], error) {
	c := &Cache[K, V]{codec: opts.Codec, enc: opts.EncodeKey, dec: opts.DecodeKey, clock: opts.Clock, timeout: opts.LoadTimeout}
	if c.codec == nil {
		c.codec = codec.Default[V]()
	}
	c.hdr, _ = codec.HeaderOf(c.codec)
	c.raw = newRawLayout(c.codec)
	switch {
	case opts.LoadTimeout < 0:
		return nil, optionError("Options.LoadTimeout", "is %v; it must be 0 (none) or positive", opts.LoadTimeout)
	case opts.EncodeKey == nil && opts.DecodeKey != nil:
		return nil, optionError("Options.DecodeKey", "is set without Options.EncodeKey; give both or neither")
	}
	if c.enc == nil {
		enc, dec, ok := keyenc.Defaults[K]()
		if !ok {
			return nil, optionError("Options.EncodeKey", "is nil and %v keys have no default encoding (only string and integer kinds do)",
				reflect.TypeFor[K]())
		}
		c.enc, c.dec = enc, dec
	}
	if opts.OnEvict != nil && c.dec == nil {
		return nil, optionError("Options.DecodeKey", "is nil but Options.OnEvict is set with a custom EncodeKey; OnEvict needs keys decoded")
	}
	if opts.Load != nil {
		c.load = cache.LoaderFunc[K, V](opts.Load)
	}
	so := StoreOptions{MaxBytes: opts.MaxBytes, Shards: opts.Shards, TTL: opts.TTL, Clock: opts.Clock}
	if opts.OnEvict != nil {
		so.OnEvict = c.onEvict(opts.OnEvict)
	}
	s, err := NewStore(so)
	if err != nil {
		return nil, err
	}
	c.s = s
	c.scratch.New = func() any { return new([]byte) }
	c.loads.init()
	return c, nil
}

// onEvict adapts the user's hook to the store's: it decodes key and
// value, and skips (counting a decode error) what does not decode.
func (c *Cache[K, V]) onEvict(hook func(K, V, cache.Reason)) func(string, []byte, cache.Reason) {
	return func(key string, value []byte, reason cache.Reason) {
		k, err := c.dec(key)
		if err != nil {
			c.decodeErrors.Add(1)
			return
		}
		v, err := c.decodeStored(value)
		if err != nil {
			c.decodeErrors.Add(1)
			return
		}
		hook(k, v, reason)
	}
}

// Get returns the value of key and whether it was there and not expired.
// It costs a Store.AppendGet into a pooled buffer (no lock), then a
// decode; with a raw codec, a copy straight into a new value. A key
// converted for the call, Get(string(b)), is copied to the heap: the
// compiler must assume EncodeKey keeps it. Store.AppendGet does not copy
// such a key.
// Bytes that do not decode (a custom codec that disagrees with itself)
// are removed and counted in DecodeErrors; Get then misses, and Stats
// counts a miss.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	var v V
	ok := c.get(key, &v, false)
	return v, ok
}

// GetInto is Get for a caller that reuses one value across reads. With
// codec.Raw and a V of byte-slice kind, a hit copies the value into the
// memory of *dst, which it sets to the value: (*dst)[:0] with the bytes
// appended, grown only if its capacity is short. A hit then makes no
// allocation, and *dst is yours as before: the store never refers to it.
// The value read last replaces the one before it, so keep a copy of a
// value you need beyond the next GetInto into the same dst. With other
// codecs or V, a hit sets *dst to the value Get would return. On a miss
// *dst is left as it was. It reports what Get reports.
func (c *Cache[K, V]) GetInto(key K, dst *V) bool {
	return c.get(key, dst, true)
}

// get is Get and GetInto: it sets *dst on a hit, reusing its memory if
// reuse is set and the raw layout allows it.
func (c *Cache[K, V]) get(key K, dst *V, reuse bool) bool {
	k := c.enc(key)
	if c.raw != nil {
		if ok, done := c.getRaw(k, dst, reuse); done {
			return ok
		}
	}
	bp := c.scratch.Get().(*[]byte)
	b, ok := c.s.AppendGet(c.headPrefix((*bp)[:0]), k)
	var v V
	var err error
	restored := false
	switch {
	case !ok:
	case !c.restoreHeader(b):
		err = errNoMark
	default:
		restored = true
		v, err = c.codec.Unmarshal(b)
	}
	if ok && err != nil {
		c.decodeErrors.Add(1)
		c.badHits.Add(1)
		c.dropStored(k, b, restored)
		ok = false
	}
	*bp = b
	c.scratch.Put(bp)
	if ok {
		*dst = v
	}
	return ok
}

// dropStored removes the value of k that Get read into b (headPrefix, then
// the value, its mark turned into the header's last byte if restored) and
// failed to decode. Only those bytes: a write that replaced them since Get
// read them is kept.
func (c *Cache[K, V]) dropStored(k string, b []byte, restored bool) {
	if c.hdr != nil {
		b = b[len(c.hdr)-1:]
		if restored {
			b[0] = recordMark
		}
	}
	c.s.CompareAndDelete(k, b)
}

// Set stores value under key with the default TTL. It returns the
// codec's error if value does not encode, ErrTooLarge (the value is also
// reported to OnEvict as evicted for capacity) if the entry exceeds
// MaxEntrySize, and cache.ErrClosed after Close; nothing is stored then.
// It costs an encode, which allocates, and a copy into the slabs (with a
// raw codec, only the copy).
func (c *Cache[K, V]) Set(key K, value V) error { return c.SetWithTTL(key, value, 0) }

// SetWithTTL is Set with a lifetime of its own: 0 means the default TTL,
// cache.NoTTL no expiry, and a negative ttl deletes the key.
func (c *Cache[K, V]) SetWithTTL(key K, value V, ttl time.Duration) error {
	if c.raw != nil {
		k := c.enc(key)
		c.loads.invalidate(k)
		stored, size := c.setRaw(k, value, ttl)
		return c.setError(k, stored, size, ttl)
	}
	b, err := c.encode(value)
	if err != nil {
		return err
	}
	k := c.enc(key)
	c.loads.invalidate(k)
	return c.setError(k, c.s.SetWithTTL(k, b, ttl), len(b), ttl)
}

// setError returns the error of a Set of size encoded bytes under k that
// stored them or did not.
func (c *Cache[K, V]) setError(k string, stored bool, size int, ttl time.Duration) error {
	if stored {
		return nil
	}
	if c.s.closed.Load() {
		return cache.ErrClosed
	}
	return fmt.Errorf("%w: %d bytes with its %d-byte key, at most %d", ErrTooLarge,
		EntrySize(len(k), size, ttl != cache.NoTTL && (ttl > 0 || c.s.ttl > 0)), len(k), c.s.MaxEntrySize())
}

// Delete removes key and reports whether a live entry was there.
func (c *Cache[K, V]) Delete(key K) bool {
	k := c.enc(key)
	c.loads.invalidate(k)
	return c.s.Delete(k)
}

// Len returns the number of entries, expired ones included until they
// are removed.
func (c *Cache[K, V]) Len() int { return c.s.Len() }

// Stats returns the counters of the store and of the loads; Weight is
// the bytes the entries take in the slabs. LoadBuckets stays zero.
func (c *Cache[K, V]) Stats() cache.Stats {
	st := c.s.Stats()
	bad := min(c.badHits.Load(), st.Hits)
	st.Hits -= bad
	st.Misses += bad
	c.loads.addStats(&st)
	return st
}

// DecodeErrors returns how many stored values or keys failed to decode
// (in Get or for OnEvict) and were dropped.
func (c *Cache[K, V]) DecodeErrors() uint64 { return c.decodeErrors.Load() }

// Clear removes every entry, reporting each to OnEvict with
// ReasonCleared. A load in progress then stores nothing, as after a
// Delete of its key.
func (c *Cache[K, V]) Clear() {
	c.loads.invalidateAll()
	c.s.Clear()
}

// Close cancels the loads in progress and releases their callers with
// cache.ErrClosed, without waiting for the loaders to return (a loader
// that returns later stores nothing); it removes every entry (reported as
// ReasonCleared) and releases the slabs. Later writes return
// cache.ErrClosed and later reads miss. It is idempotent, and a loader may
// call it.
func (c *Cache[K, V]) Close() {
	c.loads.close()
	c.s.Close()
}
