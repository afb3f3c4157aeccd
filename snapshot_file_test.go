package cache

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestSnapshotFileRoundTrip(t *testing.T) {
	clk := newFakeClock()
	src := snapCache(t, clk, Options[string, int]{})
	src.Set("a", 1)
	path := filepath.Join(t.TempDir(), "cache.snap")
	saved, err := src.SaveSnapshotFile(path, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dst := snapCache(t, clk, Options[string, int]{})
	loaded, err := dst.LoadSnapshotFile(path, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := dst.Get("a"); v != 1 || loaded.Entries != 1 || loaded.Bytes != saved.Bytes {
		t.Fatalf("a = %d, saved %+v, loaded %+v", v, saved, loaded)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stat: %v, mode %v, want 0600", err, fi.Mode())
	}
	if _, err := dst.LoadSnapshotFile(path+".missing", SnapshotOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}
	if err := os.WriteFile(path, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.LoadSnapshotFile(path, SnapshotOptions{}); !errors.Is(err, ErrBadSnapshot) {
		t.Errorf("junk file: err = %v, want ErrBadSnapshot", err)
	}
}

// failAfter lets n bytes through, then fails every write.
type failAfter struct {
	w io.Writer
	n int
}

var errDiskFull = errors.New("disk full (simulated)")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, errDiskFull
	}
	f.n -= len(p)
	return f.w.Write(p)
}

// A save that fails midway leaves the previous snapshot intact and no
// temporary file behind.
func TestSnapshotFileFailedSaveKeepsPrevious(t *testing.T) {
	clk := newFakeClock()
	c := snapCache(t, clk, Options[int, int]{})
	c.Set(1, 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "cache.snap")
	if _, err := c.SaveSnapshotFile(path, SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	previous, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100_000 { // well past the 64 KiB write buffer
		c.Set(i, i)
	}
	for _, limit := range []int{0, 10, 70_000} {
		snapshotFileWriter = func(w io.Writer) io.Writer { return &failAfter{w, limit} }
		_, err := c.SaveSnapshotFile(path, SnapshotOptions{})
		snapshotFileWriter = func(w io.Writer) io.Writer { return w }
		if !errors.Is(err, errDiskFull) {
			t.Fatalf("limit %d: err = %v, want the writer's error", limit, err)
		}
		now, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(now, previous) {
			t.Fatalf("limit %d: previous snapshot changed (err %v, %d bytes, was %d)", limit, err, len(now), len(previous))
		}
		ents, err := os.ReadDir(dir)
		if err != nil || len(ents) != 1 {
			t.Fatalf("limit %d: directory holds %v (err %v), want only the snapshot", limit, ents, err)
		}
	}
	dst := snapCache(t, clk, Options[int, int]{})
	if info, err := dst.LoadSnapshotFile(path, SnapshotOptions{}); err != nil || info.Entries != 1 {
		t.Fatalf("previous snapshot after failed saves: %+v, %v", info, err)
	}
}

func TestSnapshotFileBadDirectory(t *testing.T) {
	clk := newFakeClock()
	c := snapCache(t, clk, Options[int, int]{})
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "cache.snap")
	if _, err := c.SaveSnapshotFile(path, SnapshotOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want fs.ErrNotExist", err)
	}
}

// A directory at the snapshot's path is not a snapshot: refused with an
// error that says so, not one from the first read.
func TestLoadSnapshotFileRefusesADirectory(t *testing.T) {
	c := snapCache(t, newFakeClock(), Options[int, int]{})
	dir := t.TempDir()
	_, err := c.LoadSnapshotFile(dir, SnapshotOptions{})
	if !errors.Is(err, fs.ErrInvalid) {
		t.Fatalf("LoadSnapshotFile(directory) = %v, want an error matching fs.ErrInvalid", err)
	}
}
