package codec

import "encoding/binary"

// msgpack value categories, as the cost scan sees them.
const (
	catNil = iota
	catScalar
	catPayload // str, bin, ext: a length and that many bytes
	catArray
	catMap
)

// msgpackCost estimates what decoding b by plan p allocates (see
// budget.go). b must have passed scanMsgpack, so every length is in
// bounds and nesting is at most maxDepth.
func msgpackCost(p *plan, b []byte, limit int64) (int64, bool, error) {
	s := msgpackCoster{costScan: costScan{p: p, md: msgpackModel, limit: limit}, b: b}
	s.charge(p.root.size) // the decoded value escapes to the heap
	s.value(p.root)
	return s.cost, s.over, nil
}

type msgpackCoster struct {
	costScan
	b   []byte
	pos int
}

// head reads a value's type byte and length fields. It returns the
// category and n: the element count of a container, the payload length
// of a catPayload, the bytes to skip of a scalar.
func (s *msgpackCoster) head() (cat, n int) {
	c := s.b[s.pos]
	s.pos++
	switch {
	case c <= 0x7f, c >= 0xe0:
		return catScalar, 0
	case c <= 0x8f:
		return catMap, int(c & 0x0f)
	case c <= 0x9f:
		return catArray, int(c & 0x0f)
	case c <= 0xbf:
		return catPayload, int(c & 0x1f)
	}
	switch c {
	case 0xc0:
		return catNil, 0
	case 0xc2, 0xc3:
		return catScalar, 0
	case 0xc4, 0xd9:
		return catPayload, s.length(1)
	case 0xc5, 0xda:
		return catPayload, s.length(2)
	case 0xc6, 0xdb:
		return catPayload, s.length(4)
	case 0xc7:
		return catPayload, s.length(1) + 1
	case 0xc8:
		return catPayload, s.length(2) + 1
	case 0xc9:
		return catPayload, s.length(4) + 1
	case 0xca, 0xce, 0xd2:
		return catScalar, 4
	case 0xcb, 0xcf, 0xd3:
		return catScalar, 8
	case 0xcc, 0xd0:
		return catScalar, 1
	case 0xcd, 0xd1:
		return catScalar, 2
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return catPayload, 1 + 1<<(c-0xd4)
	case 0xdc:
		return catArray, s.length(2)
	case 0xdd:
		return catArray, s.length(4)
	case 0xde:
		return catMap, s.length(2)
	case 0xdf:
		return catMap, s.length(4)
	}
	return catScalar, 0 // 0xc1, which scanMsgpack refuses
}

func (s *msgpackCoster) length(size int) int {
	var n int
	switch size {
	case 1:
		n = int(s.b[s.pos])
	case 2:
		n = int(binary.BigEndian.Uint16(s.b[s.pos:]))
	case 4:
		n = int(binary.BigEndian.Uint32(s.b[s.pos:]))
	}
	s.pos += size
	return n
}

// value charges the value at s.pos decoded as n and moves past it.
func (s *msgpackCoster) value(n *pnode) {
	if s.over {
		return
	}
	cat, k := s.head()
	if cat == catNil {
		return // a nil sets the zero value
	}
	n = s.pointers(n)
	switch cat {
	case catScalar:
		s.pos += k
		s.scalar(n)
	case catPayload:
		s.pos += k
		s.payload(n, k)
	case catArray:
		s.array(n, k)
	case catMap:
		s.mapping(n, k)
	}
}

func (s *msgpackCoster) array(n *pnode, k int) {
	elem := s.p.any
	switch n.kind {
	case pSlice:
		s.chargeN(k, n.elem.size, s.md.slice)
		elem = n.elem
	case pArray:
		elem = n.elem
	case pIface:
		s.charge(containerHead)
		s.chargeN(k, ifaceSlot, s.md.slice)
		elem = n
	default:
		// Anything else (a struct as an array, a custom decoder, a
		// mismatch the decoder will refuse) is costed at the worst.
		s.charge(containerHead)
		s.chargeN(k, s.p.maxElem, s.md.slice)
	}
	for range k {
		if s.over {
			return
		}
		s.value(elem)
	}
}

func (s *msgpackCoster) mapping(n *pnode, k int) {
	key, elem := s.p.any, s.p.any
	switch n.kind {
	case pMap:
		s.charge(containerHead)
		s.chargeN(k, satAdd(satAdd(n.key.size, n.elem.size), 8), s.md.mapf)
		key, elem = n.key, n.elem
	case pStruct:
		s.charge(n.extra)
		for range k {
			if s.over {
				return
			}
			if f := n.mp[string(s.peekString())]; f != nil {
				s.value(nameNode)
				s.value(f)
				continue
			}
			s.value(s.p.any)
			s.value(s.p.any)
		}
		return
	case pIface:
		s.charge(containerHead)
		s.chargeN(k, 2*ifaceSlot+8, s.md.mapf)
		key, elem = n, n
	default:
		s.charge(containerHead)
		s.chargeN(k, s.p.maxElem, s.md.mapf)
	}
	for range k {
		if s.over {
			return
		}
		s.value(key)
		s.value(elem)
	}
}

// nameNode costs a struct field's name: its payload only.
var nameNode = &pnode{kind: pString}

// peekString returns the bytes of the string at s.pos without moving, or
// nil if the value there is not a string.
func (s *msgpackCoster) peekString() []byte {
	c := s.b[s.pos]
	at, n := s.pos+1, 0
	switch {
	case c >= 0xa0 && c <= 0xbf:
		n = int(c & 0x1f)
	case c == 0xd9:
		n, at = int(s.b[at]), at+1
	case c == 0xda:
		n, at = int(binary.BigEndian.Uint16(s.b[at:])), at+2
	case c == 0xdb:
		n, at = int(binary.BigEndian.Uint32(s.b[at:])), at+4
	default:
		return nil
	}
	return s.b[at : at+n]
}
