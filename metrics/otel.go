package metrics

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/multilevel"
)

// instrumentationName names the meter and tracer this package asks its
// providers for.
const instrumentationName = "github.com/stratacache/cache/metrics"

// RegisterOTel creates asynchronous instruments for src's statistics with
// a meter from mp, every observation carrying the attribute
// cache.name=name. They read one Stats snapshot per collection, in a
// single callback: the cache does no extra work per operation. Call
// unregister to stop observing src; the instruments stay, so a cache of
// the same name can be registered again.
//
// It returns ErrNoName, ErrNoSource or ErrNoProvider for an empty name, a
// nil src or a nil mp, or the meter's error. Names must differ between the
// caches registered with one provider. If src is a LevelSource, its
// per-level instruments are observed too.
//
// OpenTelemetry has no asynchronous histogram: load latency is published
// as strata.cache.load.time, the total time loads took, next to
// strata.cache.loads; the latency of each load is on its span (NewTracer).
func RegisterOTel(mp metric.MeterProvider, name string, src Source) (unregister func() error, err error) {
	if err := check(name, src); err != nil {
		return nil, err
	}
	if mp == nil {
		return nil, ErrNoProvider
	}
	o := newOTelSet(mp.Meter(instrumentationName), name, src)
	if o.err != nil {
		return nil, o.err
	}
	reg, err := o.meter.RegisterCallback(o.observe, o.instruments...)
	if err != nil {
		return nil, err
	}
	return reg.Unregister, nil
}

// otelSet is the instruments of one registered cache and the attribute
// sets of its observations, made once so that collecting allocates
// little.
type otelSet struct {
	meter       metric.Meter
	src         Source
	levels      LevelSource // src, if it has levels; else nil
	name        string
	instruments []metric.Observable
	err         error // the first error making an instrument

	hits, misses, negativeHits, sets metric.Int64ObservableCounter
	removals, loads, refreshes       metric.Int64ObservableCounter
	loadTime                         metric.Float64ObservableCounter
	entries, weight                  metric.Int64ObservableUpDownCounter

	levelHits, levelMisses, levelErrors, levelDecodeErrors metric.Int64ObservableCounter
	levelTypeMismatches                                    metric.Int64ObservableCounter
	levelLoads                                             metric.Int64ObservableCounter
	levelBreaker                                           metric.Int64ObservableGauge

	cacheOnly metric.ObserveOption
	reasons   [cache.NumReasons]metric.ObserveOption
	// loadResults: success, failure, panic; refreshes use the first two.
	loadResults [3]metric.ObserveOption
}

func newOTelSet(m metric.Meter, name string, src Source) *otelSet {
	o := &otelSet{meter: m, src: src, name: name}
	counter := func(name, unit, desc string) metric.Int64ObservableCounter {
		i, err := m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		o.add(i, err)
		return i
	}
	o.hits = counter("strata.cache.hits", "{hit}", "Lookups that found a value.")
	o.misses = counter("strata.cache.misses", "{miss}", "Lookups that found no value.")
	o.negativeHits = counter("strata.cache.negative_hits", "{hit}", "Lookups that found a cached not-found answer.")
	o.sets = counter("strata.cache.sets", "{set}", "Values stored, by writes and by loads.")
	o.removals = counter("strata.cache.removals", "{entry}", "Entries that left the cache, by reason; capacity and expired are evictions.")
	o.loads = counter("strata.cache.loads", "{load}", "Loader calls, refreshes included, by result: success (not found included), failure or panic.")
	o.refreshes = counter("strata.cache.refreshes", "{refresh}", "Background reloads of stale values, by result: success or failure.")
	loadTime, err := m.Float64ObservableCounter("strata.cache.load.time", metric.WithUnit("s"),
		metric.WithDescription("Total time loader calls took."))
	o.add(loadTime, err)
	o.loadTime = loadTime
	upDown := func(name, unit, desc string) metric.Int64ObservableUpDownCounter {
		i, err := m.Int64ObservableUpDownCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		o.add(i, err)
		return i
	}
	o.entries = upDown("strata.cache.entries", "{entry}", "Entries stored, expired and negative ones included until they are removed.")
	o.weight = upDown("strata.cache.weight", "{weight}", "Total weight of the stored entries (their count without a weigher).")

	cacheName := attribute.String("cache.name", name)
	o.cacheOnly = metric.WithAttributeSet(attribute.NewSet(cacheName))
	for r := range cache.NumReasons {
		o.reasons[r] = metric.WithAttributeSet(attribute.NewSet(cacheName, attribute.String("reason", reasonLabel(cache.Reason(r)))))
	}
	for i, res := range []string{"success", "failure", "panic"} {
		o.loadResults[i] = metric.WithAttributeSet(attribute.NewSet(cacheName, attribute.String("result", res)))
	}

	if ls, ok := src.(LevelSource); ok {
		o.levels = ls
		o.levelHits = counter("strata.cache.level.hits", "{hit}", "Reads a lower level answered with a value.")
		o.levelMisses = counter("strata.cache.level.misses", "{miss}", "Reads a lower level answered with no value.")
		o.levelErrors = counter("strata.cache.level.errors", "{error}", "Calls to a lower level that failed.")
		o.levelDecodeErrors = counter("strata.cache.level.decode_errors", "{error}", "Values from a lower level that could not be decoded.")
		o.levelTypeMismatches = counter("strata.cache.level.type_mismatches", "{error}", "Values from a lower level written for another value type or schema.")
		o.levelLoads = counter("strata.cache.level.loads", "{load}", "Calls to a loader level, by result: found, not_found or error.")
		g, err := m.Int64ObservableGauge("strata.cache.level.breaker.state", metric.WithUnit("1"),
			metric.WithDescription("1 for the state the circuit breaker in front of a level is in, 0 for the others."))
		o.add(g, err)
		o.levelBreaker = g
	}
	return o
}

func (o *otelSet) add(i metric.Observable, err error) {
	if err != nil {
		o.err = errors.Join(o.err, err)
		return
	}
	o.instruments = append(o.instruments, i)
}

// observe is the callback: one Stats snapshot, every observation.
func (o *otelSet) observe(_ context.Context, ob metric.Observer) error {
	st := o.src.Stats()
	ob.ObserveInt64(o.hits, clamp(st.Hits), o.cacheOnly)
	ob.ObserveInt64(o.misses, clamp(st.Misses), o.cacheOnly)
	ob.ObserveInt64(o.negativeHits, clamp(st.NegativeHits), o.cacheOnly)
	ob.ObserveInt64(o.sets, clamp(st.Sets), o.cacheOnly)
	for r, n := range st.Removed {
		ob.ObserveInt64(o.removals, clamp(n), o.reasons[r])
	}
	ob.ObserveInt64(o.loads, clamp(st.LoadsSucceeded), o.loadResults[0])
	ob.ObserveInt64(o.loads, clamp(st.LoadsFailed), o.loadResults[1])
	ob.ObserveInt64(o.loads, clamp(st.LoadsPanicked), o.loadResults[2])
	ob.ObserveInt64(o.refreshes, clamp(st.RefreshesSucceeded), o.loadResults[0])
	ob.ObserveInt64(o.refreshes, clamp(st.RefreshesFailed), o.loadResults[1])
	ob.ObserveFloat64(o.loadTime, st.LoadTime.Seconds(), o.cacheOnly)
	ob.ObserveInt64(o.entries, int64(st.Entries), o.cacheOnly)
	ob.ObserveInt64(o.weight, st.Weight, o.cacheOnly)

	if o.levels == nil {
		return nil
	}
	cacheName := attribute.String("cache.name", o.name)
	for _, l := range o.levels.Levels() {
		level := attribute.String("cache.level", l.Level)
		if l.Loader {
			for i, n := range [...]uint64{l.Hits, l.Misses, l.Errors} {
				ob.ObserveInt64(o.levelLoads, clamp(n), metric.WithAttributes(cacheName, level, attribute.String("result", levelLoadResults[i])))
			}
			continue
		}
		at := metric.WithAttributes(cacheName, level)
		ob.ObserveInt64(o.levelHits, clamp(l.Hits), at)
		ob.ObserveInt64(o.levelMisses, clamp(l.Misses), at)
		ob.ObserveInt64(o.levelErrors, clamp(l.Errors), at)
		ob.ObserveInt64(o.levelDecodeErrors, clamp(l.DecodeErrors), at)
		ob.ObserveInt64(o.levelTypeMismatches, clamp(l.TypeMismatches), at)
		if l.Breaker == multilevel.BreakerNone {
			continue
		}
		for _, s := range breakerStates {
			var v int64
			if l.Breaker == s {
				v = 1
			}
			ob.ObserveInt64(o.levelBreaker, v, metric.WithAttributes(cacheName, level, attribute.String("state", s.String())))
		}
	}
	return nil
}

// clamp converts a counter to the int64 OpenTelemetry observes, saturating
// rather than wrapping to a negative number.
func clamp(n uint64) int64 {
	if n > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(n)
}
