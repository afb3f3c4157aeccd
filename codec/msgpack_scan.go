package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// maxDepth bounds how deeply arrays and maps may nest in a msgpack body.
// Real values are nowhere near it; hostile input that nests deeper is
// rejected before the recursive decoder sees it.
const maxDepth = 10000

var errMsgpackDepth = errors.New("msgpack: nesting deeper than 10000 levels")

// scanMsgpack checks that b holds exactly one well-formed msgpack value and
// nothing after it, without decoding anything.
//
// It exists because the msgpack library trusts length prefixes: an array or
// bin header may claim billions of elements, and the decoder allocates for
// them before it notices that the input is short. The scan keeps a running
// count of the values still owed by open arrays and maps and fails as soon
// as that count, or a string or binary length, exceeds the bytes left: every
// value takes at least one byte, so an honest prefix never does. After it
// passes, every length the decoder reads is bounded by len(b).
//
// The scan is iterative, allocation-free for bodies nesting up to 32 deep,
// and costs a small fraction of the decode itself.
func scanMsgpack(b []byte) error {
	var stackBuf [32]int
	// stack[i] is how many values the i-th open container still needs.
	stack := stackBuf[:0]
	owed := 1 // values owed in total, including the top-level one
	pos := 0
	for owed > 0 {
		if pos >= len(b) {
			return fmt.Errorf("msgpack: unexpected end of data at offset %d, %d values missing", pos, owed)
		}
		start := pos
		c := b[pos]
		pos++
		owed--
		if len(stack) > 0 {
			stack[len(stack)-1]--
		}

		var (
			skip  int // bytes to skip after the type byte
			lenSz int // size of a big-endian length that follows the type byte
			items int // values held by a container (map: 2 per entry)
			isCtr bool
		)
		switch {
		case c <= 0x7f, c >= 0xe0: // positive and negative fixint
		case c <= 0x8f: // fixmap
			items, isCtr = 2*int(c&0x0f), true
		case c <= 0x9f: // fixarray
			items, isCtr = int(c&0x0f), true
		case c <= 0xbf: // fixstr
			skip = int(c & 0x1f)
		default:
			switch c {
			case 0xc0, 0xc2, 0xc3: // nil, false, true
			case 0xc1:
				return fmt.Errorf("msgpack: reserved type byte 0xc1 at offset %d", start)
			case 0xc4, 0xd9: // bin8, str8
				lenSz = 1
			case 0xc5, 0xda: // bin16, str16
				lenSz = 2
			case 0xc6, 0xdb: // bin32, str32
				lenSz = 4
			case 0xc7: // ext8: length, type, data
				lenSz, skip = 1, 1
			case 0xc8: // ext16
				lenSz, skip = 2, 1
			case 0xc9: // ext32
				lenSz, skip = 4, 1
			case 0xca, 0xce, 0xd2: // float32, uint32, int32
				skip = 4
			case 0xcb, 0xcf, 0xd3: // float64, uint64, int64
				skip = 8
			case 0xcc, 0xd0: // uint8, int8
				skip = 1
			case 0xcd, 0xd1: // uint16, int16
				skip = 2
			case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16 plus type byte
				skip = 1 + 1<<(c-0xd4)
			case 0xdc: // array16
				lenSz, isCtr = 2, true
			case 0xdd: // array32
				lenSz, isCtr = 4, true
			case 0xde: // map16
				lenSz, isCtr = 2, true
			case 0xdf: // map32
				lenSz, isCtr = 4, true
			}
		}

		if lenSz > 0 {
			if len(b)-pos < lenSz {
				return fmt.Errorf("msgpack: truncated length at offset %d", pos)
			}
			var n uint64
			switch lenSz {
			case 1:
				n = uint64(b[pos])
			case 2:
				n = uint64(binary.BigEndian.Uint16(b[pos:]))
			case 4:
				n = uint64(binary.BigEndian.Uint32(b[pos:]))
			}
			pos += lenSz
			if c == 0xde || c == 0xdf {
				n *= 2 // a map entry is a key and a value
			}
			if n > uint64(len(b)) { // keeps the int conversion below safe
				return fmt.Errorf("msgpack: length %d at offset %d exceeds the %d-byte input", n, start, len(b))
			}
			if isCtr {
				items = int(n)
			} else {
				skip += int(n)
			}
		}

		if skip > len(b)-pos {
			return fmt.Errorf("msgpack: value at offset %d needs %d more bytes, %d left", start, skip, len(b)-pos)
		}
		pos += skip

		if isCtr && items > 0 {
			owed += items
			if owed > len(b)-pos {
				return fmt.Errorf("msgpack: container at offset %d claims %d values, only %d bytes left",
					start, items, len(b)-pos)
			}
			if len(stack) == maxDepth {
				return errMsgpackDepth
			}
			stack = append(stack, items)
		}
		for len(stack) > 0 && stack[len(stack)-1] == 0 {
			stack = stack[:len(stack)-1]
		}
	}
	if pos != len(b) {
		return fmt.Errorf("msgpack: %d trailing bytes after the value", len(b)-pos)
	}
	return nil
}
