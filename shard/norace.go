//go:build !race

package shard

// Outside race-detector builds reads take no lock; see race.go.

func (s *Shard[K, V]) readLock()   {}
func (s *Shard[K, V]) readUnlock() {}
