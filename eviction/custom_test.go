package eviction

import (
	"testing"

	"github.com/stratacache/cache/entry"
)

// scripted is a Custom policy whose victims a test chooses.
type scripted struct {
	tracked map[Handle[int, int]]bool
	victims []Handle[int, int]
}

func (s *scripted) Add(h Handle[int, int])          { s.tracked[h] = true }
func (s *scripted) Access(Handle[int, int])         {}
func (s *scripted) Update(Handle[int, int], uint32) {}
func (s *scripted) Remove(h Handle[int, int])       { delete(s.tracked, h) }
func (s *scripted) SetCapacity(int64)               {}
func (s *scripted) Ordered(_ bool, yield func(Handle[int, int]) bool) {
	for h := range s.tracked {
		if !yield(h) {
			return
		}
	}
}

func (s *scripted) Evict() (Handle[int, int], bool) {
	if len(s.victims) == 0 {
		return Handle[int, int]{}, false
	}
	v := s.victims[0]
	s.victims = s.victims[1:]
	delete(s.tracked, v)
	return v, true
}

// adapt returns the adapter over a scripted policy, with n entries added
// as a shard adds them (marked InPolicy).
func adapt(n int) (*custom[int, int], *scripted, []*entry.Entry[int, int]) {
	s := &scripted{tracked: map[Handle[int, int]]bool{}}
	p := NewCustom(func(int64) Custom[int, int] { return s }, 10).(*custom[int, int])
	es := make([]*entry.Entry[int, int], n)
	for i := range es {
		es[i] = entry.New(i, i, uint64(i), 1)
		p.Add(es[i])
		es[i].SetInPolicy(true)
	}
	return p, s, es
}

func TestCustomSparesTheNewest(t *testing.T) {
	p, s, es := adapt(3)
	s.victims = []Handle[int, int]{{es[2]}, {es[0]}}
	if v := p.Evict(); v != es[0] {
		t.Fatalf("Evict returned %v; want key 0, since key 2 was added last", v)
	}
	if !s.tracked[Handle[int, int]{es[2]}] || p.Len() != 2 {
		t.Fatalf("the newest entry was not given back to the policy: tracked %v, Len %d", s.tracked, p.Len())
	}
	// Alone, the newest entry may go.
	p, s, es = adapt(1)
	s.victims = []Handle[int, int]{{es[0]}}
	if v := p.Evict(); v != es[0] || p.Len() != 0 {
		t.Fatalf("Evict with one entry returned %v, Len %d; want key 0, 0", v, p.Len())
	}
}

func TestCustomRefusesUntrackedVictims(t *testing.T) {
	p, s, es := adapt(3)
	stray := entry.New(9, 9, 9, 1) // never added: not InPolicy
	es[0].SetInPolicy(false)       // as after the shard evicted it
	for _, v := range []Handle[int, int]{{}, {stray}, {es[0]}} {
		s.victims = []Handle[int, int]{v}
		if got := p.Evict(); got != nil {
			t.Errorf("Evict passed on victim %v, which the shard does not track", got)
		}
	}
	if p.Len() != 3 {
		t.Errorf("Len = %d after refused victims; want 3", p.Len())
	}
}

func TestCustomResetRemovesEverything(t *testing.T) {
	p, s, _ := adapt(5)
	p.Reset()
	if len(s.tracked) != 0 || p.Len() != 0 {
		t.Fatalf("after Reset the policy tracks %d entries, Len %d; want 0, 0", len(s.tracked), p.Len())
	}
}

func TestNewCustomNil(t *testing.T) {
	if p := NewCustom(func(int64) Custom[int, int] { return nil }, 1); p != nil {
		t.Fatalf("NewCustom over a nil policy = %v; want nil", p)
	}
	if p := NewCustom(func(int64) Custom[int, int] { return (*scripted)(nil) }, 1); p != nil {
		t.Fatalf("NewCustom over a nil *scripted = %v; want nil", p)
	}
}
