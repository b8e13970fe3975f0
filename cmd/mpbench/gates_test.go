package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/harness/gate"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/goroutines"
	"github.com/mpbench/mpbench/models/modeltest"
	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
)

// The project's own regression gates: they run in `go test ./...` against
// results/baseline.json (recorded with `make baseline`) over the models of
// the registry, and `make gates` runs them alone with their tables.
//
// Note: the gated workload is cpu, whose coarse tasks make speedup a
// figure of the model rather than of the scheduler's mood. The limit, a
// 20 % slowdown whose whole confidence interval must lie beyond it, is
// generous for a noisy shared 2-core machine but still catches a model
// that lost a fifth of its speed relative to sequential; see package gate
// for the statistics and the busy-machine rule.
const baselinePath = "../../results/baseline.json"

// testRegistry is what this test binary serves as the cell runner: the
// registry, and goroutines-slow, goroutines with three times its compute
// time slept after it, for TestGateCatchesSlowerModel.
var testRegistry = slices.Concat(registry, models.Registry{modeltest.Slow(goroutines.New(), 3)})

// gatedCells are the cells of the baseline that are gated for figures:
// every model of the registry at every core count the baseline has, and
// sequential too when its time is gated.
func gatedCells(t *testing.T, figures ...gate.Figure) []gate.Cell {
	t.Helper()
	base, err := runfile.Load(baselinePath)
	if err != nil {
		t.Fatalf("%v (record it with `make baseline`)", err)
	}
	timeOnly := len(figures) == 1 && figures[0] == gate.Time
	var cells []gate.Cell
	for _, c := range base.Cells {
		if c.Failed() || c.Model == "sequential" && !timeOnly {
			continue
		}
		if _, err := registry.Lookup(c.Model); err != nil {
			continue
		}
		cells = append(cells, gate.Cell{Workload: c.Workload, Model: c.Model, Cores: c.Cores, Figures: figures})
	}
	return cells
}

// TestGateSpeedup gates the speedup of every model against sequential:
// ratios within one run, so it holds on any machine.
func TestGateSpeedup(t *testing.T) {
	gate.Check(t, gate.Options{
		Baseline: baselinePath, Registry: registry,
		Cells:       gatedCells(t, gate.Speedup),
		MaxSlowdown: 0.20,
	})
}

// TestGateTime gates absolute compute times; it skips, saying why, unless
// this is the host that recorded the baseline (and not a -race build).
func TestGateTime(t *testing.T) {
	gate.Check(t, gate.Options{
		Baseline: baselinePath, Registry: registry,
		Cells:       gatedCells(t, gate.Time),
		MaxSlowdown: 0.20,
	})
}

// TestGateCatchesSlowerModel proves the gates bite: goroutines-slow (see
// testRegistry), gated against the baseline's goroutines cells, must fail
// the speedup gate: three times its compute time added leave a quarter of
// the speedup. The busy-machine rule is off, so neither a quiet machine
// nor a loaded one can excuse it.
func TestGateCatchesSlowerModel(t *testing.T) {
	base, err := runfile.Load(baselinePath)
	if err != nil {
		t.Fatal(err)
	}
	have := false
	for i := range base.Cells {
		c := &base.Cells[i]
		if c.Model == "goroutines" {
			c.Model = "goroutines-slow"
			have = have || c.Cores == 2 && c.Summary != nil
		}
	}
	if !have {
		t.Skip("the baseline has no goroutines cell at 2 cores")
	}
	// The baseline, with goroutines' cells as goroutines-slow's.
	dir := t.TempDir()
	if err := base.Save(dir); err != nil {
		t.Fatal(err)
	}
	cells := []gate.Cell{{Workload: "cpu", Model: "goroutines-slow", Cores: 2, Figures: []gate.Figure{gate.Speedup}}}
	rep, err := gate.Run(context.Background(), gate.Options{
		Baseline: filepath.Join(dir, "run.json"), Registry: testRegistry, Cells: cells, MaxSlowdown: 0.20, MaxContention: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skip != "" {
		t.Skip(rep.Skip)
	}
	regs := rep.Regressed()
	if len(regs) != 1 || regs[0].Cell != "cpu/goroutines-slow/2" || !strings.Contains(rep.Table(), "REGRESSED") {
		t.Fatalf("the gate did not catch goroutines made four times slower:\n%s", rep.Table())
	}
	t.Logf("caught in %v:\n%s", rep.Elapsed.Round(time.Millisecond), rep.Table())
}

// envRecord makes TestRecordBaseline record results/baseline.json; `make
// baseline` sets it.
const envRecord = "MPBENCH_RECORD_BASELINE"

// baselinePlan is the small, fast sweep of the baseline: the cpu workload
// under every model on 1..2 cores.
func baselinePlan() *harness.Plan {
	var mods []string
	for _, m := range registry {
		// The Python references take seconds a cell and are figures to
		// report, not code of ours to guard: they are not gated.
		if m.Name() != "sequential" && models.FamilyOf(m) == "go" {
			mods = append(mods, m.Name())
		}
	}
	return &harness.Plan{
		Cores: []int{1, 2}, Models: mods, Workloads: []string{"cpu"},
		Params:  map[string]map[string]int64{"cpu": {"tasks": 48, "n": 1_000_000}},
		Scaling: "strong", Warmup: 3, Trials: 20, Timeout: 2 * time.Minute,
	}
}

// TestRecordBaseline records results/baseline.json when MPBENCH_RECORD_BASELINE
// is set (make baseline), waiting for a quiet machine: a cell that other
// processes slowed would bake their noise into every later verdict.
func TestRecordBaseline(t *testing.T) {
	if os.Getenv(envRecord) == "" {
		t.Skipf("set %s=1 (make baseline) to record %s", envRecord, baselinePath)
	}
	run, err := gate.Record(context.Background(), baselinePath, baselinePlan(), registry, gate.RecordOptions{Attempts: 20})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	reports.WriteSummary(&b, run, "table")
	t.Logf("wrote %s:\n%s", baselinePath, b.String())
}
