//go:build race

package slab

// In race-detector builds every read takes the shard's lock. A read
// without it copies bytes a writer may be changing and keeps the copy only
// if the shard's sequence number says no write came between, which the
// detector cannot know and would report; with the lock it sees the
// ordering it looks for. The rest of the logic under test is the same, and
// the reads without the lock are tested by the runs without -race
// (TestReadsWithoutLockSeeWholeValues).
const optimisticReads = false
