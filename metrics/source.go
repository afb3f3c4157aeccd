package metrics

import (
	"fmt"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/multilevel"
)

// Source is what the collectors read: anything with a Stats snapshot.
// *cache.Cache[K, V] is a Source for every K and V.
type Source interface {
	Stats() cache.Stats
}

// LevelSource is a Source made of levels, such as a multi-level cache: its
// Stats describe the local level, and Levels the ones below it. The
// collectors check for it once, when they are made; a Source that has it
// gets per-level series, labelled with each level's name, besides the
// series of its Stats.
type LevelSource interface {
	Source
	// Levels returns a snapshot of each level below the local one, in
	// the order they are asked. The collectors call it once per
	// collection, right after Stats.
	Levels() []LevelStats
}

// LevelStats is a snapshot of one level of a LevelSource: a level that
// stores values (a shared store, such as "l2"), or, with Loader set, one
// that computes them (a loader, such as "origin").
type LevelStats struct {
	// Level names the level, such as "l2" or "origin"; it becomes the
	// level label. Names must differ between the levels of a Source and
	// be valid UTF-8; a scrape reports an invalid one as an error.
	Level string
	// Loader marks a level that computes values rather than stores them.
	// Its calls are published as loads by result, in
	// strata_cache_level_loads_total: Hits as result="found", Misses as
	// "not_found", Errors as "error"; it has no hit, miss, error, decode
	// error or breaker series, and DecodeErrors and Breaker are ignored.
	Loader bool
	// Hits and Misses count the reads the level answered with a value
	// and with no value (for a Loader: calls that found the key, and
	// calls that reported it does not exist).
	Hits, Misses uint64
	// Errors counts the calls to the level that failed.
	Errors uint64
	// DecodeErrors counts values the level returned that could not be
	// decoded.
	DecodeErrors uint64
	// TypeMismatches counts values the level returned that were written
	// for another value type or schema, and so were not decoded (see
	// codec.ErrTypeMismatch).
	TypeMismatches uint64
	// Breaker is the state of the circuit breaker in front of the level
	// now; the zero value, multilevel.BreakerNone, if it has none.
	Breaker multilevel.BreakerState
}

// levelLoadResults are the result labels of a Loader level's loads, in
// the order they are published: Hits, Misses, Errors.
var levelLoadResults = [...]string{"found", "not_found", "error"}

// breakerStates are the states a breaker series reports, in the order
// they are published; each state's String is its label value.
var breakerStates = [...]multilevel.BreakerState{
	multilevel.BreakerClosed, multilevel.BreakerOpen, multilevel.BreakerHalfOpen,
}

// Each of these wraps cache.ErrInvalidOptions, as every error about a bad
// argument or option in this module does.
var (
	// ErrNoName is returned when a cache is registered with an empty
	// name: the name is what tells its series from other caches'.
	ErrNoName = fmt.Errorf("metrics: the cache name is empty: %w", cache.ErrInvalidOptions)
	// ErrNoSource is returned when the Source to register is nil.
	ErrNoSource = fmt.Errorf("metrics: the Source is nil: %w", cache.ErrInvalidOptions)
	// ErrNoProvider is returned when the registry or provider to register
	// with is nil.
	ErrNoProvider = fmt.Errorf("metrics: the registerer or provider is nil: %w", cache.ErrInvalidOptions)
)

func check(name string, src Source) error {
	switch {
	case name == "":
		return ErrNoName
	case src == nil:
		return ErrNoSource
	}
	return nil
}

// reasonLabel is a Reason's label value: its String, the word the docs
// use ("capacity" for ReasonCapacity).
func reasonLabel(r cache.Reason) string { return r.String() }
