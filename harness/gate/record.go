package gate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/runfile"
)

// RecordOptions configure Record.
type RecordOptions struct {
	// MaxContention is the most CPU contention any cell may have run
	// under (default 0.10): a baseline recorded on a busy machine bakes
	// the noise into every later verdict.
	MaxContention float64
	// Attempts is how many runs Record makes to find a quiet machine
	// (default 5), pausing Pause (default 5 s) between them.
	Attempts int
	Pause    time.Duration
}

// Record runs plan and writes its run file to path, the baseline of later
// gates. It runs the plan again while any cell ran under more contention
// than opt.MaxContention, and fails when the machine stays busy. It is how
// `make baseline` records results/baseline.json, and how a project
// without the mpbench binary records its own.
func Record(ctx context.Context, path string, plan *harness.Plan, reg models.Registry, opt RecordOptions) (*runfile.Run, error) {
	if opt.MaxContention == 0 {
		opt.MaxContention = 0.10
	}
	if opt.Attempts <= 0 {
		opt.Attempts = 5
	}
	if opt.Pause <= 0 {
		opt.Pause = 5 * time.Second
	}
	dir, err := os.MkdirTemp("", "mpbench-record-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var busiest string
	for attempt := 1; attempt <= opt.Attempts; attempt++ {
		if attempt > 1 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(opt.Pause):
			}
		}
		sub := filepath.Join(dir, strconv.Itoa(attempt))
		run, contention, err := executePlan(ctx, plan, reg, sub)
		if err != nil {
			return run, err
		}
		worst, worstKey := 0.0, ""
		for k, c := range contention {
			if c > worst {
				worst, worstKey = c, k
			}
		}
		if opt.MaxContention < 0 || worst <= opt.MaxContention {
			data, err := os.ReadFile(filepath.Join(sub, "run.json"))
			if err != nil {
				return run, err
			}
			return run, runfile.WriteFileAtomic(path, data)
		}
		busiest = fmt.Sprintf("other processes took %.0f%% of the CPUs of %s", 100*worst, worstKey)
	}
	return nil, fmt.Errorf("record baseline: the machine stayed busy through %d runs (last: %s, limit %.0f%%): record it on an idle machine", opt.Attempts, busiest, 100*opt.MaxContention)
}
