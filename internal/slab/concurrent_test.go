package slab

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"hash/maphash"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// selfValue returns a value that names its key and carries a checksum,
// so that a reader can tell a whole value of its own key from anything
// else. Lengths vary so that records move, wrap and get overwritten in
// and out of place.
func selfValue(key string, version uint64) []byte {
	n := 8 + int(version%5)*7
	v := make([]byte, 0, len(key)+n+4)
	v = append(v, key...)
	v = binary.LittleEndian.AppendUint64(v, version)
	v = append(v, make([]byte, n-8)...)
	return binary.LittleEndian.AppendUint32(v, crc32.ChecksumIEEE(v))
}

func checkSelfValue(key string, v []byte) error {
	if len(v) < len(key)+12 {
		return fmt.Errorf("value of %d bytes is too short", len(v))
	}
	body, sum := v[:len(v)-4], binary.LittleEndian.Uint32(v[len(v)-4:])
	if crc32.ChecksumIEEE(body) != sum || string(v[:len(key)]) != key {
		return fmt.Errorf("value %x is not a whole value of %q", v, key)
	}
	return nil
}

// Readers never see a torn value, nor another key's, while writers
// overwrite, delete and evict; `make test` runs this without -race too.
func TestShardConcurrentReadsSeeWholeValues(t *testing.T) {
	seed := maphash.MakeSeed()
	s := NewShard(8<<10, seed)
	const goroutines, ops, keys = 6, 20000, 300
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rm Removals
			var dst []byte
			for i := range ops {
				k := fmt.Sprintf("key-%d", (i*7+g*13)%keys)
				h := Hash(seed, k)
				switch i % 10 {
				case 0, 1, 2:
					s.Set(h, k, nil, selfValue(k, uint64(i)), 0, 0, &rm)
				case 3:
					s.Delete(h, k, 0, &rm)
				default:
					var ok bool
					if dst, ok = s.Get(h, k, 0, dst[:0], &rm); ok {
						if err := checkSelfValue(k, dst); err != nil {
							errs <- err
							return
						}
					}
				}
				for j := range rm.Len() {
					rk, rv, _ := rm.At(j)
					if err := checkSelfValue(string(rk), rv); err != nil {
						errs <- fmt.Errorf("removal: %w", err)
						return
					}
				}
				rm.Reset()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := s.check(); err != nil {
		t.Fatal(err)
	}
}

// Reads without the lock stay whole while writers grow the index (each
// clear shrinks it back to its first size) and Clear and Close-style
// clears release the chunks under them; `make test` runs this without
// -race too, where reads take no lock.
func TestShardReadsSeeWholeValuesAcrossClears(t *testing.T) {
	seed := maphash.MakeSeed()
	s := NewShard(64<<10, seed)
	const writers, readers, ops, keys = 2, 3, 30000, 2000
	var wg sync.WaitGroup
	var hits atomic.Int64
	errs := make(chan error, writers+readers+1)
	for g := range writers + readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rm Removals
			var dst []byte
			for i := range ops {
				k := fmt.Sprintf("key-%d", (i*31+g*17)%keys)
				h := Hash(seed, k)
				if g < writers {
					s.Set(h, k, nil, selfValue(k, uint64(i)), 0, 0, &rm)
					rm.Reset()
					continue
				}
				var ok bool
				if dst, ok = s.Get(h, k, 0, dst[:0], &rm); ok {
					hits.Add(1)
					if err := checkSelfValue(k, dst); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		var rm Removals
		for i := range 200 {
			for range 1000 {
				runtime.Gosched()
			}
			s.Clear(0, &rm, i%2 == 0)
			rm.Reset()
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if hits.Load() == 0 {
		t.Fatal("no read hit: the test checked no value")
	}
	if err := s.check(); err != nil {
		t.Fatal(err)
	}
}

// A read without the lock whose record is replaced between its lookup and
// its copy starts again: here a Clear and a write put another key's record
// of the same shape exactly where the one it found was, so a read that
// kept its copy would return that key's value.
func TestShardReadStartsAgainAfterAWrite(t *testing.T) {
	seed := maphash.MakeSeed()
	s := NewShard(4<<10, seed)
	var rm Removals
	set := func(k string) { s.Set(Hash(seed, k), k, nil, []byte("value of "+k), 0, 0, &rm) }
	set("k1") // the first record: position 0 of the small ring
	ran := false
	s.afterLookup = func() {
		s.afterLookup = nil
		ran = true
		s.Clear(0, &rm, false)
		set("k2") // position 0 again, same shape
	}
	v, ok := s.Get(Hash(seed, "k1"), "k1", 0, nil, &rm)
	if ok && string(v) != "value of k1" {
		t.Fatalf("Get(k1) = %q after k1 was cleared and k2 written where it was", v)
	}
	if ok && ran {
		t.Fatal("Get(k1) hit after k1 was cleared")
	}
	if optimisticReads && !ran {
		t.Fatal("the read without the lock did not run: the test checked nothing")
	}
	if v, ok := s.Get(Hash(seed, "k2"), "k2", 0, nil, &rm); ran && (!ok || string(v) != "value of k2") {
		t.Fatalf("Get(k2) = %q, %v", v, ok)
	}
}
