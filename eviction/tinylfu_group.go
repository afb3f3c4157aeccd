package eviction

import "sync"

// A Group is what the TinyLFU policies of one sharded cache share: a
// single window climber, fed by every shard, and the window share it
// sets, which every shard applies to its own capacity (with its choice to
// rotate victims or not).
//
// Why: each shard sees 1/n of the traffic and holds 1/n of the entries, so
// n separate climbers each decide on 1/n of the evidence. Their small,
// noisy moves average out to a different trajectory from the one climber
// of an unsharded cache: on the p3 trace at 300,000 entries, 64 shards
// scored 2.4 points above one shard, and on p6 at 262,144 1.4 below.
// Pooling the evidence makes the sharded cache climb as one cache would.
//
// Cost: a shard reports its tallies to the group many times per sample
// period of its own (every [memberReports]th of it, at least 64
// requests), taking the group's mutex for a few additions; it applies the
// group's share at the same moment, so it follows the group's decisions
// with at most that delay. Other algorithms ignore the group.
//
// The group's periods follow one cache's schedule: a period closes when
// the requests reported since the cache was made reach the sum of its
// periods so far, at the first report past that mark, and the requests
// past it count towards the next period rather than being dropped, so
// the boundaries do not drift. (They did: each period ran half a report
// long, and by the end of p3 the group decided 31,000 requests after one
// cache of the same size.) They do not fall where one cache's do: at any
// moment the members hold, on average, half a report each that they
// have not sent, and while the cache fills the group's entry total
// (which sets each period's length) lags and its shards fill at
// different times, so after the fill its periods run at a phase of
// their own (on p3 at 200,000 entries, 11,000 requests behind one
// cache's). Aligning the two exactly was tried and moved other points
// instead (docs/hitratio-notes.md, "Where the shared climber's periods
// fall").
//
// A Group is safe for concurrent use. Members call it with their shard's
// lock held and it never calls back, so there is no lock-order cycle.
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
// reports: more often means a shard applies the group's decisions
// sooner, at the price of more trips to the group's mutex (one per 195
// requests in a shard of 6,250 entries). With 4 reports the window of 32
// shards moved up to a quarter of a period behind one cache's, and on p3
// at 200,000 entries they scored 59.23 against its 59.80 (6 seeds); with
// 16, 59.63 (32 reports: 59.60). At 400,000 and on p6 at 262,144 it
// scores the same either way on average over seeds (policy replays; see
// docs/hitratio-notes.md, "Sixteen reports per period").
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
