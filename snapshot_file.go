package cache

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// snapshotFileWriter wraps the temporary file's writer; tests replace it to
// fail a save midway.
var snapshotFileWriter = func(w io.Writer) io.Writer { return w }

// SaveSnapshotFile saves a snapshot (see SaveSnapshot) to path, replacing
// any file there only once the new one is complete and on disk: it writes
// a temporary file in the same directory, syncs it, renames it over path
// and syncs the directory. A crash or an error at any point leaves the
// previous file whole; on error the temporary file is removed. The
// temporary file, and so the new file, are readable and writable by their
// owner only (mode 0o600): a snapshot holds the cache's values. Cost:
// SaveSnapshot plus two fsyncs.
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
	// CreateTemp makes the file 0o600; say so in case that ever changes.
	err = f.Chmod(0o600)
	var info SnapshotInfo
	if err == nil {
		info, err = c.SaveSnapshot(snapshotFileWriter(f), opts)
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
//
// A file that users other than its owner may write (group or other write
// permission) is refused, with an error naming the file and its mode and
// matching fs.ErrPermission, unless opts.AllowWritableByOthers is set:
// whoever can write the file chooses what the cache serves. A file larger
// than opts.MaxBytes is refused before it is read, and so is anything but a
// regular file (a directory, a named pipe, a device), with an error
// matching fs.ErrInvalid: opening a named pipe would otherwise wait for a
// writer, for ever if none comes. LoadSnapshot reads from any io.Reader.
func (c *Cache[K, V]) LoadSnapshotFile(path string, opts SnapshotOptions) (SnapshotInfo, error) {
	if err := opts.validate(); err != nil {
		return SnapshotInfo{}, err
	}
	f, err := openNoWait(path)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("cache: snapshot: load: %w", err)
	}
	defer f.Close()
	// The opened file, not the path, so that it cannot be swapped between
	// the check and the read.
	st, err := f.Stat()
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("cache: snapshot: load %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return SnapshotInfo{}, fmt.Errorf("cache: snapshot: load %s: not a regular file (mode %v): %w", path, st.Mode(), fs.ErrInvalid)
	}
	if mode := st.Mode(); mode.Perm()&0o022 != 0 && !opts.AllowWritableByOthers && runtime.GOOS != "windows" {
		return SnapshotInfo{}, fmt.Errorf("cache: snapshot: load %s: the file's mode %v lets users other than its owner write it; "+
			"make it 0600 (chmod go-w), or set SnapshotOptions.AllowWritableByOthers: %w", path, mode.Perm(), fs.ErrPermission)
	}
	if st.Size() > opts.maxBytes() {
		return SnapshotInfo{}, fmt.Errorf("%w (file %s, %d bytes)", tooLarge(opts.maxBytes()), path, st.Size())
	}
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
