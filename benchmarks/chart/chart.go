// Package chart draws line charts as standalone SVG documents, using only
// the standard library. It is small on purpose: one chart type with
// numeric x and y axes (the x axis optionally logarithmic), a grid, a
// title, axis labels and a legend to the right of the plot.
package chart

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Series is one line of a chart.
type Series struct {
	// Name is shown in the legend.
	Name string
	// X and Y hold the points, in the order they are joined. They must
	// have the same length. A NaN or infinite coordinate leaves a gap.
	X, Y []float64
	// Color is an SVG color. Empty picks one from the palette by the
	// series' position.
	Color string
	// Dash is an SVG stroke-dasharray such as "6 3". Empty picks one by
	// position (the first series of each color cycle are solid); "solid"
	// forces a solid line.
	Dash string
	// Width is the stroke width in pixels; 0 means 1.8.
	Width float64
	// Marker is the point symbol: "circle", "square", "triangle",
	// "diamond", "cross" or "none". Empty picks one by position.
	Marker string
}

// LineChart describes a chart. The zero value of every field but Series
// has a usable default.
type LineChart struct {
	Title  string
	XLabel string
	YLabel string
	// Width and Height are the size of the whole image in pixels; 0 means
	// 960 by 540.
	Width, Height int
	// LogX spaces the x axis logarithmically. Every x must then be
	// positive; other points are left out.
	LogX bool
	// YMin and YMax fix the y range when YMax > YMin. Otherwise the range
	// runs from 0 (or the smallest y, if negative) to a round number at
	// or above the largest y.
	YMin, YMax float64
	// Series are listed in the legend in order and drawn in reverse
	// order, so that the first lies on top.
	Series []Series
}

// Palette is the sequence of colors given to series that name none. The
// colors are far apart in hue and lightness so that neighbours in the
// legend are easy to tell apart.
var Palette = []string{
	"#1b6ac9", // blue
	"#e8590c", // orange
	"#2f9e44", // green
	"#c2255c", // crimson
	"#7048e8", // violet
	"#8d6e1f", // brown
	"#0c8599", // teal
	"#e64980", // pink
	"#5c940d", // olive
	"#495057", // slate
}

// dashes are cycled once per pass through the palette.
var dashes = []string{"", "7 4", "2 3", "9 3 2 3"}

// markers are cycled per series.
var markers = []string{"circle", "square", "triangle", "diamond", "cross"}

// Layout constants, in pixels.
const (
	marginLeft   = 72
	marginTop    = 48
	marginBottom = 58
	marginRight  = 24
	legendGap    = 24
	legendLine   = 30
	legendRow    = 20
	fontSize     = 13
	charWidth    = 7.2 // rough advance of a sans-serif character at fontSize
)

// ErrNoData is returned when no series has a point that can be drawn.
var ErrNoData = errors.New("chart: no drawable points")

// style is the resolved look of one series.
type style struct {
	color, dash, marker string
	width               float64
}

func (c *LineChart) styleOf(i int) style {
	s := c.Series[i]
	st := style{color: s.Color, dash: s.Dash, marker: s.Marker, width: s.Width}
	if st.color == "" {
		st.color = Palette[i%len(Palette)]
	}
	if st.dash == "" {
		st.dash = dashes[(i/len(Palette))%len(dashes)]
	} else if st.dash == "solid" {
		st.dash = ""
	}
	if st.marker == "" {
		st.marker = markers[i%len(markers)]
	}
	if st.width <= 0 {
		st.width = 1.8
	}
	return st
}

// usable reports whether the point (x, y) can be drawn on the chart.
func (c *LineChart) usable(x, y float64) bool {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
		return false
	}
	return !c.LogX || x > 0
}

// WriteSVG writes the chart as an SVG document to w.
func (c *LineChart) WriteSVG(w io.Writer) error {
	for i, s := range c.Series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("chart: series %d (%q) has %d x values and %d y values", i, s.Name, len(s.X), len(s.Y))
		}
	}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		for j := range s.X {
			x, y := s.X[j], s.Y[j]
			if !c.usable(x, y) {
				continue
			}
			xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
			ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
		}
	}
	if xmin > xmax {
		return ErrNoData
	}

	width, height := c.Width, c.Height
	if width <= 0 {
		width = 960
	}
	if height <= 0 {
		height = 540
	}

	// The y axis.
	var yTicks []float64
	if c.YMax > c.YMin {
		ymin, ymax = c.YMin, c.YMax
		yTicks = linearTicks(ymin, ymax, 6)
	} else {
		ymin = math.Min(0, ymin)
		if ymax <= ymin {
			ymax = ymin + 1
		}
		yTicks = linearTicks(ymin, ymax, 6)
		step := yTicks[1] - yTicks[0]
		ymax = math.Ceil(ymax/step-1e-9) * step
		ymin = math.Floor(ymin/step+1e-9) * step
		yTicks = linearTicks(ymin, ymax, 6)
	}

	// The x axis: a little padding so end points and markers are not cut.
	var xTicks []float64
	var xpos func(float64) float64 // data → fraction of the plot width
	if c.LogX {
		lo, hi := math.Log10(xmin), math.Log10(xmax)
		if hi-lo < 1e-9 {
			lo, hi = lo-0.5, hi+0.5
		}
		pad := (hi - lo) * 0.03
		lo, hi = lo-pad, hi+pad
		xTicks = logTicks(math.Pow(10, lo), math.Pow(10, hi))
		xpos = func(x float64) float64 { return (math.Log10(x) - lo) / (hi - lo) }
	} else {
		lo, hi := xmin, xmax
		if hi-lo < 1e-12 {
			lo, hi = lo-1, hi+1
		}
		pad := (hi - lo) * 0.03
		lo, hi = lo-pad, hi+pad
		xTicks = linearTicks(lo, hi, 8)
		xpos = func(x float64) float64 { return (x - lo) / (hi - lo) }
	}

	// Legend size decides the plot width.
	longest := 0
	for _, s := range c.Series {
		longest = max(longest, len([]rune(s.Name)))
	}
	legendW := 0
	if len(c.Series) > 0 {
		legendW = legendLine + 8 + int(math.Ceil(float64(longest)*charWidth)) + legendGap
	}
	plotX := float64(marginLeft)
	plotY := float64(marginTop)
	plotW := float64(width - marginLeft - marginRight - legendW)
	plotH := float64(height - marginTop - marginBottom)
	if plotW < 100 || plotH < 80 {
		return fmt.Errorf("chart: %d×%d is too small for the plot and a legend of %d series", width, height, len(c.Series))
	}
	px := func(x float64) float64 { return plotX + xpos(x)*plotW }
	py := func(y float64) float64 { return plotY + plotH - (y-ymin)/(ymax-ymin)*plotH }

	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }

	p(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="%d">`+"\n",
		width, height, width, height, fontSize)
	p(`<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	p(`<defs><clipPath id="plot"><rect x="%s" y="%s" width="%s" height="%s"/></clipPath></defs>`+"\n",
		num(plotX-6), num(plotY-6), num(plotW+12), num(plotH+12))
	if c.Title != "" {
		p(`<text x="%s" y="28" font-size="17" font-weight="bold">%s</text>`+"\n", num(plotX), esc(c.Title))
	}

	// Grid, ticks and tick labels.
	p(`<g stroke="#e3e3e3" stroke-width="1">` + "\n")
	for _, t := range yTicks {
		p(`<line x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", num(plotX), num(py(t)), num(plotX+plotW), num(py(t)))
	}
	for _, t := range xTicks {
		p(`<line x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", num(px(t)), num(plotY), num(px(t)), num(plotY+plotH))
	}
	p("</g>\n")
	p(`<g fill="#333333">` + "\n")
	for _, t := range yTicks {
		p(`<text x="%s" y="%s" text-anchor="end">%s</text>`+"\n", num(plotX-8), num(py(t)+4.5), esc(Label(t)))
	}
	for _, t := range xTicks {
		p(`<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num(px(t)), num(plotY+plotH+19), esc(Label(t)))
	}
	p("</g>\n")
	p(`<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#777777" stroke-width="1"/>`+"\n",
		num(plotX), num(plotY), num(plotW), num(plotH))
	if c.XLabel != "" {
		p(`<text x="%s" y="%s" text-anchor="middle" fill="#222222">%s</text>`+"\n",
			num(plotX+plotW/2), num(plotY+plotH+44), esc(c.XLabel))
	}
	if c.YLabel != "" {
		p(`<text transform="translate(20 %s) rotate(-90)" text-anchor="middle" fill="#222222">%s</text>`+"\n",
			num(plotY+plotH/2), esc(c.YLabel))
	}

	// The lines.
	p(`<g clip-path="url(#plot)" fill="none" stroke-linejoin="round" stroke-linecap="round">` + "\n")
	for i := len(c.Series) - 1; i >= 0; i-- {
		s, st := c.Series[i], c.styleOf(i)
		var d strings.Builder
		pen := false
		var pts [][2]float64
		for j := range s.X {
			if !c.usable(s.X[j], s.Y[j]) {
				pen = false
				continue
			}
			x, y := px(s.X[j]), py(s.Y[j])
			if pen {
				d.WriteString(" L")
			} else {
				if d.Len() > 0 {
					d.WriteByte(' ')
				}
				d.WriteByte('M')
			}
			d.WriteString(num(x) + " " + num(y))
			pen = true
			pts = append(pts, [2]float64{x, y})
		}
		p(`<g stroke="%s">`+"\n", esc(st.color))
		p(`<title>%s</title>`+"\n", esc(s.Name))
		if d.Len() > 0 {
			p(`<path d="%s" stroke-width="%s"%s/>`+"\n", d.String(), num(st.width), dashAttr(st.dash))
		}
		for _, pt := range pts {
			marker(bw, st.marker, pt[0], pt[1], st.color)
		}
		p("</g>\n")
	}
	p("</g>\n")

	// The legend, one row per series, top right.
	if len(c.Series) > 0 {
		lx := plotX + plotW + legendGap
		p(`<g font-size="%d" fill="#222222">`+"\n", fontSize)
		for i, s := range c.Series {
			st := c.styleOf(i)
			y := plotY + 8 + float64(i)*legendRow
			p(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"%s/>`+"\n",
				num(lx), num(y), num(lx+legendLine), num(y), esc(st.color), num(st.width), dashAttr(st.dash))
			marker(bw, st.marker, lx+legendLine/2, y, st.color)
			p(`<text x="%s" y="%s">%s</text>`+"\n", num(lx+legendLine+8), num(y+4.5), esc(s.Name))
		}
		p("</g>\n")
	}
	p("</svg>\n")
	return bw.Flush()
}

// dashAttr returns the stroke-dasharray attribute for dash, or nothing for
// a solid line.
func dashAttr(dash string) string {
	if dash == "" {
		return ""
	}
	return ` stroke-dasharray="` + esc(dash) + `"`
}

// marker draws one point symbol centred on (x, y).
func marker(w io.Writer, kind string, x, y float64, color string) {
	const r = 3.6
	c := esc(color)
	switch kind {
	case "none":
	case "square":
		fmt.Fprintf(w, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="none"/>`+"\n",
			num(x-r+0.5), num(y-r+0.5), num(2*r-1), num(2*r-1), c)
	case "triangle":
		fmt.Fprintf(w, `<path d="M%s %s L%s %s L%s %s Z" fill="%s" stroke="none"/>`+"\n",
			num(x), num(y-r-0.5), num(x+r), num(y+r-1), num(x-r), num(y+r-1), c)
	case "diamond":
		fmt.Fprintf(w, `<path d="M%s %s L%s %s L%s %s L%s %s Z" fill="%s" stroke="none"/>`+"\n",
			num(x), num(y-r-0.5), num(x+r), num(y), num(x), num(y+r+0.5), num(x-r), num(y), c)
	case "cross":
		fmt.Fprintf(w, `<path d="M%s %s L%s %s M%s %s L%s %s" fill="none" stroke="%s" stroke-width="1.8"/>`+"\n",
			num(x-r), num(y-r), num(x+r), num(y+r), num(x-r), num(y+r), num(x+r), num(y-r), c)
	default: // circle
		fmt.Fprintf(w, `<circle cx="%s" cy="%s" r="%s" fill="%s" stroke="none"/>`+"\n", num(x), num(y), num(r-0.4), c)
	}
}

// num formats a coordinate with at most two decimals.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// esc escapes s for use in XML text and attribute values.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}

// Label formats an axis value compactly: 1500 as "1.5k", 2000000 as "2M",
// 0.25 as "0.25".
func Label(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return trim(v/1e6) + "M"
	case a >= 1e3:
		return trim(v/1e3) + "k"
	}
	return trim(v)
}

// trim prints v rounded to three decimals, without trailing zeros.
func trim(v float64) string {
	v = math.Round(v*1000) / 1000
	if v == 0 {
		return "0" // also turns -0 into 0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// linearTicks returns round tick values covering [lo, hi] with about n
// intervals, using steps of 1, 2, 2.5 or 5 times a power of ten. Only
// ticks inside [lo, hi] are returned.
func linearTicks(lo, hi float64, n int) []float64 {
	if !(hi > lo) || n < 1 {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	e := math.Floor(math.Log10(raw))
	mag := math.Pow(10, e)
	m := 10.0
	for _, c := range []float64{1, 2, 2.5, 5} {
		if c*mag >= raw {
			m = c
			break
		}
	}
	step := m * mag
	// at is the k-th multiple of the step, computed so that round values
	// come out exactly (0.3, not 0.30000000000000004).
	at := func(k float64) float64 {
		if e < 0 {
			return k * m / math.Pow(10, -e)
		}
		return k * m * mag
	}
	var ticks []float64
	for k := math.Ceil(lo/step - 1e-9); at(k) <= hi+step*1e-9; k++ {
		ticks = append(ticks, at(k))
	}
	return ticks
}

// logTicks returns ticks for a logarithmic axis over [lo, hi] (both
// positive): powers of ten times 1, 2 and 5, or times 1 to 9 when that
// gives fewer than five ticks, or powers of ten alone when it gives too
// many; failing all of those, the set giving the most ticks up to twelve.
// A range too narrow for any of them gets linear ticks.
func logTicks(lo, hi float64) []float64 {
	var best []float64
	for _, set := range [][]float64{{1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}, {1}} {
		var ticks []float64
		for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
			for _, m := range set {
				if t := m * math.Pow(10, e); t >= lo && t <= hi {
					ticks = append(ticks, t)
				}
			}
		}
		if len(ticks) >= 5 && len(ticks) <= 12 {
			return ticks
		}
		if len(ticks) <= 12 && len(ticks) > len(best) {
			best = ticks
		}
	}
	if len(best) < 2 {
		return linearTicks(lo, hi, 5)
	}
	return best
}
