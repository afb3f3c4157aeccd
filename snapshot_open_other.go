//go:build !unix

package cache

import "os"

// openNoWait opens path for reading; see the unix version.
func openNoWait(path string) (*os.File, error) { return os.Open(path) }
