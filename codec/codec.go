package codec

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
)

// Codec encodes values of type V to bytes and decodes them back.
//
// Implementations are safe for concurrent use by multiple goroutines.
// Marshal returns a fresh slice that the caller owns; Unmarshal does not
// keep or modify data, and the value it returns shares no memory with it.
type Codec[V any] interface {
	// Marshal returns the header followed by the encoding of v. The error,
	// if any, comes from the underlying encoder (for example a type that
	// the format cannot represent) and is not one of the sentinels.
	Marshal(v V) ([]byte, error)

	// Unmarshal checks the header of data and decodes the rest into a V.
	// It never panics on bad input: damaged bytes give an error matching
	// ErrCorrupt, bytes written by another codec or version give one
	// matching ErrFormatMismatch. On error the returned V is the zero value.
	Unmarshal(data []byte) (V, error)

	// Format reports which encoding this codec writes and accepts.
	Format() Format
}

// Format identifies an encoding. Its numeric value is the format id byte of
// the header, so existing values never change; new formats get new numbers.
type Format uint8

// The formats a [Codec] can have. The zero Format is not a valid format.
const (
	// FormatMsgpack is MessagePack, written by [Msgpack] and [Default].
	FormatMsgpack Format = 1
	// FormatJSON is JSON as written by encoding/json, produced by [JSON].
	FormatJSON Format = 2
	// FormatGob is an encoding/gob stream for one value, produced by [Gob].
	FormatGob Format = 3
	// FormatRaw is the value's own bytes, produced by [Raw].
	FormatRaw Format = 4
)

// String returns the lower-case name of the format ("msgpack", "json",
// "gob", "raw"), or "Format(N)" for a number that names no format.
func (f Format) String() string {
	switch f {
	case FormatMsgpack:
		return "msgpack"
	case FormatJSON:
		return "json"
	case FormatGob:
		return "gob"
	case FormatRaw:
		return "raw"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

func (f Format) valid() bool { return f >= FormatMsgpack && f <= FormatRaw }

// HeaderLen is the size in bytes of the header that starts every encoded
// value. The body that follows is the plain output of the format's encoder.
const HeaderLen = 4

const (
	magic0 = 0xC1 // never-used byte in msgpack, invalid as UTF-8 start byte
	magic1 = 'S'  // Strata

	// version is the body layout version written by every codec in this
	// build. Decoders reject any other number, so a future change of layout
	// (say, compression) bumps it and old readers fail loudly instead of
	// decoding garbage.
	version = 1
)

// Sentinel errors returned (wrapped) by Unmarshal and [Detect]. Test for
// them with [errors.Is]; the full message says what exactly was wrong.
var (
	// ErrCorrupt means the bytes are damaged: shorter than the header,
	// wrong magic, a body the format cannot decode, or trailing bytes after
	// the encoded value.
	ErrCorrupt = errors.New("codec: corrupt data")

	// ErrFormatMismatch means the header is intact but names another format
	// or a version this build cannot read: typically two programs, or two
	// releases, sharing one store with different codecs.
	ErrFormatMismatch = errors.New("codec: format mismatch")
)

// Default returns the codec Strata uses when none is configured: msgpack,
// the same as [Msgpack]. Its cost is that of Msgpack.
func Default[V any]() Codec[V] { return Msgpack[V]() }

// Detect reads the header of data and reports the format that wrote it,
// without decoding the body. Use it to pick a codec for bytes of unknown
// origin, for example when migrating a store from one codec to another.
// It costs a few comparisons. Errors match [ErrCorrupt] (short input, wrong
// magic) or [ErrFormatMismatch] (unknown format id or version).
func Detect(data []byte) (Format, error) {
	if err := checkMagic(data); err != nil {
		return 0, fmt.Errorf("codec: detect: %w", err)
	}
	f := Format(data[2])
	if !f.valid() {
		return 0, fmt.Errorf("codec: detect: unknown format id %d: %w", data[2], ErrFormatMismatch)
	}
	if data[3] != version {
		return 0, fmt.Errorf("codec: detect: unsupported %s version %d (this build reads version %d): %w",
			f, data[3], version, ErrFormatMismatch)
	}
	return f, nil
}

// appendHeader appends the header for format f to b.
func appendHeader(b []byte, f Format) []byte {
	return append(b, magic0, magic1, byte(f), version)
}

// checkMagic reports, as an error wrapping ErrCorrupt, whether data is too
// short for a header or does not start with the magic bytes.
func checkMagic(data []byte) error {
	switch {
	case len(data) == 0:
		return fmt.Errorf("empty input: %w", ErrCorrupt)
	case len(data) < HeaderLen:
		return fmt.Errorf("truncated header: %d of %d bytes: %w", len(data), HeaderLen, ErrCorrupt)
	case data[0] != magic0 || data[1] != magic1:
		return fmt.Errorf("bad magic %#02x %#02x, want %#02x %#02x (not written by this package): %w",
			data[0], data[1], magic0, magic1, ErrCorrupt)
	}
	return nil
}

// meta is what every codec knows about itself for error messages.
type meta struct {
	format Format
	typ    string // Go type name of V, computed once
}

func newMeta[V any](f Format) meta {
	return meta{format: f, typ: reflect.TypeFor[V]().String()}
}

// body checks the header of data against m and returns the bytes after it.
func (m meta) body(data []byte) ([]byte, error) {
	if err := checkMagic(data); err != nil {
		return nil, m.wrap(err)
	}
	f := Format(data[2])
	switch {
	case f != m.format && f.valid():
		return nil, m.decodeErrorf(ErrFormatMismatch, "data is %s-encoded, this codec reads %s", f, m.format)
	case f != m.format:
		return nil, m.decodeErrorf(ErrFormatMismatch, "unknown format id %d, this codec reads %s", data[2], m.format)
	case data[3] != version:
		return nil, m.decodeErrorf(ErrFormatMismatch, "unsupported %s version %d (this build reads version %d)",
			m.format, data[3], version)
	}
	return data[HeaderLen:], nil
}

// wrap prefixes err, which already wraps a sentinel, with the codec and type.
func (m meta) wrap(err error) error {
	return fmt.Errorf("codec: %s: decode %s: %w", m.format, m.typ, err)
}

// decodeErrorf builds a decode error wrapping sentinel.
func (m meta) decodeErrorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("codec: %s: decode %s: %s: %w", m.format, m.typ, fmt.Sprintf(format, args...), sentinel)
}

// corrupt wraps an error from the underlying decoder so that it matches both
// itself and ErrCorrupt.
func (m meta) corrupt(cause error) error {
	return fmt.Errorf("codec: %s: decode %s: %w: %w", m.format, m.typ, cause, ErrCorrupt)
}

// trailing reports bytes left over after a complete value.
func (m meta) trailing(n int) error {
	return m.decodeErrorf(ErrCorrupt, "%d trailing bytes after the value", n)
}

// panicked turns a recovered panic from a third-party decoder into an error.
func (m meta) panicked(r any) error {
	return m.decodeErrorf(ErrCorrupt, "decoder panicked: %v", r)
}

// encodeError wraps an error from the underlying encoder.
func (m meta) encodeError(cause error) error {
	return fmt.Errorf("codec: %s: encode %s: %w", m.format, m.typ, cause)
}
