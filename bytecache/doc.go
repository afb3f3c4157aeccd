// Package bytecache is Strata's GC-free tier: a cache whose entries live in
// large byte slabs instead of as Go objects, so that tens of millions of
// entries cost the garbage collector almost nothing to scan.
//
// Two types are built on the same engine:
//
//   - [Store] maps string keys to byte values. It is bounded by bytes,
//     sharded, expires entries on time and evicts with S3-FIFO. It is the
//     engine behind multilevel.GCFreeStore, the L2 of a hybrid cache.
//   - [Cache] is typed: keys are encoded to strings (defaults for string
//     and integer kinds), values go through a codec (msgpack by default),
//     and it offers Get, Set, Delete, GetOrLoad with coalesced loads,
//     OnEvict and Stats like the object cache. Its Stats make it a
//     metrics.Source for the Prometheus and OpenTelemetry collectors.
//
// # How entries are stored
//
// Each shard keeps its entries as records (a 7-byte header, an optional
// 8-byte deadline, the key, the value) appended to two rings of 1 MiB
// chunks: a small ring for new keys and a main ring for keys read again.
// An index of uint64 slots (a hash tag and the record's position) finds
// them; it holds no pointer. The whole store has a few pointers per
// shard, so a GC cycle's mark work does not grow with the entries.
//
// # Safety
//
// Reads copy the value out (Get allocates the copy, AppendGet appends it
// to your buffer, Cache decodes from a pooled buffer once the copy is
// done, and Cache.GetInto copies a raw value into yours), so no value a
// caller holds aliases memory that a later write reuses. They take no
// lock: the copy is made between two loads of the shard's version number,
// which every write makes odd while it changes the shard, and is made
// again if a write came between (after a few tries a read takes the
// shard's lock, so it always finishes); a torn copy is
// never returned. A record is found only by comparing
// its whole key, so bytes of another key are never decoded as yours. A
// Cache's store is its own, written only with its codec: each value is a
// one-byte mark and the codec's body, and the codec's header (format and
// value type) is kept once per Cache and put back before Unmarshal, which
// checks it and the body as for any bytes. A value without the mark is a
// decode error, never decoded.
//
// # Costs
//
// A hit costs a hash, one or two index probes and a copy, plus a
// decode in Cache; a write costs a copy into the ring (an encode first in
// Cache) and, when the ring is full, the eviction of about as many bytes.
// Overwriting a key with a value of the same size rewrites its record in
// place. Removed and overwritten records leave their bytes in the ring
// until its head passes them, so churn of varied sizes uses part of
// MaxBytes for garbage. Expired entries are never returned, and are
// removed when read or when the ring's head reaches them; until then they
// count in Len. See docs/gcfree.md for when to choose it and measurements.
package bytecache
