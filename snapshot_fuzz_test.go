package cache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"maps"
	"testing"
)

// FuzzLoadSnapshot loads arbitrary bytes, as they are and with their
// checksum repaired (so that the fuzzer gets past it to the record
// parser). A load either fails with ErrBadSnapshot, leaving the cache as
// it was, or succeeds and accounts for every record.
func FuzzLoadSnapshot(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte(snapshotMagic))
	f.Add(smallSnapshot(f))
	f.Add(withLearned(f, smallSnapshot(f), learnedTinyLFU(0.01, true)))
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(data []byte) {
			c, err := New(Options[string, int]{Clock: newFakeClock()})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Set("x", 1)
			before := maps.Collect(c.All())
			info, err := c.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{})
			if err != nil {
				if !errors.Is(err, ErrBadSnapshot) {
					t.Fatalf("error %v does not wrap ErrBadSnapshot", err)
				}
				if after := maps.Collect(c.All()); !maps.Equal(before, after) {
					t.Fatalf("failed load changed the cache: %v -> %v", before, after)
				}
				return
			}
			count := binary.BigEndian.Uint64(data[len(data)-12:])
			if uint64(info.Entries+info.Expired) != count {
				t.Fatalf("loaded %d + expired %d, trailer counts %d", info.Entries, info.Expired, count)
			}
		}
		check(data)
		if len(data) >= 4 {
			fixed := bytes.Clone(data)
			n := len(fixed)
			binary.BigEndian.PutUint32(fixed[n-4:], crc32.Checksum(fixed[:n-4], castagnoli))
			check(fixed)
		}
	})
}
