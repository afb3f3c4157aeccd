package slab

import (
	"bytes"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, deadline := range []int64{0, 1234567890123} {
		key, value := "key", []byte("some value")
		size := RecordSize(len(key), len(value), deadline != 0)
		b := make([]byte, size+5) // a record is followed by the rest of its chunk
		flags := byte(2)
		if deadline != 0 {
			flags |= flagDeadline
		}
		// The value is written in two parts, as for a codec's header and body.
		writeRecord(b[:size], flags, key, value[:4], value[4:], deadline)
		var x rec
		ok := parseRecord(b, &x)
		if !ok {
			t.Fatalf("deadline %d: record does not parse", deadline)
		}
		if string(x.key()) != key || !bytes.Equal(x.value(), value) || x.deadline != deadline ||
			x.size() != size || x.flags&flagFreq != 2 {
			t.Fatalf("deadline %d: parsed %q=%q deadline %d size %d flags %#x", deadline, x.key(), x.value(), x.deadline, x.size(), x.flags)
		}
	}
}

// A record cut short, or bytes that are not a record, never parse.
func TestParseRecordRejects(t *testing.T) {
	b := make([]byte, RecordSize(3, 4, true))
	writeRecord(b, flagDeadline, "abc", nil, []byte("wxyz"), 99)
	for n := range len(b) {
		if parseRecord(b[:n], new(rec)) {
			t.Errorf("a record cut to %d of %d bytes parses", n, len(b))
		}
	}
	for _, flags := range []byte{flagPad, 0x20, 0x80} {
		c := bytes.Clone(b)
		c[0] |= flags
		if parseRecord(c, new(rec)) {
			t.Errorf("flags %#x parse", c[0])
		}
	}
}

func FuzzParseRecord(f *testing.F) {
	b := make([]byte, RecordSize(3, 4, true))
	writeRecord(b, flagDeadline|1, "abc", nil, []byte("wxyz"), 99)
	f.Add(b)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{flagDead, 255, 255, 255, 255, 255, 255, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var x rec
		ok := parseRecord(b, &x)
		if !ok {
			return
		}
		// What parses is inside b and encodes back to the same bytes.
		if x.size() > len(b) || x.keyLen+x.valLen > x.size() {
			t.Fatalf("record of %d bytes parsed from %d", x.size(), len(b))
		}
		again := make([]byte, x.size())
		writeRecord(again, x.flags, string(x.key()), nil, x.value(), x.deadline)
		if !bytes.Equal(again, b[:x.size()]) {
			t.Fatalf("re-encoding %x gives %x", b[:x.size()], again)
		}
	})
}

// indexModel drives the index with the operations data encodes and
// checks it against a map after each: inserts (with few distinct tags, so
// that probe chains are long and shared) and removals, through growth.
func indexModel(t *testing.T, data []byte) {
	x := newIndex()
	ref := map[uint32]uint32{} // loc -> tag; locations are unique
	var locs []uint32
	for step, b := range data {
		if len(locs) > 0 && b&1 == 1 {
			j := int(b>>1) % len(locs)
			loc := locs[j]
			i, ok := x.findLoc(ref[loc], loc)
			if !ok {
				t.Fatalf("step %d: location %d not found", step, loc)
			}
			x.remove(i)
			delete(ref, loc)
			locs[j] = locs[len(locs)-1]
			locs = locs[:len(locs)-1]
		} else {
			tag := tagOf(uint64(b>>1%50) << 32)
			loc := uint32(step)
			x.insert(tag, loc, byte(step)%(maxFreq+1))
			ref[loc] = tag
			locs = append(locs, loc)
		}
		if x.count != len(ref) {
			t.Fatalf("step %d: count %d, want %d", step, x.count, len(ref))
		}
	}
	for loc, tag := range ref {
		if _, ok := x.findLoc(tag, loc); !ok {
			t.Fatalf("location %d lost", loc)
		}
	}
	if x.count > 0 && len(x.slots)*3 < x.count*4 {
		t.Fatalf("%d slots for %d entries: more than three quarters full", len(x.slots), x.count)
	}
}

func TestIndexModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 20000)
	for i := range data {
		// Two inserts for each removal, so that the table grows.
		data[i] = byte(rng.IntN(128)) << 1
		if rng.IntN(3) == 0 {
			data[i] |= 1
		}
	}
	indexModel(t, data)
}

func FuzzIndexOps(f *testing.F) {
	f.Add([]byte{0, 2, 4, 1, 6, 3, 8})
	f.Add(make([]byte, 200))
	f.Fuzz(func(t *testing.T, data []byte) { indexModel(t, data[:min(len(data), 4096)]) })
}

func TestGhostWindow(t *testing.T) {
	g := newGhost(64)
	g.add(1 << 40)
	for i := range 10 {
		g.add(uint64(i+2) << 33)
	}
	if !g.take(1<<40, 20) {
		t.Fatal("a hash added 11 evictions ago is not in a window of 20")
	}
	if g.take(1<<40, 20) {
		t.Fatal("a hash is found twice")
	}
	g.add(1 << 40)
	for i := range 10 {
		g.add(uint64(i+2) << 33)
	}
	if g.take(1<<40, 5) {
		t.Fatal("a hash added 11 evictions ago is in a window of 5")
	}
	g.add(7 << 32)
	g.grow(256)
	if !g.take(7<<32, 5) {
		t.Fatal("growth lost a hash")
	}
}

// The access count shares the slot with the tag and location without
// changing either, whatever bits the hash has.
func TestSlotFreq(t *testing.T) {
	for _, h := range []uint64{0, ^uint64(0), 0x6000_0000_0000_0000, 0x1234_5678_9abc_def0} {
		for _, loc := range []uint32{0, mainBit | 12345, ^uint32(0)} {
			tag := tagOf(h)
			for f := range byte(maxFreq + 1) {
				s := withFreq(slotOf(tag, loc), f)
				if slotTag(s) != tag || slotLoc(s) != loc || slotFreq(s) != f || s == 0 {
					t.Fatalf("hash %#x loc %#x freq %d: slot %#x reads tag %#x loc %#x freq %d",
						h, loc, f, s, slotTag(s), slotLoc(s), slotFreq(s))
				}
			}
		}
	}
}

// A record too long for the rest of its chunk, whose next chunk is the
// ring's last and shorter than the record, goes to the start of the ring:
// both the rest of its chunk and the last chunk are padded, and need
// counts them. (It was written past the last chunk's end, which panicked.)
func TestAllocSkipsAShortLastChunk(t *testing.T) {
	// Chunks of 1024, 1024 and 100 bytes.
	r := ring{chunks: make([][]byte, 3), shared: make([]atomic.Pointer[[]byte], 3), shift: 10, capacity: 2<<10 + 100}
	r.alloc(1000)
	r.alloc(1000) // pads 24 bytes, lands at 1024
	r.popFront(1000)
	r.skipPads() // the head is at 1024: the first chunk is free
	if got, want := r.need(500), 24+100+500; got != want {
		t.Fatalf("need(500) = %d, want %d: the rest of the second chunk and all of the last", got, want)
	}
	if r.free() < r.need(500) {
		t.Fatalf("free %d, need %d", r.free(), r.need(500))
	}
	if p := r.alloc(500); p != 0 {
		t.Fatalf("a 500-byte record placed at %d, want 0", p)
	}
	if r.used != 1000+24+100+500 || r.tail != 500 {
		t.Fatalf("used %d, tail %d after the wrap", r.used, r.tail)
	}
}
