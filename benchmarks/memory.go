package benchmarks

import (
	"runtime"
	"time"
)

// StrKeyLen and StrValueLen are the sizes of the string-keyed entries.
const (
	StrKeyLen   = 32
	StrValueLen = 32
)

// StrKey returns the 32-byte key of index i, freshly allocated.
func StrKey(i uint64) string {
	var b [StrKeyLen]byte
	for j := range b {
		b[j] = 'k'
	}
	for j := StrKeyLen - 1; j >= 4; j-- {
		b[j] = byte('0' + i%10)
		i /= 10
	}
	return string(b[:])
}

// StrValue returns a fresh 32-byte value for index i.
func StrValue(i uint64) []byte {
	v := make([]byte, StrValueLen)
	for j := range v {
		v[j] = byte(i >> (8 * (j % 8)))
	}
	return v
}

// MemResult is the live heap a cache holds per entry.
type MemResult struct {
	Entries       int     // entries written
	Resident      int     // entries found by Get afterwards
	HeapBytes     int64   // live heap after filling minus before creating
	BytesPerEntry float64 // HeapBytes / Entries
}

// liveHeap collects garbage twice (the second cycle frees what the first
// one's finalizers and cleanups released) and returns the live heap.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// MeasureMemory creates a cache of capacity n with im, writes n entries
// (uint64→uint64 when str is false, 32-byte string → 32-byte []byte
// otherwise: the key and value bytes are allocated while filling and so
// counted) and returns the live heap growth per entry. It then reads every
// key back to count residents. Run it in a fresh process: other live heap
// would make no difference, but a fresh heap is less fragmented.
func MeasureMemory(im Impl, n int, str bool, ttl time.Duration) MemResult {
	cfg := Config{Capacity: n, TTL: ttl}
	var (
		res    MemResult
		before int64
	)
	res.Entries = n
	if !str {
		before = liveHeap()
		c := im.U64(cfg)
		FillRange(c, 0, uint64(n))
		res.HeapBytes = liveHeap() - before
		for k := range uint64(n) {
			if _, ok := c.Get(k); ok {
				res.Resident++
			}
		}
		c.Close()
	} else {
		before = liveHeap()
		c := im.Str(cfg)
		for i := range uint64(n) {
			c.Set(StrKey(i), StrValue(i))
			if i%waitEvery == waitEvery-1 {
				Wait(c)
			}
		}
		Wait(c)
		res.HeapBytes = liveHeap() - before
		for i := range uint64(n) {
			if _, ok := c.Get(StrKey(i)); ok {
				res.Resident++
			}
		}
		c.Close()
	}
	res.BytesPerEntry = float64(res.HeapBytes) / float64(n)
	return res
}
