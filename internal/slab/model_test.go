package slab

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"testing"

	"github.com/stratacache/cache/entry"
)

type modelEntry struct {
	value    []byte
	deadline int64
}

// model is the reference a shard is checked against: a map that forgets
// exactly the entries the shard reports as removed.
type model struct {
	t       testing.TB
	s       *Shard
	seed    maphash.Seed
	m       map[string]modelEntry
	now     int64
	rm      Removals
	version uint64
}

func newModel(t testing.TB, bytes int) *model {
	seed := maphash.MakeSeed()
	return &model{t: t, s: NewShard(bytes, seed), seed: seed, m: map[string]modelEntry{}, now: 1}
}

// settle checks the removals an operation reported against the model and
// applies them. replaced is the key whose old value the operation may
// report as replaced.
func (md *model) settle(op string) {
	md.t.Helper()
	for i := range md.rm.Len() {
		k, v, reason := md.rm.At(i)
		if reason == entry.ReasonCapacity && !md.hasOnce(string(k), v) {
			// A value refused for being too large was never stored.
			continue
		}
		e, ok := md.m[string(k)]
		if !ok || !bytes.Equal(e.value, v) {
			md.t.Fatalf("%s: removal %d reports %q=%q (%v), model holds %q (present %v)", op, i, k, v, reason, e.value, ok)
		}
		if exp := e.deadline != 0 && e.deadline <= md.now; exp != (reason == entry.ReasonExpired) {
			md.t.Fatalf("%s: %q removed as %v, but expired is %v", op, k, reason, exp)
		}
		delete(md.m, string(k))
	}
	md.rm.Reset()
}

// hasOnce reports whether the model holds v for k; an oversized value
// never is.
func (md *model) hasOnce(k string, v []byte) bool {
	e, ok := md.m[k]
	return ok && bytes.Equal(e.value, v)
}

func (md *model) set(k string, n int, ttl int64) {
	md.version++
	v := make([]byte, n)
	for i := range v {
		v[i] = byte(md.version >> (8 * (i % 8)))
	}
	var deadline int64
	if ttl > 0 {
		deadline = md.now + ttl
	}
	// Some values go in as two parts, as a codec's header and body do.
	cut := min(int(md.version%3), n)
	stored := md.s.Set(Hash(md.seed, k), k, v[:cut], v[cut:], deadline, md.now, &md.rm)
	if stored != (RecordSize(len(k), n, deadline != 0) <= md.s.MaxRecord()) {
		md.t.Fatalf("Set(%q, %d bytes) stored %v, max record %d", k, n, stored, md.s.MaxRecord())
	}
	// Settle against the old value first: the removals name it.
	md.settle(fmt.Sprintf("Set(%q)", k))
	if stored {
		md.m[k] = modelEntry{value: v, deadline: deadline}
	}
}

func (md *model) get(k string) {
	got, ok := md.s.Get(Hash(md.seed, k), k, md.now, nil, &md.rm)
	md.settle(fmt.Sprintf("Get(%q)", k))
	md.checkGot(k, got, ok)
}

// getBody reads k with GetBody, with a prefix of 0 to 2 bytes (those of
// the model's value when arg is even) and a bound on the body of arg%32.
func (md *model) getBody(k string, arg byte) {
	prefix := []byte{arg, arg + 1}[:arg%3]
	if e := md.m[k]; arg%2 == 0 && len(e.value) >= len(prefix) {
		prefix = e.value[:len(prefix)]
	}
	maxBody := int(arg % 32)
	got, found, matched := md.s.GetBody(Hash(md.seed, k), k, md.now, prefix, maxBody, nil, &md.rm)
	md.settle(fmt.Sprintf("GetBody(%q)", k))
	e := md.m[k]
	fits := bytes.HasPrefix(e.value, prefix) && len(e.value)-len(prefix) <= maxBody
	switch {
	case found && fits != matched:
		md.t.Fatalf("GetBody(%q, %q, %d) matched %v, model value %q", k, prefix, maxBody, matched, e.value)
	case found && !matched && got != nil:
		md.t.Fatalf("GetBody(%q) appended %q without a match", k, got)
	case found && !matched:
		// Not a match: the value is not given, but it is live.
		md.checkGot(k, e.value, true)
	default:
		md.checkGot(k, append(bytes.Clone(prefix), got...), found)
	}
}

func (md *model) checkGot(k string, got []byte, ok bool) {
	md.t.Helper()
	e, present := md.m[k]
	live := present && (e.deadline == 0 || e.deadline > md.now)
	switch {
	case ok && !live:
		md.t.Fatalf("Get(%q) = %q, but the model has no live value", k, got)
	case ok && !bytes.Equal(got, e.value):
		md.t.Fatalf("Get(%q) = %q, want %q", k, got, e.value)
	case !ok && live:
		// Evicted without a report would have been caught by Len below;
		// a live entry the model holds must be found.
		md.t.Fatalf("Get(%q) missed a live entry", k)
	}
}

func (md *model) del(k string) {
	e, present := md.m[k]
	live := present && (e.deadline == 0 || e.deadline > md.now)
	if got := md.s.Delete(Hash(md.seed, k), k, md.now, &md.rm); got != live {
		md.t.Fatalf("Delete(%q) = %v, want %v", k, got, live)
	}
	md.settle(fmt.Sprintf("Delete(%q)", k))
}

// live returns the model's live entry for k.
func (md *model) live(k string) (modelEntry, bool) {
	e, present := md.m[k]
	return e, present && (e.deadline == 0 || e.deadline > md.now)
}

func (md *model) setIfAbsent(k string, n int, ttl int64) {
	md.t.Helper()
	old, live := md.live(k)
	md.version++
	v := bytes.Repeat([]byte{byte(md.version)}, n)
	var deadline int64
	if ttl > 0 {
		deadline = md.now + ttl
	}
	stored := md.s.SetIfAbsent(Hash(md.seed, k), k, v, deadline, md.now, &md.rm)
	if want := !live && RecordSize(len(k), n, deadline != 0) <= md.s.MaxRecord(); stored != want {
		md.t.Fatalf("SetIfAbsent(%q) = %v, want %v (live %v)", k, stored, want, live)
	}
	md.settle(fmt.Sprintf("SetIfAbsent(%q)", k))
	switch {
	case stored:
		md.m[k] = modelEntry{value: v, deadline: deadline}
	case live:
		if e, ok := md.m[k]; !ok || !bytes.Equal(e.value, old.value) {
			md.t.Fatalf("SetIfAbsent(%q) refused but changed the entry", k)
		}
	}
}

// compareAndDelete tries the live value of k (same) or one that differs
// from it by a byte.
func (md *model) compareAndDelete(k string, same bool) {
	md.t.Helper()
	e, live := md.live(k)
	old := bytes.Clone(e.value)
	if !same {
		old = append(old, 0)
	}
	want := live && same
	if got := md.s.CompareAndDelete(Hash(md.seed, k), k, old, md.now, &md.rm); got != want {
		md.t.Fatalf("CompareAndDelete(%q, same %v) = %v, want %v", k, same, got, want)
	}
	md.settle(fmt.Sprintf("CompareAndDelete(%q)", k))
	if _, still := md.m[k]; want && still || live && !want && !still {
		md.t.Fatalf("CompareAndDelete(%q) = %v; the entry is there: %v, was live: %v", k, want, still, live)
	}
}

func (md *model) getDeadline(k string) {
	md.t.Helper()
	got, deadline, ok := md.s.GetDeadline(Hash(md.seed, k), k, md.now, nil, &md.rm)
	md.settle(fmt.Sprintf("GetDeadline(%q)", k))
	e, live := md.live(k)
	switch {
	case ok != live:
		md.t.Fatalf("GetDeadline(%q) found %v, model live %v", k, ok, live)
	case ok && (!bytes.Equal(got, e.value) || deadline != e.deadline):
		md.t.Fatalf("GetDeadline(%q) = %q, %d; want %q, %d", k, got, deadline, e.value, e.deadline)
	}
}

func (md *model) verify(op string) {
	md.t.Helper()
	if err := md.s.check(); err != nil {
		md.t.Fatalf("after %s: %v", op, err)
	}
	if n := md.s.Len(); n != len(md.m) {
		md.t.Fatalf("after %s: Len %d, model holds %d", op, n, len(md.m))
	}
}

// run drives the model with the operations data encodes, two bytes each.
func (md *model) run(data []byte) {
	for i := 0; i+1 < len(data); i += 2 {
		op, arg := data[i], data[i+1]
		k := fmt.Sprintf("k%d", arg%64)
		switch op % 8 {
		case 0, 1, 2:
			// Mostly small values, some of every size up to past the limit.
			n := int(arg) % 24
			if op%16 == 1 {
				n = int(arg) * 8
			}
			var ttl int64
			if op&0x80 != 0 {
				ttl = int64(arg%5 + 1)
			}
			md.set(k, n, ttl)
		case 3, 4:
			md.get(k)
		case 5:
			md.del(k)
		case 6:
			md.now += int64(arg % 3)
		case 7:
			switch {
			case arg == 0:
				md.s.Clear(md.now, &md.rm, op&0x80 != 0)
				md.settle("Clear")
			case arg%5 == 1:
				md.setIfAbsent(k, int(arg)%24, int64(op>>7)*int64(arg%5+1))
			case arg%5 == 2:
				md.compareAndDelete(k, op&0x80 != 0)
			case arg%5 == 3:
				md.getDeadline(k)
			case arg%5 == 4:
				md.getBody(k, arg)
			default:
				md.get(k)
			}
		}
		md.verify(fmt.Sprintf("op %d (%d, %d)", i/2, op, arg))
	}
}

func TestShardModel(t *testing.T) {
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 7))
		data := make([]byte, 3000)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		// Small shards wrap their rings often; bytes vary the chunk tail.
		newModel(t, MinShardBytes+int(seed)*97).run(data)
	}
}

func FuzzShardOps(f *testing.F) {
	f.Add(uint16(0), []byte{0, 1, 3, 1, 5, 1, 3, 1})
	f.Add(uint16(500), []byte{128, 7, 6, 2, 6, 2, 6, 2, 3, 7, 7, 0, 3, 7})
	f.Add(uint16(50), []byte{17, 200, 1, 3, 3, 3, 17, 100, 0, 9})
	f.Fuzz(func(t *testing.T, extra uint16, data []byte) {
		// Every operation is followed by a full check; keep inputs short
		// so that the fuzzer stays fast.
		newModel(t, MinShardBytes+int(extra)).run(data[:min(len(data), 1024)])
	})
}
