package bytecache

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/codec"
)

// stored returns the bytes c's store keeps under key.
func stored[K comparable, V any](t *testing.T, c *Cache[K, V], key string) []byte {
	t.Helper()
	b, ok := c.s.Get(key)
	if !ok {
		t.Fatalf("the store has no %q", key)
	}
	return b
}

// A Cache whose codec is of package codec keeps each value as the mark
// and the codec's body, without the header, on the raw path and off it;
// the same bytes in another Cache of the same codec decode to the value.
func TestRecordLayout(t *testing.T) {
	budgeted, err := codec.New[string](codec.Options{Format: codec.FormatRaw, Budget: codec.NewBudget(1 << 20)})
	if err != nil {
		t.Fatal(err)
	}
	for name, cd := range map[string]codec.Codec[string]{
		"raw": codec.Raw[string](), "raw with a budget (no raw path)": budgeted,
		"msgpack": codec.Msgpack[string](), "json": codec.JSON[string](), "gob": codec.Gob[string](),
	} {
		c := newCache(t, Options[string, string]{MaxBytes: 1 << 20, Codec: cd})
		if wantRaw := name == "raw"; (c.raw != nil) != wantRaw {
			t.Fatalf("%s: raw path %v, want %v", name, c.raw != nil, wantRaw)
		}
		h, _ := codec.HeaderOf(cd)
		for _, v := range []string{"", "value", "ünïcode \x00 bytes"} {
			if err := c.Set("k", v); err != nil {
				t.Fatal(err)
			}
			full, _ := cd.Marshal(v)
			want := append([]byte{recordMark}, full[len(h):]...)
			got := stored(t, c, "k")
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: stored %q, want the mark and the body %q", name, got, want)
			}
			again := newCache(t, Options[string, string]{MaxBytes: 1 << 20, Codec: cd})
			again.s.Set("k", got)
			if out, ok := again.Get("k"); !ok || out != v {
				t.Fatalf("%s: another cache read %q back as %q, %v", name, v, out, ok)
			}
		}
	}
}

// A codec of another package is not known to write a header: its whole
// output is stored, and read back through it.
func TestRecordForeignCodecKeepsWholeBytes(t *testing.T) {
	cd := badCodec{codec.Raw[string]()}
	c := newCache(t, Options[string, string]{MaxBytes: 1 << 20, Codec: cd})
	if c.hdr != nil || c.raw != nil {
		t.Fatal("a foreign codec is treated as one of package codec")
	}
	c.Set("k", "value")
	want, _ := cd.Marshal("value")
	if got := stored(t, c, "k"); !bytes.Equal(got, want) {
		t.Fatalf("stored %q, want Marshal's %q", got, want)
	}
	if v, ok := c.Get("k"); !ok || v != "value" {
		t.Fatalf("Get = %q, %v", v, ok)
	}
}

// Stored bytes that do not decode are never a value: a damaged mark, a
// value with its full header (the layout before the mark), an empty value
// and a damaged body each make Get miss, count a decode error and drop
// the entry, on the raw path and off it. OnEvict does not hear of them.
func TestRecordDamageIsADecodeError(t *testing.T) {
	u, _ := codec.Msgpack[user]().Marshal(user{ID: 1, Name: "Ada"})
	h, _ := codec.HeaderOf(codec.Msgpack[user]())
	body := u[len(h):]
	rawHdr, _ := codec.HeaderOf(codec.Raw[string]())
	cases := map[string]struct {
		msgpack bool
		bytes   []byte
	}{
		"damaged mark":           {true, append([]byte{recordMark + 1}, body...)},
		"full header":            {true, u},
		"empty":                  {true, nil},
		"truncated body":         {true, append([]byte{recordMark}, body[:len(body)-2]...)},
		"trailing bytes":         {true, append(append([]byte{recordMark}, body...), 0xc0)},
		"raw: damaged mark":      {false, []byte("\x02value")},
		"raw: full header":       {false, append(rawHdr, "value"...)},
		"raw: empty":             {false, nil},
		"raw: the mark's absent": {false, []byte("value")},
	}
	for name, tc := range cases {
		var heard int
		if tc.msgpack {
			c := newCache(t, Options[string, user]{MaxBytes: 1 << 20,
				OnEvict: func(string, user, cache.Reason) { heard++ }})
			c.s.Set("k", tc.bytes)
			if v, ok := c.Get("k"); ok {
				t.Errorf("%s: Get = %+v, want a miss", name, v)
			}
			if c.DecodeErrors() != 2 || c.Len() != 0 || heard != 0 { // the Get, then its removal for OnEvict
				t.Errorf("%s: DecodeErrors %d, Len %d, OnEvict heard %d; want 2, 0, 0", name, c.DecodeErrors(), c.Len(), heard)
			}
			continue
		}
		c := newCache(t, Options[string, string]{MaxBytes: 1 << 20, Codec: codec.Raw[string](),
			OnEvict: func(string, string, cache.Reason) { heard++ }})
		c.s.Set("k", tc.bytes)
		if v, ok := c.Get("k"); ok {
			t.Errorf("%s: Get = %q, want a miss", name, v)
		}
		if c.DecodeErrors() != 2 || c.Len() != 0 || heard != 0 {
			t.Errorf("%s: DecodeErrors %d, Len %d, OnEvict heard %d; want 2, 0, 0", name, c.DecodeErrors(), c.Len(), heard)
		}
	}
}

// OnEvict and GetOrLoad see whole values through the compact layout:
// OnEvict decodes what it is handed, and a loaded value is stored as the
// mark and the body, and read back whole.
func TestRecordOnEvictAndLoadSeeWholeValues(t *testing.T) {
	var heard []user
	c := newCache(t, Options[string, user]{MaxBytes: 1 << 20,
		OnEvict: func(_ string, v user, _ cache.Reason) { heard = append(heard, v) },
		Load: func(_ context.Context, k string) (user, error) {
			return user{ID: 7, Name: k, Roles: []string{"admin", "dev"}}, nil
		}})
	got, err := c.GetOrLoad(context.Background(), "Ada", nil)
	if err != nil || got.Name != "Ada" || len(got.Roles) != 2 {
		t.Fatalf("GetOrLoad = %+v, %v", got, err)
	}
	if b := stored(t, c, "Ada"); len(b) == 0 || b[0] != recordMark {
		t.Fatalf("the loaded value is stored as %q, without the mark", b)
	}
	if v, ok := c.Get("Ada"); !ok || v.ID != 7 || v.Roles[1] != "dev" {
		t.Fatalf("Get of the loaded value = %+v, %v", v, ok)
	}
	c.Delete("Ada")
	if len(heard) != 1 || heard[0].Name != "Ada" || heard[0].Roles[0] != "admin" || c.DecodeErrors() != 0 {
		t.Fatalf("OnEvict heard %+v (decode errors %d)", heard, c.DecodeErrors())
	}
}

// Whatever bytes a Cache's store holds, Get never panics and never
// returns a value the codec would not decode from the header and the body
// after the mark: it returns that value, or misses and counts a decode
// error, on the raw path and off it.
func FuzzRecordGet(f *testing.F) {
	u, _ := codec.Msgpack[user]().Marshal(user{ID: 1, Name: "Ada", Roles: []string{"x"}})
	h, _ := codec.HeaderOf(codec.Msgpack[user]())
	f.Add(append([]byte{recordMark}, u[len(h):]...))
	f.Add(u)
	f.Add([]byte{recordMark})
	f.Add([]byte{})
	f.Add([]byte("\x01raw value"))
	mp := newCacheF(f, Options[string, user]{MaxBytes: 1 << 20})
	raw := newCacheF(f, Options[string, string]{MaxBytes: 1 << 20, Codec: codec.Raw[string]()})
	rawBytes := newCacheF(f, Options[string, []byte]{MaxBytes: 1 << 20, Codec: codec.Raw[[]byte]()})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFuzzedGet(t, mp, codec.Msgpack[user](), b, func(x, y user) bool { return fmt.Sprint(x) == fmt.Sprint(y) })
		checkFuzzedGet(t, raw, codec.Raw[string](), b, func(x, y string) bool { return x == y })
		checkFuzzedGetInto(t, rawBytes, b)
	})
}

// checkFuzzedGetInto is checkFuzzedGet for GetInto into a buffer that
// already holds bytes: a hit leaves exactly the value in it, a miss leaves
// it as it was.
func checkFuzzedGetInto(t *testing.T, c *Cache[string, []byte], b []byte) {
	cd := codec.Raw[[]byte]()
	h, _ := codec.HeaderOf(cd)
	var want []byte
	wantOK := len(b) > 0 && b[0] == recordMark
	if wantOK {
		var err error
		want, err = cd.Unmarshal(append(bytes.Clone(h), b[1:]...))
		wantOK = err == nil
	}
	if !c.s.Set("k", b) {
		t.Skip("larger than the store's MaxEntrySize")
	}
	buf := append(make([]byte, 0, 8), "held"...)
	ok := c.GetInto("k", &buf)
	switch {
	case ok != wantOK:
		t.Fatalf("stored %q: GetInto ok %v, want %v", b, ok, wantOK)
	case ok && !bytes.Equal(buf, want):
		t.Fatalf("stored %q: GetInto left %q, want %q", b, buf, want)
	case !ok && string(buf) != "held":
		t.Fatalf("stored %q: GetInto missed but changed the buffer to %q", b, buf)
	}
}

func newCacheF[K comparable, V any](f *testing.F, opts Options[K, V]) *Cache[K, V] {
	c, err := New(opts)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(c.Close)
	return c
}

func checkFuzzedGet[V any](t *testing.T, c *Cache[string, V], cd codec.Codec[V], b []byte, eq func(V, V) bool) {
	h, _ := codec.HeaderOf(cd)
	var want V
	wantOK := len(b) > 0 && b[0] == recordMark
	if wantOK {
		var err error
		want, err = cd.Unmarshal(append(bytes.Clone(h), b[1:]...))
		wantOK = err == nil
	}
	errs := c.DecodeErrors()
	if !c.s.Set("k", b) {
		t.Skip("larger than the store's MaxEntrySize")
	}
	got, ok := c.Get("k")
	switch {
	case ok != wantOK:
		t.Fatalf("stored %q: Get ok %v, want %v", b, ok, wantOK)
	case ok && !eq(got, want):
		t.Fatalf("stored %q: Get = %v, want %v", b, got, want)
	case !ok && c.DecodeErrors() == errs:
		t.Fatalf("stored %q: a miss without a decode error", b)
	case !ok && c.s.contains("k"):
		t.Fatalf("stored %q: the bytes that did not decode are still there", b)
	}
}
