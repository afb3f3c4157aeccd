package multilevel

import (
	"fmt"

	"github.com/stratacache/cache/codec"
)

// valueCodec is the pair of functions that turn values into store bytes and
// back. unmarshal never panics: a panic in a user's function becomes an
// error.
type valueCodec[V any] struct {
	marshal   func(V) ([]byte, error)
	unmarshal func([]byte) (V, error)
}

func newValueCodec[K comparable, V any](o *Options[K, V]) (valueCodec[V], error) {
	if o.Marshal != nil {
		return valueCodec[V]{marshal: o.Marshal, unmarshal: guardUnmarshal(o.Unmarshal)}, nil
	}
	switch o.Format {
	case 0, codec.FormatMsgpack, codec.FormatJSON, codec.FormatGob, codec.FormatRaw:
	default:
		return valueCodec[V]{}, optionError("Format", "is %v, which is not a known format", o.Format)
	}
	c, err := codec.New[V](codec.Options{Format: o.Format, Schema: o.Schema, MaxDecodeBytes: o.MaxDecodeBytes})
	if err != nil {
		return valueCodec[V]{}, fmt.Errorf("multilevel: Options.Format: %w: %w", err, ErrInvalidOptions)
	}
	// The codec package's decoders recover their own panics.
	return valueCodec[V]{marshal: c.Marshal, unmarshal: c.Unmarshal}, nil
}

// guardUnmarshal turns a panic in a user's decoder into an error, so that
// bad bytes from the store never crash the program.
func guardUnmarshal[V any](f func([]byte) (V, error)) func([]byte) (V, error) {
	return func(b []byte) (v V, err error) {
		defer func() {
			if r := recover(); r != nil {
				var zero V
				v, err = zero, fmt.Errorf("multilevel: Unmarshal panicked: %v", r)
			}
		}()
		return f(b)
	}
}
