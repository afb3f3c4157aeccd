package metrics

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/multilevel"
)

// fixedMultilevel returns fixed multilevel.Stats.
type fixedMultilevel struct{ st multilevel.Stats }

func (f fixedMultilevel) Stats() multilevel.Stats { return f.st }

func TestMultilevelMapsEveryLevel(t *testing.T) {
	st := multilevel.Stats{
		L1:      cache.Stats{Hits: 7, Misses: 8},
		L2:      multilevel.StoreStats{Hits: 1, Misses: 2, Errors: 3, DecodeErrors: 4, TypeMismatches: 6, Writes: 99},
		Origin:  multilevel.OriginStats{Loads: 10, NotFound: 3, Errors: 2},
		Breaker: multilevel.BreakerOpen,
	}
	src := Multilevel(fixedMultilevel{st})
	if got := src.Stats(); got != st.L1 {
		t.Fatalf("Stats = %+v, want the L1's", got)
	}
	levels := src.Levels()
	want := []LevelStats{
		{Level: "l2", Hits: 1, Misses: 2, Errors: 3, DecodeErrors: 4, TypeMismatches: 6, Breaker: multilevel.BreakerOpen},
		{Level: "origin", Loader: true, Hits: 5, Misses: 3, Errors: 2},
	}
	if len(levels) != len(want) || levels[0] != want[0] || levels[1] != want[1] {
		t.Fatalf("Levels = %+v, want %+v", levels, want)
	}
	for _, b := range []multilevel.BreakerState{
		multilevel.BreakerNone, multilevel.BreakerClosed, multilevel.BreakerOpen, multilevel.BreakerHalfOpen,
	} {
		st.Breaker = b
		if got := Multilevel(fixedMultilevel{st}).Levels()[0].Breaker; got != b {
			t.Errorf("breaker %v reads as %v", b, got)
		}
	}
	if Multilevel(nil) != nil {
		t.Error("Multilevel(nil) is not nil")
	}
}

// TestMultilevelCacheSeries registers a real multi-level cache (with its
// private in-memory store) with Prometheus and OpenTelemetry.
func TestMultilevelCacheSeries(t *testing.T) {
	c, err := multilevel.New(multilevel.Options[int, string]{
		Load: func(_ context.Context, id int) (string, error) {
			if id > 100 {
				return "", multilevel.ErrNotFound
			}
			return "user", nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	c.Get(ctx, 1)   // L1 miss, store miss, loaded
	c.Get(ctx, 1)   // L1 hit
	c.Get(ctx, 101) // L1 miss, store miss, not found

	reg := prometheus.NewPedanticRegistry()
	MustRegister(reg, "users", Multilevel(c))
	got := gather(t, reg)
	want := map[string]float64{
		"strata_cache_hits_total{cache=users}":                                      1,
		"strata_cache_level_misses_total{cache=users,level=l2}":                     2,
		"strata_cache_level_loads_total{cache=users,level=origin,result=found}":     1,
		"strata_cache_level_loads_total{cache=users,level=origin,result=not_found}": 1,
		"strata_cache_level_loads_total{cache=users,level=origin,result=error}":     0,
		"strata_cache_level_breaker_state{cache=users,level=l2,state=closed}":       1,
		"strata_cache_level_breaker_state{cache=users,level=l2,state=open}":         0,
		"strata_cache_level_decode_errors_total{cache=users,level=l2}":              0,
		"strata_cache_level_type_mismatches_total{cache=users,level=l2}":            0,
	}
	for series, v := range want {
		if g, ok := got[series]; !ok || g != v {
			t.Errorf("%s = %v (present: %v), want %v", series, g, ok, v)
		}
	}
	// The loader's calls are loads, never hits or misses of a level.
	for series := range got {
		if strings.Contains(series, "level=origin") && !strings.HasPrefix(series, "strata_cache_level_loads_total{") {
			t.Errorf("the loader level published %s", series)
		}
	}

	mp, r := newManualProvider(t)
	if _, err := RegisterOTel(mp, "users", Multilevel(c)); err != nil {
		t.Fatal(err)
	}
	points := collectOTel(t, r)
	if p := points["strata.cache.level.misses{cache.level=l2,cache.name=users}"]; p.value != 2 {
		t.Errorf("OTel l2 misses %v, want 2", p.value)
	}
	if p := points["strata.cache.level.loads{cache.level=origin,cache.name=users,result=found}"]; p.value != 1 {
		t.Errorf("OTel origin loads found %v, want 1", p.value)
	}
	if p, ok := points["strata.cache.level.hits{cache.level=origin,cache.name=users}"]; ok {
		t.Errorf("OTel counts the loader's calls as hits: %v", p.value)
	}
	if p := points["strata.cache.level.breaker.state{cache.level=l2,cache.name=users,state=closed}"]; p.value != 1 {
		t.Errorf("OTel breaker closed %v, want 1", p.value)
	}
}
