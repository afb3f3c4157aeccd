package cache

import (
	"os"
	"strings"
	"testing"
)

// The README's quick start must compile exactly as printed: it is the
// program in examples/quickstart, which the build compiles and vets, and
// this test keeps the two texts identical.
func TestReadmeQuickStartIsTheCompiledExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	program, err := os.ReadFile("examples/quickstart/main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "## Quick start\n")
	if !ok {
		t.Fatal("README has no Quick start section")
	}
	_, block, ok := strings.Cut(after, "```go\n")
	if !ok {
		t.Fatal("Quick start has no Go code block")
	}
	block, _, ok = strings.Cut(block, "```")
	if !ok {
		t.Fatal("Quick start code block is not closed")
	}
	if block != string(program) {
		t.Fatal("README quick start differs from examples/quickstart/main.go; copy one over the other")
	}
}
