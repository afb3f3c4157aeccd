package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/multilevel"
)

func TestCollectorPublishesEveryStat(t *testing.T) {
	reg := prometheus.NewPedanticRegistry() // also checks Describe against Collect
	MustRegister(reg, "users", &fakeSource{distinctStats()})
	got := gather(t, reg)
	want := map[string]float64{
		"strata_cache_hits_total{cache=users}":                             11,
		"strata_cache_misses_total{cache=users}":                           12,
		"strata_cache_negative_hits_total{cache=users}":                    13,
		"strata_cache_sets_total{cache=users}":                             14,
		"strata_cache_entries{cache=users}":                                15,
		"strata_cache_weight{cache=users}":                                 16,
		"strata_cache_loads_total{cache=users,result=success}":             21,
		"strata_cache_loads_total{cache=users,result=failure}":             22,
		"strata_cache_loads_total{cache=users,result=panic}":               23,
		"strata_cache_refreshes_total{cache=users,result=success}":         24,
		"strata_cache_refreshes_total{cache=users,result=failure}":         25,
		"strata_cache_removals_total{cache=users,reason=capacity}":         31,
		"strata_cache_removals_total{cache=users,reason=expired}":          32,
		"strata_cache_removals_total{cache=users,reason=deleted}":          33,
		"strata_cache_removals_total{cache=users,reason=replaced}":         34,
		"strata_cache_removals_total{cache=users,reason=cleared}":          35,
		"strata_cache_load_duration_seconds_sum{cache=users}":              1.5,
		"strata_cache_load_duration_seconds_count{cache=users}":            46,
		"strata_cache_load_duration_seconds_bucket{cache=users,le=0.0001}": 40,
		"strata_cache_load_duration_seconds_bucket{cache=users,le=0.001}":  42,
		"strata_cache_load_duration_seconds_bucket{cache=users,le=10}":     42,
	}
	for series, v := range want {
		if g, ok := got[series]; !ok || g != v {
			t.Errorf("%s = %v (present: %v), want %v", series, g, ok, v)
		}
	}
	// 6 plain series, 16 finite buckets + sum + count (+Inf is implied by
	// the count), 5 reasons, 3 load results, 2 refresh results: nothing
	// else.
	if n := 6 + 18 + 5 + 3 + 2; len(got) != n {
		t.Errorf("%d series, want %d:\n%v", len(got), n, got)
	}
	for series := range got {
		if strings.HasPrefix(series, "strata_cache_level_") {
			t.Errorf("a Source without levels published %s", series)
		}
	}
}

func TestCollectorHistogramBucketsAreCumulative(t *testing.T) {
	st := cache.Stats{}
	for i := range st.LoadBuckets {
		st.LoadBuckets[i] = 1
	}
	reg := prometheus.NewPedanticRegistry()
	MustRegister(reg, "c", &fakeSource{st})
	got := gather(t, reg)
	for i, b := range cache.LoadBucketBounds() {
		series := "strata_cache_load_duration_seconds_bucket{cache=c,le=" + formatFloat(b.Seconds()) + "}"
		if got[series] != float64(i+1) {
			t.Errorf("%s = %v, want %d", series, got[series], i+1)
		}
	}
	if c := got["strata_cache_load_duration_seconds_count{cache=c}"]; c != float64(cache.NumLoadBuckets) {
		t.Errorf("count %v, want %d", c, cache.NumLoadBuckets)
	}
}

func TestCollectorLevels(t *testing.T) {
	src := &fakeLevels{levels: []LevelStats{
		{Level: "l2", Hits: 1, Misses: 2, Errors: 3, DecodeErrors: 4, TypeMismatches: 6, Breaker: multilevel.BreakerHalfOpen},
		{Level: "origin", Loader: true, Hits: 6, Misses: 7, Errors: 5, DecodeErrors: 9, Breaker: multilevel.BreakerOpen},
	}}
	reg := prometheus.NewPedanticRegistry()
	MustRegister(reg, "users", src)
	got := gather(t, reg)
	want := map[string]float64{
		"strata_cache_level_hits_total{cache=users,level=l2}":                       1,
		"strata_cache_level_misses_total{cache=users,level=l2}":                     2,
		"strata_cache_level_errors_total{cache=users,level=l2}":                     3,
		"strata_cache_level_decode_errors_total{cache=users,level=l2}":              4,
		"strata_cache_level_breaker_state{cache=users,level=l2,state=closed}":       0,
		"strata_cache_level_breaker_state{cache=users,level=l2,state=open}":         0,
		"strata_cache_level_breaker_state{cache=users,level=l2,state=half_open}":    1,
		"strata_cache_level_loads_total{cache=users,level=origin,result=found}":     6,
		"strata_cache_level_loads_total{cache=users,level=origin,result=not_found}": 7,
		"strata_cache_level_loads_total{cache=users,level=origin,result=error}":     5,
		"strata_cache_level_type_mismatches_total{cache=users,level=l2}":            6,
	}
	for series, v := range want {
		if g, ok := got[series]; !ok || g != v {
			t.Errorf("%s = %v (present: %v), want %v", series, g, ok, v)
		}
	}
	// A loader level has loads only; a stored level has no loads.
	for series := range got {
		loads := strings.HasPrefix(series, "strata_cache_level_loads_total{")
		if strings.Contains(series, "level=origin") != loads {
			t.Errorf("unexpected %s", series)
		}
	}
	if n := 5 + 3 + 3; len(got) != 6+18+5+3+2+n {
		t.Errorf("%d series, want %d level series besides the cache's", len(got), n)
	}
}

func TestRegisterChecksItsArguments(t *testing.T) {
	src := &fakeSource{}
	reg := prometheus.NewRegistry()
	for _, tc := range []struct {
		reg  prometheus.Registerer
		name string
		src  Source
		want error
	}{
		{reg, "", src, ErrNoName},
		{reg, "c", nil, ErrNoSource},
		{nil, "c", src, ErrNoProvider},
	} {
		if err := Register(tc.reg, tc.name, tc.src); !errors.Is(err, tc.want) {
			t.Errorf("Register(%v, %q, %v) = %v, want %v", tc.reg, tc.name, tc.src, err, tc.want)
		}
	}
	if err := Register(reg, "a", src); err != nil {
		t.Fatal(err)
	}
	if err := Register(reg, "b", src); err != nil {
		t.Fatalf("a second cache under another name: %v", err)
	}
	var dup prometheus.AlreadyRegisteredError
	if err := Register(reg, "a", &fakeSource{}); !errors.As(err, &dup) {
		t.Fatalf("a second cache named a: %v, want AlreadyRegisteredError", err)
	}
	assertPanics(t, ErrNoName, func() { NewCollector("", src) })
	assertPanics(t, ErrNoSource, func() { MustRegister(reg, "c", nil) })
}

func assertPanics(t *testing.T, want error, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if err, _ := recover().(error); !errors.Is(err, want) {
			t.Errorf("panicked with %v, want %v", err, want)
		}
	}()
	f()
}

// TestScrapeOfARealCachePassesPromtool serves a registry holding a busy
// cache, a multi-level cache and a fake with levels over HTTP, as a Prometheus server would scrape it, checks the
// numbers, and has promtool lint the exposition.
func TestScrapeOfARealCachePassesPromtool(t *testing.T) {
	c := cache.Must(cache.New(cache.Options[string, int]{MaxEntries: 3, Shards: 1, NegativeTTL: cache.NoTTL}))
	defer c.Close()
	ctx := context.Background()
	c.Set("d", 1)
	c.Delete("d")
	c.Set("a", 1)
	c.Set("a", 2) // replaced
	c.Set("b", 1)
	c.Get("b")
	c.Get("nope")
	absent := cache.LoaderFunc[string, int](func(context.Context, string) (int, error) {
		return 0, cache.ErrNotFound
	})
	c.GetOrLoad(ctx, "absent", absent) // a miss, a load, a negative entry: the cache is full
	c.GetOrLoad(ctx, "absent", absent) // a negative hit
	c.Set("c", 1)                      // evicts one entry

	reg := prometheus.NewPedanticRegistry()
	MustRegister(reg, "users", c)
	MustRegister(reg, "sessions", &fakeLevels{
		fakeSource: fakeSource{distinctStats()},
		levels:     []LevelStats{{Level: "l2", Hits: 3, Breaker: multilevel.BreakerClosed}},
	})
	profiles, err := multilevel.New(multilevel.Options[int, string]{
		Load: func(context.Context, int) (string, error) { return "profile", nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer profiles.Close()
	profiles.Get(ctx, 1)
	MustRegister(reg, "profiles", Multilevel(profiles))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %v, status %d", err, resp.StatusCode)
	}
	text := string(body)
	for _, line := range []string{
		`strata_cache_hits_total{cache="users"} 1`,
		`strata_cache_misses_total{cache="users"} 2`,
		`strata_cache_sets_total{cache="users"} 6`,
		`strata_cache_entries{cache="users"} 3`,
		`strata_cache_negative_hits_total{cache="users"} 1`,
		`strata_cache_removals_total{cache="users",reason="capacity"} 1`,
		`strata_cache_removals_total{cache="users",reason="replaced"} 1`,
		`strata_cache_removals_total{cache="users",reason="deleted"} 1`,
		`strata_cache_loads_total{cache="users",result="success"} 1`,
		`strata_cache_load_duration_seconds_count{cache="users"} 1`,
		`strata_cache_level_hits_total{cache="sessions",level="l2"} 3`,
		`strata_cache_level_breaker_state{cache="sessions",level="l2",state="closed"} 1`,
		`strata_cache_level_misses_total{cache="profiles",level="l2"} 1`,
		`strata_cache_level_loads_total{cache="profiles",level="origin",result="found"} 1`,
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("the scrape lacks %q", line)
		}
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", text)
	}

	cmd := exec.Command(promtoolPath(t, "the promtool lint of the scrape"), "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s\nscrape:\n%s", err, out, text)
	}
}
