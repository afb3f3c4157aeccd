//go:build unix

package cache

import (
	"errors"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A named pipe at the snapshot's path is refused at once: opening it
// for reading would wait for a writer, for ever if none comes.
func TestLoadSnapshotFileRefusesANamedPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.snap")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	c := snapCache(t, newFakeClock(), Options[int, int]{})
	done := make(chan error, 1)
	go func() {
		_, err := c.LoadSnapshotFile(path, SnapshotOptions{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, fs.ErrInvalid) {
			t.Fatalf("LoadSnapshotFile(named pipe) = %v, want an error matching fs.ErrInvalid", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("LoadSnapshotFile of a named pipe still waiting after a minute")
	}
}
