package metrics

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/stratacache/cache"
)

// Tracer records a cache's loads as OpenTelemetry spans. It is a
// cache.Tracer: set it as Options.Tracer. Make one with NewTracer.
//
// Each loader call is a span named strata.cache.load, or
// strata.cache.refresh for a background reload, started on the load's
// goroutine as a child of the span in the first caller's context, and
// ended when the loader returns, before any caller gets the value. The
// loader's context carries the span, so spans the loader starts (a
// database query, say) are its children. Attributes: cache.name,
// cache.level (when the load names one), cache.load.keys,
// cache.load.bulk, and result: success, not_found, failure or panic. A
// failure or panic sets the span's status to Error and records the error.
//
// Hits make no spans and cost nothing; a load costs one span.
type Tracer struct {
	tracer trace.Tracer
	name   attribute.KeyValue
}

// NewTracer returns a Tracer that makes spans with a tracer from tp, for
// the cache called name. It panics with ErrNoProvider if tp is nil, or
// ErrNoName if name is empty.
func NewTracer(tp trace.TracerProvider, name string) *Tracer {
	switch {
	case tp == nil:
		panic(ErrNoProvider)
	case name == "":
		panic(ErrNoName)
	}
	return &Tracer{tracer: tp.Tracer(instrumentationName), name: attribute.String("cache.name", name)}
}

// StartLoad starts a span for a load; see Tracer.
func (t *Tracer) StartLoad(ctx context.Context, load cache.LoadInfo) (context.Context, func(error)) {
	spanName := "strata.cache.load"
	if load.Refresh {
		spanName = "strata.cache.refresh"
	}
	attrs := make([]attribute.KeyValue, 0, 4)
	attrs = append(attrs, t.name)
	if load.Level != "" {
		attrs = append(attrs, attribute.String("cache.level", load.Level))
	}
	attrs = append(attrs, attribute.Int("cache.load.keys", load.Keys), attribute.Bool("cache.load.bulk", load.Bulk))
	ctx, span := t.tracer.Start(ctx, spanName, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	return ctx, func(err error) {
		result := loadResult(err)
		span.SetAttributes(attribute.String("result", result))
		if result == "failure" || result == "panic" {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}

// loadResult names the outcome of a load for a span's result attribute.
func loadResult(err error) string {
	var pe *cache.PanicError
	switch {
	case err == nil:
		return "success"
	case errors.As(err, &pe) || errors.Is(err, cache.ErrLoaderExited):
		return "panic"
	case errors.Is(err, cache.ErrNotFound):
		return "not_found"
	}
	return "failure"
}

var _ cache.Tracer = (*Tracer)(nil)
