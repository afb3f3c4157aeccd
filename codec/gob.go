package codec

import (
	"bytes"
	"encoding/gob"
	"reflect"
)

// Gob returns a codec that encodes values with encoding/gob, honouring
// GobEncoder and encoding.BinaryMarshaler implementations.
//
// Use it for types that can only be encoded that way, or to keep bytes
// compatible with existing gob tooling. Every value is a self-contained
// gob stream that carries its own type description, so it is the largest
// and slowest codec here: a small struct costs on the order of a hundred
// bytes of type information, and each call builds a fresh encoder or
// decoder. Prefer [Msgpack] otherwise.
//
// Gob's own rules apply: only exported fields are sent, zero-valued
// fields are omitted (so empty slices and maps come back nil, and pointers
// to zero values come back nil), and concrete types stored in interface
// values must be registered with gob.Register by the caller. As an
// addition, a nil pointer or nil map at the top level is encoded as an
// empty body and decodes back to nil, where plain gob would fail or return
// a pointer to a zero value.
func Gob[V any]() Codec[V] { return newGob[V](Options{}) }

func newGob[V any](o Options) *gobCodec[V] {
	k := reflect.TypeFor[V]().Kind()
	return &gobCodec[V]{
		meta:    newMeta[V](FormatGob, o),
		nilable: k == reflect.Pointer || k == reflect.Map,
	}
}

type gobCodec[V any] struct {
	meta
	nilable bool // V is a pointer or map type, so a nil V has an empty body
}

func (c *gobCodec[V]) Format() Format { return FormatGob }

func (c *gobCodec[V]) Marshal(v V) ([]byte, error) {
	if c.nilable && reflect.ValueOf(&v).Elem().IsNil() {
		return c.appendHeader(make([]byte, 0, len(c.header))), nil
	}
	// The encoder writes the type description and the value in separate
	// Writes; appending to a slice that starts with the header avoids any
	// copy beyond the usual growth.
	w := encodeBuf{b: c.appendHeader(make([]byte, 0, 256))}
	if err := gob.NewEncoder(&w).Encode(&v); err != nil {
		return nil, c.encodeError(err)
	}
	return w.b, nil
}

func (c *gobCodec[V]) Unmarshal(data []byte) (v V, err error) {
	body, err := c.body(data)
	if err != nil {
		return v, err
	}
	if len(body) == 0 {
		if c.nilable {
			return v, nil
		}
		return v, c.decodeErrorf(ErrCorrupt, "empty body")
	}
	// gob's bytes cannot be costed without decoding them: the worst
	// case decides, and a Budget is charged with what was decoded.
	if err := c.checkWorst(&c.meta, body, gobModel); err != nil {
		return v, err
	}
	defer func() {
		// encoding/gob recovers its own internal panics, but a user's
		// GobDecode or UnmarshalBinary method might still panic.
		if r := recover(); r != nil {
			var zero V
			v, err = zero, c.panicked(r)
		}
	}()
	// bytes.Reader is an io.ByteReader, so the decoder reads exactly the
	// messages it needs and anything left over is trailing garbage.
	r := bytes.NewReader(body)
	if err := gob.NewDecoder(r).Decode(&v); err != nil {
		var zero V
		return zero, c.corrupt(err)
	}
	if r.Len() != 0 {
		var zero V
		return zero, c.trailing(r.Len())
	}
	if c.budget != nil {
		if err := c.charge(&c.meta, body, measure(reflect.ValueOf(&v).Elem(), gobModel)); err != nil {
			var zero V
			return zero, err
		}
	}
	return v, nil
}
