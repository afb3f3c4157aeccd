package codec

import (
	"bytes"
	"reflect"
)

// Raw returns a codec for values that already are bytes: []byte, string,
// or any type defined on them. The body is the value itself, unchanged.
//
// Use it for pre-serialized payloads (protobuf, rendered HTML, compressed
// blobs) to get the header's protection against mixing codecs without
// paying for an encoding. Marshal and Unmarshal each cost one allocation
// and one copy of the value; Unmarshal never aliases its input.
//
// An empty value has an empty body and decodes to the zero V, so a nil
// and an empty non-nil []byte both come back as nil.
func Raw[V ~[]byte | ~string]() Codec[V] {
	return &rawCodec[V]{
		meta:     newMeta[V](FormatRaw),
		isString: reflect.TypeFor[V]().Kind() == reflect.String,
	}
}

type rawCodec[V ~[]byte | ~string] struct {
	meta
	isString bool // V is a string type
}

func (c *rawCodec[V]) Format() Format { return FormatRaw }

func (c *rawCodec[V]) Marshal(v V) ([]byte, error) {
	out := make([]byte, 0, HeaderLen+len(v))
	out = appendHeader(out, FormatRaw)
	return append(out, v...), nil
}

func (c *rawCodec[V]) Unmarshal(data []byte) (V, error) {
	body, err := c.body(data)
	if err != nil || len(body) == 0 {
		var zero V
		return zero, err
	}
	// Copy exactly once: into a string for string types, into a new
	// slice otherwise. Converting the copy to V is then free, and the
	// result never shares memory with data.
	if c.isString {
		return V(string(body)), nil
	}
	return V(bytes.Clone(body)), nil
}
