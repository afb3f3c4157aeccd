package benchmarks

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"
	"unsafe"

	"github.com/VictoriaMetrics/fastcache"
	"github.com/allegro/bigcache/v3"
	"github.com/coocood/freecache"
	"github.com/maypok86/otter/v2"

	cache "github.com/stratacache/cache"
	"github.com/stratacache/cache/bytecache"
	"github.com/stratacache/cache/codec"
)

// ByteCache is the adapter of the GC-free comparison: byte values, as the
// pointer-free caches take them, and keys in the form each cache's API
// takes (see Key). Get returns the value, appended to dst where the
// cache's API allows (the object caches return the slice they hold); Set
// stores value, copying it where the cache keeps the caller's slice,
// since the harness reuses its buffer.
type ByteCache interface {
	Get(dst []byte, key Key) ([]byte, bool)
	Set(key Key, value []byte)
	Close()
}

// A Key is one key of the comparison in the two forms the caches take: B
// for the caches whose API takes []byte keys, S (the same bytes) for
// those that take strings. The keys are strings; a service holds
// its keys in the form its cache takes, so no cache pays a conversion in
// the timed loop that its users would not.
type Key struct {
	B []byte
	S string
}

// KeyText is the text of the keys a run of operations uses, built before
// the run: the key at position p is bytes [p*KeyLen, (p+1)*KeyLen) of
// one buffer that never changes afterwards, so that Key.S can view it
// without a copy and a cache may keep it.
type KeyText struct {
	text []byte
	mask uint64
}

// NewKeyText writes the keys of the indexes in ids (a power-of-two count).
func NewKeyText(ids []uint64) *KeyText {
	t := &KeyText{text: make([]byte, len(ids)*KeyLen), mask: uint64(len(ids) - 1)}
	var k [KeyLen]byte
	for i, id := range ids {
		PutKey(&k, id)
		copy(t.text[i*KeyLen:], k[:])
	}
	return t
}

// At returns the key at position p modulo the count.
func (t *KeyText) At(p uint64) Key {
	o := (p & t.mask) * KeyLen
	b := t.text[o : o+KeyLen : o+KeyLen]
	return Key{B: b, S: unsafe.String(&b[0], KeyLen)}
}

// Len returns the count of keys.
func (t *KeyText) Len() int { return int(t.mask + 1) }

// ByteImpl builds one cache of the GC-free comparison sized to hold n
// entries of KeyLen-byte keys and ValueLen-byte values.
type ByteImpl struct {
	Name  string
	Notes string
	New   func(n int) ByteCache
}

// The entry shape of the GC-free comparison, as in the figures.
const (
	KeyLen   = 16
	ValueLen = 64
)

// slack is the room byte-bounded caches get beyond n entries of their own
// per-entry size: shards fill unevenly, so a cache sized exactly would
// evict a few of the n entries it should hold.
const slack = 1.05

func bytesFor(n, perEntry int) int { return int(float64(n) * float64(perEntry) * slack) }

// bigcacheEntry is what an entry takes in bigcache's queue: its 18-byte
// header (timestamp, hash, key length), the key and value, and the
// queue's 4-byte length prefix.
const bigcacheEntry = 18 + KeyLen + ValueLen + 4

// ByteImpls returns the caches of the GC-free comparison, Strata's first.
func ByteImpls() []ByteImpl {
	return []ByteImpl{
		{Name: "strata-gcfree", Notes: "`bytecache.New[string, []byte](Options{MaxBytes, Codec: codec.Raw})`: the typed cache; " +
			"MaxBytes = 1.05 × n × `EntrySize(16, h+64)`, h what it stores beside each value (" + strconv.Itoa(typedValueExtra) +
			" byte(s): the codec's header, format and value type, is kept once per cache); Get is `GetInto` the caller's buffer " +
			"(`Get`, which returns a fresh []byte, costs one allocation more: see docs/gcfree.md).",
			New: newGCFreeTypedInto},
		{Name: "strata-gcfree-bytes", Notes: "`bytecache.NewStore(StoreOptions{MaxBytes})`, the byte store under it: " +
			"MaxBytes = 1.05 × n × `EntrySize(16, 64)`; Get is `AppendGet` into the caller's buffer.",
			New: newGCFreeStore},
		{Name: "freecache", Notes: "freecache v1.2.7, `NewCache(1.05 × n × (24+16+64))`; Get is `GetWithBuf` into the caller's buffer.",
			New: newFreecacheBytes},
		{Name: "fastcache", Notes: "fastcache v1.13.2, `New(1.05 × n × (4+16+64))` (at least its 32 MiB minimum); " +
			"its chunks are allocated off the Go heap (mmap); Get appends to the caller's buffer.",
			New: newFastcache},
		{Name: "bigcache", Notes: "bigcache v3.1.0, `Config{Shards: 1024, LifeWindow: 1h, HardMaxCacheSize: ⌈1.05 × n × (18+16+64+4)⌉ MiB, " +
			"MaxEntrySize: 80, MaxEntriesInWindow: n}`; Get returns a copy.",
			New: newBigcache},
		{Name: "otter", Notes: "otter v2 `Cache[string, []byte]` with `MaximumSize: n`; Set stores a copy of the value, Get returns the stored slice.",
			New: newOtterBytes},
		{Name: "strata", Notes: "the object cache, `cache.New[string, []byte](Options{MaxEntries: n})`; Set stores a copy of the value, " +
			"Get returns the stored slice.",
			New: newStrataBytes},
	}
}

// extraByteImpls are variants the side-by-side benchmark can name but
// the suite does not run.
func extraByteImpls() []ByteImpl {
	return []ByteImpl{
		{Name: "strata-gcfree-get", Notes: "strata-gcfree read with `Get`, which returns a fresh []byte.", New: newGCFreeTyped},
	}
}

// LookupByte returns the ByteImpl called name.
func LookupByte(name string) (ByteImpl, bool) {
	for _, im := range append(ByteImpls(), extraByteImpls()...) {
		if im.Name == name {
			return im, true
		}
	}
	return ByteImpl{}, false
}

type gcfreeTyped struct {
	c *bytecache.Cache[string, []byte]
}

func newGCFreeTyped(n int) ByteCache {
	c, err := bytecache.New(bytecache.Options[string, []byte]{
		MaxBytes: int64(bytesFor(n, bytecache.EntrySize(KeyLen, typedValueExtra+ValueLen, false))),
		Codec:    codec.Raw[[]byte](),
	})
	if err != nil {
		panic(err)
	}
	return gcfreeTyped{c}
}

func (g gcfreeTyped) Get(_ []byte, key Key) ([]byte, bool) { return g.c.Get(key.S) }

// gcfreeTypedInto reads with GetInto, into the harness's buffer.
type gcfreeTypedInto struct{ gcfreeTyped }

func newGCFreeTypedInto(n int) ByteCache { return gcfreeTypedInto{newGCFreeTyped(n).(gcfreeTyped)} }

func (g gcfreeTypedInto) Get(dst []byte, key Key) ([]byte, bool) {
	ok := g.c.GetInto(key.S, &dst)
	return dst, ok
}
func (g gcfreeTyped) Set(key Key, value []byte) { _ = g.c.Set(key.S, value) }
func (g gcfreeTyped) Close()                    { g.c.Close() }

type gcfreeStore struct{ s *bytecache.Store }

func newGCFreeStore(n int) ByteCache {
	s, err := bytecache.NewStore(bytecache.StoreOptions{MaxBytes: int64(bytesFor(n, bytecache.EntrySize(KeyLen, ValueLen, false)))})
	if err != nil {
		panic(err)
	}
	return gcfreeStore{s}
}

func (g gcfreeStore) Get(dst []byte, key Key) ([]byte, bool) { return g.s.AppendGet(dst, key.S) }
func (g gcfreeStore) Set(key Key, value []byte)              { g.s.Set(key.S, value) }
func (g gcfreeStore) Close()                                 { g.s.Close() }

type freecacheBytes struct{ c *freecache.Cache }

func newFreecacheBytes(n int) ByteCache {
	return freecacheBytes{freecache.NewCache(bytesFor(n, 24+KeyLen+ValueLen))}
}

func (f freecacheBytes) Get(dst []byte, key Key) ([]byte, bool) {
	v, err := f.c.GetWithBuf(key.B, dst[:0:cap(dst)])
	return v, err == nil
}
func (f freecacheBytes) Set(key Key, value []byte) { _ = f.c.Set(key.B, value, 0) }
func (f freecacheBytes) Close()                    { f.c.Clear() }

type fastcacheBytes struct{ c *fastcache.Cache }

func newFastcache(n int) ByteCache {
	return fastcacheBytes{fastcache.New(bytesFor(n, 4+KeyLen+ValueLen))}
}

func (f fastcacheBytes) Get(dst []byte, key Key) ([]byte, bool) { return f.c.HasGet(dst, key.B) }
func (f fastcacheBytes) Set(key Key, value []byte)              { f.c.Set(key.B, value) }
func (f fastcacheBytes) Close()                                 { f.c.Reset() }

type bigcacheBytes struct{ c *bigcache.BigCache }

func newBigcache(n int) ByteCache {
	cfg := bigcache.DefaultConfig(time.Hour)
	cfg.CleanWindow = 0
	cfg.Verbose = false
	cfg.MaxEntrySize = KeyLen + ValueLen
	cfg.MaxEntriesInWindow = n
	// Its bound is whole MiB split over the shards; its default 1024
	// shards suit a million entries, so small tests get fewer.
	for cfg.Shards > 16 && n/cfg.Shards < 1000 {
		cfg.Shards /= 2
	}
	cfg.HardMaxCacheSize = (bytesFor(n, bigcacheEntry) + 1<<20 - 1) >> 20
	c, err := bigcache.New(context.Background(), cfg)
	if err != nil {
		panic(err)
	}
	return bigcacheBytes{c}
}

func (b bigcacheBytes) Get(_ []byte, key Key) ([]byte, bool) {
	v, err := b.c.Get(key.S)
	return v, err == nil
}
func (b bigcacheBytes) Set(key Key, value []byte) { _ = b.c.Set(key.S, value) }
func (b bigcacheBytes) Close()                    { _ = b.c.Close() }

type otterBytes struct{ c *otter.Cache[string, []byte] }

func newOtterBytes(n int) ByteCache {
	c, err := otter.New(&otter.Options[string, []byte]{MaximumSize: n})
	if err != nil {
		panic(err)
	}
	return otterBytes{c}
}

func (o otterBytes) Get(_ []byte, key Key) ([]byte, bool) { return o.c.GetIfPresent(key.S) }
func (o otterBytes) Set(key Key, value []byte)            { o.c.Set(key.S, bytes.Clone(value)) }
func (o otterBytes) Close() {
	o.c.InvalidateAll()
	o.c.StopAllGoroutines()
}

type strataBytes struct{ c *cache.Cache[string, []byte] }

func newStrataBytes(n int) ByteCache {
	c, err := cache.New(cache.Options[string, []byte]{MaxEntries: n})
	if err != nil {
		panic(err)
	}
	return strataBytes{c}
}

func (s strataBytes) Get(_ []byte, key Key) ([]byte, bool) { return s.c.Get(key.S) }
func (s strataBytes) Set(key Key, value []byte)            { s.c.Set(key.S, bytes.Clone(value)) }
func (s strataBytes) Close()                               { s.c.Close() }

// PutKey writes the KeyLen-byte key of index i into b: "k" and 15 hex
// digits, so keys are distinct and fixed-length.
func PutKey(b *[KeyLen]byte, i uint64) {
	const hex = "0123456789abcdef"
	b[0] = 'k'
	for j := KeyLen - 1; j >= 1; j-- {
		b[j] = hex[i&15]
		i >>= 4
	}
}

// PutValue fills v (ValueLen bytes) with a pattern of i, so a reader can
// tell which write it sees.
func PutValue(v []byte, i uint64) {
	for j := range v {
		v[j] = byte(i >> (8 * (j % 8)))
	}
}

// checkValue reports whether v is a whole value written by PutValue.
func checkValue(v []byte) error {
	if len(v) != ValueLen {
		return fmt.Errorf("value of %d bytes, want %d", len(v), ValueLen)
	}
	for j := 8; j < len(v); j++ {
		if v[j] != v[j%8] {
			return fmt.Errorf("value %x is not a whole value", v)
		}
	}
	return nil
}

// typedValueExtra is what the typed cache stores beside each value's
// own bytes with codec.Raw (the codec's header, or the mark that stands
// for it), counted in its MaxBytes: measured by storing one value.
var typedValueExtra = func() int {
	c, err := bytecache.New(bytecache.Options[string, []byte]{Codec: codec.Raw[[]byte]()})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	if err := c.Set("k", make([]byte, ValueLen)); err != nil {
		panic(err)
	}
	return int(c.Stats().Weight) - bytecache.EntrySize(1, ValueLen, false)
}()
