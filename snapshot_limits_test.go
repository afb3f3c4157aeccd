package cache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stratacache/cache/codec"
)

// Issue 21 item 5 for snapshots: a snapshot of int values loaded into an
// int8 cache stored 300 as 44. Now the load fails before it changes the
// cache, with an error naming both types.
func TestSnapshotOfAnotherTypeIsRefused(t *testing.T) {
	clk := newFakeClock()
	src := snapCache(t, clk, Options[string, int]{})
	src.Set("n", 300)
	data := save(t, src)

	dst := snapCache(t, clk, Options[string, int8]{})
	dst.Set("keep", 1)
	_, err := dst.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{})
	if !errors.Is(err, codec.ErrTypeMismatch) || !errors.Is(err, ErrBadSnapshot) {
		t.Fatalf("int snapshot into an int8 cache: %v (n = %v)", err, maps.Collect(dst.All()))
	}
	if msg := err.Error(); !strings.Contains(msg, "values were saved as int (schema 0,") ||
		!strings.Contains(msg, "this cache's are int8 (schema 0,") {
		t.Errorf("message %q does not name both types", msg)
	}
	if got := maps.Collect(dst.All()); len(got) != 1 || got["keep"] != 1 {
		t.Errorf("a refused load changed the cache: %v", got)
	}

	// Keys are checked as well, and so is the schema.
	other := snapCache(t, clk, Options[int, int]{})
	if _, err := other.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{}); !errors.Is(err, codec.ErrTypeMismatch) ||
		!strings.Contains(err.Error(), "keys were saved as string") {
		t.Errorf("string keys into an int cache: %v", err)
	}
	var buf bytes.Buffer
	if _, err := src.SaveSnapshot(&buf, SnapshotOptions{Schema: 3}); err != nil {
		t.Fatal(err)
	}
	same := snapCache(t, clk, Options[string, int]{})
	if _, err := same.LoadSnapshot(bytes.NewReader(buf.Bytes()), SnapshotOptions{Schema: 4}); !errors.Is(err, codec.ErrTypeMismatch) {
		t.Errorf("schema 3 loaded as schema 4: %v", err)
	}
	if info, err := same.LoadSnapshot(bytes.NewReader(buf.Bytes()), SnapshotOptions{Schema: 3}); err != nil || info.Entries != 1 {
		t.Errorf("schema 3 loaded as schema 3: %+v, %v", info, err)
	}
}

// craftSnapshot builds a version 4 snapshot of string keys and V values
// from raw value bodies, as an attacker with write access to the file
// could.
func craftSnapshot[V any](values ...[]byte) []byte {
	b := []byte(snapshotMagic)
	b = binary.BigEndian.AppendUint16(b, snapshotVersion)
	b = append(b, byte(codec.FormatMsgpack), byte(codec.FormatMsgpack))
	b = binary.BigEndian.AppendUint64(b, 0)
	b = appendType(b, codec.TypeOf[string](0))
	b = appendType(b, codec.TypeOf[V](0))
	for i, v := range values {
		key := []byte{0xa4, 'k', byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)}
		b = append(b, tagRecord)
		b = binary.AppendUvarint(b, uint64(len(key)))
		b = append(b, key...)
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
		b = append(b, 0, 0, 0, 0) // TTL, age, rank, frequency
	}
	b = append(b, tagEnd)
	b = binary.BigEndian.AppendUint64(b, uint64(len(values)))
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// nils is a msgpack array32 of n nils: one byte each, 256 as a [256]byte.
func nils(n int) []byte {
	b := binary.BigEndian.AppendUint32([]byte{0xdd}, uint32(n))
	return append(b, bytes.Repeat([]byte{0xc0}, n)...)
}

func heapAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Issue 21 item 6: a crafted snapshot of a few megabytes decoded into
// [][256]byte allocated gigabytes. Now one record that large is refused
// before it is decoded, and many records stop at the snapshot's budget.
func TestSnapshotDecodingIsBounded(t *testing.T) {
	clk := newFakeClock()
	c := snapCache(t, clk, Options[string, [][256]byte]{})

	one := craftSnapshot[[][256]byte](nils(4 << 20))
	var err error
	got := heapAllocated(func() { _, err = c.LoadSnapshot(bytes.NewReader(one), SnapshotOptions{}) })
	if !errors.Is(err, codec.ErrTooLarge) || !errors.Is(err, ErrBadSnapshot) {
		t.Fatalf("a %d-byte snapshot of nils: %v", len(one), err)
	}
	// Reading the snapshot through io.ReadAll's growing buffer, and one
	// copy of the record, take a few times its size (more under -race).
	if got > 8*uint64(len(one)) {
		t.Errorf("a %d-byte snapshot allocated %d bytes before it was refused", len(one), got)
	}

	// 4000 records of 1000 nils each: 4 MB that would decode to 2 GB.
	many := make([][]byte, 4000)
	for i := range many {
		many[i] = nils(1000)
	}
	data := craftSnapshot[[][256]byte](many...)
	const budget = 16 << 20
	got = heapAllocated(func() {
		_, err = c.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{MaxDecodeBytes: budget})
	})
	if !errors.Is(err, codec.ErrTooLarge) || !errors.Is(err, ErrBadSnapshot) {
		t.Fatalf("%d records of nils: %v", len(many), err)
	}
	if got > budget+8*uint64(len(data)) {
		t.Errorf("a %d-byte snapshot allocated %d bytes with a budget of %d", len(data), got, budget)
	}
	if c.Len() != 0 {
		t.Errorf("a refused load stored %d entries", c.Len())
	}

	// Honest data of the same shape loads within the default budget.
	src := snapCache(t, clk, Options[string, [][256]byte]{})
	src.Set("v", make([][256]byte, 1000))
	if info, err := c.LoadSnapshot(bytes.NewReader(save(t, src)), SnapshotOptions{}); err != nil || info.Entries != 1 {
		t.Errorf("honest snapshot: %+v, %v", info, err)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// A snapshot larger than MaxBytes is refused having read one byte more;
// a file that large is refused without reading it.
func TestSnapshotSizeIsBounded(t *testing.T) {
	clk := newFakeClock()
	data := smallSnapshot(t)
	c := snapCache(t, clk, Options[string, int]{})
	limit := int64(len(data) - 1)
	r := &countingReader{r: io.MultiReader(bytes.NewReader(data), strings.NewReader(strings.Repeat("x", 1<<20)))}
	_, err := c.LoadSnapshot(r, SnapshotOptions{MaxBytes: limit})
	if !errors.Is(err, codec.ErrTooLarge) || !errors.Is(err, ErrBadSnapshot) || !strings.Contains(err.Error(), "SnapshotOptions.MaxBytes") {
		t.Fatalf("oversized snapshot: %v", err)
	}
	if r.n > len(data) {
		t.Errorf("read %d bytes of a stream with a limit of %d", r.n, limit)
	}
	if info, err := c.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{MaxBytes: int64(len(data))}); err != nil || info.Entries != 3 {
		t.Errorf("snapshot at the limit: %+v, %v", info, err)
	}

	path := filepath.Join(t.TempDir(), "snap")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LoadSnapshotFile(path, SnapshotOptions{MaxBytes: limit}); !errors.Is(err, codec.ErrTooLarge) || !strings.Contains(err.Error(), path) {
		t.Errorf("oversized file: %v", err)
	}
	for _, bad := range []SnapshotOptions{{MaxBytes: -1}, {MaxDecodeBytes: -1}} {
		if _, err := c.LoadSnapshot(bytes.NewReader(data), bad); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// statWriter records the mode of the file a save writes, midway.
type statWriter struct {
	*os.File
	mode *fs.FileMode
}

func (w statWriter) Write(p []byte) (int, error) {
	if fi, err := w.Stat(); err == nil {
		*w.mode = fi.Mode().Perm()
	}
	return w.File.Write(p)
}

// Issue 27 item 4: snapshot files, temporary ones included, are the
// owner's alone (they were 0644), and a file others may write is not
// loaded unless the caller says so.
func TestSnapshotFilesArePrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits")
	}
	clk := newFakeClock()
	src := snapCache(t, clk, Options[string, int]{})
	src.Set("a", 1)
	path := filepath.Join(t.TempDir(), "snap")

	var tmpMode fs.FileMode
	snapshotFileWriter = func(w io.Writer) io.Writer { return statWriter{w.(*os.File), &tmpMode} }
	defer func() { snapshotFileWriter = func(w io.Writer) io.Writer { return w } }()
	if _, err := src.SaveSnapshotFile(path, SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || tmpMode != 0o600 {
		t.Fatalf("file mode %v (%v), temporary file %v; want 0600 for both", fi.Mode().Perm(), err, tmpMode)
	}

	dst := snapCache(t, clk, Options[string, int]{})
	for _, mode := range []fs.FileMode{0o620, 0o602, 0o666} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := dst.LoadSnapshotFile(path, SnapshotOptions{})
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), mode.String()) {
			t.Errorf("mode %v: %v, want fs.ErrPermission naming the file and its mode", mode, err)
		}
		if dst.Len() != 0 {
			t.Fatalf("mode %v: loaded %d entries", mode, dst.Len())
		}
	}
	if info, err := dst.LoadSnapshotFile(path, SnapshotOptions{AllowWritableByOthers: true}); err != nil || info.Entries != 1 {
		t.Errorf("AllowWritableByOthers: %+v, %v", info, err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // readable by others is the owner's choice
		t.Fatal(err)
	}
	if info, err := dst.LoadSnapshotFile(path, SnapshotOptions{}); err != nil || info.Entries != 1 {
		t.Errorf("mode 0644: %+v, %v", info, err)
	}
}
