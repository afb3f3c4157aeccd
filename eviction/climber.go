package eviction

// climber tunes the share of the capacity given to TinyLFU's window by
// hill climbing on the hit ratio. Each sample period it compares the hit
// ratio with the previous period's: if the last move helped it keeps going
// the same way, otherwise it turns back. Steps shrink geometrically so the
// window settles; a large jump in hit ratio means the workload changed,
// and the step size starts over.
type climber struct {
	period   int // requests per sample
	hits     int
	requests int
	prev     float64 // previous sample's hit ratio; negative before the first
	step     float64 // next move, as a signed fraction of the capacity
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
)

func newClimber(period int) climber {
	return climber{period: max(period, 1), prev: -1, step: climbStep}
}

// record counts one request and, when it closes a sample period, returns
// the change to make to the window share (a fraction of the capacity);
// otherwise it returns 0.
func (c *climber) record(hit bool) float64 {
	c.requests++
	if hit {
		c.hits++
	}
	if c.requests < c.period {
		return 0
	}
	rate := float64(c.hits) / float64(c.requests)
	c.hits, c.requests = 0, 0
	if c.prev >= 0 {
		change := rate - c.prev
		if change < 0 {
			c.step = -c.step // the last move hurt: undo it and explore the other way
		}
		if change >= climbRestart || change <= -climbRestart {
			c.step = climbStep * sign(c.step)
		} else {
			c.step *= climbDecay
		}
	}
	c.prev = rate
	return c.step
}

func sign(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}
