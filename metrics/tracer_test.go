package metrics

import (
	"context"
	"errors"
	"github.com/stratacache/cache/internal/fakeclock"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/stratacache/cache"
)

func newRecordingProvider(t *testing.T) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	return tp, sr
}

func spanAttrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, a := range s.Attributes() {
		m[a.Key] = a.Value
	}
	return m
}

func TestTracerSpanPerLoad(t *testing.T) {
	tp, sr := newRecordingProvider(t)
	c := cache.Must(cache.New(cache.Options[string, int]{Tracer: NewTracer(tp, "users")}))
	defer c.Close()
	var loaderSpan trace.SpanContext
	ld := cache.LoaderFunc[string, int](func(ctx context.Context, k string) (int, error) {
		loaderSpan = trace.SpanContextFromContext(ctx)
		switch k {
		case "fail":
			return 0, errors.New("backend down")
		case "absent":
			return 0, cache.ErrNotFound
		case "panic":
			panic("boom")
		}
		return 1, nil
	})
	ctx, request := tp.Tracer("test").Start(context.Background(), "request")
	defer request.End()

	if _, err := c.GetOrLoad(ctx, "ok", ld); err != nil {
		t.Fatal(err)
	}
	// The span ends before the caller gets the value.
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans ended after one load, want 1", len(spans))
	}
	s := spans[0]
	if s.Name() != "strata.cache.load" || s.SpanKind() != trace.SpanKindInternal {
		t.Errorf("span %q of kind %v", s.Name(), s.SpanKind())
	}
	if s.Parent().SpanID() != request.SpanContext().SpanID() {
		t.Error("the load span is not a child of the caller's span")
	}
	if loaderSpan.SpanID() != s.SpanContext().SpanID() {
		t.Error("the loader's context does not carry the load span")
	}
	a := spanAttrs(s)
	if a["cache.name"].AsString() != "users" || a["cache.load.keys"].AsInt64() != 1 ||
		a["cache.load.bulk"].AsBool() || a["result"].AsString() != "success" {
		t.Errorf("attributes %v", a)
	}
	if _, ok := a["cache.level"]; ok {
		t.Error("a Cache's load names a level")
	}
	if s.Status().Code != codes.Unset {
		t.Errorf("status %v", s.Status())
	}

	// Hits make no spans.
	c.Get("ok")
	c.GetOrLoad(ctx, "ok", ld)
	if n := len(sr.Ended()); n != 1 {
		t.Fatalf("hits made %d spans", n-1)
	}

	for _, tc := range []struct {
		key, result string
		status      codes.Code
	}{
		{"fail", "failure", codes.Error},
		{"absent", "not_found", codes.Unset},
		{"panic", "panic", codes.Error},
	} {
		sr.Reset()
		c.GetOrLoad(ctx, tc.key, ld)
		spans := sr.Ended()
		if len(spans) != 1 {
			t.Fatalf("%s: %d spans", tc.key, len(spans))
		}
		s := spans[0]
		if got := spanAttrs(s)["result"].AsString(); got != tc.result || s.Status().Code != tc.status {
			t.Errorf("%s: result %q, status %v; want %q, %v", tc.key, got, s.Status(), tc.result, tc.status)
		}
		if recorded := len(s.Events()) > 0; recorded != (tc.status == codes.Error) {
			t.Errorf("%s: error event recorded: %v", tc.key, recorded)
		}
	}
}

func TestTracerBulkLoadSpan(t *testing.T) {
	tp, sr := newRecordingProvider(t)
	c := cache.Must(cache.New(cache.Options[string, int]{Tracer: NewTracer(tp, "users")}))
	defer c.Close()
	bl := cache.BulkLoaderFunc[string, int](func(_ context.Context, keys []string) (map[string]int, error) {
		return map[string]int{keys[0]: 1}, nil
	})
	if _, err := c.GetMany(context.Background(), []string{"a", "b", "c"}, bl); err != nil {
		t.Fatal(err)
	}
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans for one bulk load", len(spans))
	}
	a := spanAttrs(spans[0])
	if a["cache.load.keys"].AsInt64() != 3 || !a["cache.load.bulk"].AsBool() || a["result"].AsString() != "success" {
		t.Errorf("attributes %v", a)
	}
}

func TestTracerRefreshSpan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp, sr := newRecordingProvider(t)
		clk := fakeclock.New()
		c := cache.Must(cache.New(cache.Options[string, int]{
			Tracer:       NewTracer(tp, "users"),
			Clock:        clk,
			RefreshAfter: time.Minute,
			Load:         func(context.Context, string) (int, error) { return 2, nil },
		}))
		defer c.Close()
		c.Set("k", 1)
		clk.Advance(2 * time.Minute)
		if v, _ := c.Get("k"); v != 1 {
			t.Fatalf("stale Get = %d, want the old 1", v)
		}
		synctest.Wait() // the refresh runs in the background
		spans := sr.Ended()
		if len(spans) != 1 || spans[0].Name() != "strata.cache.refresh" {
			t.Fatalf("spans after a stale hit: %v", spans)
		}
		if r := spanAttrs(spans[0])["result"].AsString(); r != "success" {
			t.Errorf("refresh result %q", r)
		}
	})
}

func TestTracerLevelAttribute(t *testing.T) {
	tp, sr := newRecordingProvider(t)
	_, end := NewTracer(tp, "users").StartLoad(context.Background(), cache.LoadInfo{Keys: 1, Level: "l2"})
	end(nil)
	spans := sr.Ended()
	if len(spans) != 1 || spanAttrs(spans[0])["cache.level"].AsString() != "l2" {
		t.Fatalf("a load naming level l2: %v", spans)
	}
}

func TestNewTracerChecksItsArguments(t *testing.T) {
	tp, _ := newRecordingProvider(t)
	assertPanics(t, ErrNoProvider, func() { NewTracer(nil, "c") })
	assertPanics(t, ErrNoName, func() { NewTracer(tp, "") })
}
