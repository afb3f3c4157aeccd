package shard

import (
	"testing"
)

// appendSaved copies live values with their remaining lifetime and age,
// and leaves out expired and negative entries.
func TestAppendSaved(t *testing.T) {
	s, clk := newShard(0)
	s.Set("forever", 0, 1, 1, 0, false)
	clk.now += 10
	s.Set("timed", 0, 2, 1, 100, false)
	s.Set("gone", 0, 3, 1, 5, false)
	_, _, f, _ := s.Begin("neg", 0)
	s.Finish("neg", 0, f, OutcomeNegative, 0, 1, 0)
	clk.now += 5 // "gone" expires now

	got := map[string]savedEntry[string, int]{}
	for _, e := range s.appendSaved(nil) {
		got[e.Key] = e
	}
	want := map[string]savedEntry[string, int]{
		"forever": {Key: "forever", Value: 1, TTL: 0, Age: 15},
		"timed":   {Key: "timed", Value: 2, TTL: 95, Age: 5},
	}
	if len(got) != len(want) {
		t.Fatalf("saved %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: saved %+v, want %+v", k, got[k], w)
		}
	}
}
