package bytecache_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/stratacache/cache/bytecache"
	"github.com/stratacache/cache/metrics"
)

// The typed cache and the store are metrics Sources: the Prometheus and
// OpenTelemetry collectors publish their statistics like the object
// cache's.
func TestMetricsCollectors(t *testing.T) {
	c, err := bytecache.New(bytecache.Options[string, int]{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Set("a", 1)
	c.Get("a")
	c.Get("b")

	reg := prometheus.NewRegistry()
	if err := metrics.Register(reg, "gcfree", c); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if m.GetCounter() != nil && len(m.GetLabel()) == 1 {
				got[f.GetName()] = m.GetCounter().GetValue()
			}
			if m.GetGauge() != nil {
				got[f.GetName()] = m.GetGauge().GetValue()
			}
		}
	}
	if got["strata_cache_hits_total"] != 1 || got["strata_cache_misses_total"] != 1 ||
		got["strata_cache_sets_total"] != 1 || got["strata_cache_entries"] != 1 || got["strata_cache_weight"] <= 0 {
		t.Fatalf("scraped %v", got)
	}

	s, err := bytecache.NewStore(bytecache.StoreOptions{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Set("k", []byte("v"))
	s.Get("k")
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	unregister, err := metrics.RegisterOTel(mp, "store", s)
	if err != nil {
		t.Fatal(err)
	}
	defer unregister()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	hits := int64(-1)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "strata.cache.hits" {
			hits = sum.DataPoints[0].Value
		}
	}
	if hits != 1 {
		t.Fatalf("OpenTelemetry hits = %d, want 1", hits)
	}
}
