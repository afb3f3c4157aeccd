//go:build race

package trace_test

// raceEnabled reports whether the tests run under the race detector, which
// slows the single-goroutine trace replays several times over; the largest
// of them are skipped then (they have no concurrency to check).
const raceEnabled = true
