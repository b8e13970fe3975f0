package render

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// SweptParam returns the one parameter run sweeps for workload, or "" when
// it sweeps none or several (a granularity chart needs exactly one).
func SweptParam(run *runfile.Run, workload string) string {
	sw := run.Config.Sweeps[workload]
	if len(sw) != 1 {
		return ""
	}
	for k := range sw {
		return k
	}
	return ""
}

// SweepSeries returns, per model but the baselines, the speedup over its
// family's baseline against the swept parameter's value at the largest core
// count the model ran. Point.Cores holds the parameter's value.
func SweepSeries(run *runfile.Run, workload, param string) []Series {
	var out []Series
	for _, model := range Models([]*runfile.Run{run}, workload) {
		if run.IsBaseline(model) {
			continue
		}
		top := 0
		for i := range run.Cells {
			c := &run.Cells[i]
			if c.Workload == workload && c.Model == model && reports.Drawable(c) {
				top = max(top, c.Cores)
			}
		}
		s := Series{Model: model}
		for i := range run.Cells {
			c := &run.Cells[i]
			if c.Workload != workload || c.Model != model || c.Cores != top || !reports.Drawable(c) || c.Summary.Speedup == nil {
				continue
			}
			p := Point{Cores: int(c.Params[param]), Y: *c.Summary.Speedup}
			p.Low, p.High = p.Y, p.Y
			p.Hollow, p.Why, p.Suspect = hollow(c)
			s.Points = append(s.Points, p)
		}
		sort.Slice(s.Points, func(i, j int) bool { return s.Points[i].Cores < s.Points[j].Cores })
		if len(s.Points) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// focus returns a copy of run whose cells of workload are those at the
// largest value of the swept param only, so that the charts over cores
// show one task size; other workloads' cells are kept.
func focus(run *runfile.Run, workload, param string) (*runfile.Run, int64) {
	var top int64
	for _, c := range run.Cells {
		if c.Workload == workload {
			top = max(top, c.Params[param])
		}
	}
	cp := *run
	cp.Cells = nil
	for _, c := range run.Cells {
		if c.Workload != workload || c.Params[param] == top {
			cp.Cells = append(cp.Cells, c)
		}
	}
	return &cp, top
}

// granularityChart draws speedup against task size (log x), a line per
// model at its largest core count: where parallelism starts to pay.
func (v *view) granularityChart() *Chart {
	run, param := v.sweep.full, v.sweep.param
	ss := SweepSeries(run, v.wl, param)
	c := &Chart{Title: v.wl + ": speedup vs " + param}
	p := newPlot(v.title("speedup vs "+param+" (granularity)"), v.wl+"."+param+" (log scale)", "speedup over sequential (×)")
	var xs []float64
	hi := 1.0
	for _, s := range ss {
		for _, pt := range s.Points {
			xs = append(xs, float64(pt.Cores))
			hi = math.Max(hi, pt.Y)
		}
	}
	if len(xs) == 0 {
		c.fig = &figure{plot: p, empty: "no speedup to draw: no passing cell with a sequential baseline"}
		c.Caption = []string{"Speedup against task size."}
		return c
	}
	lo, top := slices.Min(xs), slices.Max(xs)
	if lo == top {
		lo, top = lo/2, top*2
	}
	p.X.Scale = plot.LogScale{}
	p.X.Min, p.X.Max = lo/1.5, top*1.5
	p.X.Tick.Marker = logTicks{countTick}
	p.Y.Min, p.Y.Max = 0, hi*1.1
	p.Y.Tick.Marker = linTicks{func(x float64) string { return num(x) + "×" }}
	base := draw.LineStyle{Color: v.style("sequential").Color, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(3), vg.Points(3)}}
	p.Add(hline{1, base})
	v.addSeries(p, ss, false)
	models := drawnModels(ss)
	c.fig = &figure{plot: p, legend: v.legendModels(models, true, anyHollowPoint(ss))}
	c.fig.legend = append(c.fig.legend, legendItem{"sequential (1×): above it parallelism pays", lineThumb{line: base}})
	c.Caption = []string{fmt.Sprintf("Speedup over sequential against the task size %s.%s, each model at the largest core count it ran. "+
		"Where a line crosses 1× the model starts to beat the plain loop: the break-even task size, also in the summary.", v.wl, param)}
	for _, b := range run.BreakEven {
		if b.Workload != v.wl {
			continue
		}
		if b.Value != nil {
			c.note(fmt.Sprintf("%s beats sequential from %s=%d on (c = %d).", b.Model, param, *b.Value, b.Cores))
		} else {
			c.note(fmt.Sprintf("%s: %s.", b.Model, b.Note))
		}
	}
	for _, s := range ss {
		for _, pt := range s.Points {
			if pt.Hollow {
				c.note(fmt.Sprintf("Hollow: %s at %s=%d (%s).", s.Model, param, pt.Cores, pt.Why))
			}
		}
	}
	return c
}

// countTick labels a count axis: 500, 1k, 10k, 2.5M, 1G.
func countTick(x float64) string {
	for _, u := range []struct {
		div  float64
		unit string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if x >= u.div {
			return strconv.FormatFloat(x/u.div, 'g', 3, 64) + u.unit
		}
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}
