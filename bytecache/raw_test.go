package bytecache

import (
	"errors"
	"strings"
	"testing"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/codec"
)

type blob []byte

type name string

// With a raw codec, values skip the codec (rawBytes, rawValue): a value
// returned by Get is a buffer of its own, which no later write to the
// cache changes and which changes nothing in the cache; Set keeps no
// reference to the caller's slice.
func TestRawValuesAreCopies(t *testing.T) {
	c := newCache(t, Options[string, blob]{MaxBytes: 1 << 20, Shards: 1, Codec: codec.Raw[blob]()})
	if c.raw == nil {
		t.Fatal("a raw codec does not take the raw path")
	}
	in := blob("0123456789")
	c.Set("k", in)
	in[0] = 'X'
	got, ok := c.Get("k")
	if !ok || string(got) != "0123456789" {
		t.Fatalf("Get = %q, %v: Set kept the caller's slice", got, ok)
	}
	got[1] = 'Y'
	if again, _ := c.Get("k"); string(again) != "0123456789" {
		t.Fatalf("changing a returned value changed the cache: %q", again)
	}
	// A value of the same size is overwritten in place in the slab; one
	// that aliased the slab would change with it.
	held, _ := c.Get("k")
	c.Set("k", blob("abcdefghij"))
	if string(held) != "0123456789" {
		t.Fatalf("a returned value changed with a later Set: %q", held)
	}
	if again, _ := c.Get("k"); string(again) != "abcdefghij" {
		t.Fatalf("Get after overwrite = %q", again)
	}
}

// Strings go in as views of their memory and come out as strings over
// a fresh buffer: a string literal (read-only memory: writing it would
// fault) is stored, and a string returned keeps its bytes whatever is
// written after it.
func TestRawStringsAreCopies(t *testing.T) {
	c := newCache(t, Options[string, name]{MaxBytes: 1 << 20, Shards: 1, Codec: codec.Raw[name]()})
	c.Set("k", "a literal value")
	held, ok := c.Get("k")
	if !ok || held != "a literal value" {
		t.Fatalf("Get = %q, %v", held, ok)
	}
	c.Set("k", "another value!!") // the same size: written in place
	for i := range 20000 {        // and enough others to wrap the slabs
		c.Set(strings.Repeat("x", i%50)+"k", name(strings.Repeat("z", 40)))
	}
	if held != "a literal value" {
		t.Fatalf("a returned string changed: %q", held)
	}
}

// An empty value comes back as the zero V, as codec.Raw's Unmarshal gives
// it.
func TestRawEmptyValue(t *testing.T) {
	c := newCache(t, Options[string, []byte]{MaxBytes: 1 << 20, Codec: codec.Raw[[]byte]()})
	for _, v := range [][]byte{nil, {}} {
		c.Set("k", v)
		if got, ok := c.Get("k"); !ok || got != nil {
			t.Fatalf("Set(%#v): Get = %#v, %v; want nil, true", v, got, ok)
		}
	}
}

// Bytes the raw path does not recognise go through the codec, which
// refuses them: another codec's values, and values longer than the
// codec's MaxDecodeBytes.
func TestRawForeignBytesAreDecodeErrors(t *testing.T) {
	c := newCache(t, Options[string, []byte]{MaxBytes: 1 << 20, Codec: codec.Raw[[]byte]()})
	other, _ := codec.Msgpack[[]byte]().Marshal([]byte("v"))
	c.s.Set("foreign", other)
	if v, ok := c.Get("foreign"); ok {
		t.Fatalf("Get of msgpack bytes = %q, want a miss", v)
	}
	if c.DecodeErrors() != 1 || c.Len() != 0 {
		t.Fatalf("DecodeErrors %d, Len %d: want the foreign entry counted and dropped", c.DecodeErrors(), c.Len())
	}

	limited, err := codec.New[string](codec.Options{Format: codec.FormatRaw, MaxDecodeBytes: 4})
	if err != nil {
		t.Fatal(err)
	}
	lc := newCache(t, Options[string, string]{MaxBytes: 1 << 20, Codec: limited})
	if err := lc.Set("long", "12345"); err != nil {
		t.Fatal(err)
	}
	lc.Set("short", "1234")
	if v, ok := lc.Get("long"); ok {
		t.Fatalf("Get of a value over MaxDecodeBytes = %q, want a miss", v)
	}
	if v, ok := lc.Get("short"); !ok || v != "1234" {
		t.Fatalf("Get(short) = %q, %v", v, ok)
	}
}

// Entries written through the raw path are whole encodings: OnEvict
// decodes them with the codec, and an oversized one is reported with its
// value.
func TestRawOnEvictDecodes(t *testing.T) {
	var heard []string
	c := newCache(t, Options[string, string]{MaxBytes: 64 << 10, Codec: codec.Raw[string](),
		OnEvict: func(k, v string, r cache.Reason) { heard = append(heard, k+"="+v[:min(len(v), 5)]+" "+r.String()) }})
	c.Set("k", "value")
	c.Delete("k")
	big := strings.Repeat("x", c.s.MaxEntrySize())
	if err := c.Set("big", big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Set of an oversized value = %v", err)
	}
	want := []string{"k=value " + cache.ReasonDeleted.String(), "big=xxxxx " + cache.ReasonCapacity.String()}
	if strings.Join(heard, ",") != strings.Join(want, ",") || c.DecodeErrors() != 0 {
		t.Fatalf("OnEvict heard %q (decode errors %d), want %q", heard, c.DecodeErrors(), want)
	}
}
