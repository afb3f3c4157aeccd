package slab

import "github.com/stratacache/cache/entry"

// Removals collects copies of the entries an operation removed, so that
// they can be reported (to OnEvict) after the shard's lock is released.
// The copies live in one reused buffer: a Removals holds no pointer per
// entry. The zero value is ready to use.
type Removals struct {
	buf  []byte
	list []removal
}

type removal struct {
	keyEnd, valEnd int // in buf; the key starts where the previous value ends
	reason         entry.Reason
}

// add collects a removal whose value is prefix followed by value.
func (r *Removals) add(key, prefix, value []byte, reason entry.Reason) {
	r.buf = append(r.buf, key...)
	k := len(r.buf)
	r.buf = append(r.buf, prefix...)
	r.buf = append(r.buf, value...)
	r.list = append(r.list, removal{keyEnd: k, valEnd: len(r.buf), reason: reason})
}

// Len returns the number of removals collected.
func (r *Removals) Len() int { return len(r.list) }

// At returns the i-th removal, in the order they happened. The slices
// are valid until Reset.
func (r *Removals) At(i int) (key, value []byte, reason entry.Reason) {
	start := 0
	if i > 0 {
		start = r.list[i-1].valEnd
	}
	x := r.list[i]
	return r.buf[start:x.keyEnd:x.keyEnd], r.buf[x.keyEnd:x.valEnd:x.valEnd], x.reason
}

// Reset forgets the removals, keeping the buffer for reuse.
func (r *Removals) Reset() {
	r.buf = r.buf[:0]
	r.list = r.list[:0]
}
