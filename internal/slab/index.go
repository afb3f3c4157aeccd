package slab

// index maps keys to record positions with linear probing over a power of
// two of uint64 slots, so that it holds no pointer however many entries
// there are. A slot is tag<<32 | loc, 0 when empty:
//
//   - tag is 29 bits of the key's hash with the top bit set (so that no
//     occupied slot is 0); its low bits pick the home slot, which lets
//     the table grow without rehashing keys;
//   - bits 29 and 30 of tag are not the key's but its S3-FIFO access
//     count, kept here rather than in the record so that a read, which
//     takes no lock, can raise it with an atomic operation on an aligned
//     word;
//   - loc is the ring (bit 31: 0 small, 1 main) and the record's position.
//
// Deletion shifts the following slots back instead of leaving tombstones,
// so lookups never walk past deleted slots. Reads without the lock (see
// Shard.GetBody) load slots atomically, from a table the shard publishes
// whenever grow or reset replaces it; every other access holds the
// shard's lock.
type index struct {
	slots []uint64
	mask  uint64
	count int
}

const (
	minIndexSlots = 64
	tagBit        = 1 << 31
	mainBit       = 1 << 31
	posMask       = 1<<31 - 1
	// MaxRingBytes bounds a ring: a position must fit in 31 bits.
	MaxRingBytes = 1 << 31
)

// freqShift places the access count in a slot.
const (
	freqShift = 32 + 29
	freqMask  = uint64(maxFreq) << freqShift
)

func tagOf(hash uint64) uint32 { return uint32(hash>>32)&^uint32(freqMask>>32) | tagBit }

func slotOf(tag, loc uint32) uint64 { return uint64(tag)<<32 | uint64(loc) }

// slotTag returns the key's tag in slot s, without the access count.
func slotTag(s uint64) uint32 { return uint32((s &^ freqMask) >> 32) }

func slotLoc(s uint64) uint32 { return uint32(s) }

func slotFreq(s uint64) byte { return byte(s>>freqShift) & maxFreq }

func withFreq(s uint64, f byte) uint64 { return s&^freqMask | uint64(f)<<freqShift }

func newIndex() index {
	return index{slots: make([]uint64, minIndexSlots), mask: minIndexSlots - 1}
}

// home returns the slot a tag probes first.
func (x *index) home(tag uint32) uint64 { return uint64(tag) & x.mask }

// insert adds a slot with access count freq for a key known to be
// absent, growing the table beyond three quarters full.
func (x *index) insert(tag, loc uint32, freq byte) {
	if (x.count+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	x.place(withFreq(slotOf(tag, loc), freq))
	x.count++
}

func (x *index) place(s uint64) {
	for i := x.home(slotTag(s)); ; i = (i + 1) & x.mask {
		if x.slots[i] == 0 {
			x.slots[i] = s
			return
		}
	}
}

// grow doubles the table. Home slots come from the tags, so no key is
// read again.
func (x *index) grow() {
	old := x.slots
	x.slots = make([]uint64, 2*len(old))
	x.mask = uint64(len(x.slots) - 1)
	for _, s := range old {
		if s != 0 {
			x.place(s)
		}
	}
}

// remove empties slot i and shifts back the slots after it that probed
// past it, so that every key stays reachable from its home slot.
func (x *index) remove(i uint64) {
	x.count--
	for j := (i + 1) & x.mask; ; j = (j + 1) & x.mask {
		s := x.slots[j]
		if s == 0 {
			break
		}
		// s may move to i if its home is not cyclically within (i, j].
		if h := x.home(slotTag(s)); (j-h)&x.mask >= (j-i)&x.mask {
			x.slots[i] = s
			i = j
		}
	}
	x.slots[i] = 0
}

// findLoc returns the slot whose tag and location are exactly these, for
// a record met in a ring: its own slot if the index still points at it.
func (x *index) findLoc(tag, loc uint32) (uint64, bool) {
	want := slotOf(tag, loc)
	for i := x.home(tag); ; i = (i + 1) & x.mask {
		switch s := x.slots[i]; s &^ freqMask {
		case want:
			return i, true
		case 0:
			return 0, false
		}
	}
}

// reset empties the table and shrinks it back to its first size.
func (x *index) reset() { *x = newIndex() }
