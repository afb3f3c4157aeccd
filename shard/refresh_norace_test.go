//go:build !race

package shard

import (
	"sync/atomic"
	"testing"
)

// A refresh registered from a version that an overwrite without the data
// lock then replaces must not store its result over the overwrite: the
// overwrite checked for flights before the refresh registered, so nothing
// superseded it. The clock holds BeginRefresh after it has read the old
// version, and the overwrite completes meanwhile (outside race builds it
// takes no lock; see overwrite).
func TestRefreshDoesNotStoreOverAnUnlockedOverwrite(t *testing.T) {
	var now atomic.Int64
	now.Store(1)
	var armed atomic.Bool
	entered, release := make(chan struct{}), make(chan struct{})
	s := New[string, int](Config{TrackWrites: true, Clock: func() int64 {
		if armed.CompareAndSwap(true, false) {
			close(entered)
			<-release
		}
		return now.Load()
	}})
	s.Set("k", 0, 1, 1, 100, false)
	now.Store(50)
	armed.Store(true)
	began := make(chan *Flight[int])
	go func() { began <- s.BeginRefresh("k", 0, 1) }()
	<-entered // BeginRefresh has read version 1 and waits in the clock
	s.Set("k", 0, 2, 1, 100, false)
	close(release)
	if f := <-began; f != nil {
		s.Finish("k", 0, f, OutcomeValue, 3, 1, 100)
	}
	if v, _ := s.Peek("k", 0); v != 2 {
		t.Fatalf("Peek = %d after Set(2) during the refresh's start; the refresh of the replaced version was stored over it", v)
	}
}
