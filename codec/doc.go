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
// All codecs are stateless, safe for concurrent use, and cheap to keep for
// the life of a cache. Constructing one costs a few small allocations, so
// build it once, not per call.
//
// # Wire layout
//
// Every encoded value starts with a 4-byte header followed by the body:
//
//	offset  size  meaning
//	0       2     magic: 0xC1 0x53
//	2       1     format id: 1 msgpack, 2 JSON, 3 gob, 4 raw (see [Format])
//	3       1     format version, currently 1 for every format
//	4       n     body: the plain msgpack, JSON or gob encoding, or the raw
//	              bytes, with nothing appended
//
// The first magic byte, 0xC1, is the one byte that msgpack reserves as never
// used, it cannot start valid UTF-8 (so no JSON document starts with it), and
// it is not a valid gob length prefix. Bytes written by a bare encoder, or by
// something else entirely, are therefore rejected at the header instead of
// being decoded into garbage. The second byte, 'S' for Strata, makes an
// accidental match less likely still.
//
// The body after the header is exactly what the underlying encoder produces,
// so other tools can read it by skipping [HeaderLen] bytes.
//
// # Errors
//
// Unmarshal never panics on bad input; it returns an error whose message
// starts with "codec:" and names the codec and the Go type, and which matches
// one of two sentinels with [errors.Is]:
//
//   - [ErrCorrupt]: the bytes are damaged: too short for a header, wrong
//     magic, a body the format cannot decode, or trailing bytes after the
//     value.
//   - [ErrFormatMismatch]: the header is intact but was written by another
//     codec, or by a version of this one that this build cannot read.
//
// A cache level usually treats both as a miss and overwrites the entry; the
// distinction is there for logging and metrics (a burst of mismatches after a
// deploy means two codecs share one store).
//
// Hostile input is bounded: the msgpack codec checks the structure of the
// body before decoding, so no length prefix can claim more elements or bytes
// than the input actually holds, and nesting deeper than 10000 levels is
// rejected; JSON and gob rely on the standard library's own limits, which
// are similar.
package codec
