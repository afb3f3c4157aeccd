// Package codec turns cache values into bytes and back, for the cache levels
// that store bytes rather than Go values (Redis, an embedded store) and for
// cache snapshots.
//
// A [Codec] is typed: Codec[User] encodes a User and decodes bytes into a
// User, so callers never write type assertions. Four implementations exist:
//
//   - [Msgpack] (also returned by [Default]): compact and fast; the right
//     choice unless something else is needed.
//   - [JSON]: human-readable bytes, readable by tools in any language, at
//     about a third more bytes and three times the decode cost of msgpack.
//   - [Gob]: for types that only know how to encode themselves with
//     encoding/gob. Every value carries its own type description, so it is
//     the largest and slowest of the four (over ten times msgpack's decode
//     cost).
//   - [Raw]: no encoding at all, for values that already are bytes or
//     strings; costs one copy each way.
//
// [New] builds any of them from [Options], which also set the schema
// number recorded with every value and the decoding budget.
//
// All codecs are stateless (but for a shared Options.Budget), safe for
// concurrent use, and cheap to keep for the life of a cache. Constructing
// one walks the value type once with reflection, so build it once, not per
// call.
//
// # Wire layout
//
// Every encoded value starts with a header followed by the body:
//
//	offset  size  meaning
//	0       2     magic: 0xC1 0x53
//	2       1     format id: 1 msgpack, 2 JSON, 3 gob, 4 raw (see [Format])
//	3       1     header version: 2
//	4       8     the value type's fingerprint, big-endian (see [Type])
//	12      1-5   the schema, a uvarint (Options.Schema)
//	        1     n, the length of the type's name (at most 255)
//	        n     the type's name, for error messages
//	        m     body: the plain msgpack, JSON or gob encoding, or the raw
//	              bytes, with nothing appended
//
// For a type named main.User the header takes 23 bytes. [ParseHeader]
// reads it and says where the body starts; [AppendHeader] writes one.
//
// The first magic byte, 0xC1, is the one byte that msgpack reserves as never
// used, it cannot start valid UTF-8 (so no JSON document starts with it), and
// it is not a valid gob length prefix. Bytes written by a bare encoder, or by
// something else entirely, are therefore rejected at the header instead of
// being decoded into garbage. The second byte, 'S' for Strata, makes an
// accidental match less likely still.
//
// # Types
//
// The header records the Go type the value was written for: a fingerprint
// of its structure (kinds, exported field names and tags, nesting), a
// schema number of the user's, and its name. Unmarshal refuses bytes whose
// fingerprint or schema differ from its own with [ErrTypeMismatch], naming
// both types, so that two releases of a program sharing a store never read
// each other's values as the wrong type. A type renamed or moved keeps its
// fingerprint. To change a type safely, either change its structure (a
// new field name, a new kind: the fingerprint changes by itself) or bump
// Options.Schema for changes of meaning the structure does not show.
//
// Header version 1, written before types were recorded, had only the
// first 4 bytes. Such bytes are refused with [ErrFormatMismatch] unless
// the codec is built with Options.AllowUntyped, which reads them as V
// unchecked. Readers of version 1 refuse version 2 headers the same way.
//
// # Errors
//
// Unmarshal never panics on bad input; it returns an error whose message
// starts with "codec:" and names the codec and the Go type, and which matches
// one of four sentinels with [errors.Is]:
//
//   - [ErrCorrupt]: the bytes are damaged: too short for a header, wrong
//     magic, a body the format cannot decode, or trailing bytes after the
//     value.
//   - [ErrFormatMismatch]: the header is intact but was written by another
//     codec, or with a header version this build does not read.
//   - [ErrTypeMismatch]: the header names this format but another type or
//     schema.
//   - [ErrTooLarge]: decoding could take more memory than the budget.
//
// A cache level usually treats all of them as a miss and overwrites the
// entry; the distinction is there for logging and metrics (a burst of type
// mismatches after a deploy means two releases with different value types
// share one store).
//
// # Bounds
//
// Decoding is bounded in memory, before the decoder allocates. The msgpack
// codec checks the structure of the body first, so no length prefix can
// claim more elements or bytes than the input holds, and nesting deeper
// than 10000 levels is refused (JSON has the same limit; gob has its own).
// Then every codec estimates what decoding the body will allocate, by V's
// structure: a slice of n elements counts n times the element's size,
// times the decoder's growth (twice for msgpack, eight times for JSON and
// gob, which grow as they go), a map its slots, a pointer its target, a
// string or byte payload four times its length, an interface its box, plus
// a quarter for the allocator's rounding. A value whose estimate exceeds
// Options.MaxDecodeBytes (DefaultMaxDecodeBytes, 64 MiB, by default) is
// refused with ErrTooLarge before anything is decoded. The estimate is an
// upper bound of what the decoders allocate, including the buffers they
// outgrow; the package's tests measure it against them.
//
// For a small body the worst case settles it at no cost: the body's length
// times the most one input byte can cost for V (for a flat struct a few
// hundred bytes). A larger body is estimated exactly: msgpack by a second
// linear pass over the bytes, JSON by a walk over its tokens (about as
// costly as decoding). Gob cannot be estimated without decoding, so a gob
// body is refused when its worst case exceeds the budget: with gob, values
// of types with large elements are limited to MaxDecodeBytes divided by
// that figure. Methods that decode a type themselves (UnmarshalBinary and
// the like) are charged their input's length; what they allocate beyond
// that is theirs to bound.
//
// Options.Budget shares one allowance among many decodes, such as the
// records of a snapshot.
package codec
