//go:build race

package shard

// In race-detector builds a read holds the data lock while it probes the
// table and copies the value, and so does an overwrite that would do
// without it (see overwrite). The copy is optimistic (entry.Load retries it
// if a write overlapped), which the detector cannot know and would report;
// the lock gives it the ordering it looks for. The logic under test is
// otherwise the same; entry's TestLoadNeverTorn checks the copy itself
// without -race.

func (s *Shard[K, V]) readLock()   { s.mu.Lock() }
func (s *Shard[K, V]) readUnlock() { s.mu.Unlock() }
