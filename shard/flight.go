package shard

import (
	"strconv"

	"github.com/stratacache/cache/entry"
)

// Flight is a load of one key in progress. Concurrent misses on the key
// share it instead of loading again; writes to the key supersede it, so
// that its result, which may predate the write, is not stored over the
// write. Whoever runs the load publishes the result once, with Publish,
// after handing it to [Shard.Finish].
type Flight[V any] struct {
	done  chan struct{}
	value V
	err   error

	// superseded is set, under the shard's lock, by a write to the key or
	// by Clear or Close while the load runs. The flight is unregistered at
	// the same moment, so later misses start a load of their own.
	superseded bool

	// refresh says the flight reloads the version of the key's entry
	// numbered version: an overwrite without the lock (see overwrite) may
	// replace that version without seeing the flight, and then the
	// refresh must not land.
	refresh bool
	version uint32
}

func newFlight[V any]() *Flight[V] {
	return &Flight[V]{done: make(chan struct{})}
}

// Done returns a channel closed once the result is published.
func (f *Flight[V]) Done() <-chan struct{} { return f.done }

// Result returns the published result. Call it only after Done is closed.
func (f *Flight[V]) Result() (V, error) { return f.value, f.err }

// Publish records the result and releases everyone waiting on Done. It is
// called exactly once per flight.
func (f *Flight[V]) Publish(value V, err error) {
	f.value, f.err = value, err
	close(f.done)
}

// Begin is the locked second look of a loading read that missed. It looks
// key up again under the exclusive lock and returns a live value or
// negative entry if one has appeared. Otherwise it returns the key's flight,
// registering a new one if there is none, with leader true: the caller then
// must run the load and end it with Finish. f is nil only when the shard is
// closed. Begin does not count in the statistics.
func (s *Shard[K, V]) Begin(key K, hash uint64) (v V, found Found, f *Flight[V], leader bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return v, FoundNothing, nil, false
	}
	if e := s.table.Get(hash, key); e != nil {
		// Load, not Value: an overwrite may be running without the lock.
		v, m := e.Load()
		switch {
		case m.Deadline != 0 && m.Deadline <= s.clock():
			v = *new(V)
		case m.Negative:
			return *new(V), FoundNegative, nil, false
		default:
			return v, FoundValue, nil, false
		}
	}
	if f = s.flights[key]; f != nil {
		return v, FoundNothing, f, false
	}
	return v, FoundNothing, s.registerLocked(key), true
}

// BeginRefresh registers a flight to reload key in the background, and
// returns it, if key still holds the live value written at written and no
// load of key is in flight; otherwise it returns nil. A caller given a
// flight must run the load and end it with Finish.
func (s *Shard[K, V]) BeginRefresh(key K, hash uint64, written int64) *Flight[V] {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.table.Get(hash, key)
	if s.closed || s.flights[key] != nil || e == nil {
		return nil
	}
	_, m := e.Load()
	if m.Negative || m.Written != written || (m.Deadline != 0 && m.Deadline <= s.clock()) {
		return nil
	}
	f := s.registerLocked(key)
	f.refresh, f.version = true, m.Version()
	return f
}

func (s *Shard[K, V]) registerLocked(key K) *Flight[V] {
	if s.flights == nil {
		s.flights = make(map[K]*Flight[V])
	}
	f := newFlight[V]()
	s.flights[key] = f
	s.flying.Store(int32(len(s.flights)))
	return f
}

// Outcome is what a finished load leaves in the shard.
type Outcome uint8

// The outcomes.
const (
	OutcomeDiscard  Outcome = iota // store nothing (the load failed)
	OutcomeValue                   // store the loaded value
	OutcomeNegative                // store a negative entry
	OutcomeRemove                  // the key does not exist: remove its entry
)

func (o Outcome) String() string {
	switch o {
	case OutcomeDiscard:
		return "OutcomeDiscard"
	case OutcomeValue:
		return "OutcomeValue"
	case OutcomeNegative:
		return "OutcomeNegative"
	case OutcomeRemove:
		return "OutcomeRemove"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// Finish ends f, the flight of a load of key, and applies out: value (or a
// negative entry) is stored with the given weight and lifetime, or the key's
// entry removed (reported as deleted, or expired if it was). Nothing is
// applied if a write superseded the load, a refresh's version was replaced
// meanwhile, or the shard is closed. The caller publishes the result on f
// afterwards.
func (s *Shard[K, V]) Finish(key K, hash uint64, f *Flight[V], out Outcome, value V, weight uint32, ttl int64) (removed entry.List[K, V]) {
	var w writer[K, V]
	for s.lockWrite(&w); ; {
		if s.closed || f.superseded || out == OutcomeDiscard {
			s.unregisterLocked(key, f)
			break
		}
		e := s.table.Get(hash, key)
		if out != OutcomeRemove && !s.roomLocked(&w, e, weight) {
			// The flight stays registered while roomLocked lets go of the
			// lock, so that a write meanwhile supersedes it.
			continue
		}
		s.unregisterLocked(key, f)
		now := s.nowLocked(ttl)
		var version uint32
		if e != nil {
			// Checked under the claim: no overwrite slips in between.
			if version = e.Claim(); f.refresh && version != f.version {
				e.Abandon(version) // replaced since the refresh began
				break
			}
		}
		switch out {
		case OutcomeValue:
			s.storeClaimedLocked(&w, key, hash, value, weight, ttl, now, e, version, false, &removed)
		case OutcomeNegative:
			var zero V
			s.storeClaimedLocked(&w, key, hash, zero, weight, ttl, now, e, version, true, &removed)
		case OutcomeRemove:
			if e != nil {
				s.unlinkLocked(e, version, now, entry.ReasonDeleted, &removed)
			}
		}
		break
	}
	s.unlockWrite(&w, &removed)
	return removed
}

// unregisterLocked takes f, the flight of key, out of the shard's flights
// if it is still there. The caller holds mu.
func (s *Shard[K, V]) unregisterLocked(key K, f *Flight[V]) {
	if s.flights[key] == f {
		delete(s.flights, key)
		s.flying.Store(int32(len(s.flights)))
	}
}

// Loading returns the number of loads in flight, for tests.
func (s *Shard[K, V]) Loading() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.flights)
}

// supersedeLocked detaches the flight of key, if any: a write is storing a
// newer answer than the load can be sure to have.
func (s *Shard[K, V]) supersedeLocked(key K) {
	if len(s.flights) == 0 {
		return
	}
	if f := s.flights[key]; f != nil {
		f.superseded = true
		delete(s.flights, key)
		s.flying.Store(int32(len(s.flights)))
	}
}

func (s *Shard[K, V]) supersedeAllLocked() {
	for _, f := range s.flights {
		f.superseded = true
	}
	clear(s.flights)
	s.flying.Store(0)
}
