package cache

import "github.com/stratacache/cache/internal/fakeclock"

// fakeClock is a Clock that moves only when a test advances it.
type fakeClock = fakeclock.Clock

func newFakeClock() *fakeClock { return fakeclock.New() }
