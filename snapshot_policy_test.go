package cache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"slices"
	"strings"
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
// is saved with its frequency estimate, and a load feeds it back (above
// the snapshot's median), whether the snapshot fits or not, so the loaded
// cache's next snapshot carries it again and the hottest keys survive a
// load into a cache far smaller than the snapshot.
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
	freqs := func(data []byte) map[int]uint8 {
		recs, _, _, err := decodeSnapshot[int, int](data, &SnapshotOptions{})
		if err != nil {
			t.Fatal(err)
		}
		m := map[int]uint8{}
		for _, r := range recs {
			m[r.key] = r.freq
		}
		return m
	}
	before := freqs(data)
	for _, size := range []int{900, 2000} { // short of the snapshot, and room to spare
		dst := snapCache(t, clk, Options[int, int]{MaxEntries: size})
		if _, err := dst.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{}); err != nil {
			t.Fatal(err)
		}
		after := freqs(save(t, dst))
		for i := 500; i < 520; i++ {
			// The median is 1: hot keys get back all they had.
			if before[i] < 8 || after[i] < before[i] {
				t.Errorf("%d entries: key %d: frequency %d saved, %d after a load and a second save", size, i, before[i], after[i])
			}
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

// untyped turns an encoding into what releases before typed headers wrote:
// the 4-byte header of codec header version 1, then the body.
func untyped(data []byte) []byte {
	h := must(codec.ParseHeader(data))
	return append([]byte{data[0], data[1], data[2], 1}, data[h.Len:]...)
}

// encodeV1 builds a version 1 snapshot, as the first release wrote it:
// records without rank and frequency, values with untyped headers.
func encodeV1(savedAt time.Time, recs []loaded[int, int]) []byte {
	kc := codec.Msgpack[int]()
	b := []byte(snapshotMagic)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = append(b, byte(kc.Format()), byte(kc.Format()))
	b = binary.BigEndian.AppendUint64(b, uint64(savedAt.UnixNano()))
	for _, r := range recs {
		kb, vb := untyped(must(kc.Marshal(r.key))), untyped(must(kc.Marshal(r.value)))
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

// Version 1 snapshots, which record no types, are refused by default, and
// load with AllowUntyped, ordered by write time as before, so an upgraded
// service whose types have not changed can start warm from the file its
// predecessor left.
func TestSnapshotLoadsVersion1(t *testing.T) {
	clk := newFakeClock()
	var recs []loaded[int, int]
	for i := range 20 {
		recs = append(recs, loaded[int, int]{key: i, value: i * 2, age: int64(20-i) * int64(time.Second)})
	}
	recs[3].ttl = int64(time.Minute)
	data := encodeV1(clk.Now(), recs)
	c := snapCache(t, clk, Options[int, int]{MaxEntries: 5, Policy: eviction.LRU})
	if _, err := c.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{}); !errors.Is(err, codec.ErrFormatMismatch) ||
		!errors.Is(err, ErrBadSnapshot) || !strings.Contains(err.Error(), "format version 1 records no key or value types") {
		t.Fatalf("untyped snapshot loaded by default: %v", err)
	}
	info, err := c.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{AllowUntyped: true})
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

// learnedTinyLFU is the learned record's payload for TinyLFU, as
// docs/snapshot.md lays it out: the algorithm, the running rate of
// returning candidates (float64 bits, big-endian) and whether victims
// rotate.
func learnedTinyLFU(rate float64, rotate bool) []byte {
	b := binary.BigEndian.AppendUint64([]byte{byte(eviction.TinyLFU)}, math.Float64bits(rate))
	if rotate {
		return append(b, 1)
	}
	return append(b, 0)
}

// withLearned returns data with its learned record replaced by one holding
// payload (added after the header if there was none), checksum repaired.
func withLearned(t testing.TB, data, payload []byte) []byte {
	t.Helper()
	at := recordsAt(data)
	rest := data[at:]
	if rest[0] == tagLearned {
		n, k := binary.Uvarint(rest[1:])
		rest = rest[1+k+int(n):]
	}
	out := append(bytes.Clone(data[:at]), tagLearned)
	out = binary.AppendUvarint(out, uint64(len(payload)))
	out = append(append(out, payload...), rest...)
	return withCRC(out, func([]byte) {})
}

// learnedOf returns the learned record of a snapshot, nil if it has none.
func learnedOf(t testing.TB, data []byte) []byte {
	t.Helper()
	_, learned, _, err := decodeSnapshot[int, int](data, &SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return learned
}

// TestSnapshotCarriesLearned: what the policy learned beyond frequencies
// (TinyLFU: whether victims rotate) is saved, and a load hands it to
// every shard, or to the shards' group, so that the next save says the
// same; policies that learn nothing of the kind save no record and load
// the entries of a snapshot that has one.
func TestSnapshotCarriesLearned(t *testing.T) {
	clk := newFakeClock()
	src := snapCache(t, clk, Options[int, int]{MaxEntries: 1000})
	for i := range 100 {
		src.Set(i, i)
	}
	data := save(t, src)
	if got, want := learnedOf(t, data), learnedTinyLFU(0, false); !bytes.Equal(got, want) {
		t.Fatalf("a new TinyLFU cache saved learned % x, want % x (nothing learned yet)", got, want)
	}
	taught := learnedTinyLFU(0.004, true)
	for _, shards := range []int{1, 4} {
		dst := snapCache(t, clk, Options[int, int]{MaxEntries: 1000, Shards: shards})
		info, err := dst.LoadSnapshot(bytes.NewReader(withLearned(t, data, taught)), SnapshotOptions{})
		if err != nil || info.Entries != 100 {
			t.Fatalf("%d shards: load: %+v, %v", shards, info, err)
		}
		if got := learnedOf(t, save(t, dst)); !bytes.Equal(got, taught) {
			t.Errorf("%d shards: saved % x after loading % x", shards, got, taught)
		}
	}
	lru := snapCache(t, clk, Options[int, int]{MaxEntries: 1000, Policy: eviction.LRU})
	if info, err := lru.LoadSnapshot(bytes.NewReader(withLearned(t, data, taught)), SnapshotOptions{}); err != nil || info.Entries != 100 {
		t.Fatalf("LRU cache: load: %+v, %v", info, err)
	}
	if got := learnedOf(t, save(t, lru)); got != nil {
		t.Errorf("LRU cache saved learned % x, want no record", got)
	}
}

// TestSnapshotLearnedChecks: a learned record that no policy of this
// build could have written, or one where it cannot be, fails the whole
// load before any entry is stored.
func TestSnapshotLearnedChecks(t *testing.T) {
	data := smallSnapshot(t)
	// Version 2 had no types, and no learned record.
	v2 := slices.Concat(data[:headerLen], data[recordsAt(data):])
	binary.BigEndian.PutUint16(v2[len(snapshotMagic):], 2)
	v2 = withLearned(t, v2, learnedTinyLFU(0, false))
	// A learned record after the first entry's record.
	p := &parser{b: data, pos: recordsAt(data) + 1}
	p.bytes()     // key
	p.bytes()     // value
	for range 4 { // TTL, age, rank, frequency
		p.uvarint()
	}
	payload := learnedTinyLFU(0, false)
	learned := append([]byte{tagLearned, byte(len(payload))}, payload...)
	late := slices.Concat(data[:p.pos], learned, data[p.pos:])
	late = withCRC(late, func([]byte) {})

	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"rate NaN":       {withLearned(t, data, learnedTinyLFU(math.NaN(), true)), "learned record"},
		"rate 2":         {withLearned(t, data, learnedTinyLFU(2, true)), "learned record"},
		"rotation 7":     {withLearned(t, data, append(learnedTinyLFU(0.1, true)[:9], 7)), "learned record"},
		"short":          {withLearned(t, data, learnedTinyLFU(0.1, true)[:5]), "learned record"},
		"other policy":   {withLearned(t, data, append([]byte{byte(eviction.LRU)}, learnedTinyLFU(0, false)[1:]...)), "learned record"},
		"too long":       {withLearned(t, data, make([]byte, maxLearned+1)), "more than 64"},
		"in version 2":   {v2, "record 0 at offset"},
		"after a record": {late, "record 1 at offset"},
	} {
		if err := expectBad(t, name, tc.data, SnapshotOptions{AllowUntyped: true}); !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want it to mention %q", name, err, tc.want)
		}
	}
}
