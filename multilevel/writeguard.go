package multilevel

import (
	"hash/maphash"
	"sync/atomic"
)

// writeGuard lets a load tell whether its key was written while it ran, so
// that it does not write its (possibly older) value back over the write in
// the store. The L1 already keeps such a load out of itself; the store
// needs this too.
//
// Keys are hashed onto a few slots; each counts the writes in progress on
// its keys and is versioned by every write's start and end and by every
// invalidation received. A collision only costs a skipped write-back.
type writeGuard struct {
	seed  maphash.Seed
	slots [64]struct {
		writing atomic.Int64
		version atomic.Uint64
	}
}

func newWriteGuard() *writeGuard { return &writeGuard{seed: maphash.MakeSeed()} }

func (g *writeGuard) slot(key string) int {
	return int(maphash.String(g.seed, key) % uint64(len(g.slots)))
}

// beginWrite marks a write of key as started; call the returned function
// once it has reached the store and the L1.
func (g *writeGuard) beginWrite(key string) (end func()) {
	s := &g.slots[g.slot(key)]
	s.writing.Add(1)
	s.version.Add(1)
	return func() {
		s.version.Add(1)
		s.writing.Add(-1)
	}
}

// changed records that key changed elsewhere (an invalidation arrived).
func (g *writeGuard) changed(key string) {
	g.slots[g.slot(key)].version.Add(1)
}

// watch starts watching key for a load. The returned function reports
// whether the load may write its value back: no write of key was in
// progress when the load began, and none started or finished since.
func (g *writeGuard) watch(key string) (quiet func() bool) {
	s := &g.slots[g.slot(key)]
	v := s.version.Load()
	busy := s.writing.Load() > 0
	return func() bool { return !busy && s.version.Load() == v }
}
