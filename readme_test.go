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
	readmeBlockIsProgram(t, "## Quick start\n", "examples/quickstart/main.go")
}

// So must the quick start of the GC-free tier, examples/gcfree.
func TestReadmeGCFreeQuickStartIsTheCompiledExample(t *testing.T) {
	readmeBlockIsProgram(t, "### Millions of entries without GC cost\n", "examples/gcfree/main.go")
}

// readmeBlockIsProgram checks that the first Go code block after heading
// in the README is the file at path.
func readmeBlockIsProgram(t *testing.T, heading, path string) {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	program, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), heading)
	if !ok {
		t.Fatalf("README has no section %q", strings.TrimSpace(heading))
	}
	_, block, ok := strings.Cut(after, "```go\n")
	if !ok {
		t.Fatalf("%q has no Go code block", strings.TrimSpace(heading))
	}
	block, _, ok = strings.Cut(block, "```")
	if !ok {
		t.Fatalf("%q code block is not closed", strings.TrimSpace(heading))
	}
	if block != string(program) {
		t.Fatalf("README block under %q differs from %s; copy one over the other", strings.TrimSpace(heading), path)
	}
}
