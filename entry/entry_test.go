package entry

import (
	"testing"
	"unsafe"
)

// Entries are what a cache has millions of: a plain entry of uint64 key
// and value must fit the 80-byte size class, and one of string key and int
// value the 96-byte class.
func TestEntrySize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("layout checked on 64-bit platforms only")
	}
	if got := unsafe.Sizeof(Entry[uint64, uint64]{}); got != 80 {
		t.Errorf("Entry[uint64, uint64] is %d bytes, want 80", got)
	}
	if got := unsafe.Sizeof(Entry[string, int]{}); got != 88 {
		t.Errorf("Entry[string, int] is %d bytes, want 88", got)
	}
}

// A plain entry keeps weight 1 and no write time or lifetime; a full one
// keeps all three, and a plain entry given another weight grows a section.
func TestPlainAndFullEntries(t *testing.T) {
	p := New("k", 0, 1, 1)
	p.Write(1, 1, 7, 0, 9, false)
	if _, written, ttl, _, _ := p.Load(); written != 0 || ttl != 0 || p.Weight() != 1 {
		t.Fatalf("plain entry: written %d ttl %d weight %d; want 0 0 1", written, ttl, p.Weight())
	}
	f := NewFull("k", 0, 1, 1)
	f.Write(1, 3, 7, 0, 9, false)
	if _, written, ttl, _, _ := f.Load(); written != 7 || ttl != 9 || f.Weight() != 3 || f.Written() != 7 {
		t.Fatalf("full entry: written %d ttl %d weight %d; want 7 9 3", written, ttl, f.Weight())
	}
	p.SetValue(2, 5)
	if p.Weight() != 5 {
		t.Fatalf("plain entry given weight 5 reports %d", p.Weight())
	}
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
	if _, written, _, _, negative := e.Load(); !negative || written != 5 {
		t.Fatalf("Load = written %d, negative %v; want 5, true", written, negative)
	}
	e.Write(1, 1, 6, 0, 0, false)
	if e.Negative() {
		t.Fatal("Write(not negative) did not clear the flag")
	}
}
