package eviction

// climber tunes the share of the capacity given to TinyLFU's window by
// hill climbing: every sample period it moves the share one step in the
// direction that would have gained hits during that period.
//
// The policy measures both directions at once. Growing the window by a
// step would keep the candidates it rejected most recently (a ghost of
// their hashes, one step long) and lose main's entries nearest eviction
// (a tail zone of probation, one step long); shrinking it would keep
// main's latest victims (a second ghost) and lose the window's oldest
// entries (the window's tail zone), or rather those of them that would
// have lost the duel for a place in main on leaving the window sooner (a
// window entry read again has often earned that place). A miss found in a
// ghost is a hit the other shape would have had; a hit in a tail zone is
// one it would have lost. Weighing these within one period cancels out
// the workload's own swings, which swamp the effect of a small move when
// a climber compares the hit ratios of successive periods (on the sprite
// trace that left TinyLFU 7 points behind LRU).
//
// Steps shrink geometrically so the window settles; when the hit ratio
// jumps between periods the workload has changed, and the step size
// starts over.
//
// When it falls that far, the climber does not shrink the window in that
// period, though it may grow it. Such a period straddles the change, so
// its evidence mixes two workloads, and on the traces the two directions
// fare differently. Shrinking on it, one cache of 200,000 entries on the
// p3 trace took its window from half the cache down to a quarter or an
// eighth during the scans late in the trace and climbed back after,
// while 32 shards (whose evidence arrives spread over their reports) kept
// theirs near half; the sharded cache ended 0.5 points ahead (3 seeds).
// Not shrinking on falls lifts the one cache to 59.8 there (from 58.4)
// and the sharded one to 59.2 (from 58.9). Growing on falls is right on
// p6, whose falls bring a working set that wants a larger window: not
// moving at all on falls cost it 0.5 to 1 point at 262,144 entries. Not
// moving on rises either left the one p3 cache at 56.9.
//
// A small cache sees only a handful of ghost and tail hits per period, in
// bursts, so one period's lead is mostly noise. Acting on it made a random
// walk with a floor at zero, which drifts upwards: on sprite at 200
// entries the window wandered to half the cache although a fixed 1%
// window scored 3.9 points more. So the climber also keeps a running
// average of each direction's lead, in which a period weighs in
// proportion to how much evidence it holds (a period of climbTrust ghost
// and tail hits would weigh fully), and moves only in a direction whose
// average agrees with the period.
//
// The climber also decides whether main's victims rotate (see
// tinyLFU.evict): when window candidates rejected by the duel keep coming
// back soon after, the victim they lost to is standing in the way of keys
// still in use.
//
// No period weighs more than half, however much evidence it holds. A
// large cache's periods hold thousands of ghost and tail hits; when one
// of them replaced the averages outright, each move followed a single
// period, and during the scans late in the p3 trace a 300,000-entry
// policy's window went up or down with its hash seed (64.4 to 68.1 over
// four seeds; 68.1 to 68.4 with the cap). Capped, each average spans at
// least two periods.
type climber struct {
	period   int // requests per sample
	hits     int
	requests int
	full     int     // requests made once the cache was full (had evicted)
	prev     float64 // previous sample's hit ratio; negative before the first
	step     float64 // size of the next move, as a fraction of the capacity

	// This period's evidence, in hits. Ghost hits are misses that a
	// larger window (or main region) would have turned into hits; tail
	// hits are hits that a smaller window (or main region) would have
	// lost.
	windowGhost, mainGhost, windowTail, mainTail int

	// Running averages of the lead of growing and of shrinking the
	// window, weighted by each period's evidence.
	growTrend, shrinkTrend float64

	// returns is a running average of the share of requests that were
	// rejected candidates coming back (window ghost hits), counting only
	// requests made while the cache was full: before that no candidate
	// is rejected, and a period in which the cache filled would read as a
	// low rate. Counting them, one shard of p3 at 400,000 entries turned
	// rotation on a period later than 64 shards (whose shards fill at
	// different times), and the two ended 1.0 point apart. rotate is
	// whether the rate is above rotateAbove, decided at the end of each
	// period.
	returns float64
	rotate  bool
}

const (
	// climbStep is the size of a fresh move: large enough to leave a bad
	// start within a few periods, small enough not to overshoot much.
	climbStep = 0.0625
	// climbDecay shrinks each move, so that noise between periods does
	// not keep the window wandering forever.
	climbDecay = 0.98
	// climbRestart is the change in hit ratio between two periods that
	// we read as a new workload rather than the effect of our move.
	climbRestart = 0.05
	// climbMinStep keeps the climber able to follow slow drifts.
	climbMinStep = 0.005
	// climbEvidence is the lead, in hits, that earns a full step; a
	// smaller lead earns a proportionally smaller one, so that a quiet
	// period does not move the window on the strength of a hit or two.
	climbEvidence = 16.0
	// climbPeriod is the sample length in multiples of the entry count:
	// the ghosts compare the two directions within one sample, so it can
	// be short, and short samples follow phase changes.
	climbPeriod = 0.5
	// climbMinPeriod keeps samples of a tiny cache from being all noise.
	climbMinPeriod = 256
	// A period weighs its ghost and tail hits over climbTrust in the
	// running averages, but never more than climbMaxWeight.
	climbTrust     = 750.0
	climbMaxWeight = 0.5
	// Victims rotate while more than rotateAbove of the requests are
	// rejected candidates returning, on average over periods weighted
	// like the window's evidence (at most rotateWeight each). On the
	// traces the rate is 0 for loops, whose candidates come back only
	// after the whole loop, and 0.002 to 0.06 on p3, where a duel's
	// winner keeps shutting out keys in use. Caches of up to
	// 2×climbMinPeriod entries never rotate: their periods hold a few
	// ghost hits, and on sprite at 200 entries rotation switched on by
	// chance sent the window climber up to 70-80% of the cache in 3
	// replays of 16 (45 instead of 49.4).
	rotateAbove  = 0.001
	rotateWeight = 0.5
)

// climbPeriodFor is the sample length for a cache of n entries.
func climbPeriodFor(n int) int { return max(int(climbPeriod*float64(n)), climbMinPeriod) }

func newClimber(period int) climber {
	return climber{period: max(period, 1), prev: -1, step: climbStep}
}

// record counts one request and, when it closes a sample period, returns
// the change to make to the window share (a fraction of the capacity) and
// true.
func (c *climber) record(hit, full bool) (float64, bool) {
	c.tally(hit, full)
	if c.requests < c.period {
		return 0, false
	}
	return c.decide(), true
}

// tally counts one request, made while the cache was full or not.
func (c *climber) tally(hit, full bool) {
	c.requests++
	if hit {
		c.hits++
	}
	if full {
		c.full++
	}
}

// decide closes the sample period: it returns the change to make to the
// window share and starts the next period's tallies.
func (c *climber) decide() float64 {
	rate := float64(c.hits) / float64(max(c.requests, 1))
	fell := c.prev >= 0 && c.prev-rate >= climbRestart
	rose := c.prev >= 0 && rate-c.prev >= climbRestart
	if fell || rose {
		c.step = climbStep
	}
	c.prev = rate
	// Growing the window by a step gains its ghost hits and loses
	// main's tail hits; shrinking it does the reverse.
	grow := c.windowGhost - c.mainTail
	shrink := c.mainGhost - c.windowTail
	weight := min(climbMaxWeight, float64(c.windowGhost+c.mainTail+c.mainGhost+c.windowTail)/climbTrust)
	c.growTrend += weight * (float64(grow) - c.growTrend)
	c.shrinkTrend += weight * (float64(shrink) - c.shrinkTrend)
	if c.growTrend <= 0 {
		grow = min(grow, 0)
	}
	if c.shrinkTrend <= 0 {
		shrink = min(shrink, 0)
	}
	var move float64
	switch {
	case grow > 0 && grow >= shrink:
		move = c.step * min(1, float64(grow)/climbEvidence)
	case shrink > 0 && !fell:
		// Never shrink on a fall: see the type's comment.
		move = -c.step * min(1, float64(shrink)/climbEvidence)
	}
	c.step = max(c.step*climbDecay, climbMinStep)
	if c.full > 0 {
		c.returns += min(rotateWeight, weight) * (float64(c.windowGhost)/float64(c.full) - c.returns)
	}
	// A period padded to climbMinPeriod holds a handful of ghost hits:
	// too few to decide on, and a wrong switch can send the window off
	// (see rotateAbove).
	c.rotate = c.returns > rotateAbove && c.period > climbMinPeriod
	c.clearTallies()
	return move
}

func (c *climber) clearTallies() {
	c.hits, c.requests, c.full = 0, 0, 0
	c.windowGhost, c.mainGhost, c.windowTail, c.mainTail = 0, 0, 0, 0
}

// addTallies moves o's tallies into c.
func (c *climber) addTallies(o *climber) {
	c.hits += o.hits
	c.requests += o.requests
	c.full += o.full
	c.windowGhost += o.windowGhost
	c.mainGhost += o.mainGhost
	c.windowTail += o.windowTail
	c.mainTail += o.mainTail
	o.clearTallies()
}
