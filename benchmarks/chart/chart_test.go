package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
)

// parse decodes an SVG document with encoding/xml and returns the local
// names of its elements in document order and all character data.
func parse(t *testing.T, doc []byte) (elems []string, attrs map[string][][]xml.Attr, text string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	attrs = map[string][][]xml.Attr{}
	var sb strings.Builder
	depth := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if depth == 0 && (tk.Name.Local != "svg" || tk.Name.Space != "http://www.w3.org/2000/svg") {
				t.Fatalf("root element is %v, want svg in the SVG namespace", tk.Name)
			}
			depth++
			elems = append(elems, tk.Name.Local)
			attrs[tk.Name.Local] = append(attrs[tk.Name.Local], tk.Attr)
		case xml.EndElement:
			depth--
		case xml.CharData:
			sb.Write(tk)
		}
	}
	if depth != 0 {
		t.Fatalf("unbalanced elements, depth %d at the end", depth)
	}
	return elems, attrs, sb.String()
}

func attr(as []xml.Attr, name string) (string, bool) {
	for _, a := range as {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func sample() *LineChart {
	xs := []float64{250, 500, 1000, 2000, 15000}
	return &LineChart{
		Title:  `hit ratio on "oltp" <cold> & warm`,
		XLabel: "cache size (entries)",
		YLabel: "hit ratio (%)",
		LogX:   true,
		Series: []Series{
			{Name: "strata <default> & co", X: xs, Y: []float64{20, 30, 40, 45, 60}, Color: "#e03131", Width: 3},
			{Name: "otter", X: xs, Y: []float64{21, 31, math.NaN(), 46, 61}},
			{Name: "OPT", X: xs, Y: []float64{38, 46, 53, 60, 75}, Dash: "3 3", Marker: "none"},
		},
	}
}

func TestWriteSVGIsWellFormed(t *testing.T) {
	var b bytes.Buffer
	if err := sample().WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	elems, attrs, text := parse(t, b.Bytes())

	for _, want := range []string{`hit ratio on "oltp" <cold> & warm`, "strata <default> & co", "otter", "OPT",
		"cache size (entries)", "hit ratio (%)", "1k", "10k"} {
		if !strings.Contains(text, want) {
			t.Errorf("text %q missing from the chart", want)
		}
	}
	// Each series is a group with a title and a path; the NaN splits
	// otter's path into two pieces.
	titles := 0
	for _, e := range elems {
		if e == "title" {
			titles++
		}
	}
	if titles != 3 {
		t.Errorf("%d series titles, want 3", titles)
	}
	var lines []string
	for _, a := range attrs["path"] {
		if d, _ := attr(a, "d"); strings.Count(d, "L") >= 1 && !strings.HasSuffix(d, "Z") {
			if _, ok := attr(a, "stroke-width"); ok {
				lines = append(lines, d)
			}
		}
	}
	if len(lines) != 3 {
		t.Fatalf("%d series lines, want 3: %q", len(lines), lines)
	}
	if got := strings.Count(lines[1], "M"); got != 2 {
		t.Errorf("the series with a NaN has %d subpaths, want 2: %s", got, lines[1])
	}
	// Explicit styles are kept; the OPT line is dashed.
	var dashed bool
	for _, a := range attrs["path"] {
		if v, ok := attr(a, "stroke-dasharray"); ok && v == "3 3" {
			dashed = true
		}
	}
	if !dashed {
		t.Error("the dash given to a series is not used")
	}
	svg := attrs["svg"][0]
	if w, _ := attr(svg, "width"); w != "960" {
		t.Errorf("default width %q, want 960", w)
	}
}

func TestWriteSVGErrors(t *testing.T) {
	var b bytes.Buffer
	c := &LineChart{Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{1}}}}
	if err := c.WriteSVG(&b); err == nil || !strings.Contains(err.Error(), "x values") {
		t.Errorf("mismatched lengths: got %v", err)
	}
	c = &LineChart{Series: []Series{{Name: "a", X: []float64{1}, Y: []float64{math.NaN()}}}}
	if err := c.WriteSVG(&b); !errors.Is(err, ErrNoData) {
		t.Errorf("no drawable points: got %v, want ErrNoData", err)
	}
	c = &LineChart{LogX: true, Series: []Series{{Name: "a", X: []float64{0, -1}, Y: []float64{1, 2}}}}
	if err := c.WriteSVG(&b); !errors.Is(err, ErrNoData) {
		t.Errorf("log axis with no positive x: got %v, want ErrNoData", err)
	}
	c = &LineChart{Width: 120, Height: 100, Series: []Series{{Name: "a", X: []float64{1}, Y: []float64{1}}}}
	if err := c.WriteSVG(&b); err == nil {
		t.Error("a chart too small for its plot was drawn")
	}
}

func TestSinglePointAndFixedRange(t *testing.T) {
	for _, logX := range []bool{false, true} {
		var b bytes.Buffer
		c := &LineChart{LogX: logX, YMin: 0, YMax: 100, Series: []Series{{Name: "only", X: []float64{1000}, Y: []float64{150}}}}
		if err := c.WriteSVG(&b); err != nil {
			t.Fatal(err)
		}
		_, _, text := parse(t, b.Bytes())
		if !strings.Contains(text, "100") || strings.Contains(text, "150") {
			t.Errorf("logX=%v: the fixed y range 0–100 is not used:\n%s", logX, text)
		}
	}
}

func TestStylesAreDistinct(t *testing.T) {
	c := &LineChart{}
	for range 2 * len(Palette) {
		c.Series = append(c.Series, Series{})
	}
	seen := map[style]bool{}
	for i := range c.Series {
		st := c.styleOf(i)
		if seen[st] {
			t.Fatalf("series %d repeats the style %+v", i, st)
		}
		seen[st] = true
	}
}

func TestTicks(t *testing.T) {
	if got, want := linearTicks(0, 100, 6), []float64{0, 20, 40, 60, 80, 100}; !slices.Equal(got, want) {
		t.Errorf("linearTicks(0, 100) = %v, want %v", got, want)
	}
	if got, want := linearTicks(0.1, 0.7, 6), []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}; !slices.Equal(got, want) {
		t.Errorf("linearTicks(0.1, 0.7) = %v, want %v", got, want)
	}
	if got, want := logTicks(900, 600000), []float64{1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000}; !slices.Equal(got, want) {
		t.Errorf("logTicks(900, 600000) = %v, want %v", got, want)
	}
	// A narrow range gets the denser mantissas.
	if got := logTicks(230, 2100); len(got) < 4 || got[0] != 300 || got[len(got)-1] != 2000 {
		t.Errorf("logTicks(230, 2100) = %v, want 300 … 2000 with at least 4 ticks", got)
	}
	// A range without any round value falls back to linear ticks.
	if got := logTicks(310, 330); len(got) < 2 {
		t.Errorf("logTicks(310, 330) = %v, want at least 2 ticks", got)
	}
}

func TestLabel(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 0.25: "0.25", 20: "20", 250: "250", 1000: "1k", 1500: "1.5k", 32768: "32.768k",
		524288: "524.288k", 2e6: "2M", -3000: "-3k",
	} {
		if got := Label(v); got != want {
			t.Errorf("Label(%v) = %q, want %q", v, got, want)
		}
	}
}
