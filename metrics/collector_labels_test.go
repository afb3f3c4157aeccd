package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// A LevelSource whose level name is not valid UTF-8 cannot be published
// as a label value: a scrape reports that as an error, and never panics
// (the registry collects on goroutines of its own, where a panic would
// end the program).
func TestCollectorLevelNameNotUTF8IsAnError(t *testing.T) {
	src := &fakeLevels{fakeSource: fakeSource{st: distinctStats()}, levels: []LevelStats{{Level: "l\xff2", Hits: 1}}}
	c := NewCollector("c", src)
	ch := make(chan prometheus.Metric, 256)
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("Collect panicked: %v", r)
			}
		}()
		c.Collect(ch)
	}()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	if _, err := reg.Gather(); err == nil {
		t.Fatal("Gather of a level named with invalid UTF-8 succeeded; want an error")
	}
}
