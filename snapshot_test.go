package cache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stratacache/cache/codec"
	"github.com/stratacache/cache/eviction"
)

func snapCache[K comparable, V any](t testing.TB, clk *fakeClock, opts Options[K, V]) *Cache[K, V] {
	t.Helper()
	opts.Clock = clk
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func save[K comparable, V any](t testing.TB, c *Cache[K, V]) []byte {
	t.Helper()
	var buf bytes.Buffer
	info, err := c.SaveSnapshot(&buf, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Bytes != int64(buf.Len()) {
		t.Fatalf("SnapshotInfo.Bytes = %d, wrote %d", info.Bytes, buf.Len())
	}
	return buf.Bytes()
}

// state is what a failed load must not change.
type state struct {
	entries map[string]int
	stats   Stats
}

func stateOf(c *Cache[string, int]) state {
	return state{maps.Collect(c.All()), c.Stats()}
}

func TestSnapshotRoundTrip(t *testing.T) {
	clk := newFakeClock()
	src := snapCache(t, clk, Options[string, int]{TTL: time.Hour})
	src.SetWithTTL("forever", 1, NoTTL)
	src.SetWithTTL("long", 2, 10*time.Minute)
	src.SetWithTTL("short", 3, 2*time.Minute)
	src.Set("default", 4) // the cache's hour
	data := save(t, src)

	clk.Advance(3 * time.Minute)
	dst := snapCache(t, clk, Options[string, int]{})
	info, err := dst.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Entries != 3 || info.Expired != 1 || info.Bytes != int64(len(data)) {
		t.Fatalf("info %+v, want 3 entries, 1 expired, %d bytes", info, len(data))
	}
	if want := clk.Now().Add(-3 * time.Minute); !info.SavedAt.Equal(want) {
		t.Errorf("SavedAt %v, want %v", info.SavedAt, want)
	}
	if got, want := maps.Collect(dst.All()), map[string]int{"forever": 1, "long": 2, "default": 4}; !maps.Equal(got, want) {
		t.Fatalf("loaded %v, want %v", got, want)
	}
	if s := dst.Stats(); s.Sets != 3 {
		t.Errorf("Stats.Sets = %d after loading 3 entries", s.Sets)
	}
	// "long" had 10m at the save and 3m have passed: 7m are left.
	clk.Advance(7*time.Minute - 1)
	if _, ok := dst.Peek("long"); !ok {
		t.Fatal("long expired before its remaining 7m")
	}
	clk.Advance(1)
	if _, ok := dst.Peek("long"); ok {
		t.Fatal("long outlived its remaining 7m")
	}
	clk.Advance(40 * time.Minute) // 50m after the load
	if _, ok := dst.Peek("default"); !ok {
		t.Fatal("default expired 50m after the load, with 57m left")
	}
	clk.Advance(1000 * time.Hour)
	if _, ok := dst.Peek("forever"); !ok {
		t.Fatal("an entry saved without a deadline expired")
	}
}

// Entries are stored from the least to the most recently written across
// all of the saving cache's shards, so a smaller LRU cache keeps the newest.
// (TinyLFU's admission filter may keep older ones instead.)
func TestSnapshotKeepsWriteRecency(t *testing.T) {
	clk := newFakeClock()
	src := snapCache(t, clk, Options[int, int]{Shards: 8})
	for i := range 100 {
		src.Set(i, i)
		clk.Advance(time.Millisecond)
	}
	data := save(t, src)
	dst := snapCache(t, clk, Options[int, int]{MaxEntries: 10, Shards: 1, Policy: eviction.LRU})
	if _, err := dst.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := 90; i < 100; i++ {
		if _, ok := dst.Peek(i); !ok {
			t.Errorf("key %d, among the 10 newest, was not kept", i)
		}
	}
}

func TestSnapshotLoadReplaces(t *testing.T) {
	clk := newFakeClock()
	src := snapCache(t, clk, Options[string, int]{})
	src.Set("k", 2)
	data := save(t, src)
	var replaced []int
	dst := snapCache(t, clk, Options[string, int]{OnEvict: func(_ string, v int, r Reason) {
		if r == ReasonReplaced {
			replaced = append(replaced, v)
		}
	}})
	dst.Set("k", 1)
	if _, err := dst.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	if v, _ := dst.Get("k"); v != 2 || len(replaced) != 1 || replaced[0] != 1 {
		t.Fatalf("after load k = %d, OnEvict saw %v replaced; want 2 and [1]", v, replaced)
	}
}

func TestSnapshotFormats(t *testing.T) {
	clk := newFakeClock()
	src := snapCache(t, clk, Options[string, []byte]{})
	src.Set("k", []byte("v"))
	for _, o := range []SnapshotOptions{
		{KeyFormat: codec.FormatRaw, ValueFormat: codec.FormatRaw},
		{KeyFormat: codec.FormatJSON, ValueFormat: codec.FormatGob},
	} {
		var buf bytes.Buffer
		if _, err := src.SaveSnapshot(&buf, o); err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		data := buf.Bytes()
		dst := snapCache(t, clk, Options[string, []byte]{})
		if _, err := dst.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{}); !errors.Is(err, ErrBadSnapshot) || !errors.Is(err, codec.ErrFormatMismatch) {
			t.Errorf("%+v saved, msgpack loaded: err = %v, want ErrBadSnapshot and ErrFormatMismatch", o, err)
		}
		if _, err := dst.LoadSnapshot(bytes.NewReader(data), o); err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if v, _ := dst.Get("k"); string(v) != "v" {
			t.Errorf("%+v: k = %q after load", o, v)
		}
	}
	ints := snapCache(t, clk, Options[int, int]{})
	if _, err := ints.SaveSnapshot(&bytes.Buffer{}, SnapshotOptions{KeyFormat: codec.FormatRaw}); !errors.Is(err, ErrInvalidOptions) ||
		!strings.Contains(err.Error(), "KeyFormat is raw") {
		t.Errorf("raw int keys: err = %v", err)
	}
	if _, err := ints.LoadSnapshot(bytes.NewReader(nil), SnapshotOptions{ValueFormat: 99}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("format 99: err = %v", err)
	}
}

func TestSnapshotClosed(t *testing.T) {
	clk := newFakeClock()
	c := snapCache(t, clk, Options[string, int]{})
	data := save(t, c)
	c.Close()
	if _, err := c.SaveSnapshot(&bytes.Buffer{}, SnapshotOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("save after Close: %v", err)
	}
	if _, err := c.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("load after Close: %v", err)
	}
}

// smallSnapshot returns a snapshot of three entries, one with a deadline.
func smallSnapshot(t testing.TB) []byte {
	clk := newFakeClock()
	c := snapCache(t, clk, Options[string, int]{})
	c.Set("a", 1)
	c.Set("bb", 22)
	c.SetWithTTL("ccc", 333, time.Hour)
	return save(t, c)
}

// recordsAt returns the offset of the first record, or of the learned
// record, of a snapshot: after the header, and the types from version 4.
func recordsAt(data []byte) int {
	if binary.BigEndian.Uint16(data[len(snapshotMagic):]) < snapshotTyped {
		return headerLen
	}
	p := &parser{b: data, pos: headerLen}
	p.typ()
	p.typ()
	return p.pos
}

// expectBad loads data into a cache holding other entries and checks that
// the load fails with ErrBadSnapshot and changes nothing. opts, if given,
// are the options of the load.
func expectBad(t *testing.T, what string, data []byte, opts ...SnapshotOptions) error {
	t.Helper()
	clk := newFakeClock()
	c := snapCache(t, clk, Options[string, int]{})
	c.Set("a", -1)
	c.Set("keep", 7)
	before := stateOf(c)
	var o SnapshotOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	_, err := c.LoadSnapshot(bytes.NewReader(data), o)
	if !errors.Is(err, ErrBadSnapshot) || !strings.HasPrefix(err.Error(), "cache: snapshot: ") {
		t.Fatalf("%s: err = %v, want a cache: snapshot: error wrapping ErrBadSnapshot", what, err)
	}
	after := stateOf(c)
	if !maps.Equal(before.entries, after.entries) || before.stats != after.stats {
		t.Fatalf("%s: a failed load changed the cache: %+v -> %+v", what, before, after)
	}
	c.Set("usable", 1)
	if v, ok := c.Get("usable"); !ok || v != 1 {
		t.Fatalf("%s: cache unusable after a failed load", what)
	}
	return err
}

// With a CRC-32C over everything but itself, any one changed byte is
// detected: a flip in the data changes the checksum (CRCs catch every
// error burst up to 32 bits), and a flip in the stored checksum no longer
// matches the data.
func TestSnapshotEveryByteFlipDetected(t *testing.T) {
	data := smallSnapshot(t)
	for i := range data {
		for _, mask := range []byte{0x01, 0xff} {
			bad := bytes.Clone(data)
			bad[i] ^= mask
			expectBad(t, "flip", bad)
		}
	}
}

func TestSnapshotEveryTruncationDetected(t *testing.T) {
	data := smallSnapshot(t)
	for n := range len(data) {
		err := expectBad(t, "truncated", data[:n])
		if n > 0 && strings.Contains(err.Error(), "not a Strata snapshot") {
			t.Errorf("%d-byte prefix reported as foreign: %v", n, err)
		}
	}
	expectBad(t, "extended", append(bytes.Clone(data), 0))
}

func TestSnapshotForeignAndVersion(t *testing.T) {
	for name, data := range map[string][]byte{
		"text":    []byte("hello, world, this is not a snapshot at all"),
		"gzip":    {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3},
		"codec":   must(codec.Default[int]().Marshal(5)),
		"empty":   nil,
		"one NUL": {0},
	} {
		err := expectBad(t, name, data)
		if len(data) > 0 && !strings.Contains(err.Error(), "not a Strata snapshot") {
			t.Errorf("%s: %v does not say it is foreign", name, err)
		}
	}
	v5 := withCRC(smallSnapshot(t), func(b []byte) { binary.BigEndian.PutUint16(b[len(snapshotMagic):], 5) })
	if err := expectBad(t, "version 5", v5); !strings.Contains(err.Error(), "format version 5, this build reads versions 1 to 4") {
		t.Errorf("version 5: %v", err)
	}
}

// Damage that a correct checksum does not catch, because the file was
// built that way, is still caught by the structure checks.
func TestSnapshotStructureChecks(t *testing.T) {
	data := smallSnapshot(t)
	n := len(data)
	r := recordsAt(data)
	cases := map[string]struct {
		edit func([]byte)
		want string
	}{
		"count":       {func(b []byte) { b[n-5]++ }, "trailer counts 4"},
		"end tag":     {func(b []byte) { b[n-trailerLen] = 7 }, "trailer at offset"},
		"record tag":  {func(b []byte) { b[r] = 9 }, "record 0 at offset"},
		"key length":  {func(b []byte) { b[r+1] = 0x7f }, "runs past the end"},
		"key bytes":   {func(b []byte) { b[r+2] = 0xc1 }, "record 0: key"},
		"key type":    {func(b []byte) { b[headerLen] ^= 1 }, "keys were saved as string (schema 0, fingerprint"},
		"value type":  {func(b []byte) { b[r-len("int")-2] = 1 }, "values were saved as int (schema 1,"},
		"value codec": {func(b []byte) { b[len(snapshotMagic)+3] = byte(codec.FormatJSON) }, "saved with msgpack keys and json values"},
	}
	for name, tc := range cases {
		bad := withCRC(bytes.Clone(data), tc.edit)
		if err := expectBad(t, name, bad); !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want it to mention %q", name, err, tc.want)
		}
	}
}

// withCRC applies edit to a snapshot and recomputes its checksum.
func withCRC(b []byte, edit func([]byte)) []byte {
	edit(b)
	n := len(b)
	binary.BigEndian.PutUint32(b[n-4:], crc32.Checksum(b[:n-4], castagnoli))
	return b
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
