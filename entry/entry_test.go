package entry

import (
	"testing"
	"unsafe"
)

// The write time and the flags fit in padding: an entry of a string key
// and an int value must stay at 104 bytes on 64-bit platforms.
func TestEntrySize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("layout checked on 64-bit platforms only")
	}
	if got := unsafe.Sizeof(Entry[string, int]{}); got != 104 {
		t.Errorf("Entry[string, int] is %d bytes, want 104", got)
	}
}

func TestNegativeFlag(t *testing.T) {
	e := New("k", 0, 1, 1)
	if e.Negative() {
		t.Fatal("new entry is negative")
	}
	e.Write(0, 1, 5, 0, 0, true)
	if !e.Negative() {
		t.Fatal("Write(negative) did not set the flag")
	}
	if _, written, _, negative := e.Load(); !negative || written != 5 {
		t.Fatalf("Load = written %d, negative %v; want 5, true", written, negative)
	}
	e.Write(1, 1, 6, 0, 0, false)
	if e.Negative() {
		t.Fatal("Write(not negative) did not clear the flag")
	}
}
