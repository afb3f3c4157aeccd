package cache

import "context"

// Tracer observes loader calls, to record them as trace spans. The cache
// calls it only when a loader runs, never on a hit, so a cache with no
// Tracer pays nothing and one with a Tracer pays one StartLoad and one end
// call per load. metrics.NewTracer adapts an OpenTelemetry TracerProvider.
type Tracer interface {
	// StartLoad is called on the load's goroutine just before the loader
	// runs, with the context the loader would get. It returns the context
	// the loader gets instead (one carrying a span, say) and a function,
	// possibly nil, that the cache calls once when the loader is done,
	// still on that goroutine, before any caller waiting for the load is
	// released. end's err is nil for a success, the loader's error (one
	// wrapping ErrNotFound for a key that does not exist), a *PanicError
	// if it panicked, or ErrLoaderExited. Neither may block or panic; a
	// panic in StartLoad fails the load as the loader's own would.
	StartLoad(ctx context.Context, load LoadInfo) (loadCtx context.Context, end func(err error))
}

// LoadInfo describes a loader call to a Tracer.
type LoadInfo struct {
	// Keys is the number of keys the call loads: 1 for a Loader, the
	// batch size for a BulkLoader.
	Keys int
	// Bulk reports a BulkLoader call (GetMany) rather than a Loader call.
	Bulk bool
	// Refresh reports a background reload of stale values (see
	// Options.RefreshAfter), which no caller waits for.
	Refresh bool
	// Level names the tier a load asks, for caches built of several (a
	// multi-level cache's remote store, say). A Cache leaves it empty.
	Level string
}

// startTrace tells the Tracer, if any, that a load starts, and returns the
// loader's context and the function that ends the trace (nil if none).
func (c *core[K, V]) startTrace(ctx context.Context, load LoadInfo) (context.Context, func(error)) {
	if c.tracer == nil {
		return ctx, nil
	}
	return c.tracer.StartLoad(ctx, load)
}
