package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/multilevel"
)

// Collector is a prometheus.Collector for one cache. It reads the cache's
// Stats when it is scraped, and only then: the cache does no extra work
// per operation. Make one with NewCollector, or register one with
// Register or MustRegister.
type Collector struct {
	src     Source
	levels  LevelSource // src, if it has levels; else nil
	reasons [cache.NumReasons]string
	bounds  [cache.NumLoadBuckets - 1]float64 // histogram bounds in seconds

	hits, misses, negativeHits, sets *prometheus.Desc
	removals, loads, refreshes       *prometheus.Desc
	loadDuration                     *prometheus.Desc
	entries, weight                  *prometheus.Desc

	levelHits, levelMisses, levelErrors, levelDecodeErrors *prometheus.Desc
	levelTypeMismatches, levelBreaker, levelLoads          *prometheus.Desc
}

// NewCollector returns a Collector of src's statistics, every series
// labelled cache=name. It panics with ErrNoName or ErrNoSource if name is
// empty or src is nil; Register returns those errors instead.
//
// If src is a LevelSource, the collector also publishes its per-level
// series. Two collectors of different names can share a registry; two of
// the same name cannot.
func NewCollector(name string, src Source) *Collector {
	if err := check(name, src); err != nil {
		panic(err)
	}
	labels := prometheus.Labels{"cache": name}
	desc := func(metric, help string, variable ...string) *prometheus.Desc {
		return prometheus.NewDesc("strata_cache_"+metric, help, variable, labels)
	}
	c := &Collector{
		src:          src,
		hits:         desc("hits_total", "Lookups that found a value."),
		misses:       desc("misses_total", "Lookups that found no value."),
		negativeHits: desc("negative_hits_total", "Lookups that found a cached not-found answer."),
		sets:         desc("sets_total", "Values stored, by writes and by loads."),
		removals:     desc("removals_total", "Entries that left the cache, by reason; capacity and expired are evictions.", "reason"),
		loads:        desc("loads_total", "Loader calls, refreshes included, by result: success (not found included), failure or panic.", "result"),
		refreshes:    desc("refreshes_total", "Background reloads of stale values, by result: success or failure.", "result"),
		loadDuration: desc("load_duration_seconds", "Time loader calls took."),
		entries:      desc("entries", "Entries stored, expired and negative ones included until they are removed."),
		weight:       desc("weight", "Total weight of the stored entries (their count without a weigher)."),
	}
	for r := range cache.NumReasons {
		c.reasons[r] = reasonLabel(cache.Reason(r))
	}
	for i, b := range cache.LoadBucketBounds() {
		c.bounds[i] = b.Seconds()
	}
	if ls, ok := src.(LevelSource); ok {
		c.levels = ls
		c.levelHits = desc("level_hits_total", "Reads a lower level answered with a value.", "level")
		c.levelMisses = desc("level_misses_total", "Reads a lower level answered with no value.", "level")
		c.levelErrors = desc("level_errors_total", "Calls to a lower level that failed.", "level")
		c.levelDecodeErrors = desc("level_decode_errors_total", "Values from a lower level that could not be decoded.", "level")
		c.levelTypeMismatches = desc("level_type_mismatches_total", "Values from a lower level written for another value type or schema.", "level")
		c.levelBreaker = desc("level_breaker_state", "1 for the state the circuit breaker in front of a level is in, 0 for the others.", "level", "state")
		c.levelLoads = desc("level_loads_total", "Calls to a loader level, by result: found, not_found or error.", "level", "result")
	}
	return c
}

// Register registers a Collector of src named name with reg. It returns
// ErrNoName, ErrNoSource or ErrNoProvider for an empty name, a nil src or
// a nil reg, and reg's error if it refuses the collector: a
// prometheus.AlreadyRegisteredError when a cache of that name is there.
func Register(reg prometheus.Registerer, name string, src Source) error {
	if err := check(name, src); err != nil {
		return err
	}
	if reg == nil {
		return ErrNoProvider
	}
	return reg.Register(NewCollector(name, src))
}

// MustRegister is Register that panics on error, for set-up code.
func MustRegister(reg prometheus.Registerer, name string, src Source) {
	if err := Register(reg, name, src); err != nil {
		panic(err)
	}
}

// Describe sends the descriptions of every series c publishes.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.hits, c.misses, c.negativeHits, c.sets, c.removals, c.loads,
		c.refreshes, c.loadDuration, c.entries, c.weight,
	} {
		ch <- d
	}
	if c.levels != nil {
		for _, d := range []*prometheus.Desc{
			c.levelHits, c.levelMisses, c.levelErrors, c.levelDecodeErrors, c.levelTypeMismatches, c.levelBreaker, c.levelLoads,
		} {
			ch <- d
		}
	}
}

// Collect reads one Stats snapshot (and, for a LevelSource, one Levels)
// and sends every series.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.src.Stats()
	// A label value the Source chose (a level name) may be invalid; the
	// scrape then reports it instead of panicking on the registry's
	// goroutine, which would end the program.
	send := func(d *prometheus.Desc, m prometheus.Metric, err error) {
		if err != nil {
			m = prometheus.NewInvalidMetric(d, err)
		}
		ch <- m
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		m, err := prometheus.NewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
		send(d, m, err)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, labels...)
		send(d, m, err)
	}
	counter(c.hits, st.Hits)
	counter(c.misses, st.Misses)
	counter(c.negativeHits, st.NegativeHits)
	counter(c.sets, st.Sets)
	for r, n := range st.Removed {
		counter(c.removals, n, c.reasons[r])
	}
	counter(c.loads, st.LoadsSucceeded, "success")
	counter(c.loads, st.LoadsFailed, "failure")
	counter(c.loads, st.LoadsPanicked, "panic")
	counter(c.refreshes, st.RefreshesSucceeded, "success")
	counter(c.refreshes, st.RefreshesFailed, "failure")

	// Prometheus buckets are cumulative; the last of the cache's buckets
	// is +Inf, which the count stands for.
	buckets := make(map[float64]uint64, len(c.bounds))
	var count uint64
	for i, n := range st.LoadBuckets {
		count += n
		if i < len(c.bounds) {
			buckets[c.bounds[i]] = count
		}
	}
	h, err := prometheus.NewConstHistogram(c.loadDuration, count, st.LoadTime.Seconds(), buckets)
	send(c.loadDuration, h, err)

	gauge(c.entries, float64(st.Entries))
	gauge(c.weight, float64(st.Weight))

	if c.levels == nil {
		return
	}
	for _, l := range c.levels.Levels() {
		if l.Loader {
			for i, n := range [...]uint64{l.Hits, l.Misses, l.Errors} {
				counter(c.levelLoads, n, l.Level, levelLoadResults[i])
			}
			continue
		}
		counter(c.levelHits, l.Hits, l.Level)
		counter(c.levelMisses, l.Misses, l.Level)
		counter(c.levelErrors, l.Errors, l.Level)
		counter(c.levelDecodeErrors, l.DecodeErrors, l.Level)
		counter(c.levelTypeMismatches, l.TypeMismatches, l.Level)
		if l.Breaker == multilevel.BreakerNone {
			continue
		}
		for _, s := range breakerStates {
			v := 0.0
			if l.Breaker == s {
				v = 1
			}
			gauge(c.levelBreaker, v, l.Level, s.String())
		}
	}
}
