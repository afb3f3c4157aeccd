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
	docBlockIsProgram(t, "README.md", "## Quick start\n", "examples/quickstart/main.go")
}

// So must the quick start of the GC-free tier, examples/gcfree, which the
// README leaves to docs/gcfree.md.
func TestReadmeGCFreeQuickStartIsTheCompiledExample(t *testing.T) {
	docBlockIsProgram(t, "docs/gcfree.md", "### Quick start\n", "examples/gcfree/main.go")
}

// docBlockIsProgram checks that the first Go code block after heading in
// the document doc is the file at path.
func docBlockIsProgram(t *testing.T, doc, heading, path string) {
	t.Helper()
	text, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	program, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(text), heading)
	if !ok {
		t.Fatalf("%s has no section %q", doc, strings.TrimSpace(heading))
	}
	_, block, ok := strings.Cut(after, "```go\n")
	if !ok {
		t.Fatalf("%s: %q has no Go code block", doc, strings.TrimSpace(heading))
	}
	block, _, ok = strings.Cut(block, "```")
	if !ok {
		t.Fatalf("%s: %q code block is not closed", doc, strings.TrimSpace(heading))
	}
	if block != string(program) {
		t.Fatalf("%s block under %q differs from %s; copy one over the other", doc, strings.TrimSpace(heading), path)
	}
}
