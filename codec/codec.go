package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
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
	// ErrCorrupt, bytes written by another codec or header version give
	// one matching ErrFormatMismatch, bytes written for another type or
	// schema one matching ErrTypeMismatch, and a value that could take
	// more memory to decode than the budget allows one matching
	// ErrTooLarge. On error the returned V is the zero value.
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

const (
	magic0 = 0xC1 // never-used byte in msgpack, invalid as UTF-8 start byte
	magic1 = 'S'  // Strata

	// headerV2 is the header layout written by every codec in this build:
	// the format, then the Type of the values. headerV1, written before
	// types were recorded, has only the format; it is read only with
	// Options.AllowUntyped. A future layout gets a new number, which
	// readers reject, so that they fail loudly instead of decoding
	// garbage.
	headerV1 = 1
	headerV2 = 2

	// minHeaderLen is the shortest header: a version 1 header, or the
	// fixed part of a version 2 one.
	minHeaderLen = 4
)

// Sentinel errors returned (wrapped) by Unmarshal, [Detect] and
// [ParseHeader]. Test for them with [errors.Is]; the full message says what
// exactly was wrong.
var (
	// ErrCorrupt means the bytes are damaged: shorter than the header,
	// wrong magic, a body the format cannot decode, or trailing bytes after
	// the encoded value.
	ErrCorrupt = errors.New("codec: corrupt data")

	// ErrFormatMismatch means the header is intact but names another format
	// or a header version this build cannot read: typically two programs, or
	// two releases, sharing one store with different codecs. Bytes written
	// before headers recorded a type (version 1) get it too, unless the
	// codec was built with Options.AllowUntyped.
	ErrFormatMismatch = errors.New("codec: format mismatch")

	// ErrTypeMismatch means the header is intact and names this codec's
	// format, but the values were written for another Go type, or another
	// Options.Schema, than the codec decodes: typically two releases of a
	// program sharing one store during a deploy that changed the type. The
	// message names both types.
	ErrTypeMismatch = errors.New("codec: type mismatch")

	// ErrTooLarge means that decoding the value could take more memory
	// than the codec's budget allows (Options.MaxDecodeBytes,
	// Options.Budget). It is found before the decoder allocates.
	ErrTooLarge = errors.New("codec: value too large to decode")
)

// Header is what the header at the start of an encoded value says.
type Header struct {
	// Format is the encoding of the body.
	Format Format
	// Version is the header layout: 2 for headers that record Type, as
	// every codec of this build writes them; 1 for bytes written before
	// types were recorded, whose Type is then zero.
	Version int
	// Type is the Go type the value was written for.
	Type Type
	// Len is the length of the header in bytes: the body, the plain
	// output of the format's encoder, starts at data[Len:].
	Len int
}

// Default returns the codec Strata uses when none is configured: msgpack,
// the same as [Msgpack]. Its cost is that of Msgpack.
func Default[V any]() Codec[V] { return Msgpack[V]() }

// Detect reads the header of data and reports the format that wrote it,
// without decoding the body. Use it to pick a codec for bytes of unknown
// origin, for example when migrating a store from one codec to another.
// It costs a few comparisons. Errors are those of [ParseHeader].
func Detect(data []byte) (Format, error) {
	h, err := ParseHeader(data)
	if err != nil {
		return 0, err
	}
	return h.Format, nil
}

// ParseHeader reads the header of data without decoding the body, for
// tools that inspect stored bytes. It accepts both header versions. Errors
// match [ErrCorrupt] (short input, wrong magic, a truncated type) or
// [ErrFormatMismatch] (unknown format id or header version).
func ParseHeader(data []byte) (Header, error) {
	h, err := parseHeader(data)
	if err != nil {
		return Header{}, fmt.Errorf("codec: read header: %w", err)
	}
	return h, nil
}

func parseHeader(data []byte) (Header, error) {
	if err := checkMagic(data); err != nil {
		return Header{}, err
	}
	f := Format(data[2])
	if !f.valid() {
		return Header{}, fmt.Errorf("unknown format id %d: %w", data[2], ErrFormatMismatch)
	}
	h := Header{Format: f, Version: int(data[3]), Len: minHeaderLen}
	switch h.Version {
	case headerV1:
		return h, nil
	case headerV2:
	default:
		return Header{}, fmt.Errorf("unsupported %s header version %d (this build reads versions %d and %d): %w",
			f, data[3], headerV1, headerV2, ErrFormatMismatch)
	}
	rest := data[minHeaderLen:]
	if len(rest) < 8 {
		return Header{}, fmt.Errorf("truncated header: type fingerprint cut short: %w", ErrCorrupt)
	}
	h.Type.Fingerprint = binary.BigEndian.Uint64(rest)
	rest = rest[8:]
	schema, n := binary.Uvarint(rest)
	if n <= 0 || schema > math.MaxUint32 {
		return Header{}, fmt.Errorf("bad header: schema is not a 32-bit uvarint: %w", ErrCorrupt)
	}
	h.Type.Schema = uint32(schema)
	rest = rest[n:]
	if len(rest) < 1 || len(rest)-1 < int(rest[0]) {
		return Header{}, fmt.Errorf("truncated header: type name cut short: %w", ErrCorrupt)
	}
	h.Type.Name = string(rest[1 : 1+int(rest[0])])
	h.Len = len(data) - len(rest) + 1 + int(rest[0])
	return h, nil
}

// AppendHeader appends to b the header that a codec of format f writes for
// values of type t (see [TypeOf]) and returns the extended slice. Tools
// that store bodies without their headers use it to put one back before
// Unmarshal. A name longer than 255 bytes is cut.
func AppendHeader(b []byte, f Format, t Type) []byte {
	b = append(b, magic0, magic1, byte(f), headerV2)
	b = binary.BigEndian.AppendUint64(b, t.Fingerprint)
	b = binary.AppendUvarint(b, uint64(t.Schema))
	name := t.Name
	if len(name) > maxTypeName {
		name = name[:maxTypeName]
	}
	b = append(b, byte(len(name)))
	return append(b, name...)
}

// HeaderOf reports whether c is a codec of this package (made by its
// constructors or [New]) and if so returns the header that its Marshal
// writes before every body. For such a codec, Marshal(v) always starts
// with header, and Unmarshal of header followed by a body decodes the
// body with every check Unmarshal makes. A store whose records are all
// written by one codec can then keep each body without its header and put
// the header back before Unmarshal. It costs a type assertion and a copy
// of the header; for other codecs it returns nil and false.
func HeaderOf[V any](c Codec[V]) (header []byte, ok bool) {
	m, ok := c.(interface{ codecMeta() *meta })
	if !ok {
		return nil, false
	}
	return bytes.Clone(m.codecMeta().header), true
}

// checkMagic reports, as an error wrapping ErrCorrupt, whether data is too
// short for a header or does not start with the magic bytes.
func checkMagic(data []byte) error {
	switch {
	case len(data) == 0:
		return fmt.Errorf("empty input: %w", ErrCorrupt)
	case len(data) < minHeaderLen:
		return fmt.Errorf("truncated header: %d of %d bytes: %w", len(data), minHeaderLen, ErrCorrupt)
	case data[0] != magic0 || data[1] != magic1:
		return fmt.Errorf("bad magic %#02x %#02x, want %#02x %#02x (not written by this package): %w",
			data[0], data[1], magic0, magic1, ErrCorrupt)
	}
	return nil
}

// meta is what every codec knows about itself: its format, the Type it
// writes and reads, its header, and its decoding limits.
type meta struct {
	format       Format
	typ          Type
	header       []byte // AppendHeader(nil, format, typ), computed once
	allowUntyped bool
	limits
}

func newMeta[V any](f Format, o Options) meta {
	t := TypeOf[V](o.Schema)
	return meta{
		format:       f,
		typ:          t,
		header:       AppendHeader(nil, f, t),
		allowUntyped: o.AllowUntyped,
		limits:       newLimits[V](o),
	}
}

// codecMeta marks the codecs of this package, for HeaderOf.
func (m *meta) codecMeta() *meta { return m }

// appendHeader appends this codec's header to b.
func (m *meta) appendHeader(b []byte) []byte { return append(b, m.header...) }

// body checks the header of data against m and returns the bytes after it.
// A header equal to the codec's own, the usual case, costs one comparison.
func (m *meta) body(data []byte) ([]byte, error) {
	if bytes.HasPrefix(data, m.header) {
		return data[len(m.header):], nil
	}
	h, err := parseHeader(data)
	if err != nil {
		return nil, m.wrap(err)
	}
	switch {
	case h.Format != m.format:
		return nil, m.decodeErrorf(ErrFormatMismatch, "data is %s-encoded, this codec reads %s", h.Format, m.format)
	case h.Version == headerV1 && !m.allowUntyped:
		return nil, m.decodeErrorf(ErrFormatMismatch,
			"header version 1 records no type, so the value cannot be checked to be a %s (Options.AllowUntyped accepts it unchecked)", m.typ.Name)
	case h.Version == headerV1:
		return data[h.Len:], nil
	case !h.Type.matches(m.typ):
		return nil, m.decodeErrorf(ErrTypeMismatch, "stored value is %v, this codec reads %v", h.Type, m.typ)
	}
	// The same type under another name (renamed or moved).
	return data[h.Len:], nil
}

// wrap prefixes err, which already wraps a sentinel, with the codec and type.
func (m *meta) wrap(err error) error {
	return fmt.Errorf("codec: %s: decode %s: %w", m.format, m.typ.Name, err)
}

// decodeErrorf builds a decode error wrapping sentinel.
func (m *meta) decodeErrorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("codec: %s: decode %s: %s: %w", m.format, m.typ.Name, fmt.Sprintf(format, args...), sentinel)
}

// corrupt wraps an error from the underlying decoder so that it matches both
// itself and ErrCorrupt.
func (m *meta) corrupt(cause error) error {
	return fmt.Errorf("codec: %s: decode %s: %w: %w", m.format, m.typ.Name, cause, ErrCorrupt)
}

// trailing reports bytes left over after a complete value.
func (m *meta) trailing(n int) error {
	return m.decodeErrorf(ErrCorrupt, "%d trailing bytes after the value", n)
}

// panicked turns a recovered panic from a third-party decoder into an error.
func (m *meta) panicked(r any) error {
	return m.decodeErrorf(ErrCorrupt, "decoder panicked: %v", r)
}

// encodeError wraps an error from the underlying encoder.
func (m *meta) encodeError(cause error) error {
	return fmt.Errorf("codec: %s: encode %s: %w", m.format, m.typ.Name, cause)
}
