package cache

import (
	"fmt"
	"testing"
	"time"
)

// Every counter of Stats appears in its String under its field's name, and
// removals under their reasons' names, so a printed Stats needs no
// decoding.
func TestStatsString(t *testing.T) {
	st := Stats{
		Hits: 11, Misses: 12, NegativeHits: 13, Sets: 14, Entries: 15, Weight: 16,
		LoadsSucceeded: 21, LoadsFailed: 22, LoadsPanicked: 23,
		RefreshesSucceeded: 24, RefreshesFailed: 25, LoadTime: 1500 * time.Millisecond,
	}
	for r := range st.Removed {
		st.Removed[r] = uint64(31 + r)
	}
	st.LoadBuckets[0] = 40
	st.LoadBuckets[3] = 2
	st.LoadBuckets[NumLoadBuckets-1] = 4
	want := "{Hits:11 Misses:12 NegativeHits:13 Sets:14 " +
		"Removed:[capacity:31 expired:32 deleted:33 replaced:34 cleared:35] Entries:15 Weight:16 " +
		"LoadsSucceeded:21 LoadsFailed:22 LoadsPanicked:23 RefreshesSucceeded:24 RefreshesFailed:25 " +
		"LoadTime:1.5s LoadBuckets:[<=100µs:40 <=1ms:2 >10s:4]}"
	if got := st.String(); got != want {
		t.Errorf("String()\n got %s\nwant %s", got, want)
	}
	// %v and %+v print the same; so does a Stats inside another struct.
	if got := fmt.Sprintf("%+v", st); got != want {
		t.Errorf("%%+v prints %s", got)
	}
	if got := fmt.Sprintf("%v", struct{ L1 Stats }{st}); got != "{"+want+"}" {
		t.Errorf("nested: %s", got)
	}
	if got := st.Removed.Total(); got != 31+32+33+34+35 {
		t.Errorf("Removed.Total() = %d", got)
	}
	if got := (Stats{}).String(); got != "{Hits:0 Misses:0 NegativeHits:0 Sets:0 "+
		"Removed:[capacity:0 expired:0 deleted:0 replaced:0 cleared:0] Entries:0 Weight:0 "+
		"LoadsSucceeded:0 LoadsFailed:0 LoadsPanicked:0 RefreshesSucceeded:0 RefreshesFailed:0 LoadTime:0s LoadBuckets:[]}" {
		t.Errorf("zero Stats prints %s", got)
	}
}
