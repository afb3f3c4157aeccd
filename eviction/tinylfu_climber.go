package eviction

// climber sizes TinyLFU's window by hill climbing: each sample period it
// moves the window's share one step towards the shape that would have had
// more hits, weighing both directions within the period (comparing
// successive periods mistakes the workload's swings for a move's effect).
// Ghost hits (recently rejected candidates, recent main victims) are hits
// a larger region would have had; tail-zone hits are hits a smaller one
// would have lost. Steps shrink so the window settles, and start over
// when the hit ratio jumps (a new workload); it never shrinks on a fall
// (that period mixes two workloads); and it moves only where a running
// average of the evidence agrees, no period weighing over half (one
// period of a small cache is noise). It also decides whether victims
// rotate. Evidence: benchmarks/notes/hitratio-notes.md.
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
	// requests made once the cache was full: before that none is
	// rejected, and counting them delayed rotation by how the cache was
	// sharded. rotate is whether the rate is above rotateAbove, decided
	// at the end of each period.
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
	// like the window's evidence (at most rotateWeight each): loops,
	// whose candidates return only after the whole loop, stay at zero.
	// Caches of up to 2×climbMinPeriod entries never rotate: their few
	// ghost hits can switch it on by chance and send the window off.
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
		// Never shrink on a fall: that period mixes two workloads.
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
