package cache

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"slices"
	"testing"
	"time"

	"github.com/stratacache/cache/codec"
	"github.com/stratacache/cache/eviction"
)

// An LRU cache's recency, reads included, survives a round trip: loaded
// into a cache of the same size its order is the same, and into a smaller
// one it keeps the most recently read, not the most recently written.
func TestSnapshotKeepsRecencyOrder(t *testing.T) {
	clk := newFakeClock()
	src := snapCache(t, clk, Options[int, int]{MaxEntries: 100, Policy: eviction.LRU})
	for i := range 100 {
		src.Set(i, i)
		clk.Advance(time.Millisecond)
	}
	for i := 9; i >= 0; i-- { // the oldest writes, now the most recent reads
		src.Get(i)
	}
	data := save(t, src)
	want := keysOf(src.Hottest(100))

	same := snapCache(t, clk, Options[int, int]{MaxEntries: 100, Policy: eviction.LRU})
	if _, err := same.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := keysOf(same.Hottest(100)); !slices.Equal(got, want) {
		t.Fatalf("recency after the round trip:\n%v\nwant\n%v", got, want)
	}
	small := snapCache(t, clk, Options[int, int]{MaxEntries: 10, Policy: eviction.LRU})
	if _, err := small.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(small.Keys()); !slices.Equal(got, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("a 10-entry cache kept %v, want the 10 most recently read", got)
	}
}

// Under TinyLFU, hot entries stay hot: a key read often before the save
// is saved with its frequency estimate, and a load that does not fit
// feeds it back, so the loaded cache's next snapshot carries it again and
// the hottest keys survive a load into a cache far smaller than the
// snapshot.
func TestSnapshotKeepsFrequencies(t *testing.T) {
	clk := newFakeClock()
	src := snapCache(t, clk, Options[int, int]{MaxEntries: 1000})
	for i := range 1000 {
		src.Set(i, i)
	}
	for range 8 {
		for i := 500; i < 520; i++ {
			src.Get(i)
		}
	}
	data := save(t, src)
	dst := snapCache(t, clk, Options[int, int]{MaxEntries: 900})
	if _, err := dst.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	freqs := func(data []byte) map[int]uint8 {
		recs, _, err := decodeSnapshot(data, codec.Msgpack[int](), codec.Msgpack[int]())
		if err != nil {
			t.Fatal(err)
		}
		m := map[int]uint8{}
		for _, r := range recs {
			m[r.key] = r.freq
		}
		return m
	}
	before, after := freqs(data), freqs(save(t, dst))
	for i := 500; i < 520; i++ {
		// The median is 1: hot keys get back all they had.
		if before[i] < 8 || after[i] < before[i] {
			t.Errorf("key %d: frequency %d saved, %d after a load and a second save", i, before[i], after[i])
		}
	}
	for name, opts := range map[string]Options[int, int]{
		"50 entries":        {MaxEntries: 50},
		"weight 100 (2×50)": {MaxWeight: 100, Weigher: func(int, int) uint32 { return 2 }},
	} {
		small := snapCache(t, clk, opts)
		if _, err := small.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{}); err != nil {
			t.Fatal(err)
		}
		for i := 500; i < 520; i++ {
			if _, ok := small.Peek(i); !ok {
				t.Errorf("%s: hot key %d lost loading a 1000-entry snapshot", name, i)
			}
		}
	}
}

// encodeV1 builds a version 1 snapshot, as the previous release wrote it:
// records without rank and frequency.
func encodeV1(savedAt time.Time, recs []loaded[int, int]) []byte {
	kc := codec.Msgpack[int]()
	b := []byte(snapshotMagic)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = append(b, byte(kc.Format()), byte(kc.Format()))
	b = binary.BigEndian.AppendUint64(b, uint64(savedAt.UnixNano()))
	for _, r := range recs {
		kb, vb := must(kc.Marshal(r.key)), must(kc.Marshal(r.value))
		b = append(b, tagRecord)
		b = binary.AppendUvarint(b, uint64(len(kb)))
		b = append(b, kb...)
		b = binary.AppendUvarint(b, uint64(len(vb)))
		b = append(b, vb...)
		b = binary.AppendUvarint(b, uint64(r.ttl))
		b = binary.AppendUvarint(b, uint64(r.age))
	}
	b = append(b, tagEnd)
	b = binary.BigEndian.AppendUint64(b, uint64(len(recs)))
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// Version 1 snapshots still load, ordered by write time as before, so an
// upgraded service starts warm from the file its predecessor left.
func TestSnapshotLoadsVersion1(t *testing.T) {
	clk := newFakeClock()
	var recs []loaded[int, int]
	for i := range 20 {
		recs = append(recs, loaded[int, int]{key: i, value: i * 2, age: int64(20-i) * int64(time.Second)})
	}
	recs[3].ttl = int64(time.Minute)
	data := encodeV1(clk.Now(), recs)
	c := snapCache(t, clk, Options[int, int]{MaxEntries: 5, Policy: eviction.LRU})
	info, err := c.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Entries != 20 {
		t.Fatalf("loaded %d of 20", info.Entries)
	}
	if got := keysOf(c.Hottest(5)); !slices.Equal(got, []int{19, 18, 17, 16, 15}) {
		t.Fatalf("version 1 load kept %v, want the 5 most recently written, newest first", got)
	}
	if v, _ := c.Peek(19); v != 38 {
		t.Fatalf("value %d", v)
	}
}
