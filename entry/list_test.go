package entry

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The list is checked against a slice under random pushes, removals and
// moves, in both link sets at once, since an entry may be in a policy list
// and a timer list together. The entries have timer sections of every
// kind.
func TestListMatchesSlice(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var policy List[int, int]
	timer := NewTimerList[int, int]()
	var wantP, wantT []*Entry[int, int]
	entries := make([]*Entry[int, int], 64)
	for i := range entries {
		switch i % 3 {
		case 0:
			entries[i] = NewTimed(i, i, 0, 1)
		case 1:
			entries[i] = NewFull(i, i, 0, 1)
		default:
			entries[i] = New(i, i, 0, 1)
			entries[i].SetDeadline(1) // grows a timer section apart
		}
	}
	in := func(s []*Entry[int, int], e *Entry[int, int]) int { return slices.Index(s, e) }
	check := func(l *List[int, int], want []*Entry[int, int]) {
		t.Helper()
		if l.Len() != len(want) {
			t.Fatalf("Len %d, want %d", l.Len(), len(want))
		}
		i := 0
		for e := l.Front(); e != nil; e = l.Next(e) {
			if want[i] != e {
				t.Fatalf("position %d holds %d, want %d", i, e.Key(), want[i].Key())
			}
			i++
		}
		i = len(want) - 1
		for e := l.Back(); e != nil; e = l.Prev(e) {
			if want[i] != e {
				t.Fatalf("backwards position %d holds %d", i, e.Key())
			}
			i--
		}
	}
	for range 20_000 {
		e := entries[r.IntN(len(entries))]
		l, want := &policy, &wantP
		if r.IntN(2) == 0 {
			l, want = &timer, &wantT
		}
		if i := in(*want, e); i >= 0 {
			switch r.IntN(3) {
			case 0:
				l.Remove(e)
				*want = slices.Delete(*want, i, i+1)
			case 1:
				l.MoveToBack(e)
				*want = append(slices.Delete(*want, i, i+1), e)
			case 2:
				if f := l.PopFront(); f != (*want)[0] {
					t.Fatal("PopFront returned the wrong entry")
				}
				*want = (*want)[1:]
			}
		} else if r.IntN(2) == 0 {
			l.PushBack(e)
			*want = append(*want, e)
		} else {
			l.pushFront(e)
			*want = append([]*Entry[int, int]{e}, *want...)
		}
		check(&policy, wantP)
		check(&timer, wantT)
	}
	all := policy.TakeAll()
	if policy.Len() != 0 || all.Len() != len(wantP) {
		t.Fatal("TakeAll did not move the contents")
	}
}

// String is the word users see in metrics labels and the docs, not the
// constant's Go name.
func TestReasonString(t *testing.T) {
	want := [NumReasons]string{
		ReasonCapacity: "capacity", ReasonExpired: "expired", ReasonDeleted: "deleted",
		ReasonReplaced: "replaced", ReasonCleared: "cleared",
	}
	for r := range NumReasons {
		if s := r.String(); s != want[r] {
			t.Errorf("Reason(%d).String() = %q, want %q", r, s, want[r])
		}
	}
	if s := Reason(99).String(); s != "Reason(99)" {
		t.Errorf("unknown reason prints %q", s)
	}
}
