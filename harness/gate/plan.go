package gate

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/runfile"
)

// target is one gated figure of one cell.
type target struct {
	cell   Cell
	figure Figure
}

func (g target) key() string { return g.cell.key() + " " + string(g.figure) }

func (o *Options) fill(base *runfile.Run) {
	if o.Registry == nil {
		o.Registry = mainRegistry
	}
	if len(o.Figures) == 0 {
		o.Figures = []Figure{Speedup}
	}
	if o.MaxSlowdown <= 0 {
		o.MaxSlowdown = 0.10
	}
	if o.Alpha <= 0 || o.Alpha >= 1 {
		o.Alpha = 0.05
	}
	if o.Trials <= 0 {
		o.Trials = base.Config.Trials
	}
	if o.Warmup <= 0 {
		o.Warmup = base.Config.Warmup
	}
	if o.Confirm <= 0 {
		o.Confirm = 2
	}
	switch {
	case o.Retries == 0:
		o.Retries = 3
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.MaxContention == 0 {
		o.MaxContention = 0.15
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
}

// targets expands the gated cells into (cell, figure) pairs and checks that
// the baseline has them.
func (o *Options) targets(base *runfile.Run, cpus int) ([]target, error) {
	cells := o.Cells
	if len(cells) == 0 {
		for _, c := range base.Cells {
			if c.Model != "sequential" && !c.Failed() && c.Cores <= cpus {
				cells = append(cells, Cell{Workload: c.Workload, Model: c.Model, Cores: c.Cores})
			}
		}
		if len(cells) == 0 {
			return nil, fmt.Errorf("baseline %s has no cell to gate on %d CPUs", o.Baseline, cpus)
		}
	}
	var out []target
	for _, c := range cells {
		if findCell(base, c.Workload, c.Model, c.Cores) == nil {
			return nil, fmt.Errorf("baseline %s has no passing cell %s: record it again (make baseline)", o.Baseline, c.key())
		}
		figs := c.Figures
		if len(figs) == 0 {
			figs = o.Figures
		}
		for _, f := range figs {
			switch f {
			case Speedup, Efficiency, Overhead, Time:
			default:
				return nil, fmt.Errorf("cell %s: unknown figure %q (speedup, efficiency, overhead, time)", c.key(), f)
			}
			if f.ratio() && c.Model == "sequential" {
				return nil, fmt.Errorf("cell %s: %s of sequential against itself is always 1; gate its time instead", c.key(), f)
			}
			out = append(out, target{c, f})
		}
	}
	return out, nil
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

// sameMachine returns why absolute times of this process cannot be held
// against the baseline's, or "".
func sameMachine(base *runfile.Run) string {
	env := harness.CollectEnv("", "", false, nil, "")
	switch {
	case base.Env.Host != env.Host:
		return fmt.Sprintf("the baseline was recorded on host %q, this is %q", base.Env.Host, env.Host)
	case base.Env.CPUModel != env.CPUModel:
		return fmt.Sprintf("the baseline was recorded on a %q CPU, this is a %q", base.Env.CPUModel, env.CPUModel)
	case raceEnabled:
		return "this test binary is built with -race, which changes absolute times"
	}
	return ""
}

// execute runs the cells of the targets (and their sequential baselines)
// with the baseline's configuration, and returns the run with the CPU
// contention each cell ran under, by cell key (see executePlan).
func (o *Options) execute(ctx context.Context, base *runfile.Run, targets []target, dir string) (*runfile.Run, map[string]float64, error) {
	plan := &harness.Plan{
		Params: map[string]map[string]int64{}, Scaling: base.Config.Scaling, Warmup: o.Warmup, Trials: o.Trials,
		Chunk: base.Config.Chunk, Timeout: o.Timeout,
	}
	for _, g := range targets {
		c := g.cell
		if !slices.Contains(plan.Workloads, c.Workload) {
			plan.Workloads = append(plan.Workloads, c.Workload)
			if p := base.Config.Params[c.Workload]; p != nil {
				plan.Params[c.Workload] = p
			}
		}
		if !slices.Contains(plan.Models, c.Model) {
			plan.Models = append(plan.Models, c.Model)
		}
		if !slices.Contains(plan.Cores, c.Cores) {
			plan.Cores = append(plan.Cores, c.Cores)
		}
	}
	sort.Ints(plan.Cores)
	if plan.Scaling == "" {
		plan.Scaling = "strong"
	}
	return executePlan(ctx, plan, o.Registry, dir)
}
