// Command otel publishes a cache's statistics and load spans through
// OpenTelemetry: the OpenTelemetry example of docs/metrics.md. It prints
// what a collection and the exported spans hold; a service would hand the
// providers an OTLP exporter instead.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/metrics"
)

func main() {
	ctx := context.Background()

	// The providers your program already has; here, SDK ones that print.
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(printSpans{}))
	defer tp.Shutdown(ctx)

	// Spans: a cache option, since only the cache knows when a load runs.
	users, err := cache.New(cache.Options[int, string]{
		MaxEntries: 10_000,
		TTL:        5 * time.Minute,
		Tracer:     metrics.NewTracer(tp, "users"),
		Load: func(ctx context.Context, id int) (string, error) {
			if id < 0 {
				return "", cache.ErrNotFound
			}
			return fmt.Sprint("user ", id), nil // your database here
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer users.Close()

	// Metrics: read from the cache's Stats at each collection.
	unregister, err := metrics.RegisterOTel(mp, "users", users)
	if err != nil {
		log.Fatal(err)
	}
	defer unregister()

	for _, id := range []int{1, 2, 1, -1} {
		users.GetOrLoad(ctx, id, nil)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, p := range sum.DataPoints {
					fmt.Printf("metric %s{%s} %d\n", m.Name, p.Attributes.Encoded(attribute.DefaultEncoder()), p.Value)
				}
			}
		}
	}
}

// printSpans is a span exporter that prints each span's name and
// attributes.
type printSpans struct{}

func (printSpans) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	for _, s := range spans {
		set := attribute.NewSet(s.Attributes()...)
		fmt.Printf("span %s{%s} took %v\n", s.Name(), set.Encoded(attribute.DefaultEncoder()), s.EndTime().Sub(s.StartTime()))
	}
	return nil
}

func (printSpans) Shutdown(context.Context) error { return nil }
