package metrics

import (
	"github.com/stratacache/cache"
	"github.com/stratacache/cache/multilevel"
)

// MultilevelCache is what Multilevel reads: a multilevel.Cache[K, V] for
// any K and V.
type MultilevelCache interface {
	Stats() multilevel.Stats
}

// Multilevel adapts a multi-level cache to a LevelSource, for Register,
// NewCollector and RegisterOTel: the L1's statistics are the cache's own
// series, and the store and the loader are the levels "l2" and "origin".
//
// For "l2", hits, misses, errors, decode errors and type mismatches are
// the store's, and
// the breaker series follow the store's circuit breaker (none if it is
// disabled). "origin" is a Loader level: its loads are counted by result,
// "found", "not_found" (the loader returned ErrNotFound) or "error" (any
// other failure, panics included).
func Multilevel(c MultilevelCache) LevelSource {
	if c == nil {
		return nil
	}
	return multilevelSource{c}
}

type multilevelSource struct{ c MultilevelCache }

func (m multilevelSource) Stats() cache.Stats { return m.c.Stats().L1 }

func (m multilevelSource) Levels() []LevelStats {
	st := m.c.Stats()
	o := st.Origin
	found := o.Loads - min(o.Loads, o.NotFound+o.Errors)
	return []LevelStats{
		{
			Level:          "l2",
			Hits:           st.L2.Hits,
			Misses:         st.L2.Misses,
			Errors:         st.L2.Errors,
			DecodeErrors:   st.L2.DecodeErrors,
			TypeMismatches: st.L2.TypeMismatches,
			Breaker:        st.Breaker,
		},
		{Level: "origin", Loader: true, Hits: found, Misses: o.NotFound, Errors: o.Errors},
	}
}
