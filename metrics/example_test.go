package metrics_test

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/metrics"
	"github.com/stratacache/cache/multilevel"
)

// One call registers a cache with a Prometheus registry; the series are
// read from the cache's Stats at each scrape.
func ExampleMustRegister() {
	c := cache.Must(cache.New(cache.Options[string, int]{MaxEntries: 1000}))
	defer c.Close()

	reg := prometheus.NewRegistry()
	metrics.MustRegister(reg, "users", c)

	c.Set("ada", 1)
	c.Get("ada")
	c.Get("grace")

	families, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, f := range families {
		fmt.Println(f.GetName(), f.GetType())
		if f.GetName() == "strata_cache_hits_total" {
			m := f.GetMetric()[0]
			fmt.Printf("  %s=%s: %v\n", m.GetLabel()[0].GetName(), m.GetLabel()[0].GetValue(), m.GetCounter().GetValue())
		}
	}
	// Output:
	// strata_cache_entries GAUGE
	// strata_cache_hits_total COUNTER
	//   cache=users: 1
	// strata_cache_load_duration_seconds HISTOGRAM
	// strata_cache_loads_total COUNTER
	// strata_cache_misses_total COUNTER
	// strata_cache_negative_hits_total COUNTER
	// strata_cache_refreshes_total COUNTER
	// strata_cache_removals_total COUNTER
	// strata_cache_sets_total COUNTER
	// strata_cache_weight GAUGE
}

// RegisterOTel publishes the same statistics as OpenTelemetry asynchronous
// instruments of the MeterProvider it is given. A ManualReader stands in
// for an exporter here.
func ExampleRegisterOTel() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	c := cache.Must(cache.New(cache.Options[string, int]{MaxEntries: 1000}))
	defer c.Close()
	unregister, err := metrics.RegisterOTel(mp, "users", c)
	if err != nil {
		panic(err)
	}
	defer unregister()

	c.Set("ada", 1)
	c.Get("ada")

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		panic(err)
	}
	var lines []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		line := m.Name + " (" + m.Unit + ")"
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "strata.cache.hits" {
			line += fmt.Sprintf(" = %d", sum.DataPoints[0].Value)
		}
		lines = append(lines, line)
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// strata.cache.entries ({entry})
	// strata.cache.hits ({hit}) = 1
	// strata.cache.load.time (s)
	// strata.cache.loads ({load})
	// strata.cache.misses ({miss})
	// strata.cache.negative_hits ({hit})
	// strata.cache.refreshes ({refresh})
	// strata.cache.removals ({entry})
	// strata.cache.sets ({set})
	// strata.cache.weight ({weight})
}

// NewTracer makes each load a span; hits make none. A SpanRecorder stands
// in for an exporter here.
func ExampleNewTracer() {
	recorder := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	defer tp.Shutdown(context.Background())

	c := cache.Must(cache.New(cache.Options[string, int]{
		Tracer: metrics.NewTracer(tp, "users"),
		Load: func(_ context.Context, name string) (int, error) {
			if name == "nobody" {
				return 0, cache.ErrNotFound
			}
			return len(name), nil
		},
	}))
	defer c.Close()

	ctx := context.Background()
	c.GetOrLoad(ctx, "ada", nil)    // a miss: loaded, one span
	c.GetOrLoad(ctx, "ada", nil)    // a hit: no span
	c.GetOrLoad(ctx, "nobody", nil) // a load that finds nothing

	for _, s := range recorder.Ended() {
		for _, a := range s.Attributes() {
			if a.Key == "result" {
				fmt.Println(s.Name(), a.Value.AsString())
			}
		}
	}
	// Output:
	// strata.cache.load success
	// strata.cache.load not_found
}

// A multi-level cache is registered through Multilevel, which adds
// per-level series for its store ("l2") and its loader ("origin").
func ExampleMultilevel() {
	users, err := multilevel.New(multilevel.Options[int, string]{
		Load: func(_ context.Context, id int) (string, error) { return fmt.Sprint("user ", id), nil },
	})
	if err != nil {
		panic(err)
	}
	defer users.Close()
	users.Get(context.Background(), 1)

	reg := prometheus.NewRegistry()
	metrics.MustRegister(reg, "users", metrics.Multilevel(users))
	families, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "strata_cache_level_") {
			for _, m := range f.GetMetric() {
				var labels []string
				for _, l := range m.GetLabel() {
					if l.GetName() != "cache" {
						labels = append(labels, l.GetName()+"="+l.GetValue())
					}
				}
				value := m.GetCounter().GetValue() + m.GetGauge().GetValue()
				fmt.Println(f.GetName(), strings.Join(labels, ","), value)
			}
		}
	}
	// Output:
	// strata_cache_level_breaker_state level=l2,state=closed 1
	// strata_cache_level_breaker_state level=l2,state=half_open 0
	// strata_cache_level_breaker_state level=l2,state=open 0
	// strata_cache_level_decode_errors_total level=l2 0
	// strata_cache_level_errors_total level=l2 0
	// strata_cache_level_hits_total level=l2 0
	// strata_cache_level_loads_total level=origin,result=error 0
	// strata_cache_level_loads_total level=origin,result=found 1
	// strata_cache_level_loads_total level=origin,result=not_found 0
	// strata_cache_level_misses_total level=l2 1
	// strata_cache_level_type_mismatches_total level=l2 0
}
