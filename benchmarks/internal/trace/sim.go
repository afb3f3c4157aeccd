package trace

import "math"

// index is the integer type used for positions in a trace and for dense
// key ids: int32 halves the memory of the large traces, int64 covers the
// rest.
type index interface{ ~int32 | ~int64 }

// OPT returns the number of hits that Bélády's optimal policy scores on
// keys with a cache of capacity entries, starting cold. On a miss with a
// full cache the missing key is admitted and the resident key whose next
// use lies farthest in the future (or never comes) is evicted. No policy
// that must admit every missed key can score more hits; a policy allowed
// to refuse admission can in principle do better, since this bound never
// bypasses the cache.
//
// It runs in O(n log capacity) time for n = len(keys) with one backward
// pass to find each request's next use and a max-heap of the resident keys
// ordered by it. Memory is 8 bytes per request plus a few tens of bytes per
// distinct key (twice the per-request part from 2^31 requests on): about
// 140 MiB for p6's 12.7 million requests.
//
// A capacity of zero or less gives zero hits.
func OPT(keys []uint64, capacity int) (hits int) {
	return byIndexWidth(keys, capacity, opt[int32], opt[int64])
}

// byIndexWidth runs a simulator with 32-bit key indexes when the trace
// allows, to halve its memory, and 64-bit ones otherwise; a capacity of
// zero or less, or an empty trace, gives zero hits.
func byIndexWidth(keys []uint64, capacity int, narrow, wide func([]uint64, int) int) int {
	if capacity <= 0 || len(keys) == 0 {
		return 0
	}
	if len(keys) < math.MaxInt32 {
		return narrow(keys, capacity)
	}
	return wide(keys, capacity)
}

// denseIDs numbers the distinct keys 0, 1, ... in order of first use and
// returns the id of each request and the number of distinct keys.
func denseIDs[T index](keys []uint64) (ids []T, distinct int) {
	ids = make([]T, len(keys))
	seen := make(map[uint64]T)
	for i, k := range keys {
		id, ok := seen[k]
		if !ok {
			id = T(len(seen))
			seen[k] = id
		}
		ids[i] = id
	}
	return ids, len(seen)
}

func opt[T index](keys []uint64, capacity int) int {
	ids, distinct := denseIDs[T](keys)
	never := T(len(keys)) // later than every position

	// One backward pass: next[i] is the position of the next request for
	// the key of request i, or never. last is then reused to hold the next
	// use of each resident key.
	next := make([]T, len(keys))
	last := make([]T, distinct)
	for i := range last {
		last[i] = never
	}
	for i := len(keys) - 1; i >= 0; i-- {
		id := ids[i]
		next[i] = last[id]
		last[id] = T(i)
	}

	h := optHeap[T]{
		due: last, // due[id]: next use of resident id
		pos: make([]T, distinct),
		ids: make([]T, 0, min(capacity, distinct)),
	}
	for i := range h.pos {
		h.pos[i] = -1
	}
	hits := 0
	for i, id := range ids {
		if p := h.pos[id]; p >= 0 {
			hits++
			// The key's next use moves later: it can only rise in the
			// max-heap.
			h.due[id] = next[i]
			h.up(int(p))
			continue
		}
		h.due[id] = next[i]
		if len(h.ids) < capacity {
			h.push(id)
			continue
		}
		// Replace the resident key used farthest ahead by the new one.
		h.pos[h.ids[0]] = -1
		h.ids[0] = id
		h.pos[id] = 0
		h.down(0)
	}
	return hits
}

// optHeap is a max-heap of resident key ids ordered by next use, with the
// position of each id tracked so that a hit can move its key in place.
type optHeap[T index] struct {
	due []T // next use, by id
	pos []T // index in ids, or -1 when not resident, by id
	ids []T // the heap
}

func (h *optHeap[T]) push(id T) {
	h.ids = append(h.ids, id)
	h.pos[id] = T(len(h.ids) - 1)
	h.up(len(h.ids) - 1)
}

// up moves the entry at j towards the root while it is due later than its
// parent.
func (h *optHeap[T]) up(j int) {
	ids, due, pos := h.ids, h.due, h.pos
	id := ids[j]
	d := due[id]
	for j > 0 {
		p := (j - 1) / 2
		pid := ids[p]
		if due[pid] >= d {
			break
		}
		ids[j] = pid
		pos[pid] = T(j)
		j = p
	}
	ids[j] = id
	pos[id] = T(j)
}

// down moves the entry at j towards the leaves while a child is due later.
func (h *optHeap[T]) down(j int) {
	ids, due, pos := h.ids, h.due, h.pos
	n := len(ids)
	id := ids[j]
	d := due[id]
	for {
		c := 2*j + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && due[ids[r]] > due[ids[c]] {
			c = r
		}
		cid := ids[c]
		if due[cid] <= d {
			break
		}
		ids[j] = cid
		pos[cid] = T(j)
		j = c
	}
	ids[j] = id
	pos[id] = T(j)
}

// LRU returns the number of hits that an exact least-recently-used cache
// of capacity entries scores on keys, starting cold. It is a plain
// reference implementation for tests and tools. A capacity of zero or less
// gives zero hits.
func LRU(keys []uint64, capacity int) (hits int) {
	return byIndexWidth(keys, capacity, lru[int32], lru[int64])
}

func lru[T index](keys []uint64, capacity int) int {
	slots := min(capacity, len(keys))
	// Slot 0 is the list's sentinel: next[0] is the most recent entry,
	// prev[0] the least recent one.
	prev := make([]T, slots+1)
	next := make([]T, slots+1)
	key := make([]uint64, slots+1)
	where := make(map[uint64]T, slots)
	used := 0

	unlink := func(s T) {
		next[prev[s]] = next[s]
		prev[next[s]] = prev[s]
	}
	pushFront := func(s T) {
		prev[s] = 0
		next[s] = next[0]
		prev[next[0]] = s
		next[0] = s
	}

	hits := 0
	for _, k := range keys {
		if s, ok := where[k]; ok {
			hits++
			if next[0] != s {
				unlink(s)
				pushFront(s)
			}
			continue
		}
		var s T
		if used < slots {
			used++
			s = T(used)
		} else {
			s = prev[0]
			unlink(s)
			delete(where, key[s])
		}
		key[s] = k
		where[k] = s
		pushFront(s)
	}
	return hits
}
