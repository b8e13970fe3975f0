package gate

import (
	"fmt"
	"math"

	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
	"github.com/mpbench/mpbench/stats/infer"
)

// evaluate compares the figures of targets in NEW's run cur with OLD's run
// old, both from one A/B sweep. It is pure: contention holds the CPU
// contention of the cells by "old "/"new " and cell key (may be empty).
func evaluate(old, cur *runfile.Run, targets []target, contention map[string]float64, opt Options) ([]Row, error) {
	rows := make([]Row, len(targets))
	ps := make([]float64, len(targets))
	// Holm's first, strictest threshold: what a figure must reach alone.
	perFigure := opt.Alpha / float64(max(1, len(targets)))
	for i, g := range targets {
		c := g.cell
		row := Row{Cell: c.key(), Figure: g.figure}
		oc, nc := findCell(old, c.Workload, c.Model, c.Cores), findCell(cur, c.Workload, c.Model, c.Cores)
		if oc == nil || nc == nil {
			return nil, fmt.Errorf("cell %s did not run, or failed, on a side of the A/B run", c.key())
		}
		row.Contention = maxLoad(contentionOf(contention, "old "+oc.Key()), contentionOf(contention, "new "+nc.Key()))
		ox, nx := oc.ComputeTimes(), nc.ComputeTimes()
		var ov, nv []float64 // the figure's samples
		if g.figure == Time {
			ov, nv = ox, nx
			if lo, hi, ok := infer.RatioCI(ox, nx, 1-opt.Alpha); ok {
				lo, hi = lo-1, hi-1
				row.CILow, row.CIHigh = &lo, &hi
			}
		} else {
			so, sn := old.Baseline(oc), cur.Baseline(nc)
			if so == nil || sn == nil {
				return nil, fmt.Errorf("cell %s: no sequential cell to take the ratio against", c.key())
			}
			row.Contention = maxLoad(row.Contention, contentionOf(contention, "old "+so.Key()), contentionOf(contention, "new "+sn.Key()))
			ov, nv = ratioSample(g.figure, ox, so.ComputeTimes(), oc, so), ratioSample(g.figure, nx, sn.ComputeTimes(), nc, sn)
			// Slowdown of T(model)/T(sequential): the model's ratio over
			// the sequential cell's ratio, each interval at 1 − α/2.
			a, b, ok1 := infer.RatioCI(ox, nx, 1-opt.Alpha/2)
			lo, hi, ok2 := infer.RatioCI(so.ComputeTimes(), sn.ComputeTimes(), 1-opt.Alpha/2)
			if ok1 && ok2 {
				l, h := a/hi-1, b/lo-1
				row.CILow, row.CIHigh = &l, &h
			}
		}
		row.Old, row.New = median(ov), median(nv)
		if g.figure == Speedup || g.figure == Efficiency {
			row.Slowdown = row.Old/row.New - 1
		} else {
			row.Slowdown = row.New/row.Old - 1
		}
		row.P = infer.UTest(ov, nv, opt.Alpha).P
		if d, ok := infer.MinDetectable(ov, nv, perFigure); ok {
			row.MinDetectable = &d
		}
		if row.CILow == nil {
			row.Notes = append(row.Notes, "too few trials for a confidence interval")
		}
		rows[i], ps[i] = row, row.P
	}
	for i, p := range infer.Holm(ps) {
		r := &rows[i]
		r.PHolm = p
		r.Regressed = p <= opt.Alpha && r.Slowdown > 0 && r.CILow != nil && *r.CILow > opt.MaxSlowdown
		r.Busy = opt.MaxContention >= 0 && r.Contention > opt.MaxContention
		r.Underpowered = !r.Regressed && (r.MinDetectable == nil || *r.MinDetectable > opt.MaxSlowdown || r.CILow == nil)
	}
	return rows, nil
}

// maxLoad returns the highest of the loads that were measured, NaN when
// none was.
func maxLoad(xs ...float64) float64 {
	out := math.NaN()
	for _, x := range xs {
		if !math.IsNaN(x) && (math.IsNaN(out) || x > out) {
			out = x
		}
	}
	return out
}

func contentionOf(m map[string]float64, key string) float64 {
	if p, ok := m[key]; ok {
		return p
	}
	return math.NaN()
}

// ratioSample returns one value of the figure per trial of the model's
// cell, against the median of its side's sequential cell (scaled to the
// cell's task count).
func ratioSample(f Figure, model, seq []float64, mc, sc *runfile.Cell) []float64 {
	tseq := median(seq) * float64(mc.Tasks) / float64(sc.Tasks)
	out := make([]float64, len(model))
	for i, t := range model {
		sp := tseq / t
		switch f {
		case Speedup:
			out[i] = sp
		case Efficiency:
			out[i] = sp / float64(mc.Cores)
		case Overhead:
			out[i] = float64(mc.Cores) / sp
		}
	}
	return out
}

func findCell(r *runfile.Run, wl, model string, cores int) *runfile.Cell {
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Workload == wl && c.Model == model && c.Cores == cores && !c.Failed() && len(c.Trials) > 0 {
			return c
		}
	}
	return nil
}

func median(xs []float64) float64 { return stats.Summarize(xs).Median }
