package entry

import (
	"testing"
	"unsafe"
)

// Entries are what a cache has millions of. A plain entry of uint64 key
// and value must fit the 64-byte size class, with its timer section the
// 80-byte class, and a full one the 112-byte class; a plain entry of
// string key and []byte value the 80-byte class.
func TestEntrySize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("layout checked on 64-bit platforms only")
	}
	for _, c := range []struct {
		what      string
		got, want uintptr
	}{
		{"Entry[uint64, uint64]", unsafe.Sizeof(Entry[uint64, uint64]{}), 56},
		{"timed[uint64, uint64]", unsafe.Sizeof(timed[uint64, uint64]{}), 80},
		{"full[uint64, uint64]", unsafe.Sizeof(full[uint64, uint64]{}), 104},
		{"Entry[string, []byte]", unsafe.Sizeof(Entry[string, []byte]{}), 80},
		{"timed[string, []byte]", unsafe.Sizeof(timed[string, []byte]{}), 104},
		{"Entry[string, int]", unsafe.Sizeof(Entry[string, int]{}), 64},
	} {
		if c.got != c.want {
			t.Errorf("%s is %d bytes, want %d", c.what, c.got, c.want)
		}
	}
}

// Every kind of entry takes a deadline and reports it, and a plain entry
// without a timer section grows one for it.
func TestDeadlines(t *testing.T) {
	for name, e := range map[string]*Entry[int, int]{
		"plain": New(1, 1, 1, 1),
		"timed": NewTimed(1, 1, 1, 1),
		"full":  NewFull(1, 1, 1, 1),
	} {
		if e.Deadline() != 0 || e.ExpiredAt(100) {
			t.Fatalf("%s: new entry has deadline %d", name, e.Deadline())
		}
		e.Write(2, 1, 0, 0, 0, false)
		if name == "plain" && e.x.Load() != nil {
			t.Fatalf("plain entry grew a timer section without a deadline")
		}
		_, g := e.Load()
		e.Write(3, 1, 5, 50, 45, false)
		if _, m := e.Load(); m.Deadline != 50 || e.Deadline() != 50 || !e.ExpiredAt(50) || e.ExpiredAt(49) {
			t.Fatalf("%s: deadline %d after Write(deadline 50)", name, e.Deadline())
		}
		if _, m := e.Load(); m.Version() == g.Version() {
			t.Fatalf("%s: Write left the version unchanged", name)
		}
		e.SetDeadline(0)
		if e.Deadline() != 0 {
			t.Fatalf("%s: SetDeadline(0) left %d", name, e.Deadline())
		}
	}
	p := New(1, 1, 1, 1)
	p.SetDeadline(9)
	if p.Deadline() != 9 {
		t.Fatalf("SetDeadline on a plain entry: deadline %d, want 9", p.Deadline())
	}
}

// A plain entry keeps weight 1 and no write time or lifetime; a full one
// keeps all three, and a plain entry given another weight grows a section.
func TestPlainAndFullEntries(t *testing.T) {
	p := New("k", 0, 1, 1)
	p.Write(1, 1, 7, 0, 9, false)
	if _, m := p.Load(); m.Written != 0 || m.TTL != 0 || p.Weight() != 1 {
		t.Fatalf("plain entry: written %d ttl %d weight %d; want 0 0 1", m.Written, m.TTL, p.Weight())
	}
	f := NewFull("k", 0, 1, 1)
	f.Write(1, 3, 7, 0, 9, false)
	if _, m := f.Load(); m.Written != 7 || m.TTL != 9 || f.StoredWeight() != 3 || f.Written() != 7 {
		t.Fatalf("full entry: written %d ttl %d weight %d; want 7 9 3", m.Written, m.TTL, f.StoredWeight())
	}
	if f.StoredWeight() != 3 || f.Weight() != 1 {
		t.Fatalf("full entry after Write(weight 3): stored weight %d, policy weight %d; want 3 and 1 (until SetWeight)", f.StoredWeight(), f.Weight())
	}
	f.SetWeight(3)
	if f.Weight() != 3 {
		t.Fatalf("SetWeight(3): policy weight %d", f.Weight())
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("a plain entry took a weight other than 1")
			}
		}()
		p.Write(2, 5, 0, 0, 0, false)
	}()
	if h := New("k", 0, 0xAABBCCDD11223344, 1).Hash(); h != 0x11223344 {
		t.Fatalf("Hash = %#x, want the low 32 bits", h)
	}
}

func TestNegativeFlag(t *testing.T) {
	e := NewFull("k", 0, 1, 1)
	if e.Negative() {
		t.Fatal("new entry is negative")
	}
	e.Write(0, 1, 5, 0, 0, true)
	if !e.Negative() {
		t.Fatal("Write(negative) did not set the flag")
	}
	if _, m := e.Load(); !m.Negative || m.Written != 5 {
		t.Fatalf("Load = written %d, negative %v; want 5, true", m.Written, m.Negative)
	}
	e.Write(1, 1, 6, 0, 0, false)
	if e.Negative() {
		t.Fatal("Write(not negative) did not clear the flag")
	}
}

// Extend applies to the version Load copied and to no other: after a write
// or an expiry claim it fails, so the reader looks again; another reader's
// extension of the same version does not stop it.
func TestExtendOnlyTheVersionLoaded(t *testing.T) {
	e := NewFull("k", 1, 1, 1)
	e.Write(1, 1, 0, 100, 100, false) // written at 0, lives 100
	_, m := e.Load()
	_, other := e.Load()
	if !e.Extend(other, 50) || e.Deadline() != 150 {
		t.Fatalf("first extension: deadline %d, want 150", e.Deadline())
	}
	if !e.Extend(m, 60) || e.Deadline() != 160 {
		t.Fatalf("a second read of the same version did not extend: deadline %d, want 160", e.Deadline())
	}
	e.Write(2, 1, 70, 71, 1, false) // a new version living 1
	if _, now := e.Load(); now.Version() == m.Version() {
		t.Fatal("Write left the version unchanged")
	}
	if e.Extend(m, 70) || e.Deadline() != 71 {
		t.Fatalf("a read of the old version extended the new one: deadline %d, want 71", e.Deadline())
	}
	_, m = e.Load()
	e.MarkResident()
	if e.RetireExpired(70) || !e.Resident() {
		t.Fatal("RetireExpired(70) retired a deadline of 71")
	}
	if !e.RetireExpired(71) || e.Resident() || e.Reason() != ReasonExpired {
		t.Fatalf("RetireExpired(71) did not retire a deadline of 71 (reason %v)", e.Reason())
	}
	if e.Extend(m, 71) {
		t.Fatal("a read of a version retired as expired extended it")
	}
	_, m = e.Load()
	e.Write(3, 1, 80, 0, 0, false) // NoTTL
	if e.Extend(m, 80); e.Deadline() != 0 {
		t.Fatalf("a read of an older version gave a NoTTL value deadline %d", e.Deadline())
	}
}
