package eviction

import "sync"

// A Group is what the TinyLFU policies of one sharded cache share: one
// window climber, fed by every shard, whose window share (and choice to
// rotate victims) every shard applies to its own capacity. Separate
// climbers would each decide on a shard's fraction of the evidence, and
// a sharded cache would tune itself differently from one cache of the
// same size (docs/eviction.md).
//
// Cost: a shard reports its tallies memberReports times per sample period
// of its own (at least every 64 requests), taking the group's mutex for a
// few additions, and picks up the group's decisions at the same moment.
// The group's periods follow one cache's schedule: requests past a
// period's end count towards the next, so the boundaries do not drift.
// Other algorithms ignore the group. It is safe for concurrent use;
// members call it with their shard's lock held and it never calls back.
type Group struct {
	mu      sync.Mutex
	climber climber // its period counts the whole cache's requests
	share   float64 // of each member's capacity, for the window
	entries []int   // each member's entry count at its last report
	total   int     // sum of entries
	start   int     // sum of the members' starting sample sizes
	seen    int     // requests reported since the group was made
	due     int     // value of seen at which the current period ends
}

// memberReports is how many times per sample period of its own a member
// reports: more often applies the group's decisions sooner, at the price
// of more trips to its mutex; 16 brought a sharded cache's window in step
// with one cache's, and more changed nothing (see "Sixteen reports per
// period" in benchmarks/notes/hitratio-notes.md).
const memberReports = 16

// NewGroup returns an empty group for the shards of one cache.
func NewGroup() *Group {
	return &Group{climber: newClimber(climbMinPeriod), share: tlWindowStart}
}

// join adds a member whose sample period alone would start at size
// entries' worth, and returns its index and the share to start with.
func (g *Group) join(size int) (int, float64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.entries = append(g.entries, 0)
	g.start += size
	if g.total == 0 {
		g.climber.period = climbPeriodFor(g.start)
		g.due = g.seen + g.climber.period
	}
	return len(g.entries) - 1, g.share
}

// report moves a member's tallies into the group's climber, records how
// many entries the member holds, closes the group's sample period when it
// is due, and returns the window share every member should now have and
// whether their victims rotate.
func (g *Group) report(member int, tallies *climber, entries int) (share float64, rotate bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seen += tallies.requests
	g.climber.addTallies(tallies)
	g.total += entries - g.entries[member]
	g.entries[member] = entries
	if g.seen >= g.due {
		g.share = clampWindowShare(g.share + g.climber.decide())
		g.climber.period = climbPeriodFor(g.total)
		g.due += g.climber.period
		if g.due <= g.seen {
			// One report spanned more than a period: start afresh.
			g.due = g.seen + g.climber.period
		}
	}
	return g.share, g.climber.rotate
}

// memberPeriod is how many requests a member of a group tallies between
// reports.
func memberPeriod(entries int) int { return max(climbPeriodFor(entries)/memberReports, 64) }
