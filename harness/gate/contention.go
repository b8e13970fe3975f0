package gate

import (
	"context"
	"fmt"
	"math"
	"os"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/runfile"
)

// executePlan runs plan in dir and returns the run with the CPU contention
// each cell ran under, by cell key: the share of the cell's CPUs that
// other processes used while its trials ran, as the cell runner records
// it (runfile.Cell.OtherLoad, measured by cellrun.OtherLoad); NaN where it
// was not measured.
func executePlan(ctx context.Context, plan *harness.Plan, reg models.Registry, dir string) (*runfile.Run, map[string]float64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	run, err := harness.Execute(ctx, plan, harness.Options{
		Registry: reg, Dir: dir, Env: harness.CollectEnv("gate", "", false, os.Args, ""),
	})
	if err != nil {
		return run, nil, fmt.Errorf("gate run: %w", err)
	}
	contention := map[string]float64{}
	for i := range run.Cells {
		c := &run.Cells[i]
		contention[c.Key()] = math.NaN()
		if c.OtherLoad != nil {
			contention[c.Key()] = *c.OtherLoad
		}
	}
	return run, contention, nil
}
