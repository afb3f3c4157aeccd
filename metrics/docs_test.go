package metrics

import (
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/multilevel"
)

// The complete programs in docs/metrics.md are the ones under examples/,
// which the build compiles and vets; this keeps the texts identical.
func TestDocsProgramsAreTheCompiledExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"../examples/prometheus/main.go", "../examples/otel/main.go"} {
		program, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), "```go\n"+string(program)+"```\n") {
			t.Errorf("docs/metrics.md does not show %s as it is; copy the file into the document", path)
		}
	}
}

// A reason has one name everywhere: its String, its reason label, and the
// word docs/metrics.md lists for the removals series.
func TestReasonNamesAgree(t *testing.T) {
	row := docsRow(t, "| `strata_cache_removals_total`")
	reg := prometheus.NewRegistry()
	MustRegister(reg, "c", &fakeSource{distinctStats()})
	got := gather(t, reg)
	for r := range cache.NumReasons {
		name := r.String()
		if _, ok := got["strata_cache_removals_total{cache=c,reason="+name+"}"]; !ok {
			t.Errorf("%d prints as %q, but the scrape has no reason=%q series", r, name, name)
		}
		if !strings.Contains(row, "`"+name+"`") {
			t.Errorf("docs/metrics.md does not list the reason %q: %s", name, row)
		}
	}
}

// Each breaker series is labelled with its state's String, and
// docs/metrics.md lists every label the series can carry.
func TestBreakerLabelsAreDocumented(t *testing.T) {
	row := docsRow(t, "| `strata_cache_level_breaker_state{")
	for _, s := range breakerStates {
		if !strings.Contains(row, `"`+s.String()+`"`) {
			t.Errorf("the state label %q is not in docs/metrics.md: %s", s, row)
		}
	}
	if s := multilevel.BreakerNone.String(); strings.Contains(row, `"`+s+`"`) {
		t.Errorf("docs/metrics.md lists %q, which has no series", s)
	}
}

// docsRow returns the line of docs/metrics.md that starts with prefix.
func docsRow(t *testing.T, prefix string) string {
	t.Helper()
	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	t.Fatalf("docs/metrics.md has no line starting %q", prefix)
	return ""
}
