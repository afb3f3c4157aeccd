package main

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"
)

func TestBarChartIsWellFormed(t *testing.T) {
	c := barChart{
		Title: "a <title> & more", YLabel: "Mops/s",
		Groups: []string{"r", "w"}, Series: []string{"x", "y"},
		Values: [][]float64{{1, 2.5}, {math.NaN(), 3}},
	}
	out := c.SVG()
	d := xml.NewDecoder(strings.NewReader(string(out)))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("chart is not well-formed XML: %v\n%s", err, out)
		}
	}
	if n := strings.Count(string(out), "<rect x="); n != 3+2 { // three bars, two legend boxes
		t.Errorf("%d rects, want 5", n)
	}
}

func TestLogChart(t *testing.T) {
	c := barChart{Groups: []string{"a"}, Series: []string{"x", "y"}, Values: [][]float64{{50}, {20000}}, Log: true}
	out := string(c.SVG())
	for _, tick := range []string{">10<", ">100<", ">1000<", ">10000<", ">100000<"} {
		if !strings.Contains(out, tick) {
			t.Errorf("log chart lacks tick %s", tick)
		}
	}
}

func TestNiceStep(t *testing.T) {
	for _, tc := range []struct{ max, want float64 }{{10, 2}, {47, 10}, {0.9, 0.2}, {130, 50}} {
		if got := niceStep(tc.max, 5); got != tc.want {
			t.Errorf("niceStep(%v) = %v, want %v", tc.max, got, tc.want)
		}
	}
}
