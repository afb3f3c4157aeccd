package isnil

import "testing"

type loader struct{}

func (*loader) Load() {}

func TestIsNil(t *testing.T) {
	var f func()
	var p *loader
	var m map[int]int
	var ch chan int
	var s []int
	for name, x := range map[string]any{"nil": nil, "func": f, "pointer": p, "map": m, "chan": ch, "slice": s} {
		if !IsNil(x) {
			t.Errorf("IsNil(typed nil %s) = false", name)
		}
	}
	for name, x := range map[string]any{"func": func() {}, "pointer": &loader{}, "int": 0, "struct": loader{}, "map": map[int]int{}} {
		if IsNil(x) {
			t.Errorf("IsNil(non-nil %s) = true", name)
		}
	}
}
