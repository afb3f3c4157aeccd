package timerwheel

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stratacache/cache/entry"
)

// Every entry must expire no earlier than its deadline and no later than
// the first advance into a later level-0 tick (about a second), wherever in the
// wheel's 208-day range the deadline falls and however unevenly time moves.
func TestEntriesExpireOnTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	now := int64(1)
	w := New[int, int](now)
	live := map[*entry.Entry[int, int]]bool{}
	spans := []time.Duration{time.Millisecond, time.Second, time.Minute, time.Hour, 24 * time.Hour, 100 * 24 * time.Hour}
	for i := range 5000 {
		e := entry.New(i, i, 0, 1)
		d := now + 1 + r.Int64N(int64(spans[r.IntN(len(spans))]))
		e.SetDeadline(d)
		w.Schedule(e)
		live[e] = true
	}
	if w.Len() != 5000 {
		t.Fatalf("Len = %d", w.Len())
	}
	tick := int64(1) << shift0
	for len(live) > 0 {
		// Steps from a millisecond to a couple of days.
		step := int64(time.Millisecond) << r.IntN(28)
		now += step
		w.Advance(now, func(e *entry.Entry[int, int]) {
			if !live[e] {
				t.Fatalf("entry %d expired twice or was never scheduled", e.Key())
			}
			if e.Deadline() > now {
				t.Fatalf("entry %d expired at %d before its deadline %d", e.Key(), now, e.Deadline())
			}
			delete(live, e)
		})
		for e := range live {
			// Only entries due within the current tick may wait.
			if e.Deadline() < (now/tick)*tick {
				t.Fatalf("entry %d (deadline %d) still scheduled at %d", e.Key(), e.Deadline(), now)
			}
		}
		if w.Len() != len(live) {
			t.Fatalf("wheel holds %d, want %d", w.Len(), len(live))
		}
	}
}

func TestRemoveAndReschedule(t *testing.T) {
	w := New[int, int](1)
	a, b := entry.New(1, 1, 0, 1), entry.New(2, 2, 0, 1)
	a.SetDeadline(int64(2 * time.Second))
	b.SetDeadline(int64(2 * time.Second))
	w.Schedule(a)
	w.Schedule(b)
	w.Remove(a)
	w.Remove(a) // no-op
	b.SetDeadline(int64(time.Hour))
	w.Schedule(b) // moves it
	var got []int
	w.Advance(int64(10*time.Second), func(e *entry.Entry[int, int]) { got = append(got, e.Key()) })
	if len(got) != 0 || w.Len() != 1 {
		t.Fatalf("expired %v, %d left; want none expired and b still scheduled", got, w.Len())
	}
	w.Advance(int64(time.Hour+2*time.Second), func(e *entry.Entry[int, int]) { got = append(got, e.Key()) })
	if len(got) != 1 || got[0] != 2 || w.Len() != 0 {
		t.Fatalf("expired %v, %d left", got, w.Len())
	}
}

// An expire-after-access entry whose deadline moved later is re-filed, not
// expired.
func TestExtendedDeadlineIsRefiled(t *testing.T) {
	w := New[int, int](1)
	e := entry.NewFull(1, 1, 0, 1)
	e.Write(1, 1, 0, int64(time.Second), int64(time.Second), false)
	w.Schedule(e)
	_, m := e.Load()
	if !e.Extend(m, int64(5*time.Second)) { // now 6s
		t.Fatal("Extend failed with no write in between")
	}
	expired := 0
	w.Advance(int64(3*time.Second), func(*entry.Entry[int, int]) { expired++ })
	if expired != 0 || w.Len() != 1 {
		t.Fatal("an extended entry expired at its old deadline")
	}
	w.Advance(int64(8*time.Second), func(*entry.Entry[int, int]) { expired++ })
	if expired != 1 {
		t.Fatal("the extended entry did not expire at its new deadline")
	}
}
