package render

import (
	"fmt"
	"math"
	"strings"

	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The cold-versus-warm chart answers "is it worth keeping a pool alive?":
// at the largest core count, each model's cold pass (the first pass of a
// fresh session) beside its warm pass (the same workers, kept), and what a
// fresh pool per map costs against a kept one. It is drawn only for runs
// that record cold passes (Summary.ColdNs); older runs have none.

// coldWarmKey names the chart's file: <workload>-coldwarm.png.
const coldWarmKey = "coldwarm"

// coldWarmRow is one model's row of the chart: a bar of LargestBars with
// its median cold pass.
type coldWarmRow struct {
	Bar
	// Cold is the median cold pass (ns); Compute, of Bar, the warm one.
	Cold float64
}

// Ratio is cold ÷ warm: how much slower the first pass of a fresh session
// is than a pass with the workers kept.
func (r coldWarmRow) Ratio() float64 { return r.Cold / r.Compute }

// OneOff is (setup + cold + teardown) ÷ warm: what one map on a fresh pool
// costs against one more pass on a kept pool.
func (r coldWarmRow) OneOff() float64 { return (r.Setup + r.Cold + r.Teardown) / r.Compute }

// coldWarmRows returns the rows of the chart, and the bars of LargestBars
// without a cold pass (cells of a run from before cold passes).
func (v *view) coldWarmRows() (rows []coldWarmRow, without []Bar) {
	for _, b := range LargestBars(v.runs, v.wl) {
		c := cellAt(v.runs[b.Run], v.wl, b.Model, b.Cores)
		if c == nil || c.Summary == nil || c.Summary.ColdNs == nil || b.Compute <= 0 {
			without = append(without, b)
			continue
		}
		rows = append(rows, coldWarmRow{Bar: b, Cold: *c.Summary.ColdNs})
	}
	return rows, without
}

// cellAt returns the cell of r at (workload, model, cores), or nil.
func cellAt(r *runfile.Run, wl, model string, cores int) *runfile.Cell {
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Workload == wl && c.Model == model && c.Cores == cores {
			return c
		}
	}
	return nil
}

// coldWarmChart returns the cold-versus-warm chart of the view's workload,
// named and captioned, or nil when no cell of it records a cold pass.
func (v *view) coldWarmChart() *Chart {
	rows, without := v.coldWarmRows()
	if len(rows) == 0 {
		return nil
	}
	c := &Chart{Title: v.wl + ": cold vs warm pass at the largest core count", File: fileName(v.wl) + "-" + coldWarmKey + ".png"}
	lo, hi := math.Inf(1), 0.0
	for _, r := range rows {
		lo, hi = math.Min(lo, math.Min(r.Cold, r.Compute)), math.Max(hi, math.Max(r.Cold, r.Compute))
	}
	logX := lo > 0 && hi/lo > logRatio
	div, unit := timeUnit(hi)
	xlabel := "time per pass (" + unit + ")"
	if logX {
		xlabel = "time per pass (log scale)"
	}
	p := newPlot(v.title("cold vs warm pass: is it worth keeping a pool alive? At "+v.largestText()), xlabel, "")
	var labels []string
	for _, r := range rows {
		labels = append(labels, v.category(r.Bar))
	}
	categoryAxis(p, labels)
	// Room on the right for each row's printed figures (two ratios).
	at := barAxisX(p, lo, hi, div, logX, 0.8)
	// Each row: the cold pass above, in a pale tint of the model's colour,
	// the warm pass below, in its colour.
	n := len(rows)
	cold, warm := &hbars{thickness: 0.34}, &hbars{thickness: 0.34}
	val := textStyle(sans, valueSize)
	val.YAlign = draw.YCenter
	var ns notes
	for i, r := range rows {
		y := float64(n - 1 - i)
		st := v.style(r.Model)
		cold.bars = append(cold.bars, hbar{y: y + 0.18, from: at(0), to: at(r.Cold), fill: tint(st.Color, 0.65), edge: draw.LineStyle{Color: st.Color, Width: vg.Points(1)}})
		warm.bars = append(warm.bars, hbar{y: y - 0.18, from: at(0), to: at(r.Compute), fill: barFill(st, r.Hollow), edge: barEdge(st, r.Hollow)})
		ns = append(ns, note{math.Max(r.Cold, r.Compute), y, fmt.Sprintf("cold %s× warm; one-off %s×", reports.Sig3(r.Ratio()), reports.Sig3(r.OneOff())), val, vg.Point{X: vg.Points(8)}, false})
	}
	p.Add(cold, warm, ns)
	c.fig = &figure{plot: p}
	models := modelsIn(rows, func(r coldWarmRow) string { return r.Model })
	c.fig.legend = append(c.fig.legend,
		legendItem{"cold pass (upper, pale): first pass of a fresh session", swatchThumb{fill: tint(darkGray, 0.65), edge: draw.LineStyle{Color: darkGray, Width: vg.Points(1)}}},
		legendItem{"warm pass (lower): the same workers, kept", swatchThumb{fill: darkGray}})
	for _, m := range models {
		c.fig.legend = append(c.fig.legend, legendItem{m, barThumb(v.style(m))})
	}
	var bars []Bar
	for _, r := range rows {
		bars = append(bars, r.Bar)
	}
	if h := anyHollowBar(bars); h != "" {
		c.fig.legend = append(c.fig.legend, legendItem{h, swatchThumb{fill: white, edge: draw.LineStyle{Color: darkGray, Width: vg.Points(3)}}})
	}
	c.Caption = []string{
		"Is it worth keeping a pool alive? Each model's median cold pass (the first of a fresh session: new workers, cold caches) above its median warm pass (the same workers kept), at the largest core count, sequential at c = 1 for reference.",
		"Printed: cold ÷ warm, and one-off ÷ warm, where one-off (setup + cold pass + teardown) is what one map on a fresh pool costs.",
	}
	if v.sweep != nil {
		c.Caption = append([]string{fmt.Sprintf("Cells at %s.%s=%d, the largest value swept (the granularity chart shows every value).", v.wl, v.sweep.param, v.sweep.shown)}, c.Caption...)
	}
	if logX {
		c.Caption = append(c.Caption, "Log scale: the times differ by more than 20×.")
	}
	var none []string
	for _, b := range without {
		none = append(none, fmt.Sprintf("%s at c = %d", v.who(b.Run, b.Model), b.Cores))
	}
	if len(none) > 0 {
		c.note("No cold pass recorded (a run from before cold passes): " + strings.Join(none, "; ") + ".")
	}
	c.note(v.barNotes(bars)...)
	k := len(c.Caption) - c.notes
	c.fig.caption, c.fig.notes = c.Caption[:k], c.Caption[k:]
	return c
}
