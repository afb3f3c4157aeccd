// Package hashing turns keys of any comparable type into seeded 64-bit
// hashes, picking the cheapest sound function for the key's kind once, when
// the cache is built, so the hot path only switches on a small integer.
package hashing

import (
	"hash/maphash"
	"math/rand/v2"
	"reflect"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

type kind uint8

const (
	kindOther  kind = iota // maphash.Comparable
	kindString             // xxhash over the string's bytes
	kindBytes              // xxhash over a byte array's bytes
	kindInt                // avalanche mixer over the integer's bits
)

// Hasher hashes keys of type K with a seed chosen at random when it is made,
// so which keys share a shard cannot be predicted from outside the process.
type Hasher[K comparable] struct {
	kind  kind
	size  uintptr
	seed  uint64
	mseed maphash.Seed
}

// New returns a hasher with a fresh random seed.
func New[K comparable]() Hasher[K] {
	h := Hasher[K]{seed: rand.Uint64(), mseed: maphash.MakeSeed()}
	t := reflect.TypeFor[K]()
	h.size = t.Size()
	switch t.Kind() {
	case reflect.String:
		h.kind = kindString
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			h.kind = kindBytes
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		h.kind = kindInt
	}
	return h
}

// Hash returns the seeded hash of k.
func (h *Hasher[K]) Hash(k K) uint64 {
	switch h.kind {
	case kindString:
		// K's underlying type is string, so its memory is a string header.
		return h.bytes(unsafe.Slice(unsafe.StringData(*(*string)(unsafe.Pointer(&k))), len(*(*string)(unsafe.Pointer(&k)))))
	case kindBytes:
		return h.bytes(unsafe.Slice((*byte)(unsafe.Pointer(&k)), h.size))
	case kindInt:
		var x uint64
		p := unsafe.Pointer(&k)
		switch h.size {
		case 1:
			x = uint64(*(*uint8)(p))
		case 2:
			x = uint64(*(*uint16)(p))
		case 4:
			x = uint64(*(*uint32)(p))
		default:
			x = *(*uint64)(p)
		}
		return Mix(x ^ h.seed)
	}
	return maphash.Comparable(h.mseed, k)
}

func (h *Hasher[K]) bytes(b []byte) uint64 {
	var d xxhash.Digest
	d.ResetWithSeed(h.seed)
	_, _ = d.Write(b)
	return d.Sum64()
}

// Mix is a 64-bit avalanche finalizer: every input bit flips each output bit
// with probability close to one half, so consecutive integers spread over
// shards and buckets. It is a bijection, so distinct inputs never collide.
func Mix(x uint64) uint64 {
	x ^= x >> 31
	x *= 0x7fb5d329728ea185
	x ^= x >> 27
	x *= 0x81dadef4bc2dd44d
	x ^= x >> 33
	return x
}
