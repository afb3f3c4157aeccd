package codec

import (
	"fmt"
	"reflect"
	"sync/atomic"
	"unsafe"
)

// Options configures a codec made by [New]. The zero value is msgpack,
// schema 0, bytes of other types and header versions refused, and a
// decoding budget of DefaultMaxDecodeBytes per call.
type Options struct {
	// Format is the encoding; 0 means FormatMsgpack. FormatRaw needs a V
	// whose kind is string, or slice of bytes.
	Format Format

	// Schema is recorded in every header and must match on decoding (see
	// [Type]). Bump it when values change meaning without changing
	// structure, or when a type that encodes itself changes its encoding.
	Schema uint32

	// AllowUntyped makes Unmarshal accept bytes whose header records no
	// type (header version 1, written before types were recorded), as
	// values of V, unchecked. Set it for one deploy when upgrading a
	// program whose V has not changed, to keep the values already stored;
	// by default they are refused with ErrFormatMismatch.
	AllowUntyped bool

	// MaxDecodeBytes bounds the memory one Unmarshal may allocate for the
	// value it decodes, as estimated from the bytes before the decoder
	// runs (see the package documentation); a value that could take more
	// is refused with ErrTooLarge. 0 means DefaultMaxDecodeBytes; a
	// negative value is invalid.
	MaxDecodeBytes int64

	// Budget, if not nil, is drawn from by every Unmarshal of every codec
	// built with it, besides the per-call MaxDecodeBytes: once it cannot
	// cover a value's estimated cost, Unmarshal fails with ErrTooLarge.
	// It bounds the memory of a batch of decodes, such as a snapshot.
	// With a Budget, msgpack and JSON always estimate exactly (a linear
	// pass over the bytes) instead of skipping that pass for small
	// values.
	Budget *Budget
}

// DefaultMaxDecodeBytes is the per-call decoding budget of a codec whose
// Options.MaxDecodeBytes is 0, and of the constructors without options.
const DefaultMaxDecodeBytes = 64 << 20

// New returns the codec that opts describe, or an error starting "codec:"
// that names the offending field. Building one walks V's structure once
// (see [TypeOf]); build it once, not per call.
func New[V any](opts Options) (Codec[V], error) {
	if opts.MaxDecodeBytes < 0 {
		return nil, fmt.Errorf("codec: Options.MaxDecodeBytes is %d; it must be 0 (default) or positive", opts.MaxDecodeBytes)
	}
	switch opts.Format {
	case 0, FormatMsgpack:
		return newMsgpack[V](opts), nil
	case FormatJSON:
		return newJSON[V](opts), nil
	case FormatGob:
		return newGob[V](opts), nil
	case FormatRaw:
		return newRawAny[V](opts)
	}
	return nil, fmt.Errorf("codec: Options.Format is %v, which is not a known format", opts.Format)
}

// Budget is a number of bytes that decoding may allocate, shared by the
// codecs built with it (Options.Budget). It is safe for concurrent use;
// each Unmarshal takes its estimated cost from it, and nothing gives it
// back.
type Budget struct {
	left atomic.Int64
}

// NewBudget returns a Budget of n bytes.
func NewBudget(n int64) *Budget {
	b := &Budget{}
	b.left.Store(n)
	return b
}

// Left returns the bytes not yet taken.
func (b *Budget) Left() int64 { return b.left.Load() }

// Take removes n bytes, or reports false and removes nothing if fewer are
// left. Callers that allocate alongside decoding (say, a slice of decoded
// records) use it to count those bytes against the same budget.
func (b *Budget) Take(n int64) bool { return b.take(n) }

func (b *Budget) take(n int64) bool {
	for {
		l := b.left.Load()
		if n > l {
			return false
		}
		if b.left.CompareAndSwap(l, l-n) {
			return true
		}
	}
}

// newRawAny is Raw for a V known only at run time to be of a string or
// byte-slice kind, as New must accept.
func newRawAny[V any](o Options) (Codec[V], error) {
	t := reflect.TypeFor[V]()
	switch {
	case t.Kind() == reflect.String:
		return &rawCodec[V]{meta: newMeta[V](FormatRaw, o), isString: true}, nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return &rawCodec[V]{meta: newMeta[V](FormatRaw, o)}, nil
	}
	return nil, fmt.Errorf("codec: Options.Format is raw, which needs a string or byte slice type, not %v", t)
}

// rawString and rawBytes view a V of string or byte-slice kind as what it
// is underneath. The types have the same layout, so the conversions are
// sound; they avoid reflection per value.
func rawString[V any](v *V) *string { return (*string)(unsafe.Pointer(v)) }
func rawBytes[V any](v *V) *[]byte  { return (*[]byte)(unsafe.Pointer(v)) }
