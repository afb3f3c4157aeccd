package eviction

import (
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/stratacache/cache/internal/hashing"
)

// replayGroup is replayTinyLFU for a cache of n shards whose policies
// climb together in one group: keys go to shards by the top bits of their
// hash, as in the cache.
func replayGroup(capacity int64, shards int, share float64, n int, next func() uint64) []*tinyLFU[uint64, void] {
	g := NewGroup()
	g.share = share
	sims := make([]*simulator, shards)
	ps := make([]*tinyLFU[uint64, void], shards)
	for i := range sims {
		sims[i] = newSimulator(TinyLFU, capacity/int64(shards))
		ps[i] = NewMember[uint64, void](TinyLFU, capacity/int64(shards), g).(*tinyLFU[uint64, void])
		sims[i].policy = ps[i]
	}
	shift := 64 - bits.TrailingZeros(uint(shards))
	for range n {
		k := next()
		h := hashing.Mix(k ^ replaySeed)
		sims[h>>shift].get(k, h)
	}
	return ps
}

// TestGroupClimbsOneWay: the recency- and frequency-heavy streams of the
// single-policy climber tests, over 8 shards of one group. Every shard
// ends at the group's share (give or take the decision it has not yet
// picked up), and the share moves the way the single climber's does.
func TestGroupClimbsOneWay(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	tick := 0
	ps := replayGroup(4000, 8, tlWindowStart, 1_600_000, func() uint64 {
		tick++
		return uint64(tick/4 + rng.IntN(3600))
	})
	checkSameShare(t, ps)
	if s := ps[0].group.share; s < 0.3 {
		t.Fatalf("group share %.3f after a recency-heavy stream, want it grown from %.2f", s, tlWindowStart)
	}

	rng = rand.New(rand.NewPCG(2, 2))
	zipf := rand.NewZipf(rng, 1.05, 1, 200_000)
	oneOff := uint64(1 << 40)
	const start = 0.6
	ps = replayGroup(4000, 8, start, 1_600_000, func() uint64 {
		if rng.IntN(2) == 0 {
			oneOff++
			return oneOff
		}
		return zipf.Uint64()
	})
	checkSameShare(t, ps)
	if s := ps[0].group.share; s > 0.2 {
		t.Fatalf("group share %.3f after a frequency-heavy stream, want it shrunk from %.2f", s, start)
	}
}

// checkSameShare fails unless every member's window share is the group's,
// or the one before the group's last decision (members pick decisions up
// at their next report).
func checkSameShare(t *testing.T, ps []*tinyLFU[uint64, void]) {
	t.Helper()
	g := ps[0].group
	for i, p := range ps {
		if p.group != g {
			t.Fatalf("shard %d is not in the group", i)
		}
		if d := p.windowShare - g.share; d > climbStep+1e-9 || d < -climbStep-1e-9 {
			t.Fatalf("shard %d has window share %.3f, group %.3f: more than one step apart", i, p.windowShare, g.share)
		}
	}
}

// TestGroupPoolsEvidence: the group decides on the sum of its members'
// tallies, once per period of the whole cache, however the evidence is
// spread; and a member's report hands its tallies over.
func TestGroupPoolsEvidence(t *testing.T) {
	g := NewGroup()
	a, _ := g.join(1000)
	b, _ := g.join(1000)
	if g.climber.period != climbPeriodFor(2000) {
		t.Fatalf("period %d, want %d: the period of one cache of both members' size", g.climber.period, climbPeriodFor(2000))
	}
	// Each member alone has a lead of 10 for growing: below the
	// evidence for a full step. Together they have 20: a full step.
	var ta, tb climber
	ta.requests, ta.windowGhost = g.climber.period/2, 10
	tb.requests, tb.windowGhost = g.climber.period/2-1, 10
	if s := g.report(a, &ta, 500); s != tlWindowStart {
		t.Fatalf("share %v after half a period, want it unchanged at %v", s, tlWindowStart)
	}
	if ta.requests != 0 || ta.windowGhost != 0 {
		t.Fatalf("member kept its tallies after reporting: %+v", ta)
	}
	if s := g.report(b, &tb, 500); s != tlWindowStart {
		t.Fatalf("share %v one request short of the period, want it unchanged", s)
	}
	tb.requests = 1
	want := clampWindowShare(tlWindowStart + climbStep)
	if s := g.report(b, &tb, 500); s != want {
		t.Fatalf("share %v after the period's pooled lead of 20, want a full step to %v", s, want)
	}
	if g.total != 1000 || g.climber.period != climbPeriodFor(1000) {
		t.Fatalf("total %d, next period %d; want 1000 entries and the period for them", g.total, g.climber.period)
	}
}

// TestGroupResetKeepsMembership: Reset (Clear) forgets the shard's
// entries and tallies, not its place in the group.
func TestGroupResetKeepsMembership(t *testing.T) {
	g := NewGroup()
	p := NewMember[int, int](TinyLFU, 100, g).(*tinyLFU[int, int])
	q := NewMember[int, int](TinyLFU, 100, g).(*tinyLFU[int, int])
	q.Reset()
	if q.group != g || q.member != 1 || p.member != 0 {
		t.Fatalf("after Reset: group %p (want %p), members %d, %d (want 0, 1)", q.group, g, p.member, q.member)
	}
	if len(g.entries) != 2 {
		t.Fatalf("group has %d members after a Reset, want 2", len(g.entries))
	}
}

// TestNewMemberOtherAlgorithms: only TinyLFU joins; the others ignore the
// group.
func TestNewMemberOtherAlgorithms(t *testing.T) {
	g := NewGroup()
	for _, a := range []Algorithm{LRU, SIEVE, S3FIFO} {
		if NewMember[int, int](a, 100, g) == nil {
			t.Fatalf("%v: nil policy", a)
		}
	}
	if len(g.entries) != 0 {
		t.Fatalf("group has %d members, want 0", len(g.entries))
	}
}
