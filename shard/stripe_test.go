package shard

import (
	"testing"

	"github.com/stratacache/cache/internal/readbuf"
)

// One goroutine's reads use one stripe, so they reach the policy in order;
// a reader that fills a buffer while the policy lock is busy widens the
// stripes.
func TestStripesWidenOnlyOnContention(t *testing.T) {
	s, _ := newShard(100)
	s.Set("k", 0, 1, 1, 0, false)
	for range 10 * readbuf.Size {
		s.Get("k", 0)
	}
	if n := s.active.Load(); n != 1 {
		t.Fatalf("uncontended reads widened the stripes to %d", n)
	}
	if len(s.stripes) < 2 {
		t.Skip("GOMAXPROCS 1 leaves one stripe: nothing to widen")
	}
	s.policyMu.Lock() // stands in for another goroutine's maintenance
	for range readbuf.Size {
		s.Get("k", 0)
	}
	s.policyMu.Unlock()
	if n := s.active.Load(); n != 2 {
		t.Fatalf("a full buffer behind a busy lock left %d stripes in use, want 2", n)
	}
	// Hits are counted on every stripe, sampled for the policy or not.
	if c := s.Counters(); c.Hits != 11*readbuf.Size {
		t.Fatalf("Hits = %d, want %d", c.Hits, 11*readbuf.Size)
	}
}
