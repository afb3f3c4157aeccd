package bytecache

import (
	"bytes"
	"fmt"
)

// recordMark is the first byte of every value a Cache whose codec is of
// package codec writes: the codec's body follows. The codec's header,
// which names its format and the value type, is the same for every value
// of a Cache, whose Store nothing else writes, so the Cache keeps it once
// (Cache.hdr) instead of per entry, and puts it back before Unmarshal. A
// value without the mark is never decoded. Another layout gets another
// mark.
const recordMark = 0x01

// encode returns the bytes that the store keeps for v: the mark then the
// codec's body, or, for a codec of another package, all of Marshal's
// output. It costs Marshal.
func (c *Cache[K, V]) encode(v V) ([]byte, error) {
	b, err := c.codec.Marshal(v)
	if err != nil || c.hdr == nil {
		return b, err
	}
	if !bytes.HasPrefix(b, c.hdr) {
		return nil, fmt.Errorf("bytecache: the codec's Marshal wrote %d bytes that do not start with its header", len(b))
	}
	// Marshal's output is ours: the mark takes the header's last byte.
	b = b[len(c.hdr)-1:]
	b[0] = recordMark
	return b, nil
}

// headPrefix appends to dst what goes before a stored value for
// restoreHeader: the codec's header without its last byte.
func (c *Cache[K, V]) headPrefix(dst []byte) []byte {
	if c.hdr == nil {
		return dst
	}
	return append(dst, c.hdr[:len(c.hdr)-1]...)
}

// restoreHeader turns b, headPrefix followed by a stored value, into the
// codec's header followed by the body, in place: the mark becomes the
// header's last byte. It reports false, for bytes never to decode, if the
// value does not start with the mark.
func (c *Cache[K, V]) restoreHeader(b []byte) bool {
	if c.hdr == nil {
		return true
	}
	last := len(c.hdr) - 1
	if len(b) <= last || b[last] != recordMark {
		return false
	}
	b[last] = c.hdr[last]
	return true
}

// decodeStored decodes value, as the store keeps it, through a pooled
// buffer. It costs a copy and Unmarshal.
func (c *Cache[K, V]) decodeStored(value []byte) (V, error) {
	bp := c.scratch.Get().(*[]byte)
	b := append(c.headPrefix((*bp)[:0]), value...)
	*bp = b
	defer c.scratch.Put(bp)
	if !c.restoreHeader(b) {
		var zero V
		return zero, errNoMark
	}
	return c.codec.Unmarshal(b)
}

// errNoMark is the decode error of a stored value without recordMark.
var errNoMark = fmt.Errorf("bytecache: stored value does not start with the record mark %#02x", recordMark)
