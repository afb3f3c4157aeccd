// Package metrics publishes a Strata cache's statistics to Prometheus and
// OpenTelemetry, and records its loads as OpenTelemetry spans.
//
// Everything here reads the cache's Stats snapshot when the monitoring
// system asks for it — at scrape or collection time — so a cache pays
// nothing per operation for being observed: hits and misses are counted by
// the cache anyway, and the load-latency histogram is part of its Stats.
// Tracing is the exception: a span per load needs the cache to say when a
// load starts and ends, which it does through Options.Tracer (see
// NewTracer); even then a hit costs nothing.
//
//   - Prometheus: Register, MustRegister or NewCollector, with a
//     prometheus.Registerer of your choice (no global registry is used).
//   - OpenTelemetry metrics: RegisterOTel, with a metric.MeterProvider.
//   - OpenTelemetry traces: NewTracer, with a trace.TracerProvider, set as
//     cache.Options.Tracer.
//
// A multi-level cache (package multilevel) is registered through
// Multilevel, which adds series for its store and its loader, labelled by
// level; any Source can do the same by implementing LevelSource.
//
// Each cache is named when it is registered; the name becomes the cache
// label (Prometheus) or the cache.name attribute (OpenTelemetry), so one
// registry or provider can hold many caches. docs/metrics.md lists every
// series.
package metrics
