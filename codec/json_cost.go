package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

var errJSONDepth = errors.New("json: nesting deeper than 10000 levels")

// jsonCost estimates what encoding/json allocates to decode b by plan p
// (see budget.go). It walks b's tokens, which costs about as much as the
// decode itself, and allocates only the transient tokens.
func jsonCost(p *plan, b []byte, limit int64) (int64, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	s := jsonCoster{costScan: costScan{p: p, md: jsonModel, limit: limit}, dec: dec}
	s.charge(p.root.size) // the decoded value escapes to the heap
	if err := s.value(p.root, 0); err != nil {
		return 0, false, err
	}
	return s.cost, s.over, nil
}

type jsonCoster struct {
	costScan
	dec *json.Decoder
}

// value charges the next value decoded as n.
func (s *jsonCoster) value(n *pnode, depth int) error {
	if s.over {
		return nil
	}
	if depth > maxDepth {
		return errJSONDepth
	}
	tok, err := s.dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil // null sets the zero value
	}
	n = s.pointers(n)
	switch t := tok.(type) {
	case string:
		s.payload(n, len(t))
	case json.Delim:
		if t == '[' {
			err = s.array(n, depth)
		} else {
			err = s.object(n, depth)
		}
		if err != nil {
			return err
		}
		if !s.over {
			_, err = s.dec.Token() // the closing delimiter
		}
		return err
	default: // bool, json.Number
		s.scalar(n)
	}
	return nil
}

func (s *jsonCoster) array(n *pnode, depth int) error {
	elem, slot := s.p.any, int64(0)
	switch n.kind {
	case pSlice:
		elem, slot = n.elem, satMul(n.elem.size, s.md.slice)
	case pArray:
		elem = n.elem
	case pIface:
		s.charge(containerHead)
		elem, slot = n, ifaceSlot*s.md.slice
	default:
		s.charge(containerHead)
		slot = satMul(s.p.maxElem, s.md.slice)
	}
	for s.dec.More() && !s.over {
		s.charge(slot)
		if err := s.value(elem, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (s *jsonCoster) object(n *pnode, depth int) error {
	key, elem, slot := s.p.any, s.p.any, int64(0)
	switch n.kind {
	case pMap:
		s.charge(containerHead)
		key, elem = n.key, n.elem
		slot = satMul(satAdd(satAdd(n.key.size, n.elem.size), 8), s.md.mapf)
	case pStruct:
		s.charge(n.extra)
	case pIface:
		s.charge(containerHead)
		key, elem, slot = n, n, (2*ifaceSlot+8)*s.md.mapf
	default:
		s.charge(containerHead)
		slot = satMul(s.p.maxElem, s.md.mapf)
	}
	for s.dec.More() && !s.over {
		tok, err := s.dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		s.charge(slot)
		v := elem
		if n.kind == pStruct {
			// encoding/json matches names exactly, then ignoring case.
			if v = n.js[strings.ToLower(name)]; v == nil {
				v = s.p.any
			}
			s.payload(nameNode, len(name))
		} else {
			s.payload(key, len(name))
		}
		if err := s.value(v, depth+1); err != nil {
			return err
		}
	}
	return nil
}
