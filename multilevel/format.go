package multilevel

import (
	"fmt"
	"reflect"

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
	var c codec.Codec[V]
	switch o.Format {
	case 0, codec.FormatMsgpack:
		c = codec.Msgpack[V]()
	case codec.FormatJSON:
		c = codec.JSON[V]()
	case codec.FormatGob:
		c = codec.Gob[V]()
	case codec.FormatRaw:
		return rawCodec[V]()
	default:
		return valueCodec[V]{}, optionError("Format", "is %v, which is not a known format", o.Format)
	}
	// The codec package's decoders recover their own panics.
	return valueCodec[V]{marshal: c.Marshal, unmarshal: c.Unmarshal}, nil
}

// rawCodec adapts codec.Raw, whose type parameter must be a string or byte
// slice type, to a V only known at run time to be of such a kind.
func rawCodec[V any]() (valueCodec[V], error) {
	var zero V
	switch any(zero).(type) {
	case string:
		c := codec.Raw[string]()
		return valueCodec[V]{
			marshal:   func(v V) ([]byte, error) { return c.Marshal(any(v).(string)) },
			unmarshal: func(b []byte) (V, error) { s, err := c.Unmarshal(b); return any(s).(V), err },
		}, nil
	case []byte:
		c := codec.Raw[[]byte]()
		return valueCodec[V]{
			marshal:   func(v V) ([]byte, error) { return c.Marshal(any(v).([]byte)) },
			unmarshal: func(b []byte) (V, error) { s, err := c.Unmarshal(b); return any(s).(V), err },
		}, nil
	}
	t := reflect.TypeFor[V]()
	switch {
	case t.Kind() == reflect.String:
		c := codec.Raw[string]()
		return valueCodec[V]{
			marshal: func(v V) ([]byte, error) { return c.Marshal(reflect.ValueOf(v).String()) },
			unmarshal: func(b []byte) (V, error) {
				s, err := c.Unmarshal(b)
				var v V
				reflect.ValueOf(&v).Elem().SetString(s)
				return v, err
			},
		}, nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		c := codec.Raw[[]byte]()
		return valueCodec[V]{
			marshal: func(v V) ([]byte, error) { return c.Marshal(reflect.ValueOf(v).Bytes()) },
			unmarshal: func(b []byte) (V, error) {
				s, err := c.Unmarshal(b)
				var v V
				reflect.ValueOf(&v).Elem().SetBytes(s)
				return v, err
			},
		}, nil
	}
	return valueCodec[V]{}, optionError("Format", "is raw but values of type %v are neither strings nor byte slices", t)
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
