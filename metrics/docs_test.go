package metrics

import (
	"os"
	"strings"
	"testing"
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
