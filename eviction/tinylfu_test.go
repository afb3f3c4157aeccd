package eviction

import (
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/internal/hashing"
)

func TestTinyLFUAdmission(t *testing.T) {
	p := newTinyLFU[int, int](100, nil) // window 1, main 99
	es := addAll(p, 101)
	// The first 99 entries fill main for free; 99 and 100 are left in
	// the window, and 99, seen once like main's victim 0, is refused.
	wantKeys(t, "first", keys(p.Evict()), 99)

	// 100 is read three times: frequency 4 beats the victim's 1 by
	// more than the one count that aging alone can explain.
	for range 3 {
		p.Access(es[100])
	}
	es = append(es, newEnt(101, 1))
	p.Add(es[101])
	wantKeys(t, "second", keys(p.Evict()), 0)
	if es[100].Queue() != tlProbation {
		t.Fatalf("admitted entry in queue %d, want probation", es[100].Queue())
	}

	// A read moves 1 from probation to protected, so 2 is the victim
	// that 101 (seen once) fails to displace.
	p.Access(es[1])
	if es[1].Queue() != tlProtected {
		t.Fatalf("read probation entry in queue %d, want protected", es[1].Queue())
	}
	p.Add(newEnt(102, 1))
	wantKeys(t, "third", keys(p.Evict()), 101)

	// Draining takes probation oldest first, then protected, then the
	// window.
	var want []int
	for k := 2; k <= 98; k++ {
		want = append(want, k)
	}
	want = append(want, 100, 1, 102)
	wantKeys(t, "drain", evictOrder(p), want...)
}

// TestTinyLFURotatesVictims: a victim that wins its duel stays at the
// front of probation, unless the climber has turned rotation on; then it
// moves to the back and the next candidate meets the entry behind it.
func TestTinyLFURotatesVictims(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		p := newTinyLFU[int, int](100, nil) // window 1, main 99
		p.climber.rotate = rotate
		addAll(p, 101)
		// 0..98 filled main for free; 99, seen once like victim 0,
		// loses its duel.
		wantKeys(t, "first", keys(p.Evict()), 99)
		front, back := p.probation.front().Key(), p.probation.list.Back().Key()
		if !rotate {
			if front != 0 || back != 98 {
				t.Fatalf("without rotation probation runs %d..%d, want 0..98: the winner stays in front", front, back)
			}
			continue
		}
		if front != 1 || back != 0 {
			t.Fatalf("with rotation probation runs %d..%d, want 1..0: the winner moves to the back", front, back)
		}
		// 100 meets victim 1, loses too, and 1 follows 0 to the back.
		p.Add(newEnt(101, 1))
		wantKeys(t, "second", keys(p.Evict()), 100)
		if front, back := p.probation.front().Key(), p.probation.list.Back().Key(); front != 2 || back != 1 {
			t.Fatalf("after a second duel probation runs %d..%d, want 2..1", front, back)
		}
	}
}

// TestClimberRotatesWhileRejectedReturn: rotation turns on when rejected
// candidates come back in more than rotateAbove of the requests, stays on
// while they do, and turns off once they stop; a period holding little
// evidence moves the running rate little.
func TestClimberRotatesWhileRejectedReturn(t *testing.T) {
	c := newClimber(10000)
	period := func(windowGhost, mainGhost int) {
		c.requests, c.full, c.windowGhost, c.mainGhost = c.period, c.period, windowGhost, mainGhost
		c.decide()
	}
	if c.rotate {
		t.Fatal("a new climber rotates victims")
	}
	// A quiet period: 3 returns in 10,000 requests, weighing 3/750,
	// leave the average far below 0.1%.
	period(3, 0)
	if c.rotate {
		t.Fatalf("one period of 3 returns turned rotation on (average rate %.5f)", c.returns)
	}
	period(400, 0) // 4% of the requests, weighing half
	if !c.rotate {
		t.Fatalf("rotation off after a period of 4%% returning candidates (average %.5f)", c.returns)
	}
	// Main's ghost hits are evidence too, so periods without returning
	// candidates halve the rate: 2% → 0.125% after 4, 0.06% after 5.
	for i := range 4 {
		period(0, 400)
		if !c.rotate {
			t.Fatalf("rotation off after %d quiet periods (average %.5f), want it to last 4", i+1, c.returns)
		}
	}
	period(0, 400)
	if c.rotate {
		t.Fatalf("rotation still on after 5 periods without returns (average %.5f)", c.returns)
	}
}

// TestReturnRateCountsFullRequests: the rate of returning candidates is
// taken over the requests made while the cache was full, since no
// candidate is rejected before; a period in which it never was full
// leaves the rate as it was.
func TestReturnRateCountsFullRequests(t *testing.T) {
	c := newClimber(10000)
	// The cache filled four fifths of the way through: 10 returns in
	// the 2,000 requests after that are 0.5% of them. Over the whole
	// period they would read as 0.1%, and weighing half, below the
	// threshold.
	c.requests, c.full, c.windowGhost, c.mainGhost = 10000, 2000, 10, 365
	c.decide()
	if want := 0.5 * 10 / 2000.0; math.Abs(c.returns-want) > 1e-12 || !c.rotate {
		t.Fatalf("rate %.5f, rotate %v after 10 returns in 2,000 full requests; want %.5f and rotating", c.returns, c.rotate, want)
	}
	before := c.returns
	c.requests, c.full, c.mainGhost = 10000, 0, 400
	c.decide()
	if c.returns != before || !c.rotate {
		t.Fatalf("a period with the cache never full moved the rate from %.5f to %.5f (rotate %v)", before, c.returns, c.rotate)
	}
}

// TestFullCountsFromFirstEviction: a policy counts its requests as made
// while full from its first eviction on, also when its entries' weights
// leave it short of its bound (here 10 of 15 units after each eviction),
// and not before.
func TestFullCountsFromFirstEviction(t *testing.T) {
	p := newTinyLFU[int, int](15, nil)
	p.Add(newEnt(1, 10))
	if p.climber.full != 0 {
		t.Fatalf("%d requests counted as full before any eviction", p.climber.full)
	}
	p.Add(newEnt(2, 10))
	p.Remove(p.Evict())
	for i := 3; i < 6; i++ {
		p.Add(newEnt(i, 10))
		p.Remove(p.Evict())
	}
	if p.climber.full != 3 {
		t.Fatalf("%d of the 3 requests after the first eviction counted as full", p.climber.full)
	}
}

// TestSmallCacheNeverRotates: a climber whose periods are padded to the
// minimum does not rotate, however many candidates come back.
func TestSmallCacheNeverRotates(t *testing.T) {
	c := newClimber(climbPeriodFor(100))
	for range 10 {
		c.requests, c.full, c.windowGhost = c.period, c.period, c.period/10
		c.decide()
	}
	if c.rotate {
		t.Fatalf("a %d-request climber rotates (return rate %.4f)", c.period, c.returns)
	}
	if c.returns <= rotateAbove {
		t.Fatalf("return rate %.4f after periods of 10%% returns", c.returns)
	}
}

// TestLoopNeverRotates: a loop's rejected candidates come back only after
// the whole loop, long after the climber's ghost forgot them, so victims
// never rotate (rotating there would churn main).
func TestLoopNeverRotates(t *testing.T) {
	var i uint64
	p := replayTinyLFU(1000, tlWindowStart, 200000, func() uint64 { i++; return i % 1500 })
	if p.climber.returns != 0 || p.climber.rotate {
		t.Fatalf("loop of 1500 keys over 1000 entries: return rate %.5f, rotate %v; want 0, false", p.climber.returns, p.climber.rotate)
	}
}

// TestTinyLFUProtectedShare: protected never holds more than its share of
// main; the overflow is demoted, oldest first, to probation.
func TestTinyLFUProtectedShare(t *testing.T) {
	p := newTinyLFU[int, int](100, nil)
	es := addAll(p, 101)
	p.Evict()
	for _, e := range es[:99] {
		p.Access(e)
	}
	if p.protected.weight > p.maxProtected {
		t.Fatalf("protected weighs %d, share is %d", p.protected.weight, p.maxProtected)
	}
	if got := p.probation.front().Key(); got != 0 {
		t.Fatalf("probation's oldest is %d, want 0, demoted first", got)
	}
}

// replayTinyLFU feeds a key stream through a simulator running TinyLFU
// starting at the given window share, and returns the policy.
func replayTinyLFU(capacity int64, share float64, n int, next func() uint64) *tinyLFU[uint64, void] {
	s := newSimulator(TinyLFU, capacity)
	p := s.Policy.(*tinyLFU[uint64, void])
	p.setWindowShare(share)
	for range n {
		k := next()
		s.Get(k, hashing.Mix(k^replaySeed))
	}
	return p
}

// TestClimberGrowsWindowOnRecency: keys are used in short bursts from a
// slowly sliding working set that fits the cache, then never again.
// Frequency history only misleads here, so the window must grow.
func TestClimberGrowsWindowOnRecency(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	tick := 0
	p := replayTinyLFU(1000, tlWindowStart, 400_000, func() uint64 {
		tick++
		return uint64(tick/4 + rng.IntN(900))
	})
	t.Logf("window share %.3f", p.windowShare)
	if p.windowShare < 0.3 {
		t.Fatalf("window share %.3f after a recency-heavy stream, want it grown from %.2f", p.windowShare, tlWindowStart)
	}
}

// TestClimberShrinksWindowOnFrequency: a fixed skewed popularity plus a
// stream of one-off keys. LRU lets the one-offs flush the popular keys;
// admission by frequency keeps them, so the window must shrink.
func TestClimberShrinksWindowOnFrequency(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	zipf := rand.NewZipf(rng, 1.05, 1, 50_000)
	oneOff := uint64(1 << 40)
	const start = 0.6
	p := replayTinyLFU(1000, start, 400_000, func() uint64 {
		if rng.IntN(2) == 0 {
			oneOff++
			return oneOff
		}
		return zipf.Uint64()
	})
	t.Logf("window share %.3f", p.windowShare)
	if p.windowShare > 0.2 {
		t.Fatalf("window share %.3f after a frequency-heavy stream, want it shrunk from %.2f", p.windowShare, start)
	}
}

// TestClimberSteps checks the climber's arithmetic: a clear lead earns a
// full step, steps decay, a small lead earns part of one, and a jump in
// hit ratio restores the full step.
func TestClimberSteps(t *testing.T) {
	c := newClimber(10)
	sample := func(hits int, setup func()) float64 { return feedPeriod(t, &c, hits, setup) }
	if d := sample(5, func() { c.windowGhost = 20 }); d != climbStep {
		t.Fatalf("clear lead for the window: move %v, want %v", d, climbStep)
	}
	if d := sample(5, func() { c.mainGhost, c.windowTail = 30, 10 }); d != -climbStep*climbDecay {
		t.Fatalf("clear lead for main: move %v, want %v", d, -climbStep*climbDecay)
	}
	want := climbStep * climbDecay * climbDecay * 4 / climbEvidence
	if d := sample(5, func() { c.windowGhost, c.mainTail = 6, 2 }); math.Abs(d-want) > 1e-12 {
		t.Fatalf("small lead: move %v, want %v", d, want)
	}
	if d := sample(5, func() {}); d != 0 {
		t.Fatalf("no evidence: move %v, want 0", d)
	}
	if d := sample(10, func() { c.windowGhost = 100 }); d != climbStep {
		t.Fatalf("after a jump in hit ratio: move %v, want a fresh step %v", d, climbStep)
	}
}

// TestClimberNeverShrinksOnAFall: in a period whose hit ratio fell by
// climbRestart or more the climber does not shrink the window, however
// clear the case for it, but it still grows it, and its step restarts;
// in the next period, and after a rise, it shrinks again.
func TestClimberNeverShrinksOnAFall(t *testing.T) {
	c := newClimber(10)
	period := func(hits int, setup func()) float64 { return feedPeriod(t, &c, hits, setup) }
	forMain := func() { c.mainGhost = 20 }
	forWindow := func() { c.windowGhost = 40 } // outweighs the average for main
	if d := period(8, forMain); d != -climbStep {
		t.Fatalf("first period: move %v, want %v", d, -climbStep)
	}
	if d := period(2, forMain); d != 0 {
		t.Fatalf("hit ratio fell from 0.8 to 0.2 with a lead for main: move %v, want 0", d)
	}
	if d := period(2, forMain); d != -climbStep*climbDecay {
		t.Fatalf("steady after the fall: move %v, want the restarted step decayed once, %v", d, -climbStep*climbDecay)
	}
	if d := period(9, forMain); d != -climbStep {
		t.Fatalf("hit ratio rose from 0.2 to 0.9: move %v, want a fresh step %v", d, -climbStep)
	}
	if d := period(3, forWindow); d != climbStep {
		t.Fatalf("hit ratio fell from 0.9 to 0.3 with a lead for the window: move %v, want a fresh step %v", d, climbStep)
	}
}

// feedPeriod runs setup, then feeds c (whose period is 10 requests) one
// period of which the first hits requests hit, and returns the move it
// makes.
func feedPeriod(t *testing.T, c *climber, hits int, setup func()) float64 {
	t.Helper()
	setup()
	for i := range 10 {
		if d, done := c.record(i < hits, true); done {
			return d
		}
	}
	t.Fatal("a sample of 10 requests did not close")
	return 0
}

// TestClimberWaitsOutSparseBursts: a small cache's periods hold a few
// ghost and tail hits each. When the periods that favour a larger window
// are outweighed on average by those against it, the window must not
// grow, although every other period favours growing (the climber used to
// take a part step each time); a period that holds plenty of evidence is
// still followed at once.
func TestClimberWaitsOutSparseBursts(t *testing.T) {
	c := newClimber(10)
	period := func(setup func()) float64 { return feedPeriod(t, &c, 5, setup) }
	share := 0.0
	for range 50 {
		share += period(func() { c.mainTail = 12 })   // against growing
		share += period(func() { c.windowGhost = 8 }) // for it
	}
	if share > 0 {
		t.Fatalf("window grew by %.3f on bursts that lose on average", share)
	}
	// Plenty of evidence for growing now outweighs the past at once.
	if d := period(func() { c.windowGhost = int(climbTrust) }); d <= 0 {
		t.Fatalf("move %v after a period full of evidence for growing, want growth", d)
	}
}

// TestWindowTailCountsOnlyLosers: a read in the window's tail zone is a
// hit a smaller window would have lost only if the entry would then have
// lost its duel for main; a frequently read entry would have been
// admitted instead, so its hit is no evidence for shrinking.
func TestWindowTailCountsOnlyLosers(t *testing.T) {
	p := newTinyLFU[int, int](100, nil)
	p.setWindowShare(0.1) // window 10, main 90
	es := addAll(p, 101)
	// Main fills with 0..89 for free; 90 loses its duel and leaves the
	// window to 91..100.
	wantKeys(t, "first", keys(p.Evict()), 90)
	p.fitZones()
	if es[95].Queue() != tlWindow || es[95].Mark()&inZone == 0 {
		t.Fatalf("entry 95 in queue %d, zone %v: want the window's tail zone", es[95].Queue(), es[95].Mark()&inZone != 0)
	}
	// Seen twice, against a victim seen once: it needs a lead of one.
	p.Access(es[95])
	if p.climber.windowTail != 0 {
		t.Fatalf("windowTail %d after a read of an entry that would win its duel, want 0", p.climber.windowTail)
	}
	// Make main's victim hotter than entry 96 by more than it can lead.
	for range 4 {
		p.Access(p.probation.front())
	}
	victim := p.probation.front()
	for range 4 {
		p.sketch.Increment(victim.Hash())
	}
	p.Access(es[96])
	if p.climber.windowTail != 1 {
		t.Fatalf("windowTail %d after a read of an entry that would lose its duel, want 1", p.climber.windowTail)
	}
}

// TestTinyLFUSteadyStateDoesNotAllocate: once both of TinyLFU's ghosts
// are in use, adding an entry and evicting one allocates nothing, from the
// start (the ghosts are sized for their limit on first use rather than
// grown step by step, which cost the benchmarks' "Set of a new key" a few
// allocations per thousand writes after the prefill).
func TestTinyLFUSteadyStateDoesNotAllocate(t *testing.T) {
	const capacity = 1000
	p := newTinyLFU[int, int](capacity, nil)
	entries := make([]*entry.Entry[int, int], 30_000)
	for i := range entries {
		entries[i] = entry.New(i, i, hashing.Mix(uint64(i)), 1)
	}
	next := 0
	add := func() {
		e := entries[next]
		next++
		p.Add(e)
		if p.Len() > capacity {
			p.Evict()
		}
	}
	for p.lostFromWindow.ring == nil || p.lostFromMain.ring == nil {
		add() // fill, and evict until both ghosts have been used once
	}
	// testing.AllocsPerRun would round a few allocations in 20,000 runs
	// down to 0, so count them all. The count is process-wide, and the
	// runtime's background scavenger, woken by the heap the entries above
	// grew, allocates too (its timer heap grows once): in most fresh
	// test processes that landed in the window as one allocation. Give
	// memory back now, synchronously, so that it has nothing left to do.
	debug.FreeOSMemory()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 20_000 {
		add()
	}
	runtime.ReadMemStats(&after)
	if n := after.Mallocs - before.Mallocs; n != 0 {
		t.Fatalf("%d allocations in 20000 adds and evictions once both ghosts exist, want 0", n)
	}
}

// TestClimberPeriodWeighsAtMostHalf: a period full of evidence moves the
// running averages only halfway, so it cannot undo the previous period's
// opposite evidence on its own: after a period against growing by 5000
// hits, one for it by 2000 does not grow the window (it did when a period
// replaced the averages outright), and a second such period does.
func TestClimberPeriodWeighsAtMostHalf(t *testing.T) {
	c := newClimber(10)
	period := func(setup func()) float64 { return feedPeriod(t, &c, 5, setup) }
	if d := period(func() { c.mainTail = 5000 }); d > 0 {
		t.Fatalf("move %v after a period against growing, want none upwards", d)
	}
	if d := period(func() { c.windowGhost = 2000 }); d > 0 {
		t.Fatalf("move %v: one period for growing undid a stronger one against it", d)
	}
	if d := period(func() { c.windowGhost = 2000 }); d <= 0 {
		t.Fatalf("move %v after two periods for growing, want growth", d)
	}
}
