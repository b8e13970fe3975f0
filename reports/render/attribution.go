package render

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// partFills are the colours of the attribution's parts; the remainder is
// drawn in the model's own colour (it is the model's own cost, as compute
// is in the phases chart).
var partFills = map[string]Style{
	runfile.PartWorkerStart: {Color: rgb(0xCFCFCF)},
	runfile.PartPageFaults:  {Color: rgb(0xE8C547)},
	runfile.PartWakeups:     {Color: rgb(0x5FB3B3)},
	runfile.PartWithheld:    {Color: rgb(0x8C8C8C)},
	runfile.PartIdleEdges:   {Color: rgb(0xB39DDB)},
}

// attributionChart draws, at the largest core count, one stacked bar per
// model: its lost core time per task split into the parts of its
// attribution (runfile.Attribution), positive parts right of 0, negative
// ones left of it, with a black tick at the lost time itself.
func (v *view) attributionChart() *Chart {
	var bars []Bar
	for _, b := range LargestBars(v.runs, v.wl) {
		if !v.runs[b.Run].IsBaseline(b.Model) && b.Attribution != nil {
			bars = append(bars, b)
		}
	}
	c := &Chart{Title: v.wl + ": where the overhead goes at the largest core count"}
	lo, hi := 0.0, 0.0
	for _, b := range bars {
		pos, neg := 0.0, 0.0
		for _, name := range runfile.AttributionParts {
			if p := b.Attribution.Part(name); p != nil && p.NsPerTask != nil {
				if *p.NsPerTask > 0 {
					pos += *p.NsPerTask
				} else {
					neg += *p.NsPerTask
				}
			}
		}
		hi = math.Max(hi, math.Max(pos, b.Attribution.LostNsPerTask))
		lo = math.Min(lo, math.Min(neg, b.Attribution.LostNsPerTask))
	}
	if hi == 0 {
		hi = 1000
	}
	div, unit := timeUnit(math.Max(hi, -lo))
	p := newPlot(v.title("where the overhead goes at "+v.largestText()),
		"core time lost per task ("+unit+") = (c · T(model, c) − T(sequential)) / tasks, split into its causes", "")
	var labels []string
	for _, b := range bars {
		labels = append(labels, v.category(b))
	}
	n := len(bars)
	if n == 0 {
		labels = []string{""}
	}
	categoryAxis(p, labels)
	span := hi - lo
	// Room on the right for the printed figures.
	p.X.Min, p.X.Max = lo-0.02*span, hi+0.75*span
	p.X.Tick.Marker = linTicks{func(x float64) string { return num(x / div) }}
	hb := &hbars{thickness: 0.62}
	sep := draw.LineStyle{Color: white, Width: vg.Points(1)}
	val := textStyle(sans, valueSize)
	val.YAlign = draw.YCenter
	var ns notes
	var ticks []hbar
	var exceed, absent []string
	for i, b := range bars {
		y := float64(n - 1 - i)
		a := b.Attribution
		right := 0.0
		var figs []string
		for _, sg := range attributionSegments(a) {
			var fill color.Color = partFills[sg.name].Color
			edge := sep
			if sg.name == runfile.PartRemainder {
				st := v.style(b.Model)
				fill, edge = barFill(st, b.Hollow), barEdge(st, b.Hollow)
			}
			hb.bars = append(hb.bars, hbar{y: y, from: sg.from, to: sg.to, fill: fill, edge: edge})
			right = math.Max(right, sg.to)
			if sg.name == runfile.PartRemainder {
				figs = append(figs, fmt.Sprintf("%s %s", shortPart(sg.name), reports.Duration(sg.value())))
			}
		}
		for _, name := range runfile.AttributionParts {
			if pt := a.Part(name); pt != nil && pt.NsPerTask == nil && name != runfile.PartWorkerStart {
				why, _, _ := strings.Cut(pt.Reason, ":")
				absent = append(absent, fmt.Sprintf("%s: %s (%s)", v.who(b.Run, b.Model), runfile.PartLabels[name], why))
			}
		}
		// The lost time: a black tick across the bar.
		ticks = append(ticks, hbar{y: y, from: a.LostNsPerTask, to: a.LostNsPerTask, fill: color.Transparent, edge: draw.LineStyle{Color: color.Black, Width: vg.Points(3)}})
		txt := "lost " + reports.Duration(a.LostNsPerTask)
		if a.Exceeds {
			txt += " — parts exceed it"
			exceed = append(exceed, fmt.Sprintf("%s by %s", v.who(b.Run, b.Model), reports.Duration(-a.RemainderNsPerTask)))
		}
		if len(figs) > 0 {
			txt += " (" + strings.Join(figs, ", ") + ")"
		}
		ns = append(ns, note{math.Max(right, a.LostNsPerTask), y, txt, val, vg.Point{X: vg.Points(8)}, false})
	}
	tk := &hbars{bars: ticks, thickness: 0.8}
	p.Add(hb, tk, ns)
	c.fig = &figure{plot: p}
	for _, name := range runfile.AttributionParts[:len(runfile.AttributionParts)-1] {
		c.fig.legend = append(c.fig.legend, legendItem{runfile.PartLabels[name], swatchThumb{fill: partFills[name].Color}})
	}
	c.fig.legend = append(c.fig.legend,
		legendItem{"remainder: idle, waiting, the model's own work (in the model's colour)", v.stripesThumb(modelsIn(bars, func(b Bar) string { return b.Model }))},
		legendItem{"lost core time, as measured", lineThumb{line: draw.LineStyle{Color: color.Black, Width: vg.Points(3)}}})
	if h := anyHollowBar(bars); h != "" {
		c.fig.legend = append(c.fig.legend, legendItem{h, swatchThumb{fill: white, edge: draw.LineStyle{Color: darkGray, Width: vg.Points(3)}}})
	}
	if n == 0 {
		c.fig.empty = "no attribution: no parallel model with a baseline"
	}
	c.Caption = []string{"Core time lost per task at the largest core count (the black tick), split into: the workers' start inside compute (0 where they start in setup); page faults and context switches beyond sequential's, priced at the run's probe; the CPU capacity the machine withheld (c less the effective cores); the workers' idle at the ends of each pass (edges); and, in the model's colour, the remainder: waiting between chunks and the model's own work. Nothing is clipped: parts below 0 lie left of 0."}
	if fam := v.familyBaselines(); fam != "" {
		c.Caption = append(c.Caption, fam)
	}
	if len(exceed) > 0 {
		c.note("The parts add up to more than the lost time (negative remainder, not clipped): " + strings.Join(exceed, "; ") + ".")
	}
	if len(absent) > 0 {
		c.note("Absent parts (in the remainder): " + strings.Join(absent, "; ") + ".")
	}
	c.note(v.barNotes(bars)...)
	return c
}

// shortPart is a part's name in a bar's printed figures.
func shortPart(name string) string {
	switch name {
	case runfile.PartWorkerStart:
		return "start"
	case runfile.PartPageFaults:
		return "faults"
	case runfile.PartWakeups:
		return "wake-ups"
	case runfile.PartWithheld:
		return "withheld"
	case runfile.PartIdleEdges:
		return "edges"
	}
	return "remainder"
}

// segment is one part of an attribution's stacked bar: positive parts are
// laid end to end right of 0 in AttributionParts' order, negative ones
// left of 0.
type segment struct {
	name     string
	from, to float64
	neg      bool
}

// value is the part's figure: its length, negative left of 0.
func (s segment) value() float64 {
	if s.neg {
		return s.from - s.to
	}
	return s.to - s.from
}

// attributionSegments returns the segments of a's bar, the parts with a
// value, remainder last.
func attributionSegments(a *runfile.Attribution) []segment {
	var out []segment
	right, left := 0.0, 0.0
	for _, name := range runfile.AttributionParts {
		pt := a.Part(name)
		if pt == nil || pt.NsPerTask == nil {
			continue
		}
		x := *pt.NsPerTask
		if x >= 0 {
			out = append(out, segment{name: name, from: right, to: right + x})
			right += x
		} else {
			out = append(out, segment{name: name, from: left + x, to: left, neg: true})
			left += x
		}
	}
	return out
}
