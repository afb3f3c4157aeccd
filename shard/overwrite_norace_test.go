//go:build !race

package shard

import (
	"testing"
	"time"
)

// Outside race builds an overwrite of a resident entry really does without
// the data lock: it completes while another goroutine holds it.
func TestOverwriteDoesWithoutTheDataLock(t *testing.T) {
	s, _ := newQuietShard(Config{})
	s.Set("k", 0, 1, 1, 0, false)
	s.mu.Lock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Set("k", 0, 2, 1, 0, false)
	}()
	select {
	case <-done:
		s.mu.Unlock()
	case <-time.After(10 * time.Second):
		s.mu.Unlock()
		<-done
		t.Fatal("the overwrite waited for the data lock")
	}
	if v, _ := s.Peek("k", 0); v != 2 {
		t.Fatalf("value %d after the overwrite, want 2", v)
	}
}
