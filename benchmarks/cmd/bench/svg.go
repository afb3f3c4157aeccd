package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"strconv"
)

// barChart is a grouped bar chart: one group of bars per category along
// the x axis, one bar per series in each group. NaN values are drawn as
// missing.
type barChart struct {
	Title  string
	YLabel string
	Groups []string
	Series []string
	Values [][]float64 // [series][group]
	Unit   string      // appended to values in tooltips
	Log    bool        // logarithmic y axis, ticks at powers of ten
}

var palette = []string{
	"#d62728", // strata: first series, the one the report is about
	"#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#7f7f7f", "#e377c2", "#17becf",
}

// niceStep returns a round tick step giving about n ticks up to max.
func niceStep(max float64, n int) float64 {
	if max <= 0 {
		return 1
	}
	raw := max / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// SVG renders the chart as a standalone SVG document.
func (c barChart) SVG() []byte {
	const (
		width, height              = 960, 440
		left, right, top, bottom   = 70, 150, 40, 50
		plotW, plotH               = width - left - right, height - top - bottom
		groupPad, barPad, fontSize = 0.2, 1.0, 12
	)
	maxV := 0.0
	for _, s := range c.Values {
		for _, v := range s {
			if !math.IsNaN(v) && v > maxV {
				maxV = v
			}
		}
	}
	var (
		y     func(v float64) float64
		ticks []float64
	)
	if c.Log {
		minV := math.Inf(1)
		for _, s := range c.Values {
			for _, v := range s {
				if v > 0 && v < minV {
					minV = v
				}
			}
		}
		if math.IsInf(minV, 1) {
			minV, maxV = 1, 10
		}
		lo := math.Floor(math.Log10(minV))
		hi := math.Max(math.Ceil(math.Log10(maxV)), lo+1)
		y = func(v float64) float64 {
			if v <= 0 {
				return float64(top + plotH)
			}
			return float64(top+plotH) - (math.Log10(v)-lo)/(hi-lo)*plotH
		}
		for e := lo; e <= hi; e++ {
			ticks = append(ticks, math.Pow(10, e))
		}
	} else {
		step := niceStep(maxV, 5)
		yMax := math.Ceil(maxV/step) * step
		if yMax == 0 {
			yMax = 1
		}
		y = func(v float64) float64 { return float64(top+plotH) - v/yMax*plotH }
		for v := 0.0; v <= yMax+step/2; v += step {
			ticks = append(ticks, v)
		}
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="%d">`+"\n",
		width, height, width, height, fontSize)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="16" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(c.Title))
	// Grid and y axis.
	for _, v := range ticks {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, left+plotW, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", left-6, y(v), trimFloat(v))
	}
	fmt.Fprintf(&b, `<text transform="translate(18 %d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", top+plotH/2, html.EscapeString(c.YLabel))
	// Bars.
	groupW := float64(plotW) / float64(max(len(c.Groups), 1))
	barW := groupW * (1 - groupPad) / float64(max(len(c.Series), 1))
	for g, name := range c.Groups {
		x0 := float64(left) + float64(g)*groupW + groupW*groupPad/2
		for s := range c.Series {
			v := c.Values[s][g]
			if math.IsNaN(v) {
				continue
			}
			x := x0 + float64(s)*barW
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %s%s</title></rect>`+"\n",
				x, y(v), barW-barPad, float64(top+plotH)-y(v), palette[s%len(palette)],
				html.EscapeString(c.Series[s]), html.EscapeString(name), trimFloat(v), html.EscapeString(c.Unit))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n",
			float64(left)+(float64(g)+0.5)*groupW, top+plotH+20, html.EscapeString(name))
	}
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#333"/>`+"\n", left, left+plotW, top+plotH, top+plotH)
	// Legend.
	for s, name := range c.Series {
		ly := top + 10 + s*22
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="14" fill="%s"/>`+"\n", left+plotW+16, ly, palette[s%len(palette)])
		fmt.Fprintf(&b, `<text x="%d" y="%d" dominant-baseline="middle">%s</text>`+"\n", left+plotW+36, ly+7, html.EscapeString(name))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// trimFloat prints v with at most three significant decimals.
func trimFloat(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	}
}
