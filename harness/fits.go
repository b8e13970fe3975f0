package harness

import (
	"fmt"

	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
	"github.com/mpbench/mpbench/stats/infer"
	"github.com/mpbench/mpbench/workloads"
)

// computeFits fits every (workload, model, parameters) group of the run's
// measured cells except sequential. Oversubscribed cells are left out:
// their speedup is capped by the CPUs, not by the model.
func computeFits(r *runfile.Run) []runfile.Fit {
	type group struct {
		wl, model string
		params    map[string]int64
		cells     []*runfile.Cell
	}
	var groups []*group
	byKey := map[string]*group{}
	for i := range r.Cells {
		c := &r.Cells[i]
		if r.IsBaseline(c.Model) || c.Failed() || c.Summary == nil {
			continue
		}
		k := c.Workload + "/" + c.Model + "/" + workloads.FormatParams(c.Params)
		g := byKey[k]
		if g == nil {
			g = &group{wl: c.Workload, model: c.Model, params: c.Params}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.cells = append(g.cells, c)
	}
	var fits []runfile.Fit
	for _, g := range groups {
		basis := runfile.BasisSequential
		var one *runfile.Cell
		for _, c := range g.cells {
			if c.Cores == 1 && c.Tasks > 0 && c.Summary.MedianNs > 0 {
				basis, one = runfile.BasisRelative, c
			}
		}
		var cores []int
		var sps []float64
		over := 0
		for _, c := range g.cells {
			if c.Oversubscribed {
				over++
				continue
			}
			sp := c.Summary.Speedup
			if one != nil && c.Summary.MedianNs > 0 {
				// T(model, 1), scaled to this cell's tasks, over T(model, c).
				rel := one.Summary.MedianNs * float64(c.Tasks) / float64(one.Tasks) / c.Summary.MedianNs
				sp = &rel
			}
			if sp == nil || !(*sp > 0) {
				continue
			}
			cores, sps = append(cores, c.Cores), append(sps, *sp)
		}
		sf, err := infer.FitScaling(cores, sps)
		if err != nil {
			sf = stats.ScalingFit{Reason: err.Error()}
		}
		f := runfile.Fit{Workload: g.wl, Model: g.model, Params: g.params, Basis: basis, ScalingFit: sf}
		if over > 0 {
			f.Notes = append(f.Notes, fmt.Sprintf("%d oversubscribed cell(s) left out: their speedup is capped by the CPUs", over))
		}
		if r.Config.Scaling == "weak" {
			f.Notes = append(f.Notes, "weak scaling: speedups are scaled speedups; Amdahl assumes fixed total work")
		}
		if f.Amdahl != nil && f.Amdahl.Serial == 0 {
			f.Notes = append(f.Notes, "Amdahl s at its bound 0 (speedup at or above linear)")
		}
		fits = append(fits, f)
	}
	return fits
}
