//go:build unix

package cache

import (
	"os"
	"syscall"
)

// openNoWait opens path for reading without waiting: a named pipe opened
// for reading would block until a writer opens it. A regular file reads
// as usual with O_NONBLOCK.
func openNoWait(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
