package bytecache

import (
	"math"
	"reflect"
	"time"
	"unsafe"

	"github.com/stratacache/cache/codec"
)

// rawLayout is how a Cache with a raw codec (codec.RawHeader) lays out
// values: recordMark, then the value's own bytes. With it the cache copies values
// between V and the slabs itself: a Set costs no Marshal allocation and a
// Get one allocation, the returned value, instead of a pooled buffer, a
// copy and a decode.
type rawLayout struct {
	prefix   []byte // recordMark alone
	maxBody  int    // the codec's MaxDecodeBytes: longer bodies go through Unmarshal
	isString bool   // V's kind is string; otherwise it is []byte
}

// newRawLayout returns the layout of c, or nil if c is not a raw codec.
func newRawLayout[V any](c codec.Codec[V]) *rawLayout {
	_, maxBody, ok := codec.RawHeader(c)
	if !ok {
		return nil
	}
	// A raw codec exists only for V of string or byte-slice kind.
	return &rawLayout{prefix: []byte{recordMark}, maxBody: int(min(maxBody, math.MaxInt)),
		isString: reflect.TypeFor[V]().Kind() == reflect.String}
}

// rawBytes returns v's bytes for a V of string or byte-slice kind (the
// two have the same first words), without a copy. The slice may be a
// string's memory, so it is only ever read: setParts copies from it.
func rawBytes[V any](l *rawLayout, v *V) []byte {
	if l.isString {
		s := *(*string)(unsafe.Pointer(v))
		return unsafe.Slice(unsafe.StringData(s), len(s))
	}
	return *rawBytesOf(v)
}

// rawBytesOf views a V of byte-slice kind as the []byte it is.
func rawBytesOf[V any](v *V) *[]byte { return (*[]byte)(unsafe.Pointer(v)) }

// rawValue returns b as a V of string or byte-slice kind, without a copy.
// b must be a fresh buffer that nothing else refers to: a string made
// from it must never change.
func rawValue[V any](l *rawLayout, b []byte) (v V) {
	if len(b) == 0 {
		return v // as Unmarshal: an empty body is the zero V
	}
	if l.isString {
		*(*string)(unsafe.Pointer(&v)) = unsafe.String(&b[0], len(b))
	} else {
		*(*[]byte)(unsafe.Pointer(&v)) = b
	}
	return v
}

// getRaw is Get through the raw layout: on a hit it sets *dst, to a new
// value or, if reuse is set and V is a byte slice, to the bytes copied
// into (*dst)[:0]. done is false when the stored bytes do not start with
// the mark, or are too long: the caller then decodes them with the codec,
// which says what is wrong with them.
func (c *Cache[K, V]) getRaw(k string, dst *V, reuse bool) (ok, done bool) {
	// A nil buffer is allocated, to the body's size, by the store: the
	// value is then a copy that nothing else refers to.
	var buf []byte
	if reuse && !c.raw.isString {
		buf = (*rawBytesOf(dst))[:0]
	}
	b, found, matched := c.s.appendGetBody(buf, k, c.raw.prefix, c.raw.maxBody)
	switch {
	case found && !matched:
		return false, false
	case !found:
		return false, true
	case buf != nil:
		*rawBytesOf(dst) = b
	default:
		*dst = rawValue[V](c.raw, b)
	}
	return true, true
}

// setRaw is SetWithTTL through the raw layout: the store copies the
// mark and the value's bytes into the slabs.
func (c *Cache[K, V]) setRaw(k string, value V, ttl time.Duration) (ok bool, size int) {
	body := rawBytes(c.raw, &value)
	return c.s.setBody(k, c.raw.prefix, body, ttl), len(c.raw.prefix) + len(body)
}
