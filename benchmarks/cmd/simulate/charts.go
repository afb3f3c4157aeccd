package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/stratacache/cache/benchmarks/chart"
)

// chartOf draws hit ratio against cache size on one workload, one line
// per contender. The x axis is logarithmic when the sizes span a factor
// of ten or more.
func chartOf(r *result, cs []contender) *chart.LineChart {
	sizes := r.W.Sizes
	c := &chart.LineChart{
		Title:  fmt.Sprintf("%s: hit ratio against cache size", r.W.Name),
		XLabel: "cache size (entries)",
		YLabel: "hit ratio (%)",
		LogX:   len(sizes) > 1 && sizes[len(sizes)-1] >= 10*sizes[0],
		Width:  980,
		Height: 540,
	}
	xs := make([]float64, len(sizes))
	for i, s := range sizes {
		xs[i] = float64(s)
	}
	for i, ct := range cs {
		// Points a cache cannot be sized for are left out of its line.
		var x, y []float64
		for s, v := range r.Ratio[i] {
			if !math.IsNaN(v) {
				x, y = append(x, xs[s]), append(y, v)
			}
		}
		if len(x) == 0 {
			continue
		}
		ser := chart.Series{Name: ct.Name, X: x, Y: y, Color: ct.Color, Dash: ct.Dash, Width: ct.Width}
		if ser.Dash == "" {
			ser.Dash = "solid"
		}
		if ct.New == nil {
			ser.Marker = "none"
		}
		c.Series = append(c.Series, ser)
	}
	return c
}

// writeCharts writes docs/hitratio/<workload>.svg for every result into
// dir.
func writeCharts(dir string, results []result, cs []contender) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := range results {
		var b bytes.Buffer
		if err := chartOf(&results[i], cs).WriteSVG(&b); err != nil {
			return fmt.Errorf("chart of %s: %w", results[i].W.Name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, results[i].W.Name+".svg"), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}
