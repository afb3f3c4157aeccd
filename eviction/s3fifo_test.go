package eviction

import (
	"math/rand/v2"
	"testing"
)

func TestS3FIFOOrder(t *testing.T) {
	p := New[int, int](S3FIFO, 10) // small queue: 1 unit
	es := addAll(p, 5)
	p.Access(es[1])
	p.Access(es[3])
	// 0 was never read: out, into the ghost.
	wantKeys(t, "first", keys(p.Evict()), 0)
	// 1 was read: promoted to main; 2 was not: out.
	wantKeys(t, "second", keys(p.Evict()), 2)
	// 3 is promoted; the small queue (4) is down to its share, so main
	// gives up its oldest, 1, whose frequency was reset on promotion.
	wantKeys(t, "third", keys(p.Evict()), 1)

	// 0 returns while its hash is in the ghost: straight into main.
	back := newEnt(0, 1)
	p.Add(back)
	if back.Queue() != s3Main {
		t.Fatalf("a ghost hit went to queue %d, want main", back.Queue())
	}
	p.Access(es[3])
	p.Access(es[3])
	// Main is [3 (freq 2), 0], but 0 was added last and is spared while
	// anything else is left: the hand takes 3 after two passes, then the
	// small queue's 4, and 0 last.
	wantKeys(t, "rest", evictOrder(p), 3, 4, 0)
}

// TestS3FIFOFrequencyCaps: the 2-bit counter saturates at 3, so an entry
// read many times survives at most three extra passes of main's hand.
func TestS3FIFOFrequencyCaps(t *testing.T) {
	p := New[int, int](S3FIFO, 10)
	es := addAll(p, 4)
	for _, e := range es[:3] {
		p.Access(e)
	}
	// 0, 1 and 2 move to main with their counts reset; the small queue
	// is then within its share, so main's oldest goes.
	wantKeys(t, "first", keys(p.Evict()), 0)
	for range 10 {
		p.Access(es[1])
	}
	p.Access(es[2])
	if es[1].Mark() != s3MaxFreq {
		t.Fatalf("frequency %d, want it capped at %d", es[1].Mark(), s3MaxFreq)
	}
	// Main is [1 (3), 2 (1)]: the hand passes 1 (2 left), 2 (0 left),
	// 1 (1 left), then takes 2; then 1 after one more pass; then the
	// small queue's 3.
	wantKeys(t, "rest", evictOrder(p), 2, 1, 3)
}

func TestS3FIFOGhostIsBounded(t *testing.T) {
	p := newS3FIFO[int, int](100)
	for i := range 10000 {
		p.Add(newEnt(i, 1))
		if p.small.weight+p.main.weight > 100 {
			p.Evict()
		}
	}
	if n := p.ghost.len(); n > 100 {
		t.Fatalf("ghost holds %d hashes for a cache of 100 entries (main %d)", n, p.main.len())
	}
}

func TestGhost(t *testing.T) {
	var g ghost
	for h := range uint64(40) {
		g.add(h, 10)
	}
	if g.len() != 10 || g.contains(29) || !g.contains(30) || !g.contains(39) {
		t.Fatalf("after 40 adds with limit 10: len %d, 29:%v 30:%v 39:%v", g.len(), g.contains(29), g.contains(30), g.contains(39))
	}
	g.forget(35)
	g.add(35, 10) // back at the young end
	for h := uint64(100); h < 108; h++ {
		g.add(h, 10)
	}
	if !g.contains(35) || g.contains(36) {
		t.Fatalf("re-added hash should outlive its old slot: 35:%v 36:%v", g.contains(35), g.contains(36))
	}
}

// TestGhostModel drives a ghost and a plain reference (a map from hash to
// the sequence of its newest copy, and the ring of copies) with the same
// random adds, forgets and limits, including limits that grow as an
// S3-FIFO's does, and compares what each holds after every step.
func TestGhostModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var g ghost
	type copyOf struct{ h, seq uint64 }
	var ring []copyOf // oldest first
	newest := map[uint64]uint64{}
	var seq uint64
	limit := 8
	for step := range 200_000 {
		h := rng.Uint64N(300) * 0x9e3779b97f4a7c15 // few distinct hashes, so they come back
		switch r := rng.IntN(10); {
		case r < 6:
			if rng.IntN(500) == 0 {
				limit = min(limit*2, 256)
			}
			for len(ring) >= limit {
				old := ring[0]
				ring = ring[1:]
				if s, ok := newest[old.h]; ok && s == old.seq {
					delete(newest, old.h)
				}
			}
			ring = append(ring, copyOf{h, seq})
			newest[h] = seq
			seq++
			g.add(h, limit)
		case r < 8:
			delete(newest, h)
			g.forget(h)
		default:
			if _, want := newest[h]; g.contains(h) != want {
				t.Fatalf("step %d: contains(%x) = %v, want %v", step, h, !want, want)
			}
		}
		if g.len() != len(newest) {
			t.Fatalf("step %d: ghost holds %d hashes, reference %d", step, g.len(), len(newest))
		}
	}
	for h := range newest {
		if !g.contains(h) {
			t.Fatalf("ghost lost %x", h)
		}
	}
}
