package shard

import (
	"testing"

	"github.com/stratacache/cache/entry"
)

func TestBeginCoalesces(t *testing.T) {
	s, _ := newShard(0)
	_, found, f1, leader1 := s.Begin("k", 0)
	_, _, f2, leader2 := s.Begin("k", 0)
	if found != FoundNothing || f1 == nil || !leader1 {
		t.Fatalf("first Begin = %v, %p, %v; want a new flight and leadership", found, f1, leader1)
	}
	if f2 != f1 || leader2 {
		t.Fatalf("second Begin got flight %p leader %v; want to join %p", f2, leader2, f1)
	}
	removed := s.Finish("k", 0, f1, OutcomeValue, 7, 1, 0)
	if removed.Len() != 0 {
		t.Fatalf("Finish on an empty key removed %d entries", removed.Len())
	}
	if v, ok := s.Get("k", 0); !ok || v != 7 {
		t.Fatalf("Get after Finish = %v, %v; want 7, true", v, ok)
	}
	if v, found, f, _ := s.Begin("k", 0); found != FoundValue || v != 7 || f != nil {
		t.Fatalf("Begin on a stored key = %v, %v, %p; want the value", v, found, f)
	}
	if n := s.Loading(); n != 0 {
		t.Fatalf("%d flights left after Finish", n)
	}
}

func TestWritesSupersedeFlights(t *testing.T) {
	writes := map[string]func(s *Shard[string, int]){
		"Set":    func(s *Shard[string, int]) { s.Set("k", 0, 2, 1, 0, false) },
		"Delete": func(s *Shard[string, int]) { s.Delete("k", 0) },
		"Apply": func(s *Shard[string, int]) {
			_, _, ver := s.Lookup("k", 0)
			s.Apply("k", 0, ver, OpDelete, 0, 0, 0)
		},
		"Clear": func(s *Shard[string, int]) { s.Clear() },
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			s, _ := newShard(0)
			_, _, f, _ := s.Begin("k", 0)
			write(s)
			if _, _, f2, _ := s.Begin("k", 0); f2 == f {
				t.Fatalf("a miss after %s joined the superseded flight", name)
			}
			s.Finish("k", 0, f, OutcomeValue, 1, 1, 0)
			if v, ok := s.Peek("k", 0); ok && v == 1 {
				t.Fatalf("a load superseded by %s was stored", name)
			}
		})
	}
}

func TestGetOrSetKeepingValueDoesNotSupersede(t *testing.T) {
	s, _ := newShard(0)
	s.Set("k", 0, 1, 1, 0, false)
	f := s.BeginRefresh("k", 0, 1)
	if f == nil {
		t.Fatal("BeginRefresh refused a live entry written at 1")
	}
	if _, found, _ := s.Set("k", 0, 5, 1, 0, true); !found {
		t.Fatal("GetOrSet did not find the live value")
	}
	s.Finish("k", 0, f, OutcomeValue, 2, 1, 0)
	if v, _ := s.Peek("k", 0); v != 2 {
		t.Fatalf("after the refresh Peek = %d, want 2", v)
	}
}

func TestBeginRefreshConditions(t *testing.T) {
	s, clk := newShard(0)
	if s.BeginRefresh("k", 0, 0) != nil {
		t.Fatal("refresh of an absent key")
	}
	s.Set("k", 0, 1, 1, 0, false)
	clk.now = 5
	if s.BeginRefresh("k", 0, 4) != nil {
		t.Fatal("refresh though the entry was written at another time")
	}
	f := s.BeginRefresh("k", 0, 1)
	if f == nil {
		t.Fatal("no refresh for a live entry")
	}
	if s.BeginRefresh("k", 0, 1) != nil {
		t.Fatal("second refresh while one is in flight")
	}
	s.Finish("k", 0, f, OutcomeDiscard, 0, 0, 0)
	if v, _ := s.Peek("k", 0); v != 1 {
		t.Fatalf("a discarded refresh changed the value to %d", v)
	}
	if _, _, w := s.Read("k", 0); w != 1 {
		t.Fatalf("write time %d, want 1", w)
	}
}

func TestNegativeEntries(t *testing.T) {
	s, clk := newShard(0)
	_, _, f, _ := s.Begin("k", 0)
	s.Finish("k", 0, f, OutcomeNegative, 0, 1, 10)
	if _, found, _ := s.Read("k", 0); found != FoundNegative {
		t.Fatalf("Read found %v, want FoundNegative", found)
	}
	if _, ok := s.Get("k", 0); ok {
		t.Fatal("Get reported a negative entry as a value")
	}
	if _, ok := s.Peek("k", 0); ok {
		t.Fatal("Peek reported a negative entry as a value")
	}
	if _, ok, _ := s.Lookup("k", 0); ok {
		t.Fatal("Lookup reported a negative entry as a value")
	}
	if got := s.AppendLive(nil); len(got) != 0 {
		t.Fatalf("AppendLive yielded %v", got)
	}
	if _, found, f, _ := s.Begin("k", 0); found != FoundNegative || f != nil {
		t.Fatalf("Begin = %v, %p; want FoundNegative and no flight", found, f)
	}
	c := s.Counters()
	if c.NegativeHits != 2 || c.Hits != 0 || c.Misses != 0 || c.Len != 1 {
		t.Fatalf("counters %+v; want two negative hits (Read, Get) and one entry", c)
	}
	// GetOrSet treats the negative entry as absent and does not report it
	// as replaced: it had no value.
	_, found, removed := s.Set("k", 0, 3, 1, 0, true)
	if found || removed.Len() != 0 {
		t.Fatalf("GetOrSet over a negative entry: found %v, %d removals", found, removed.Len())
	}
	if v, ok := s.Get("k", 0); !ok || v != 3 {
		t.Fatalf("Get = %v, %v; want 3", v, ok)
	}
	// Expiry of a negative entry.
	_, _, f, _ = s.Begin("n", 0)
	s.Finish("n", 0, f, OutcomeNegative, 0, 1, 10)
	clk.now = 100
	if _, found, _ := s.Read("n", 0); found != FoundNothing {
		t.Fatalf("expired negative entry read as %v", found)
	}
	if found, _ := s.Delete("n", 0); found {
		t.Fatal("Delete reported a negative entry as a live value")
	}
}

func TestFinishNegativeOverValueReportsDeletion(t *testing.T) {
	s, _ := newShard(0)
	s.Set("k", 0, 1, 1, 0, false)
	f := s.BeginRefresh("k", 0, 1)
	removed := s.Finish("k", 0, f, OutcomeNegative, 0, 1, 10)
	e := removed.PopFront()
	if e == nil || e.Value() != 1 || e.Reason() != entry.ReasonDeleted {
		t.Fatalf("removal %v; want value 1 deleted", e)
	}
	f = s.BeginRefresh("k", 0, 1)
	if f != nil {
		t.Fatal("refresh of a negative entry")
	}
	s.Set("v", 0, 1, 1, 0, false)
	_, _, f, _ = s.Begin("x", 0)
	s.Finish("x", 0, f, OutcomeRemove, 0, 0, 0)
	f = s.BeginRefresh("v", 0, 1)
	removed = s.Finish("v", 0, f, OutcomeRemove, 0, 0, 0)
	if e := removed.PopFront(); e == nil || e.Reason() != entry.ReasonDeleted {
		t.Fatalf("OutcomeRemove reported %v", e)
	}
	if _, ok := s.Peek("v", 0); ok {
		t.Fatal("OutcomeRemove left the value")
	}
}

func TestClosedShardRefusesFlights(t *testing.T) {
	s, _ := newShard(0)
	_, _, f, _ := s.Begin("k", 0)
	s.Close()
	if _, _, f2, _ := s.Begin("k", 0); f2 != nil {
		t.Fatal("Begin on a closed shard returned a flight")
	}
	s.Finish("k", 0, f, OutcomeValue, 1, 1, 0)
	if s.Len() != 0 {
		t.Fatal("Finish stored into a closed shard")
	}
}

func TestEnumStrings(t *testing.T) {
	for want, got := range map[string]string{
		"FoundNothing":    FoundNothing.String(),
		"FoundValue":      FoundValue.String(),
		"FoundNegative":   FoundNegative.String(),
		"Found(9)":        Found(9).String(),
		"OutcomeDiscard":  OutcomeDiscard.String(),
		"OutcomeValue":    OutcomeValue.String(),
		"OutcomeNegative": OutcomeNegative.String(),
		"OutcomeRemove":   OutcomeRemove.String(),
		"Outcome(9)":      Outcome(9).String(),
	} {
		if got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
