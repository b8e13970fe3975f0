package gate

import (
	"fmt"
	"math"

	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
	"github.com/mpbench/mpbench/stats/infer"
)

// evaluate compares the figures of targets in cur with base. It is pure:
// contention holds the CPU contention of cur's cells by key (may be empty).
func evaluate(base, cur *runfile.Run, targets []target, contention map[string]float64, opt Options) ([]Row, error) {
	rows := make([]Row, len(targets))
	var ps []float64
	var idx []int
	for i, g := range targets {
		c := g.cell
		row := Row{Cell: c.key(), Figure: g.figure, Contention: math.NaN()}
		bc, cc := findCell(base, c.Workload, c.Model, c.Cores), findCell(cur, c.Workload, c.Model, c.Cores)
		if bc == nil || cc == nil {
			return nil, fmt.Errorf("cell %s missing from the baseline or from this run", c.key())
		}
		row.Contention = contentionOf(contention, cc.Key())
		bx, cx := bc.ComputeTimes(), cc.ComputeTimes()
		if g.figure == Time {
			row.Baseline, row.Current = median(bx), median(cx)
			row.Slowdown = row.Current/row.Baseline - 1
			row.P = infer.UTest(bx, cx, opt.Alpha).P
			if lo, hi, ok := infer.RatioCI(bx, cx, 1-opt.Alpha); ok {
				lo, hi = lo-1, hi-1
				row.CILow, row.CIHigh = &lo, &hi
			}
		} else {
			bs, cs := base.Baseline(bc), cur.Baseline(cc)
			if bs == nil || cs == nil {
				return nil, fmt.Errorf("cell %s: no sequential cell to take the ratio against", c.key())
			}
			row.Contention = math.Max(row.Contention, contentionOf(contention, cs.Key()))
			bv, cv := ratioSample(g.figure, bx, bs.ComputeTimes(), bc, bs), ratioSample(g.figure, cx, cs.ComputeTimes(), cc, cs)
			row.Baseline, row.Current = median(bv), median(cv)
			if g.figure == Overhead {
				row.Slowdown = row.Current/row.Baseline - 1
			} else {
				row.Slowdown = row.Baseline/row.Current - 1
			}
			row.P = infer.UTest(bv, cv, opt.Alpha).P
			// Slowdown of T(model)/T(sequential): the model's ratio over
			// the sequential cell's ratio, each interval at 1 − α/2.
			a, b, ok1 := infer.RatioCI(bx, cx, 1-opt.Alpha/2)
			lo, hi, ok2 := infer.RatioCI(bs.ComputeTimes(), cs.ComputeTimes(), 1-opt.Alpha/2)
			if ok1 && ok2 {
				l, h := a/hi-1, b/lo-1
				row.CILow, row.CIHigh = &l, &h
			}
		}
		if row.CILow == nil {
			row.Notes = append(row.Notes, "too few trials for a confidence interval: cannot regress")
		}
		rows[i] = row
		ps, idx = append(ps, row.P), append(idx, i)
	}
	for j, p := range infer.Holm(ps) {
		r := &rows[idx[j]]
		r.PHolm = p
		r.Regressed = p <= opt.Alpha && r.Slowdown > 0 && r.CILow != nil && *r.CILow > opt.MaxSlowdown
		r.Busy = r.Regressed && opt.MaxContention >= 0 && r.Contention > opt.MaxContention
	}
	return rows, nil
}

func contentionOf(m map[string]float64, key string) float64 {
	if p, ok := m[key]; ok {
		return p
	}
	return math.NaN()
}

// ratioSample returns one value of the figure per trial of the model's
// cell, against the median of its run's sequential cell (scaled to the
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

func median(xs []float64) float64 { return stats.Summarize(xs).Median }
