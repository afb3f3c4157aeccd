package codec

import "bytes"

// Raw returns a codec for values that already are bytes: []byte, string,
// or any type defined on them. The body is the value itself, unchanged.
//
// Use it for pre-serialized payloads (protobuf, rendered HTML, compressed
// blobs) to get the header's protection against mixing codecs and types
// without paying for an encoding. Marshal and Unmarshal each cost one
// allocation and one copy of the value; Unmarshal never aliases its input.
// Decoding costs the length of the body, which the budget bounds like any
// other (Options.MaxDecodeBytes).
//
// An empty value has an empty body and decodes to the zero V, so a nil
// and an empty non-nil []byte both come back as nil.
func Raw[V ~[]byte | ~string]() Codec[V] {
	// The constraint admits only the kinds newRawAny accepts.
	c, _ := newRawAny[V](Options{})
	return c
}

// rawCodec serves any V whose kind is string or byte slice; rawString and
// rawBytes convert without reflection.
type rawCodec[V any] struct {
	meta
	isString bool // V is a string type
}

func (c *rawCodec[V]) Format() Format { return FormatRaw }

func (c *rawCodec[V]) Marshal(v V) ([]byte, error) {
	var body []byte
	var s string
	if c.isString {
		s = *rawString(&v)
	} else {
		body = *rawBytes(&v)
	}
	out := make([]byte, 0, len(c.header)+len(body)+len(s))
	out = c.appendHeader(out)
	out = append(out, body...)
	return append(out, s...), nil
}

func (c *rawCodec[V]) Unmarshal(data []byte) (v V, err error) {
	body, err := c.body(data)
	if err != nil || len(body) == 0 {
		return v, err
	}
	if err := c.checkFlat(&c.meta, int64(len(body))); err != nil {
		return v, err
	}
	// Copy exactly once, into a string or a new slice, so that the
	// result never shares memory with data.
	if c.isString {
		*rawString(&v) = string(body)
	} else {
		*rawBytes(&v) = bytes.Clone(body)
	}
	return v, nil
}

// RawHeader reports whether c is a raw codec of this package (made by
// [Raw], or by [New] with FormatRaw) that has no Options.Budget, and if so
// returns the header its Marshal writes before a value's own bytes and the
// longest body its Unmarshal accepts (Options.MaxDecodeBytes). For such a
// codec, Marshal(v) is header followed by v's bytes, and Unmarshal of
// header followed by at most maxBody bytes returns a copy of those bytes
// (the zero V for none) and has no other effect. A store that keeps
// encoded values can then copy them between its memory and V directly,
// saving the allocations of Marshal and Unmarshal; bytes that start
// otherwise must still go through Unmarshal. It costs a type assertion
// and a copy of the header.
func RawHeader[V any](c Codec[V]) (header []byte, maxBody int64, ok bool) {
	r, ok := c.(*rawCodec[V])
	if !ok || r.budget != nil {
		return nil, 0, false
	}
	return bytes.Clone(r.header), r.maxDecode, true
}
