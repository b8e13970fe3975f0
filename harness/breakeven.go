package harness

import (
	"fmt"
	"sort"

	"github.com/mpbench/mpbench/runfile"
)

// breakEven finds, for each workload whose run sweeps exactly one
// parameter, the break-even value of that parameter per model.
func breakEven(r *runfile.Run) []runfile.BreakEven {
	var out []runfile.BreakEven
	for _, w := range r.Config.Workloads {
		sw := r.Config.Sweeps[w]
		if len(sw) != 1 {
			continue
		}
		var param string
		for k := range sw {
			param = k
		}
		for _, m := range r.Config.Models {
			if r.IsBaseline(m) {
				continue
			}
			// The largest core count this model has summaries for.
			top := 0
			for _, c := range r.Cells {
				if c.Workload == w && c.Model == m && c.Summary != nil && c.Summary.Speedup != nil {
					top = max(top, c.Cores)
				}
			}
			if top == 0 {
				continue
			}
			type point struct {
				v  int64
				sp float64
			}
			var pts []point
			for _, c := range r.Cells {
				if c.Workload == w && c.Model == m && c.Cores == top && c.Summary != nil && c.Summary.Speedup != nil {
					pts = append(pts, point{c.Params[param], *c.Summary.Speedup})
				}
			}
			sort.Slice(pts, func(i, j int) bool { return pts[i].v < pts[j].v })
			be := runfile.BreakEven{Workload: w, Param: param, Model: m, Cores: top}
			idx := len(pts)
			for i := len(pts) - 1; i >= 0 && pts[i].sp > 1; i-- {
				idx = i
			}
			switch {
			case idx == len(pts):
				be.Note = fmt.Sprintf("never beats sequential up to %s=%d", param, pts[len(pts)-1].v)
			case idx == 0:
				v := pts[0].v
				be.Value = &v
				be.Note = fmt.Sprintf("beats sequential already at the smallest %s measured", param)
			default:
				v := pts[idx].v
				be.Value = &v
			}
			out = append(out, be)
		}
	}
	return out
}
