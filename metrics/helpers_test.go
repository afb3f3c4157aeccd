package metrics

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stratacache/cache"
)

// fakeSource returns fixed Stats, so tests can tell every field apart.
type fakeSource struct{ st cache.Stats }

func (f *fakeSource) Stats() cache.Stats { return f.st }

// fakeLevels is a fakeSource with levels below it.
type fakeLevels struct {
	fakeSource
	levels []LevelStats
}

func (f *fakeLevels) Levels() []LevelStats { return f.levels }

// distinctStats has a different value in every counter.
func distinctStats() cache.Stats {
	st := cache.Stats{
		Hits: 11, Misses: 12, NegativeHits: 13, Sets: 14,
		Entries: 15, Weight: 16,
		LoadsSucceeded: 21, LoadsFailed: 22, LoadsPanicked: 23,
		RefreshesSucceeded: 24, RefreshesFailed: 25,
		LoadTime: 1500 * time.Millisecond,
	}
	for r := range st.Removed {
		st.Removed[r] = uint64(31 + r)
	}
	st.LoadBuckets[0] = 40                     // ≤ 100µs
	st.LoadBuckets[3] = 2                      // ≤ 1ms
	st.LoadBuckets[cache.NumLoadBuckets-1] = 4 // slower than 10s
	return st
}

// gather collects reg and flattens it to "name{label=value,...}" → value,
// labels sorted; histograms become their _bucket, _sum and _count series.
func gather(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			series := func(name string, extra ...string) string {
				ls := append(append([]string(nil), labels...), extra...)
				sort.Strings(ls)
				return name + "{" + strings.Join(ls, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[series(f.GetName())] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[series(f.GetName())] = m.Gauge.GetValue()
			case m.Histogram != nil:
				h := m.Histogram
				for _, b := range h.GetBucket() {
					out[series(f.GetName()+"_bucket", fmt.Sprintf("le=%g", b.GetUpperBound()))] = float64(b.GetCumulativeCount())
				}
				out[series(f.GetName()+"_sum")] = h.GetSampleSum()
				out[series(f.GetName()+"_count")] = float64(h.GetSampleCount())
			default:
				t.Fatalf("%s: unexpected metric type %v", f.GetName(), f.GetType())
			}
		}
	}
	return out
}

// formatFloat prints a bound as gather does.
func formatFloat(f float64) string { return fmt.Sprintf("%g", f) }
