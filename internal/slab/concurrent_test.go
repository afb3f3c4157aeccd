package slab

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"hash/maphash"
	"sync"
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
