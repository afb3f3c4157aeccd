package eviction

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/stratacache/cache/internal/hashing"
	"github.com/stratacache/cache/internal/policysim"
)

// replayGroup is replayTinyLFU for a cache of n shards whose policies
// climb together in one group: keys go to shards by the top bits of their
// hash, as in the cache.
func replayGroup(capacity int64, shards int, share float64, n int, next func() uint64) []*tinyLFU[uint64, void] {
	g := NewGroup()
	g.share = share
	sims := make([]*policysim.Sim, shards)
	ps := make([]*tinyLFU[uint64, void], shards)
	for i := range sims {
		sims[i] = newSimulator(TinyLFU, capacity/int64(shards))
		ps[i] = NewMember[uint64, void](TinyLFU, capacity/int64(shards), g).(*tinyLFU[uint64, void])
		sims[i].Policy = ps[i]
	}
	shift := 64 - bits.TrailingZeros(uint(shards))
	for range n {
		k := next()
		h := hashing.Mix(k ^ replaySeed)
		sims[h>>shift].Get(k, h)
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
	if s, _ := g.report(a, &ta, 500); s != tlWindowStart {
		t.Fatalf("share %v after half a period, want it unchanged at %v", s, tlWindowStart)
	}
	if ta.requests != 0 || ta.windowGhost != 0 {
		t.Fatalf("member kept its tallies after reporting: %+v", ta)
	}
	if s, _ := g.report(b, &tb, 500); s != tlWindowStart {
		t.Fatalf("share %v one request short of the period, want it unchanged", s)
	}
	tb.requests = 1
	want := clampWindowShare(tlWindowStart + climbStep)
	if s, _ := g.report(b, &tb, 500); s != want {
		t.Fatalf("share %v after the period's pooled lead of 20, want a full step to %v", s, want)
	}
	if g.total != 1000 || g.climber.period != climbPeriodFor(1000) {
		t.Fatalf("total %d, next period %d; want 1000 entries and the period for them", g.total, g.climber.period)
	}
}

// TestGroupPeriodsDoNotDrift: however the members' reports cut the
// requests, the group closes one period per period's worth of reported
// requests, within a report: requests past the end of a period count
// towards the next one. (Where those periods fall relative to one
// cache's is another matter; see the Group doc comment.)
func TestGroupPeriodsDoNotDrift(t *testing.T) {
	g := NewGroup()
	m, _ := g.join(1000)
	period := g.climber.period
	closed, sent := 0, 0
	for sent < 20*period+7 {
		// 7 does not divide the period: each period ends inside a
		// report.
		tallies := climber{requests: 7}
		sent += 7
		g.report(m, &tallies, 1000)
		if g.climber.requests == 0 {
			closed++
		}
		if g.climber.period != period {
			t.Fatalf("period changed from %d to %d with the entry count unchanged", period, g.climber.period)
		}
	}
	if closed != sent/period {
		t.Fatalf("%d periods closed after %d requests in periods of %d, want %d", closed, sent, period, sent/period)
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
	for _, a := range Algorithms() {
		if a == TinyLFU {
			continue
		}
		if NewMember[int, int](a, 100, g) == nil {
			t.Fatalf("%v: nil policy", a)
		}
	}
	if len(g.entries) != 0 {
		t.Fatalf("group has %d members, want 0", len(g.entries))
	}
}

// TestGroupSharesRotation: the group decides rotation on the pooled
// evidence, and every member takes the decision at its next report.
func TestGroupSharesRotation(t *testing.T) {
	g := NewGroup()
	members := []*tinyLFU[int, int]{
		NewMember[int, int](TinyLFU, 100000, g).(*tinyLFU[int, int]),
		NewMember[int, int](TinyLFU, 100000, g).(*tinyLFU[int, int]),
	}
	// A period in which 4% of the requests were rejected candidates
	// coming back (enough of them to weigh half), reported by the first
	// member. (Members this large make the group's period longer than
	// the minimum, below which the group never rotates.)
	var tallies climber
	tallies.requests, tallies.full, tallies.windowGhost = 20000, 20000, 800
	if _, rotate := g.report(0, &tallies, 1000); !rotate {
		t.Fatalf("group does not rotate after a period of 4%% returns (rate %.5f)", g.climber.returns)
	}
	// The second member learns it when its own report falls due.
	m := members[1]
	for !m.climber.rotate && m.climber.requests < m.climber.period {
		m.Add(newEnt(m.climber.requests, 1))
	}
	if !m.climber.rotate {
		t.Fatal("member did not take the group's rotation at its report")
	}
}

// TestLearnedRoundTrip: what TinyLFU learned (the rate of returning
// candidates and the rotation it decided) survives AppendLearned and
// Learn, for a policy of its own and for a group's members, whose group
// takes it too so that their next reports keep it.
func TestLearnedRoundTrip(t *testing.T) {
	src := newTinyLFU[int, int](100000, nil)
	src.climber.returns, src.climber.rotate = 0.0042, true
	b := src.AppendLearned(nil)
	if len(b) != learnedLen || Algorithm(b[0]) != TinyLFU {
		t.Fatalf("AppendLearned wrote % x, want %d bytes starting with TinyLFU", b, learnedLen)
	}
	if err := CheckLearned(b); err != nil {
		t.Fatal(err)
	}

	alone := newTinyLFU[int, int](100000, nil)
	if err := alone.Learn(b); err != nil {
		t.Fatal(err)
	}
	if alone.climber.returns != 0.0042 || !alone.climber.rotate {
		t.Fatalf("after Learn: rate %v, rotate %v; want 0.0042, true", alone.climber.returns, alone.climber.rotate)
	}

	g := NewGroup()
	members := []*tinyLFU[int, int]{
		NewMember[int, int](TinyLFU, 100000, g).(*tinyLFU[int, int]),
		NewMember[int, int](TinyLFU, 100000, g).(*tinyLFU[int, int]),
	}
	if err := members[0].Learn(b); err != nil {
		t.Fatal(err)
	}
	if got := members[1].AppendLearned(nil); !bytes.Equal(got, b) {
		t.Fatalf("the other member appends % x, want the group's % x", got, b)
	}
	// The second member learns it at its next report, from the group.
	m := members[1]
	for i := 0; !m.climber.rotate && i < 10*m.climber.period; i++ {
		m.Add(newEnt(i, 1))
	}
	if !m.climber.rotate {
		t.Fatal("member did not take the learned rotation from its group")
	}
}

// TestLearnRejects: Learn and CheckLearned refuse what no TinyLFU of this
// build wrote, and Learn then changes nothing.
func TestLearnRejects(t *testing.T) {
	good := newTinyLFU[int, int](1000, nil).AppendLearned(nil)
	with := func(edit func(b []byte) []byte) []byte { return edit(bytes.Clone(good)) }
	for name, b := range map[string][]byte{
		"empty":        nil,
		"short":        good[:5],
		"long":         append(bytes.Clone(good), 0),
		"other policy": with(func(b []byte) []byte { b[0] = byte(LRU); return b }),
		"rate NaN":     with(func(b []byte) []byte { binary.BigEndian.PutUint64(b[1:], math.Float64bits(math.NaN())); return b }),
		"rate -1":      with(func(b []byte) []byte { binary.BigEndian.PutUint64(b[1:], math.Float64bits(-1)); return b }),
		"rotation 2":   with(func(b []byte) []byte { b[9] = 2; return b }),
	} {
		if err := CheckLearned(b); err == nil {
			t.Errorf("%s: CheckLearned(% x) accepted it", name, b)
		}
		p := newTinyLFU[int, int](1000, nil)
		p.climber.returns = 0.5
		if err := p.Learn(b); err == nil || p.climber.returns != 0.5 {
			t.Errorf("%s: Learn(% x): error %v, rate now %v; want an error and 0.5", name, b, err, p.climber.returns)
		}
	}
}
