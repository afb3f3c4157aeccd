package redisstore

import (
	"bytes"
	"runtime"
	"strconv"
)

// goroutineID returns the runtime's id of the calling goroutine, read from
// the first line of its stack trace ("goroutine 42 [running]:"), or 0 if
// that line cannot be read. Go offers no other way for a function to learn
// which goroutine runs it; a subscription's stop needs it only to tell a
// call from inside its own callback, which must not wait for itself, from
// any other. It costs a few microseconds.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b, ok := bytes.CutPrefix(b, []byte("goroutine "))
	if !ok {
		return 0
	}
	n, _, _ := bytes.Cut(b, []byte(" "))
	id, err := strconv.ParseUint(string(n), 10, 64)
	if err != nil {
		return 0
	}
	return id
}
