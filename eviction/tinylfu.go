package eviction

import (
	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/internal/hashing"
	"github.com/stratacache/cache/internal/sketch"
)

// TinyLFU is adaptive W-TinyLFU: an LRU window in front of a segmented
// LRU, with admission to the main region decided by a frequency sketch and
// the window sized by a hill climber. Scan and loop resistant; a little
// more work per operation than the others. Hottest first: the protected
// segment, then probation, then the window, each by recency.
const TinyLFU Algorithm = 4

// tinyLFU is adaptive W-TinyLFU (Einziger, Friedman & Manes): an LRU
// window that every new entry enters, in front of a segmented LRU main
// region (probation, then protected once read again). A window entry
// leaving must beat main's next victim on estimated frequency (a
// count-min sketch) to get in, which keeps scans and one-hit wonders out
// of main; a climber (tinylfu_climber.go) sizes the window.
//
// While rejected candidates keep coming back soon after, victims rotate:
// a victim that wins its duel moves to the back of probation, because
// one strong victim at the front otherwise shuts out keys still in use.
// Loops, whose candidates return only after the whole loop, never turn
// it on; rotating there would churn main (docs/eviction.md). Cost: each Add and Access also increments the sketch (4 counters); an
// eviction compares two estimates; all amortised O(1). Memory: the sketch
// (about 8 bytes per entry) and two ghosts of 1/16 of the entries each.
type tinyLFU[K comparable, V any] struct {
	capacity  int64
	window    queue[K, V]
	probation queue[K, V]
	protected queue[K, V]

	windowShare  float64 // of capacity, moved by the climber
	maxWindow    int64
	maxProtected int64

	sketch  *sketch.Sketch
	climber climber
	// group, when the shards of a cache climb together (tinylfu_group.go), owns
	// the decisions; climber then only tallies this shard's evidence
	// between reports, and its period is the report interval.
	group  *Group
	member int
	// Hashes of recently rejected window candidates and recently
	// evicted main victims: the climber's evidence for a larger window
	// or a larger main.
	lostFromWindow, lostFromMain ghost
	rng                          uint64 // admission coin; seeded from the first hash seen
	// evicted is whether the policy has chosen a victim since it was
	// made or reset: until then no candidate can have been rejected (see
	// climber.returns). A flag rather than a weight check, because a
	// weighted cache can stay a fraction of an entry short of its bound.
	evicted bool

	newest *entry.Entry[K, V] // added last; never the victim while others remain
}

const (
	tlWindow = 1 + iota // Queue values
	tlProbation
	tlProtected
)

// Mark bits: inZone (queue.go), and the low two bits of the sketch epoch
// in which the entry was last counted.
const (
	epochShift = 4
	epochBits  = 3 << epochShift
)

const (
	// tlWindowStart is the window's share before the climber has data.
	// Most workloads favour frequency, so start small.
	tlWindowStart = 0.01
	// tlWindowMax keeps some main region, and with it the admission
	// filter's memory, even on workloads that reward pure recency.
	tlWindowMax = 0.8
	// tlProtectedShare of the main region is kept for entries read since
	// they entered it.
	tlProtectedShare = 0.8
	// The sketch starts at an eighth of the capacity, and at most
	// tlSketchStart keys, and grows with the entries (see Add): in a
	// weighted cache the capacity says little about the entry count. A
	// fraction rather than a fixed size makes n shards age their
	// sketches as one shard of n times the capacity would.
	tlSketchDiv   = 8
	tlSketchStart = 1 << 16
	// tlNoisy is the victim frequency from which a one-count lead is no
	// longer trusted (see prefer).
	tlNoisy = 3
	// tlWarm is the estimated frequency from which a losing candidate may
	// still be admitted by chance (see prefer).
	tlWarm = 6
)

// newTinyLFU returns a policy that climbs on its own when g is nil, and
// as a member of g otherwise.
func newTinyLFU[K comparable, V any](capacity int64, g *Group) *tinyLFU[K, V] {
	size := int(max(min(capacity/tlSketchDiv, tlSketchStart), 1))
	p := &tinyLFU[K, V]{
		capacity: capacity,
		sketch:   sketch.New(size),
		climber:  newClimber(climbPeriodFor(size)),
		group:    g,
	}
	share := tlWindowStart
	if g != nil {
		p.member, share = g.join(size)
		p.climber.period = memberPeriod(0)
	}
	p.setWindowShare(share)
	return p
}

func clampWindowShare(s float64) float64 { return min(max(s, 0), tlWindowMax) }

func (p *tinyLFU[K, V]) setWindowShare(s float64) {
	p.windowShare = clampWindowShare(s)
	p.maxWindow = int64(p.windowShare * float64(p.capacity))
	p.maxProtected = int64(tlProtectedShare * float64(p.capacity-p.maxWindow))
}

func (p *tinyLFU[K, V]) entries() int {
	return p.window.len() + p.probation.len() + p.protected.len()
}

// Add is a miss followed by a write: count it, then start the entry in the
// window.
func (p *tinyLFU[K, V]) Add(e *entry.Entry[K, V]) {
	p.newest = e
	e.SetMark(0)
	if p.rng == 0 {
		p.rng = hashing.Mix(e.Hash()) | 1
	}
	p.request(e, false)
	if h := e.Hash(); p.lostFromWindow.contains(h) {
		p.lostFromWindow.forget(h)
		p.climber.windowGhost++
	} else if p.lostFromMain.contains(h) {
		p.lostFromMain.forget(h)
		p.climber.mainGhost++
	}
	e.SetQueue(tlWindow)
	p.window.pushBack(e)
	// The sketch started small in case entries are heavy; grow it as
	// they turn out light, doubling to amortise the copies. No cache
	// holds more entries than its capacity (weights are at least 1 but
	// for the odd zero), so that is as far as it grows: an entry-bounded
	// cache ends with the same sketch however it is sharded.
	if n, have := p.entries(), p.sketch.Capacity(); n > have && int64(have) < p.capacity {
		p.sketch.EnsureCapacity(int(min(int64(max(n, 2*have)), p.capacity)))
	}
}

// Access is a hit.
func (p *tinyLFU[K, V]) Access(e *entry.Entry[K, V]) {
	p.request(e, true)
	if e.Mark()&inZone != 0 {
		if e.Queue() == tlWindow {
			// Had the window been a step smaller, e would have
			// left it earlier, but through the duel: the hit is
			// lost only if e would have lost that.
			if p.wouldLose(e) {
				p.climber.windowTail++
			}
		} else {
			p.climber.mainTail++
		}
	}
	p.touch(e)
	p.fitZones()
}

// Update counts as a use of the key, but not as a hit or a miss.
func (p *tinyLFU[K, V]) Update(e *entry.Entry[K, V], oldWeight uint32) {
	// Reweigh first, in the queue e is in: touch may move it to another.
	p.queueOf(e).reweigh(e, oldWeight)
	p.count(e)
	p.touch(e)
}

func (p *tinyLFU[K, V]) Remove(e *entry.Entry[K, V]) {
	if e == p.newest {
		p.newest = nil
	}
	p.queueOf(e).remove(e)
	e.SetQueue(0)
}

func (p *tinyLFU[K, V]) queueOf(e *entry.Entry[K, V]) *queue[K, V] {
	switch e.Queue() {
	case tlWindow:
		return &p.window
	case tlProbation:
		return &p.probation
	}
	return &p.protected
}

// wouldLose reports whether e, a window entry, would lose the duel for a
// place in main against main's next victim now, the coin aside.
func (p *tinyLFU[K, V]) wouldLose(e *entry.Entry[K, V]) bool {
	victim := p.probation.front()
	if victim == nil {
		victim = p.protected.front()
	}
	if victim == nil {
		return false
	}
	fc, fv := p.sketch.Estimate(e.Hash()), p.sketch.Estimate(victim.Hash())
	return fc < fv+p.lead(e, victim, fv)
}

// count increments e's frequency and notes the sketch's epoch in e.
func (p *tinyLFU[K, V]) count(e *entry.Entry[K, V]) {
	p.sketch.Increment(e.Hash())
	e.SetMark(e.Mark()&^epochBits | uint8(p.sketch.Epoch()<<epochShift)&epochBits)
}

func epochOf[K comparable, V any](e *entry.Entry[K, V]) uint8 { return e.Mark() & epochBits }

// request counts a hit or a miss, and lets the climber move the window
// at the end of each sample.
func (p *tinyLFU[K, V]) request(e *entry.Entry[K, V], hit bool) {
	p.count(e)
	if p.group != nil {
		p.climber.tally(hit, p.evicted)
		if p.climber.requests >= p.climber.period {
			share, rotate := p.group.report(p.member, &p.climber, p.entries())
			p.setWindowShare(share)
			p.climber.rotate = rotate
			p.climber.period = memberPeriod(p.entries())
		}
		return
	}
	if d, done := p.climber.record(hit, p.evicted); done {
		p.setWindowShare(p.windowShare + d)
		p.climber.period = climbPeriodFor(p.entries())
	}
}

// touch moves a used entry to the recent end of its segment; a used
// probation entry earns its place in protected.
func (p *tinyLFU[K, V]) touch(e *entry.Entry[K, V]) {
	switch e.Queue() {
	case tlWindow:
		p.window.moveToBack(e)
	case tlProbation:
		p.probation.remove(e)
		e.SetQueue(tlProtected)
		p.protected.pushBack(e)
		p.demote()
	default:
		p.protected.moveToBack(e)
	}
}

// demote moves the least recent protected entries back to probation
// until protected fits its share again.
func (p *tinyLFU[K, V]) demote() {
	for p.protected.weight > p.maxProtected && p.protected.len() > 0 {
		e := p.protected.front()
		p.protected.remove(e)
		e.SetQueue(tlProbation)
		p.probation.pushBack(e)
	}
}

// fitZones keeps the tail zones of the window and of probation (main's
// eviction end) one climber step long, like the ghosts.
func (p *tinyLFU[K, V]) fitZones() {
	n := p.ghostLimit()
	p.window.fitZone(n)
	p.probation.fitZone(n)
}

// ghostLimit is the length of the climber's ghosts and tail zones: the
// entries one full step of the climber moves.
func (p *tinyLFU[K, V]) ghostLimit() int {
	return max(1, int(climbStep*float64(p.entries())))
}

func (p *tinyLFU[K, V]) Evict() *entry.Entry[K, V] {
	var q *queue[K, V]
	if p.newest != nil {
		q = p.queueOf(p.newest)
	}
	return spareNewest(p.newest, q, p.entries()-1, p.evict)
}

func (p *tinyLFU[K, V]) evict() *entry.Entry[K, V] {
	p.demote()
	defer p.fitZones()
	maxWindow := p.maxWindow
	if n := p.newest; n != nil && n.Queue() == tlWindow {
		// The entry added last is spared (see Evict), so it stays in
		// the window: the window cannot hold less. Otherwise main
		// would always seem to have room for the candidate before it,
		// and every newcomer would get in without a duel.
		maxWindow = max(maxWindow, int64(n.Weight()))
	}
	maxMain := p.capacity - maxWindow
	for p.window.weight > maxWindow && p.window.len() > 0 {
		cand := p.window.front()
		if p.probation.weight+p.protected.weight+int64(cand.Weight()) <= maxMain {
			// Main has room (the cache is filling, or the window
			// just shrank): no one needs to lose.
			p.admit(cand)
			continue
		}
		victim := p.probation.front()
		if victim == nil {
			victim = p.protected.front()
		}
		if victim == nil || int64(cand.Weight()) > maxMain {
			return p.evictFromWindow(cand)
		}
		if p.prefer(cand, victim) {
			p.admit(cand)
			return p.evictFromMain(victim)
		}
		if p.climber.rotate && victim.Queue() == tlProbation {
			// The victim has held its place; the next candidate
			// meets the one behind it (see the type's comment).
			p.probation.moveToBack(victim)
		}
		return p.evictFromWindow(cand)
	}
	// The window is within its share, so main is over its own.
	if e := p.probation.front(); e != nil {
		return p.evictFromMain(e)
	}
	if e := p.protected.front(); e != nil {
		return p.evictFromMain(e)
	}
	if e := p.window.front(); e != nil {
		return p.evictFromWindow(e)
	}
	return nil
}

// admit moves a window entry into main, on probation.
func (p *tinyLFU[K, V]) admit(e *entry.Entry[K, V]) {
	p.window.remove(e)
	e.SetQueue(tlProbation)
	p.probation.pushBack(e)
}

func (p *tinyLFU[K, V]) evictFromWindow(e *entry.Entry[K, V]) *entry.Entry[K, V] {
	p.evicted = true
	p.lostFromWindow.add(e.Hash(), p.ghostLimit())
	p.Remove(e)
	return e
}

func (p *tinyLFU[K, V]) evictFromMain(e *entry.Entry[K, V]) *entry.Entry[K, V] {
	p.evicted = true
	p.lostFromMain.add(e.Hash(), p.ghostLimit())
	p.Remove(e)
	return e
}

// lead is how many counts cand must lead victim by to replace it (see
// prefer); fv is the victim's estimate.
func (p *tinyLFU[K, V]) lead(cand, victim *entry.Entry[K, V], fv int) int {
	if fv >= tlNoisy || epochOf(victim) != epochOf(cand) {
		return 2
	}
	return 1
}

// prefer reports whether the window's candidate should replace main's
// victim: it must have been requested more often recently, by two counts
// when a one-count lead may be noise (the sketch aged between the two
// keys' last counts, or the victim's count is high enough for collisions
// to have added one); trusting those leads churns main on loops. Ties go
// to the victim, but a warm candidate wins now and then by chance, so that
// flooding the sketch cannot shut out every newcomer; the coin is seeded
// from entry hashes, keeping replays reproducible.
func (p *tinyLFU[K, V]) prefer(cand, victim *entry.Entry[K, V]) bool {
	fc, fv := p.sketch.Estimate(cand.Hash()), p.sketch.Estimate(victim.Hash())
	if fc >= fv+p.lead(cand, victim, fv) {
		return true
	}
	if fc < tlWarm {
		return false
	}
	p.rng ^= p.rng << 13
	p.rng ^= p.rng >> 7
	p.rng ^= p.rng << 17
	return p.rng&127 == 0
}
