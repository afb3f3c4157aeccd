package cache

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"time"
	"unsafe"

	"github.com/stratacache/cache/codec"
	"github.com/stratacache/cache/eviction"
	"github.com/stratacache/cache/shard"
)

// The snapshot layout (docs/snapshot.md has the full table):
//
//	header   magic (8) | version (2, big-endian) | key format (1) |
//	         value format (1) | saved at, Unix ns (8, big-endian)
//	types    key type | value type, each: fingerprint (8, big-endian) |
//	         uvarint schema | uvarint name length | name; since version 4
//	learned  tagLearned | uvarint length | what the policy learned
//	         (eviction.Learner); optional, since version 3
//	records  tagRecord | uvarint key length | key | uvarint value length |
//	         value | uvarint remaining TTL ns (0: none) | uvarint age ns |
//	         uvarint rank | uvarint frequency (the last two since version 2);
//	         keys and values without their codec headers since version 4
//	trailer  tagEnd | record count (8, big-endian) |
//	         CRC-32C of every byte before it (4, big-endian)
const (
	snapshotMagic   = "\x89STRSNP\n"
	snapshotVersion = 4
	// snapshotTyped is the first version that records the key and value
	// types; earlier ones load only with SnapshotOptions.AllowUntyped.
	snapshotTyped = 4
	// snapshotV1 records lack rank and frequency; this build still loads
	// them, ordered by write time as before. Version 2 is version 3
	// without the learned record.
	snapshotV1 = 1
	headerLen  = len(snapshotMagic) + 2 + 1 + 1 + 8
	trailerLen = 1 + 8 + 4
	tagEnd     = 0
	tagRecord  = 1
	tagLearned = 2
	// maxLearned bounds the learned record, far above what any policy
	// writes (10 bytes today), so a crafted length cannot pass for one.
	maxLearned = 64
	// maxTypeName bounds a recorded type name, as codec headers do.
	maxTypeName = 255
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapWriter writes through a buffer, keeping the running checksum and
// size, and remembers the first error so callers check once.
type snapWriter struct {
	w   *bufio.Writer
	crc uint32
	n   int64
	err error
}

func (sw *snapWriter) write(b []byte) {
	if sw.err != nil {
		return
	}
	sw.crc = crc32.Update(sw.crc, castagnoli, b)
	sw.n += int64(len(b))
	_, sw.err = sw.w.Write(b)
}

func saveSnapshot[K comparable, V any](c *core[K, V], w io.Writer, opts SnapshotOptions) (SnapshotInfo, error) {
	if err := opts.validate(); err != nil {
		return SnapshotInfo{}, err
	}
	kc, err := newSnapshotCodec[K](opts.KeyFormat, "KeyFormat", &opts, nil)
	if err != nil {
		return SnapshotInfo{}, err
	}
	vc, err := newSnapshotCodec[V](opts.ValueFormat, "ValueFormat", &opts, nil)
	if err != nil {
		return SnapshotInfo{}, err
	}
	if c.closed.Load() {
		return SnapshotInfo{}, fmt.Errorf("cache: snapshot: save: %w", ErrClosed)
	}
	info := SnapshotInfo{SavedAt: c.wall()}
	sw := &snapWriter{w: bufio.NewWriterSize(w, 64<<10)}
	rec := make([]byte, 0, 256)
	rec = append(rec, snapshotMagic...)
	rec = binary.BigEndian.AppendUint16(rec, snapshotVersion)
	rec = append(rec, byte(kc.Format()), byte(vc.Format()))
	rec = binary.BigEndian.AppendUint64(rec, uint64(info.SavedAt.UnixNano()))
	rec = appendType(rec, kc.typ)
	rec = appendType(rec, vc.typ)
	sw.write(rec)
	if learned, ok := c.shards[0].AppendLearned(nil); ok {
		// The shards of one cache learn together (eviction.Group), so
		// the first speaks for all.
		rec = append(rec[:0], tagLearned)
		rec = binary.AppendUvarint(rec, uint64(len(learned)))
		sw.write(append(rec, learned...))
	}

	var buf []shard.State[K, V]
	for _, s := range c.shards {
		buf = s.AppendState(buf[:0])
		for i := range buf {
			e := &buf[i]
			kb, err := kc.body(kc.Marshal(e.Key))
			if err != nil {
				return info, fmt.Errorf("cache: snapshot: save: key %v: %w", e.Key, err)
			}
			vb, err := vc.body(vc.Marshal(e.Value))
			if err != nil {
				return info, fmt.Errorf("cache: snapshot: save: value of key %v: %w", e.Key, err)
			}
			rec = append(rec[:0], tagRecord)
			rec = binary.AppendUvarint(rec, uint64(len(kb)))
			rec = append(rec, kb...)
			rec = binary.AppendUvarint(rec, uint64(len(vb)))
			rec = append(rec, vb...)
			rec = binary.AppendUvarint(rec, uint64(e.TTL))
			rec = binary.AppendUvarint(rec, uint64(e.Age))
			rec = binary.AppendUvarint(rec, uint64(e.Rank))
			rec = binary.AppendUvarint(rec, uint64(e.Frequency))
			sw.write(rec)
			if sw.err != nil {
				return info, fmt.Errorf("cache: snapshot: save: write: %w", sw.err)
			}
			info.Entries++
		}
		clear(buf) // let the copied values go before the next shard
	}
	rec = append(rec[:0], tagEnd)
	rec = binary.BigEndian.AppendUint64(rec, uint64(info.Entries))
	sw.write(rec)
	sw.write(binary.BigEndian.AppendUint32(rec[:0], sw.crc))
	if sw.err == nil {
		sw.err = sw.w.Flush()
	}
	info.Bytes = sw.n
	if sw.err != nil {
		return info, fmt.Errorf("cache: snapshot: save: write: %w", sw.err)
	}
	return info, nil
}

// loaded is one decoded record.
type loaded[K comparable, V any] struct {
	key   K
	value V
	ttl   int64  // remaining at save time; 0: none
	age   int64  // since the last write, at save time
	rank  uint32 // coldest 0, in units of 1/shard.RankScale of its shard; 0 in version 1
	freq  uint8  // the policy's frequency estimate; 0 in version 1
}

func loadSnapshot[K comparable, V any](c *core[K, V], r io.Reader, opts SnapshotOptions) (SnapshotInfo, error) {
	if err := opts.validate(); err != nil {
		return SnapshotInfo{}, err
	}
	if _, err := newSnapshotCodec[K](opts.KeyFormat, "KeyFormat", &opts, nil); err != nil {
		return SnapshotInfo{}, err
	}
	if _, err := newSnapshotCodec[V](opts.ValueFormat, "ValueFormat", &opts, nil); err != nil {
		return SnapshotInfo{}, err
	}
	limit := opts.maxBytes()
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("cache: snapshot: load: read: %w", err)
	}
	if int64(len(data)) > limit {
		return SnapshotInfo{}, tooLarge(limit)
	}
	recs, learned, savedAt, err := decodeSnapshot[K, V](data, &opts)
	if err != nil {
		return SnapshotInfo{}, err
	}
	if c.closed.Load() {
		return SnapshotInfo{}, fmt.Errorf("cache: snapshot: load: %w", ErrClosed)
	}
	info := SnapshotInfo{Bytes: int64(len(data)), SavedAt: savedAt}
	elapsed := max(c.wall().Sub(savedAt), 0) // a clock set back counts as no time
	sortForLoad(recs)
	// Frequencies are restored relative to the snapshot's median: a key
	// used as often as the typical saved entry starts as a new key would,
	// hotter ones keep their lead. Without counts TinyLFU would admit
	// the coldest entries (stored first) against the hottest; full counts
	// would let every saved entry beat the keys the old cache had just
	// evicted (docs/snapshot.md).
	base := medianFreq(recs)
	for i := range recs {
		e := &recs[i]
		if int(e.freq) > base {
			h := c.hasher.Hash(e.key)
			c.shardFor(h).RaiseFrequency(h, int(e.freq)-base)
		}
		ttl := NoTTL
		if e.ttl != 0 {
			ttl = time.Duration(e.ttl) - elapsed
			if ttl <= 0 {
				info.Expired++
				continue
			}
		}
		// The gap since the save counts towards the write age too.
		c.restore(e.key, e.value, ttl, min(e.age, maxRestoredAge)+min(int64(elapsed), maxRestoredAge))
		info.Entries++
	}
	// What the policy learned goes in after the entries: storing them
	// closes sample periods of the policy's own, which would decide afresh
	// on no evidence.
	if learned != nil {
		for _, s := range c.shards {
			if err := s.Learn(learned); err != nil {
				// decodeSnapshot checked the encoding; a policy of
				// another algorithm learns nothing from it.
				break
			}
		}
	}
	return info, nil
}

// maxRestoredAge caps each part of a loaded entry's write age: far beyond
// any RefreshAfter, and small enough that clock readings added to their
// sum cannot overflow.
const maxRestoredAge = 1 << 61

// restore is set for a snapshot's entry, written age nanoseconds ago.
func (c *core[K, V]) restore(key K, value V, ttl time.Duration, age int64) {
	w := c.weigh(key, value)
	h := c.hasher.Hash(key)
	life := c.lifetimeOf(key, value, ttl)
	removed := c.shardFor(h).Restore(key, h, value, w, life, age)
	c.afterWrite(life, &removed)
}

// decodeSnapshot checks all of data and decodes its records, touching no
// cache. Every error wraps ErrBadSnapshot. The memory the records take is
// bounded by opts.MaxDecodeBytes, or its default for len(data).
func decodeSnapshot[K comparable, V any](data []byte, opts *SnapshotOptions) (recs []loaded[K, V], learned []byte, savedAt time.Time, err error) {
	n := len(data)
	budget := codec.NewBudget(opts.decodeBudget(n))
	kc, err := newSnapshotCodec[K](opts.KeyFormat, "KeyFormat", opts, budget)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	vc, err := newSnapshotCodec[V](opts.ValueFormat, "ValueFormat", opts, budget)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	switch {
	case n < len(snapshotMagic) && bytes.HasPrefix([]byte(snapshotMagic), data):
		return nil, nil, time.Time{}, badSnapshot("truncated: %d bytes, shorter than the header", n)
	case !bytes.HasPrefix(data, []byte(snapshotMagic)):
		return nil, nil, time.Time{}, badSnapshot("not a Strata snapshot: it starts % x, want % x",
			data[:min(n, len(snapshotMagic))], snapshotMagic)
	case n < len(snapshotMagic)+2:
		return nil, nil, time.Time{}, badSnapshot("truncated: %d bytes, shorter than the header", n)
	}
	version := binary.BigEndian.Uint16(data[len(snapshotMagic):])
	if version < snapshotV1 || version > snapshotVersion {
		return nil, nil, time.Time{}, badSnapshot("format version %d, this build reads versions %d to %d", version, snapshotV1, snapshotVersion)
	}
	if n < headerLen+trailerLen {
		return nil, nil, time.Time{}, badSnapshot("truncated: %d bytes, shorter than header and trailer (%d)", n, headerLen+trailerLen)
	}
	if stored, sum := binary.BigEndian.Uint32(data[n-4:]), crc32.Checksum(data[:n-4], castagnoli); stored != sum {
		return nil, nil, time.Time{}, badSnapshot("checksum mismatch: stored %08x, computed %08x (damaged or truncated)", stored, sum)
	}
	kf, vf := codec.Format(data[len(snapshotMagic)+2]), codec.Format(data[len(snapshotMagic)+3])
	if kf != kc.Format() || vf != vc.Format() {
		return nil, nil, time.Time{}, fmt.Errorf("cache: snapshot: saved with %v keys and %v values, SnapshotOptions ask for %v and %v: %w: %w",
			kf, vf, kc.Format(), vc.Format(), codec.ErrFormatMismatch, ErrBadSnapshot)
	}
	savedAt = time.Unix(0, int64(binary.BigEndian.Uint64(data[headerLen-8:])))

	end := n - trailerLen // where tagEnd must be
	count := binary.BigEndian.Uint64(data[end+1:])
	p := &parser{b: data[:end], pos: headerLen}
	if version >= snapshotTyped {
		kt, vt := p.typ(), p.typ()
		if p.err != nil {
			return nil, nil, time.Time{}, badSnapshot("types: %v", p.err)
		}
		if err := checkType("keys", kt, kc.typ); err != nil {
			return nil, nil, time.Time{}, err
		}
		if err := checkType("values", vt, vc.typ); err != nil {
			return nil, nil, time.Time{}, err
		}
	} else if !opts.AllowUntyped {
		return nil, nil, time.Time{}, fmt.Errorf("cache: snapshot: format version %d records no key or value types, so it cannot be checked to hold %s keys and %s values (SnapshotOptions.AllowUntyped loads it unchecked): %w: %w",
			version, kc.typ.Name, vc.typ.Name, codec.ErrFormatMismatch, ErrBadSnapshot)
	}
	// The count is checksummed but may still be crafted: trust it for a
	// capacity only as far as the bytes could hold (6 bytes per record),
	// and no further than a few pages; append grows the rest, and every
	// record is charged to the budget.
	recs = make([]loaded[K, V], 0, min(count, uint64(end-headerLen)/6, 4096))
	recSize := 3 * int64(unsafe.Sizeof(loaded[K, V]{})) // the record, and what append outgrows
	var kbuf, vbuf []byte
	if version >= 3 && p.pos < end && p.b[p.pos] == tagLearned {
		at := p.pos
		p.pos++
		learned = p.bytes()
		switch {
		case p.err != nil:
			return nil, nil, time.Time{}, badSnapshot("learned record: %v", p.err)
		case len(learned) > maxLearned:
			return nil, nil, time.Time{}, badSnapshot("learned record at offset %d: %d bytes, more than %d", at, len(learned), maxLearned)
		}
		if err := eviction.CheckLearned(learned); err != nil {
			return nil, nil, time.Time{}, fmt.Errorf("cache: snapshot: learned record: %w: %w", err, ErrBadSnapshot)
		}
	}
	for p.pos < end {
		i := len(recs)
		if tag := p.b[p.pos]; tag != tagRecord {
			return nil, nil, time.Time{}, badSnapshot("record %d at offset %d: tag %d, want %d", i, p.pos, tag, tagRecord)
		}
		p.pos++
		kb, vb := p.bytes(), p.bytes()
		ttl, age := p.uvarint(), p.uvarint()
		var rank, freq uint64
		if version >= 2 {
			rank, freq = p.uvarint(), p.uvarint()
		}
		if p.err != nil {
			return nil, nil, time.Time{}, badSnapshot("record %d: %v", i, p.err)
		}
		if ttl > 1<<63-1 || age > 1<<63-1 {
			return nil, nil, time.Time{}, badSnapshot("record %d: TTL %d or age %d out of range", i, ttl, age)
		}
		if !budget.Take(recSize) {
			return nil, nil, time.Time{}, fmt.Errorf("cache: snapshot: record %d: the records decoded so far take the whole budget of %d bytes (SnapshotOptions.MaxDecodeBytes): %w: %w",
				i, opts.decodeBudget(n), codec.ErrTooLarge, ErrBadSnapshot)
		}
		if version >= snapshotTyped {
			// Records store bodies; the codecs want their headers back.
			kbuf = append(append(kbuf[:0], kc.header...), kb...)
			vbuf = append(append(vbuf[:0], vc.header...), vb...)
			kb, vb = kbuf, vbuf
		}
		k, err := kc.Unmarshal(kb)
		if err != nil {
			return nil, nil, time.Time{}, fmt.Errorf("cache: snapshot: record %d: key: %w: %w", i, err, ErrBadSnapshot)
		}
		v, err := vc.Unmarshal(vb)
		if err != nil {
			return nil, nil, time.Time{}, fmt.Errorf("cache: snapshot: record %d: value: %w: %w", i, err, ErrBadSnapshot)
		}
		if rank >= shard.RankScale || freq > 255 {
			return nil, nil, time.Time{}, badSnapshot("record %d: rank %d or frequency %d out of range", i, rank, freq)
		}
		recs = append(recs, loaded[K, V]{k, v, int64(ttl), int64(age), uint32(rank), uint8(freq)})
	}
	if data[end] != tagEnd {
		return nil, nil, time.Time{}, badSnapshot("trailer at offset %d: tag %d, want %d", end, data[end], tagEnd)
	}
	if count != uint64(len(recs)) {
		return nil, nil, time.Time{}, badSnapshot("trailer counts %d records, the snapshot holds %d", count, len(recs))
	}
	return recs, learned, savedAt, nil
}

// appendType appends the record of a key or value type to b.
func appendType(b []byte, t codec.Type) []byte {
	b = binary.BigEndian.AppendUint64(b, t.Fingerprint)
	b = binary.AppendUvarint(b, uint64(t.Schema))
	b = binary.AppendUvarint(b, uint64(len(t.Name)))
	return append(b, t.Name...)
}

// typ reads a type written by appendType.
func (p *parser) typ() codec.Type {
	if p.err != nil {
		return codec.Type{}
	}
	if len(p.b)-p.pos < 8 {
		p.err = fmt.Errorf("type fingerprint at offset %d %w", p.pos, errShort)
		return codec.Type{}
	}
	var t codec.Type
	t.Fingerprint = binary.BigEndian.Uint64(p.b[p.pos:])
	p.pos += 8
	at := p.pos
	schema := p.uvarint()
	name := p.bytes()
	switch {
	case p.err != nil:
		return codec.Type{}
	case schema > math.MaxUint32:
		p.err = fmt.Errorf("schema %d at offset %d out of range", schema, at)
	case len(name) > maxTypeName:
		p.err = fmt.Errorf("type name at offset %d: %d bytes, more than %d", at, len(name), maxTypeName)
	}
	t.Schema, t.Name = uint32(schema), string(name)
	return t
}

// checkType compares the type a snapshot recorded for its keys or values
// with the cache's.
func checkType(what string, saved, want codec.Type) error {
	if saved.Fingerprint == want.Fingerprint && saved.Schema == want.Schema {
		return nil
	}
	return fmt.Errorf("cache: snapshot: %s were saved as %v, this cache's are %v: %w: %w",
		what, saved, want, codec.ErrTypeMismatch, ErrBadSnapshot)
}

// body strips the codec header from an encoding of T: records store
// bodies only, the snapshot's header the types once.
func (sc *snapshotCodec[T]) body(data []byte, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(data, sc.header) {
		return nil, fmt.Errorf("codec wrote an unexpected header % x", data[:min(len(data), len(sc.header))])
	}
	return data[len(sc.header):], nil
}

func (opts *SnapshotOptions) maxBytes() int64 {
	if opts.MaxBytes == 0 {
		return DefaultMaxSnapshotBytes
	}
	return opts.MaxBytes
}

// decodeBudget is what the records of an n-byte snapshot may take.
func (opts *SnapshotOptions) decodeBudget(n int) int64 {
	if opts.MaxDecodeBytes != 0 {
		return opts.MaxDecodeBytes
	}
	return 16*int64(n) + 64<<20
}

func tooLarge(limit int64) error {
	return fmt.Errorf("cache: snapshot: load: larger than SnapshotOptions.MaxBytes (%d bytes): %w: %w",
		limit, codec.ErrTooLarge, ErrBadSnapshot)
}

// parser reads uvarints and length-prefixed byte strings from b, bounds
// checked; after the first error every read returns zero.
type parser struct {
	b   []byte
	pos int
	err error
}

var errShort = errors.New("runs past the end of the records")

func (p *parser) uvarint() uint64 {
	if p.err != nil {
		return 0
	}
	v, n := binary.Uvarint(p.b[p.pos:])
	if n <= 0 {
		p.err = fmt.Errorf("bad varint at offset %d: %w", p.pos, errShort)
		if n < 0 {
			p.err = fmt.Errorf("varint at offset %d overflows 64 bits", p.pos)
		}
		return 0
	}
	p.pos += n
	return v
}

func (p *parser) bytes() []byte {
	at := p.pos
	n := p.uvarint()
	if p.err != nil {
		return nil
	}
	if n > uint64(len(p.b)-p.pos) {
		p.err = fmt.Errorf("length %d at offset %d %w", n, at, errShort)
		return nil
	}
	b := p.b[p.pos : p.pos+int(n)]
	p.pos += int(n)
	return b
}

// sortForLoad orders records coldest first, by their rank in their shard
// of the saving cache, and among equal ranks from the longest to the most
// recently written. Storing them in this order rebuilds the policy's
// order: under LRU the recency, including reads, and the hottest entries
// are stored last, so a smaller cache keeps them. Version 1 records all
// rank 0: they load by write time.
func sortForLoad[K comparable, V any](recs []loaded[K, V]) {
	slices.SortStableFunc(recs, func(a, b loaded[K, V]) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(b.age, a.age))
	})
}

// medianFreq returns the median saved frequency, at least 1 (a stored
// entry was counted at least once).
func medianFreq[K comparable, V any](recs []loaded[K, V]) int {
	var n [256]int
	for _, r := range recs {
		n[r.freq]++
	}
	seen := 0
	for f, c := range n {
		seen += c
		if 2*seen >= len(recs) {
			return max(f, 1)
		}
	}
	return 1
}
