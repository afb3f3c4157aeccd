// Package fakeclock is the clock tests inject through Options.Clock: it
// reads a fixed time that moves only when the test advances it, so expiry,
// refresh and breaker timing are tested without sleeping.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is safe for concurrent use. The zero value reads the zero time;
// New starts at a fixed, readable date.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock reading 2026-01-01 00:00 UTC.
func New() *Clock {
	return &Clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
