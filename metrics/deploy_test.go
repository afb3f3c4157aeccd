package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/multilevel"
)

// The files users import: a Grafana dashboard and Prometheus rules with
// their unit tests.
const (
	dashboardFile = "grafana/strata-cache.json"
	rulesFile     = "prometheus/strata-cache-rules.yml"
	rulesTestFile = "prometheus/strata-cache-rules_test.yml"
)

// promtoolPath returns the promtool binary, or skips the test loudly; with
// CI=true a missing promtool fails it (.ci/run installs Debian's
// prometheus package, which has it).
func promtoolPath(t *testing.T, what string) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is not on PATH; CI must install it (apt-get install prometheus)")
		}
		t.Skipf("SKIPPING %s: promtool is not on PATH (apt-get install prometheus)", what)
	}
	return p
}

// The rules are valid, and their unit tests (each alert firing on the
// series it is meant for, and only after its "for") pass.
func TestPrometheusRulesPassPromtool(t *testing.T) {
	promtool := promtoolPath(t, "the rules' promtool checks")
	for _, args := range [][]string{
		{"check", "rules", filepath.Base(rulesFile)},
		{"test", "rules", filepath.Base(rulesTestFile)},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = filepath.Dir(rulesFile)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// Every query of the dashboard and every recording rule returns series
// when evaluated over real scrapes of caches of every kind, and every
// series an alert names is one the collectors publish. The scrapes are
// loaded into promtool's rule-test framework, and each query becomes an
// alert that fires if the query is empty.
func TestDashboardAndRulesQueryRealSeries(t *testing.T) {
	promtool := promtoolPath(t, "the dashboard's queries against a real scrape")
	scrapes := realScrapes(t, 6)
	queries := dashboardQueries(t)
	if len(queries) < 10 {
		t.Fatalf("found %d queries in %s; the walk over its panels is broken", len(queries), dashboardFile)
	}
	rules, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	recorded := recordedNames(string(rules))
	if len(recorded) == 0 {
		t.Fatalf("no recording rules found in %s", rulesFile)
	}

	// Names first, so that a typo reads as one: every strata_cache_*
	// series named anywhere exists, and every strata_cache:* is recorded.
	published := seriesNames(scrapes[len(scrapes)-1])
	texts := append([]string{string(rules)}, queries...)
	for _, text := range texts {
		for _, name := range regexp.MustCompile(`\bstrata_cache[a-z0-9_:]*`).FindAllString(text, -1) {
			if strings.Contains(name, ":") {
				if !slices.Contains(recorded, name) {
					t.Errorf("%s is used but not recorded by %s", name, rulesFile)
				}
			} else if !published[name] {
				t.Errorf("%s is queried but no collector publishes it", name)
			}
		}
	}

	checks := append(slices.Clone(queries), recorded...)
	if out, err := evaluateNonEmpty(t, promtool, scrapes, checks); err != nil {
		t.Fatalf("a query returned no series over the scrapes: %v\n%s", err, out)
	}

	// The check can fail: a query of a series nobody publishes does.
	bad := `sum by (cache) (rate(strata_cache_no_such_series_total[5m]))`
	out, err := evaluateNonEmpty(t, promtool, scrapes, []string{queries[0], bad})
	if err == nil || !strings.Contains(out, "strata_cache_no_such_series_total") {
		t.Fatalf("a query of a missing series passed the check (err %v):\n%s", err, out)
	}
}

// dashboardQueries returns the expressions of every target of every panel
// of the dashboard, rows' panels included, with the template variables
// replaced as Grafana would for "All" and a scrape a minute (Grafana's
// $__rate_interval is at least four scrape intervals).
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	}
	var dash struct {
		Panels     []json.RawMessage `json:"panels"`
		Templating struct {
			List []struct {
				Name     string `json:"name"`
				AllValue string `json:"allValue"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	vars := []string{"$__rate_interval", "4m"}
	for _, v := range dash.Templating.List {
		if v.AllValue != "" {
			vars = append(vars, "$"+v.Name, v.AllValue)
		}
	}
	replace := strings.NewReplacer(vars...)
	var out []string
	var walk func([]json.RawMessage)
	walk = func(raw []json.RawMessage) {
		for _, r := range raw {
			var p panel
			if err := json.Unmarshal(r, &p); err != nil {
				t.Fatalf("%s: a panel: %v", dashboardFile, err)
			}
			for _, tg := range p.Targets {
				q := replace.Replace(tg.Expr)
				if strings.Contains(q, "$") {
					t.Errorf("panel %q: a variable the test does not know in %s", p.Title, tg.Expr)
				}
				out = append(out, q)
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	return out
}

// recordedNames returns the names the rules file records.
func recordedNames(rules string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^\s*- record:\s*(\S+)\s*$`).FindAllStringSubmatch(rules, -1) {
		names = append(names, m[1])
	}
	return names
}

// seriesNames returns the metric names of a scrape's samples.
func seriesNames(scrape string) map[string]bool {
	names := map[string]bool{}
	for _, l := range strings.Split(scrape, "\n") {
		if l == "" || l[0] == '#' {
			continue
		}
		if i := strings.IndexAny(l, "{ "); i > 0 {
			names[l[:i]] = true
		}
	}
	return names
}

// evaluateNonEmpty loads the scrapes, one a minute, into a promtool rule
// test together with the rules file, and checks at the last minute that
// each of exprs returns at least one series: each is the alert
// "Query<i>" on absent(expr), expected not to fire. It returns promtool's
// output, and an error if the test failed.
func evaluateNonEmpty(t *testing.T, promtool string, scrapes []string, exprs []string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	abs, err := filepath.Abs(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var q strings.Builder
	q.WriteString("groups:\n  - name: queries\n    rules:\n")
	for i, e := range exprs {
		fmt.Fprintf(&q, "      - alert: Query%d\n        expr: %s\n        labels:\n          query: %s\n",
			i, quote("absent("+e+")"), quote(e))
	}
	if err := os.WriteFile(filepath.Join(dir, "queries.yml"), []byte(q.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	values := map[string][]string{} // series → one value per scrape, "_" if absent
	var order []string
	for i, s := range scrapes {
		for _, l := range strings.Split(s, "\n") {
			if l == "" || l[0] == '#' {
				continue
			}
			cut := strings.LastIndexByte(l, ' ')
			series, v := l[:cut], l[cut+1:]
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				t.Fatalf("scrape line %q: %v", l, err)
			}
			if values[series] == nil {
				values[series] = slices.Repeat([]string{"_"}, len(scrapes))
				order = append(order, series)
			}
			values[series][i] = v
		}
	}
	var tf strings.Builder
	fmt.Fprintf(&tf, "rule_files:\n  - %s\n  - queries.yml\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n", quote(abs))
	for _, s := range order {
		fmt.Fprintf(&tf, "      - series: %s\n        values: %s\n", quote(s), quote(strings.Join(values[s], " ")))
	}
	tf.WriteString("    alert_rule_test:\n")
	for i := range exprs {
		fmt.Fprintf(&tf, "      - eval_time: %dm\n        alertname: Query%d\n        exp_alerts: []\n", len(scrapes)-1, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "queries_test.yml"), []byte(tf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", "queries_test.yml")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil && !strings.Contains(string(out), "SUCCESS") {
		err = errors.New("promtool did not report SUCCESS")
	}
	return string(out), err
}

// quote returns s as a YAML double-quoted scalar (JSON's syntax is YAML's).
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// realScrapes serves a registry with every kind of collector (a plain
// cache with loads that succeed, miss and fail, a weighted cache that
// evicts, and a multilevel cache with its store and loader levels) and
// scrapes it n times over HTTP, with traffic in between, as Prometheus
// would once a minute.
func realScrapes(t *testing.T, n int) []string {
	t.Helper()
	ctx := context.Background()
	users := cache.Must(cache.New(cache.Options[int, string]{
		MaxEntries: 50, Shards: 1, NegativeTTL: time.Hour,
		Load: func(_ context.Context, id int) (string, error) {
			switch {
			case id%10 == 7:
				return "", cache.ErrNotFound
			case id%10 == 9:
				return "", errors.New("backend down")
			}
			return "user " + strconv.Itoa(id), nil
		},
	}))
	defer users.Close()
	blobs := cache.Must(cache.New(cache.Options[int, []byte]{
		MaxWeight: 4 << 10, Weigher: func(_ int, v []byte) uint32 { return uint32(len(v)) },
	}))
	defer blobs.Close()
	profiles, err := multilevel.New(multilevel.Options[int, string]{
		Load: func(_ context.Context, id int) (string, error) {
			switch {
			case id%10 == 7:
				return "", multilevel.ErrNotFound
			case id%10 == 9:
				return "", errors.New("backend down")
			}
			return "profile " + strconv.Itoa(id), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer profiles.Close()

	reg := prometheus.NewPedanticRegistry()
	MustRegister(reg, "users", users)
	MustRegister(reg, "blobs", blobs)
	MustRegister(reg, "profiles", Multilevel(profiles))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()

	var scrapes []string
	for step := range n {
		for i := range 200 {
			id := (i*7 + step*31) % 120
			users.GetOrLoad(ctx, id, nil)
			profiles.Get(ctx, id)
			blobs.Set(id+step*200, make([]byte, 64))
			blobs.Get(id)
			if i%20 == 0 {
				users.Set(id, "written")
				users.Delete(id + 1)
			}
		}
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("scrape: %v, status %d", err, resp.StatusCode)
		}
		scrapes = append(scrapes, string(body))
	}
	return scrapes
}
