package gate

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/runfile"
)

// execute runs the cells of the targets (and their sequential baselines)
// once per side, in one A/B sweep (harness.ExecuteSides: shuffled rounds,
// OLD and NEW back to back), and returns OLD's run, NEW's run, and the CPU
// contention each cell ran under, by side and cell key: the share of the
// cell's CPUs that other processes used while its trials ran, as the cell
// runner records it (runfile.Cell.OtherLoad, measured from /proc/stat by
// package cellrun); NaN where it was not measured.
func (o *Options) execute(ctx context.Context, targets []target, sides []resolved, dir string) (old, cur *runfile.Run, contention map[string]float64, err error) {
	plan := &harness.Plan{
		Params: map[string]map[string]int64{}, Scaling: o.Scaling, Warmup: o.Warmup, Trials: o.Trials,
		Rounds: o.Rounds, Timeout: o.Timeout,
	}
	plan.Workloads, plan.Models, plan.Cores = o.cells(targets)
	for _, w := range plan.Workloads {
		if p := o.Params[w]; p != nil {
			plan.Params[w] = p
		}
	}
	var hs []harness.Side
	for _, s := range sides {
		d := filepath.Join(dir, s.name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, nil, nil, err
		}
		env := harness.CollectEnv("gate", "", false, os.Args, s.exe)
		env.Side, env.WorkerSource = s.name, s.desc
		hs = append(hs, harness.Side{Name: s.name, Dir: d, Env: env, Executable: s.exe})
	}
	runs, err := harness.ExecuteSides(ctx, plan, harness.Options{Registry: o.Registry}, hs)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("gate run: %w", err)
	}
	contention = map[string]float64{}
	for s, run := range runs {
		for i := range run.Cells {
			c := &run.Cells[i]
			v := math.NaN()
			if c.OtherLoad != nil {
				v = *c.OtherLoad
			}
			contention[sides[s].name+" "+c.Key()] = v
		}
	}
	return runs[0], runs[1], contention, nil
}
