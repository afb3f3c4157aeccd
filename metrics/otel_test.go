package metrics

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/stratacache/cache/multilevel"
)

// otelPoint is one collected data point, flattened.
type otelPoint struct {
	value     float64
	unit      string
	monotonic bool // a monotonic sum, i.e. a counter
	gauge     bool
}

// collectOTel collects r and flattens it to
// "name{key=value,...}" → point, attributes sorted.
func collectOTel(t *testing.T, r *sdkmetric.ManualReader) map[string]otelPoint {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	out := map[string]otelPoint{}
	key := func(name string, set attribute.Set) string {
		var kv []string
		for _, a := range set.ToSlice() {
			kv = append(kv, string(a.Key)+"="+a.Value.String())
		}
		sort.Strings(kv)
		return name + "{" + strings.Join(kv, ",") + "}"
	}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != instrumentationName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, instrumentationName)
		}
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[key(m.Name, p.Attributes)] = otelPoint{float64(p.Value), m.Unit, d.IsMonotonic, false}
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					out[key(m.Name, p.Attributes)] = otelPoint{p.Value, m.Unit, d.IsMonotonic, false}
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					out[key(m.Name, p.Attributes)] = otelPoint{float64(p.Value), m.Unit, false, true}
				}
			default:
				t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	return out
}

func newManualProvider(t *testing.T) (*sdkmetric.MeterProvider, *sdkmetric.ManualReader) {
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	return mp, r
}

func TestRegisterOTelObservesEveryStat(t *testing.T) {
	mp, r := newManualProvider(t)
	unregister, err := RegisterOTel(mp, "users", &fakeSource{distinctStats()})
	if err != nil {
		t.Fatal(err)
	}
	got := collectOTel(t, r)
	counter := func(v float64, unit string) otelPoint { return otelPoint{v, unit, true, false} }
	want := map[string]otelPoint{
		"strata.cache.hits{cache.name=users}":                     counter(11, "{hit}"),
		"strata.cache.misses{cache.name=users}":                   counter(12, "{miss}"),
		"strata.cache.negative_hits{cache.name=users}":            counter(13, "{hit}"),
		"strata.cache.sets{cache.name=users}":                     counter(14, "{set}"),
		"strata.cache.entries{cache.name=users}":                  {15, "{entry}", false, false},
		"strata.cache.weight{cache.name=users}":                   {16, "{weight}", false, false},
		"strata.cache.loads{cache.name=users,result=success}":     counter(21, "{load}"),
		"strata.cache.loads{cache.name=users,result=failure}":     counter(22, "{load}"),
		"strata.cache.loads{cache.name=users,result=panic}":       counter(23, "{load}"),
		"strata.cache.refreshes{cache.name=users,result=success}": counter(24, "{refresh}"),
		"strata.cache.refreshes{cache.name=users,result=failure}": counter(25, "{refresh}"),
		"strata.cache.removals{cache.name=users,reason=capacity}": counter(31, "{entry}"),
		"strata.cache.removals{cache.name=users,reason=expired}":  counter(32, "{entry}"),
		"strata.cache.removals{cache.name=users,reason=deleted}":  counter(33, "{entry}"),
		"strata.cache.removals{cache.name=users,reason=replaced}": counter(34, "{entry}"),
		"strata.cache.removals{cache.name=users,reason=cleared}":  counter(35, "{entry}"),
		"strata.cache.load.time{cache.name=users}":                counter(1.5, "s"),
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s = %+v (present: %v), want %+v", k, g, ok, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d points, want %d: %v", len(got), len(want), got)
	}

	if err := unregister(); err != nil {
		t.Fatal(err)
	}
	if got := collectOTel(t, r); len(got) != 0 {
		t.Fatalf("after unregister the cache is still observed: %v", got)
	}
}

func TestRegisterOTelTwoCachesOneProvider(t *testing.T) {
	mp, r := newManualProvider(t)
	a, b := &fakeSource{}, &fakeSource{}
	a.st.Hits, b.st.Hits = 1, 2
	for name, src := range map[string]*fakeSource{"a": a, "b": b} {
		if _, err := RegisterOTel(mp, name, src); err != nil {
			t.Fatal(err)
		}
	}
	got := collectOTel(t, r)
	if got["strata.cache.hits{cache.name=a}"].value != 1 || got["strata.cache.hits{cache.name=b}"].value != 2 {
		t.Fatalf("two caches on one provider: %v", got)
	}
}

func TestRegisterOTelLevels(t *testing.T) {
	mp, r := newManualProvider(t)
	src := &fakeLevels{levels: []LevelStats{
		{Level: "l2", Hits: 1, Misses: 2, Errors: 3, DecodeErrors: 4, TypeMismatches: 6, Breaker: multilevel.BreakerOpen},
		{Level: "origin", Loader: true, Hits: 6, Misses: 7, Errors: 5},
	}}
	if _, err := RegisterOTel(mp, "users", src); err != nil {
		t.Fatal(err)
	}
	got := collectOTel(t, r)
	want := map[string]float64{
		"strata.cache.level.hits{cache.level=l2,cache.name=users}":                          1,
		"strata.cache.level.misses{cache.level=l2,cache.name=users}":                        2,
		"strata.cache.level.errors{cache.level=l2,cache.name=users}":                        3,
		"strata.cache.level.decode_errors{cache.level=l2,cache.name=users}":                 4,
		"strata.cache.level.type_mismatches{cache.level=l2,cache.name=users}":               6,
		"strata.cache.level.breaker.state{cache.level=l2,cache.name=users,state=closed}":    0,
		"strata.cache.level.breaker.state{cache.level=l2,cache.name=users,state=open}":      1,
		"strata.cache.level.breaker.state{cache.level=l2,cache.name=users,state=half_open}": 0,
		"strata.cache.level.loads{cache.level=origin,cache.name=users,result=found}":        6,
		"strata.cache.level.loads{cache.level=origin,cache.name=users,result=not_found}":    7,
		"strata.cache.level.loads{cache.level=origin,cache.name=users,result=error}":        5,
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g.value != w {
			t.Errorf("%s = %v (present: %v), want %v", k, g.value, ok, w)
		}
	}
	for k, p := range got {
		if strings.HasPrefix(k, "strata.cache.level.breaker.state") {
			if !p.gauge {
				t.Errorf("%s is not a gauge", k)
			}
		}
		if loads := strings.HasPrefix(k, "strata.cache.level.loads{"); strings.HasPrefix(k, "strata.cache.level.") && strings.Contains(k, "cache.level=origin") != loads {
			t.Errorf("unexpected %s", k)
		}
	}
}

func TestRegisterOTelChecksItsArguments(t *testing.T) {
	mp, _ := newManualProvider(t)
	src := &fakeSource{}
	for _, tc := range []struct {
		name string
		src  Source
		want error
	}{
		{"", src, ErrNoName},
		{"c", nil, ErrNoSource},
	} {
		if _, err := RegisterOTel(mp, tc.name, tc.src); !errors.Is(err, tc.want) {
			t.Errorf("RegisterOTel(mp, %q, %v) = %v, want %v", tc.name, tc.src, err, tc.want)
		}
	}
	if _, err := RegisterOTel(nil, "c", src); !errors.Is(err, ErrNoProvider) {
		t.Errorf("RegisterOTel(nil, ...) = %v, want ErrNoProvider", err)
	}
}
