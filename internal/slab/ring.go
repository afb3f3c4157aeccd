package slab

import (
	"encoding/binary"
	"sync/atomic"
)

// A record is one entry in a ring, stored contiguously inside one chunk:
//
//	offset  size  meaning
//	0       1     flags: 2 bits unused (0), deadline present, dead, pad
//	1       2     key length, little-endian
//	3       4     value length, little-endian
//	7       8     deadline in Unix nanoseconds (only with flagDeadline)
//	...     k     key bytes
//	...     v     value bytes
//
// A pad marks the rest of a chunk as unused: a record never straddles two
// chunks, so that it can be read and written as one slice.
const (
	hdrLen      = 7
	deadlineLen = 8

	flagFreq     = 0x03 // once the access count, now in the index slot; written 0
	flagDeadline = 0x04 // a deadline follows the header
	flagDead     = 0x08 // deleted or overwritten: skip it, free its bytes
	flagPad      = 0x10 // the rest of the chunk is unused
	flagsKnown   = flagFreq | flagDeadline | flagDead | flagPad

	// MaxKeyLen is the longest key a record can hold.
	MaxKeyLen = 1<<16 - 1
	// maxChunkShift makes chunks 1 MiB: big enough for most values,
	// small enough that an idle shard does not hold much.
	maxChunkShift = 20
)

// RecordSize returns the bytes a record of this key and value length
// takes in a ring.
func RecordSize(keyLen, valueLen int, deadline bool) int {
	n := hdrLen + keyLen + valueLen
	if deadline {
		n += deadlineLen
	}
	return n
}

// ring is a log of records in a circle of chunks: appended at the tail,
// removed at the head. Positions are byte offsets in [0, capacity).
// Chunks are allocated when the tail first reaches them, so a ring that
// never fills never holds its whole capacity.
//
// Writers, holding the shard's lock, use chunks; each chunk is also
// published in shared, through an atomic pointer, so that a reader without
// the lock (see Shard.GetBody) finds either no chunk or a whole one, never
// a torn slice.
type ring struct {
	chunks   [][]byte
	shared   []atomic.Pointer[[]byte]
	shift    uint // chunk i covers [i<<shift, (i+1)<<shift) ∩ [0, capacity)
	capacity int
	head     int
	tail     int
	used     int // bytes from head to tail, pads and dead records included
	live     int // records not dead
	liveSize int // their bytes
}

func newRing(capacity int) ring {
	shift := uint(maxChunkShift)
	n := (capacity + 1<<shift - 1) >> shift
	return ring{chunks: make([][]byte, n), shared: make([]atomic.Pointer[[]byte], n), shift: shift, capacity: capacity}
}

// chunkEnd returns the end of the chunk that holds position p.
func (r *ring) chunkEnd(p int) int {
	return min((p>>r.shift+1)<<r.shift, r.capacity)
}

// maxRecord is the largest record the ring can hold.
func (r *ring) maxRecord() int { return min(r.capacity, 1<<r.shift) }

// at returns the n bytes at position p, which lie in one chunk.
func (r *ring) at(p, n int) []byte {
	c := r.chunks[p>>r.shift]
	o := p & (1<<r.shift - 1)
	return c[o : o+n : o+n]
}

// need returns the bytes an append of n bytes consumes: n, plus the rest
// of each chunk it skips because the record does not fit there. That is
// the rest of the tail's chunk and, when the next is the ring's last chunk
// and shorter than the record (capacity need not be a multiple of the
// chunk size), that chunk too. The loop ends: n <= maxRecord(), which
// every other chunk holds.
func (r *ring) need(n int) int {
	skipped := 0
	for t := r.tail; ; {
		end := r.chunkEnd(t)
		if t+n <= end {
			return skipped + n
		}
		skipped += end - t
		t = end % r.capacity
	}
}

// free returns the bytes not between head and tail.
func (r *ring) free() int { return r.capacity - r.used }

// alloc reserves n bytes at the tail and returns their position, padding
// the chunks need skips. The caller has made room: free() >= need(n), and
// n <= maxRecord().
func (r *ring) alloc(n int) int {
	for end := r.chunkEnd(r.tail); r.tail+n > end; end = r.chunkEnd(r.tail) {
		r.chunk(r.tail)[r.tail&(1<<r.shift-1)] = flagPad
		r.used += end - r.tail
		r.tail = end
		if r.tail == r.capacity {
			r.tail = 0
		}
	}
	p := r.tail
	r.chunk(p)
	r.used += n
	r.tail += n
	if r.tail == r.capacity {
		r.tail = 0
	}
	return p
}

// chunk returns the chunk holding p, allocating it on first use.
func (r *ring) chunk(p int) []byte {
	i := p >> r.shift
	if r.chunks[i] == nil {
		c := make([]byte, min(1<<r.shift, r.capacity-i<<r.shift))
		r.chunks[i] = c
		r.shared[i].Store(&c)
	}
	return r.chunks[i]
}

// release lets the chunks go; they are allocated again as the tail
// reaches them.
func (r *ring) release() {
	for i := range r.chunks {
		r.chunks[i] = nil
		r.shared[i].Store(nil)
	}
}

// skipPads moves the head past any pad, so that it is at a record or the
// ring is empty.
func (r *ring) skipPads() {
	for r.used > 0 {
		end := r.chunkEnd(r.head)
		// A pad is exactly flagPad; any other byte starts a record
		// (or is damage, which parsing the record will find).
		if end-r.head >= hdrLen && r.at(r.head, 1)[0] != flagPad {
			return
		}
		r.used -= end - r.head
		r.head = end
		if r.head == r.capacity {
			r.head = 0
		}
	}
}

// popFront removes the n-byte record at the head.
func (r *ring) popFront(n int) {
	r.used -= n
	r.head += n
	if r.head == r.capacity {
		r.head = 0
	}
}

// walk calls fn for each record from head to tail, dead ones included,
// without changing the ring, until fn returns false. If a record does not
// parse (which a ring this package wrote never has), fn gets ok false at
// its position and the walk ends.
func (r *ring) walk(fn func(p int, x rec, ok bool) bool) {
	c := *r // skipPads and popFront move the copy's head only
	for c.used > 0 {
		c.skipPads()
		if c.used == 0 {
			return
		}
		var x rec
		ok := c.record(c.head, &x)
		if !fn(c.head, x, ok) || !ok {
			return
		}
		c.popFront(x.size())
	}
}

// reset empties the ring, keeping its chunks.
func (r *ring) reset() {
	r.head, r.tail, r.used, r.live, r.liveSize = 0, 0, 0, 0, 0
}

// rec describes a record read from a ring.
type rec struct {
	flags    byte
	keyLen   int
	valLen   int
	deadline int64 // 0: none
	body     []byte
}

func (x *rec) size() int { return len(x.body) }

func (x *rec) key() []byte { return x.body[len(x.body)-x.valLen-x.keyLen : len(x.body)-x.valLen] }

func (x *rec) value() []byte { return x.body[len(x.body)-x.valLen:] }

// parseRecord decodes the record at the start of b, which extends to the
// end of its chunk, into *x. It reports false, never panicking, when the
// bytes are not a whole record. (It fills *x rather than returning a rec
// so that the read path does not copy records from frame to frame.)
func parseRecord(b []byte, x *rec) bool {
	if len(b) < hdrLen || b[0]&^flagsKnown != 0 || b[0]&flagPad != 0 {
		return false
	}
	x.flags = b[0]
	x.keyLen = int(binary.LittleEndian.Uint16(b[1:]))
	x.valLen = int(binary.LittleEndian.Uint32(b[3:]))
	x.deadline = 0
	n := hdrLen + x.keyLen
	if x.flags&flagDeadline != 0 {
		if len(b) < hdrLen+deadlineLen {
			return false
		}
		x.deadline = int64(binary.LittleEndian.Uint64(b[hdrLen:]))
		n += deadlineLen
	}
	if x.valLen > len(b)-n {
		return false
	}
	x.body = b[: n+x.valLen : n+x.valLen]
	return true
}

// record reads the record at position p into *x.
func (r *ring) record(p int, x *rec) bool {
	if p < 0 || p >= r.capacity || r.chunks[p>>r.shift] == nil {
		return false
	}
	return parseRecord(r.at(p, r.chunkEnd(p)-p), x)
}

// recordShared is record for a reader without the shard's lock, while a
// write may be changing the bytes: it then returns what it found in the
// chunk's bounds (a record the reader's check of the shard's sequence
// number will reject), never panicking.
func (r *ring) recordShared(p int, x *rec) bool {
	if p < 0 || p >= r.capacity {
		return false
	}
	c := r.shared[p>>r.shift].Load()
	if c == nil {
		return false
	}
	// The chunk ends where the record's bytes must: parseRecord checks
	// that the record fits.
	return parseRecord((*c)[p&(1<<r.shift-1):], x)
}

// writeRecord encodes a record into b, which is exactly its size; its
// value is prefix followed by value.
func writeRecord(b []byte, flags byte, key string, prefix, value []byte, deadline int64) {
	b[0] = flags
	binary.LittleEndian.PutUint16(b[1:], uint16(len(key)))
	binary.LittleEndian.PutUint32(b[3:], uint32(len(prefix)+len(value)))
	n := hdrLen
	if flags&flagDeadline != 0 {
		binary.LittleEndian.PutUint64(b[hdrLen:], uint64(deadline))
		n += deadlineLen
	}
	n += copy(b[n:], key)
	n += copy(b[n:], prefix)
	copy(b[n:], value)
}
