package eviction

import "github.com/stratacache/cache/internal/policysim"

type void = policysim.Void

// replaySeed stands in for a cache's random hash seed; fixed, so that
// replays are reproducible.
const replaySeed = 0x5eed

// newSimulator returns a replay of a policy of algorithm a and the given
// capacity.
func newSimulator(a Algorithm, capacity int64) *policysim.Sim {
	return policysim.New(New[uint64, void](a, capacity), capacity)
}
