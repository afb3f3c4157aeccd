package cache

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// snapshotFileWriter wraps the temporary file's writer; tests replace it to
// fail a save midway.
var snapshotFileWriter = func(w io.Writer) io.Writer { return w }

// SaveSnapshotFile saves a snapshot (see SaveSnapshot) to path, replacing
// any file there only once the new one is complete and on disk: it writes
// a temporary file in the same directory, syncs it, renames it over path
// and syncs the directory. A crash or an error at any point leaves the
// previous file whole; on error the temporary file is removed. The new
// file gets mode 0o644 before the umask. Cost: SaveSnapshot plus two
// fsyncs.
func (c *Cache[K, V]) SaveSnapshotFile(path string, opts SnapshotOptions) (SnapshotInfo, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("cache: snapshot: save %s: %w", path, err)
	}
	tmp := f.Name()
	info, err := c.SaveSnapshot(snapshotFileWriter(f), opts)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return info, fmt.Errorf("cache: snapshot: save %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		// The new file is in place; only its durability is in doubt.
		return info, fmt.Errorf("cache: snapshot: save %s: sync directory: %w", path, err)
	}
	return info, nil
}

// LoadSnapshotFile loads the snapshot at path (see LoadSnapshot). A
// missing file gives an error matching fs.ErrNotExist, which a service
// starting for the first time can ignore.
func (c *Cache[K, V]) LoadSnapshotFile(path string, opts SnapshotOptions) (SnapshotInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("cache: snapshot: load: %w", err)
	}
	defer f.Close()
	info, err := c.LoadSnapshot(f, opts)
	if err != nil {
		return info, fmt.Errorf("%w (file %s)", err, path)
	}
	return info, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
