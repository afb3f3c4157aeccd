package shard

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A write that lands while Finish waits for the policy lock (the write
// buffer is full) supersedes the load: Finish must not store the loaded
// value over it once it gets the lock.
func TestFinishWaitingForRoomIsSupersededByAWrite(t *testing.T) {
	s, _ := newQuietShard(Config{Capacity: 1000, TrackWrites: true})
	s.Set("k", 0, 1, 1, 0, false)
	_, _, written := s.Read("k", 0)
	f := s.BeginRefresh("k", 0, written)
	if f == nil {
		t.Fatal("BeginRefresh registered no flight")
	}
	s.policyMu.Lock() // stands in for another goroutine's maintenance
	for i := range writeBufferSize {
		s.Set("w"+strconv.Itoa(i), 0, i, 1, 0, false)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Finish("k", 0, f, OutcomeValue, 99, 1, 0)
	}()
	// Finish found the write buffer full and let go of the data lock: it
	// now waits for the policy lock.
	waitBlockedIn(t, "roomLocked", 1, nil)
	// The Set may have to wait for the policy lock too, behind Finish.
	set := make(chan struct{})
	go func() {
		defer close(set)
		s.Set("k", 0, 2, 1, 0, false)
	}()
	waitBlockedIn(t, "roomLocked", 2, set)
	s.policyMu.Unlock()
	<-done
	<-set
	if v, _ := s.Peek("k", 0); v != 2 {
		t.Fatalf("k = %d after a Set that came while its load finished; want the Set's 2", v)
	}
}

// waitBlockedIn returns once n goroutines wait for a mutex inside a
// function whose name contains fn, or done (if not nil) is closed. It reads
// goroutines' stacks, since synctest does not count waiting for a mutex as
// being blocked.
func waitBlockedIn(t *testing.T, fn string, n int, done <-chan struct{}) {
	t.Helper()
	buf := make([]byte, 1<<20)
	// Only a bound on a hang (a renamed runtime function, say), never a
	// wait for the goroutines: those are found on their stacks.
	give := time.Now().Add(time.Minute)
	for {
		if time.Now().After(give) {
			t.Fatalf("no %d goroutines waiting for a mutex in %s after a minute", n, fn)
		}
		select {
		case <-done:
			return
		default:
		}
		blocked := 0
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "lockSlow") && strings.Contains(g, fn) {
				blocked++
			}
		}
		if blocked >= n {
			return
		}
		runtime.Gosched()
	}
}
