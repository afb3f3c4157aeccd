package bytecache

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/stratacache/cache/codec"
)

// GetInto with codec.Raw and byte-slice values copies into the caller's
// buffer: the same backing array when it is large enough, no allocation,
// and nothing the store refers to afterwards.
func TestGetIntoReusesTheCallersBuffer(t *testing.T) {
	c := newCache(t, Options[string, []byte]{MaxBytes: 1 << 20, Codec: codec.Raw[[]byte]()})
	c.Set("k", []byte("0123456789"))
	buf := make([]byte, 3, 64)
	copy(buf, "old")
	v := buf
	if !c.GetInto("k", &v) || string(v) != "0123456789" {
		t.Fatalf("GetInto = %q", v)
	}
	if &v[0] != &buf[0] {
		t.Fatal("GetInto allocated although the buffer had room")
	}
	if n := testing.AllocsPerRun(100, func() { c.GetInto("k", &v) }); n != 0 {
		t.Fatalf("GetInto into a large enough buffer: %v allocations, want 0", n)
	}
	// The buffer is the caller's: writing it changes nothing stored, and
	// an overwrite in place (same size) does not change it.
	v[0] = 'X'
	c.Set("k", []byte("abcdefghij"))
	if string(v) != "X123456789" {
		t.Fatalf("a later Set changed the caller's buffer: %q", v)
	}
	if got, _ := c.Get("k"); string(got) != "abcdefghij" {
		t.Fatalf("Get = %q", got)
	}

	// A short buffer grows; a nil one gets a value of its own.
	small := make([]byte, 0, 2)
	if !c.GetInto("k", &small) || string(small) != "abcdefghij" {
		t.Fatalf("GetInto into a short buffer = %q", small)
	}
	var none []byte
	if !c.GetInto("k", &none) || string(none) != "abcdefghij" {
		t.Fatalf("GetInto into nil = %q", none)
	}

	// A miss leaves the buffer as it was, and counts as Get's does.
	before := c.Stats()
	held := v
	if c.GetInto("absent", &v) || &v[0] != &held[0] || string(v) != "X123456789" {
		t.Fatalf("GetInto of a missing key changed the buffer: %q", v)
	}
	if st := c.Stats(); st.Misses != before.Misses+1 || st.Hits != before.Hits {
		t.Fatalf("Stats after a miss: %+v, before %+v", st, before)
	}

	// An empty value empties the buffer.
	c.Set("empty", nil)
	if !c.GetInto("empty", &v) || len(v) != 0 {
		t.Fatalf("GetInto of an empty value = %q", v)
	}
}

// With values the raw layout cannot copy into (strings, other codecs),
// GetInto sets what Get returns; foreign bytes are a decode error and a
// miss that leaves dst alone.
func TestGetIntoOtherValues(t *testing.T) {
	s := newCache(t, Options[string, string]{MaxBytes: 1 << 20, Codec: codec.Raw[string]()})
	s.Set("k", "value")
	got := "before"
	if !s.GetInto("k", &got) || got != "value" {
		t.Fatalf("GetInto(string) = %q", got)
	}

	type point struct{ X, Y int }
	m := newCache(t, Options[string, point]{MaxBytes: 1 << 20})
	m.Set("p", point{1, 2})
	p := point{9, 9}
	if !m.GetInto("p", &p) || p != (point{1, 2}) {
		t.Fatalf("GetInto(msgpack) = %+v", p)
	}
	if m.GetInto("q", &p) || p != (point{1, 2}) {
		t.Fatalf("GetInto of a missing key = %+v, want it unchanged", p)
	}

	b := newCache(t, Options[string, []byte]{MaxBytes: 1 << 20, Codec: codec.Raw[[]byte]()})
	foreign, _ := codec.Msgpack[[]byte]().Marshal([]byte("v"))
	b.s.Set("foreign", foreign)
	buf := []byte("mine")
	if b.GetInto("foreign", &buf) || !bytes.Equal(buf, []byte("mine")) {
		t.Fatalf("GetInto of foreign bytes = %q, want a miss leaving the buffer", buf)
	}
	if b.DecodeErrors() != 1 {
		t.Fatalf("DecodeErrors = %d, want 1", b.DecodeErrors())
	}
}

// Concurrent writers of values of varied lengths and readers reusing one
// buffer each: every GetInto hit leaves a whole value, never a torn copy
// or a mix with the buffer's previous bytes. Run with -race, and without
// it, where reads take no lock.
func TestGetIntoConcurrentReadsSeeWholeValues(t *testing.T) {
	c := newCache(t, Options[int, []byte]{MaxBytes: 256 << 10, Shards: 4, Codec: codec.Raw[[]byte]()})
	// value(k, n) is n copies of k's byte: lengths vary between writes of
	// one key, so a torn or mixed copy shows.
	value := func(k, n int) []byte { return bytes.Repeat([]byte{byte('a' + k%26)}, n) }
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			buf := make([]byte, 0, 16)
			for i := range 5000 {
				k := (i*7 + g) % 300
				switch i % 5 {
				case 0:
					c.Set(k, value(k, 1+(i/5)%40))
				case 1:
					c.Delete(k)
				default:
					if !c.GetInto(k, &buf) {
						continue
					}
					if len(buf) == 0 || !bytes.Equal(buf, value(k, len(buf))) {
						errs <- fmt.Errorf("GetInto(%d) = %q", k, buf)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
