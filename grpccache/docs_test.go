package grpccache

import (
	"os"
	"strings"
	"testing"
)

// The complete example in docs/grpc.md must be the program in
// examples/basic, which is compiled, vetted and run (its Example checks
// the output the page shows).
func TestDocsExampleIsTheCompiledProgram(t *testing.T) {
	doc, err := os.ReadFile("../docs/grpc.md")
	if err != nil {
		t.Fatal(err)
	}
	program, err := os.ReadFile("examples/basic/main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "### A complete example\n")
	if !ok {
		t.Fatal("docs/grpc.md has no complete example section")
	}
	_, block, ok := strings.Cut(after, "```go\n")
	if !ok {
		t.Fatal("the complete example has no Go code block")
	}
	block, _, ok = strings.Cut(block, "```")
	if !ok {
		t.Fatal("the complete example's code block is not closed")
	}
	if block != string(program) {
		t.Fatal("docs/grpc.md's example differs from examples/basic/main.go; copy one over the other")
	}
}
