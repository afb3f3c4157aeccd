package codec

import "encoding/json"

// JSON returns a codec that encodes values with encoding/json, honouring
// "json" struct tags and json.Marshaler implementations.
//
// Use it when people or non-Go programs need to read the stored bytes. It
// costs more than [Msgpack]: about a third more bytes and three times the
// decode time, for similar encode time. It carries JSON's usual limits:
// []byte becomes base64, integers in interface{} values come back as
// float64, and NaN or infinite floats cannot be encoded.
//
// A Marshal allocates the result once, at its exact size, after the
// standard encoder has produced its own output; an Unmarshal rejects
// trailing data and nests no deeper than encoding/json allows (10000).
func JSON[V any]() Codec[V] { return newJSON[V](Options{}) }

func newJSON[V any](o Options) *jsonCodec[V] {
	return &jsonCodec[V]{meta: newMeta[V](FormatJSON, o)}
}

type jsonCodec[V any] struct {
	meta
}

func (c *jsonCodec[V]) Format() Format { return FormatJSON }

// headerWriter receives the single Write of a json.Encoder and returns it
// behind the header in a buffer of exactly the right size, dropping the
// newline that the Encoder appends.
type headerWriter struct {
	header []byte
	out    []byte
}

func (w *headerWriter) Write(p []byte) (int, error) {
	body := p
	if n := len(body); n > 0 && body[n-1] == '\n' {
		body = body[:n-1]
	}
	if w.out == nil {
		w.out = make([]byte, 0, len(w.header)+len(body))
		w.out = append(w.out, w.header...)
	}
	w.out = append(w.out, body...)
	return len(p), nil
}

// Marshal writes through json.Encoder rather than calling json.Marshal:
// the Encoder hands over its internal buffer in one Write, which lands
// directly behind the header, whereas json.Marshal would copy it out first.
func (c *jsonCodec[V]) Marshal(v V) ([]byte, error) {
	w := headerWriter{header: c.header}
	if err := json.NewEncoder(&w).Encode(v); err != nil {
		return nil, c.encodeError(err)
	}
	return w.out, nil
}

func (c *jsonCodec[V]) Unmarshal(data []byte) (v V, err error) {
	body, err := c.body(data)
	if err != nil {
		return v, err
	}
	if err := c.check(&c.meta, body, jsonModel, jsonCost); err != nil {
		return v, err
	}
	defer func() {
		// encoding/json does not panic on bad input, but a user's
		// UnmarshalJSON method might; treat that as undecodable data.
		if r := recover(); r != nil {
			var zero V
			v, err = zero, c.panicked(r)
		}
	}()
	if err := json.Unmarshal(body, &v); err != nil {
		var zero V
		return zero, c.corrupt(err)
	}
	return v, nil
}
