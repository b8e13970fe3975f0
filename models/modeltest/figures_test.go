package modeltest_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/harness/cellrun"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/worker"
)

// trials is the measured trials per cell (MPBENCH_TRIALS, default 15).
func trials() int {
	if n, err := strconv.Atoi(os.Getenv("MPBENCH_TRIALS")); err == nil && n > 0 {
		return n
	}
	return 15
}

// TestFigures runs the shm and manager models through the harness's real
// cell runner (confined to c CPUs, GOMAXPROCS = c, fresh process per cell,
// sequential baseline in the same run) and reports, and with
// MPBENCH_FIGURES=check asserts, the figures those models are built to
// reach. It is opt-in (MPBENCH_FIGURES=1 or check) because it takes tens of
// seconds of both cores.
func TestFigures(t *testing.T) {
	mode := os.Getenv("MPBENCH_FIGURES")
	if mode == "" {
		t.Skip("set MPBENCH_FIGURES=1 to report, =check to also assert the targets")
	}
	avail, err := worker.AllowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	if len(avail) < 2 {
		t.Skip("needs 2 CPUs")
	}
	cells := []struct {
		workload, model string
		cores           int
	}{
		{"cpu", "sequential", 1}, {"cpu", "shm", 1}, {"cpu", "shm", 2},
		{"square", "sequential", 1}, {"square", "shm", 2}, {"square", "shm-lock", 2},
		{"square", "manager", 1}, {"square", "manager-batch", 1},
	}
	run := &runfile.Run{}
	for _, c := range cells {
		spec := cellrun.Spec{
			Workload: c.workload, Model: c.model, Cores: c.cores, Scale: 1,
			Warmup: 2, Trials: trials(),
		}
		if strings.HasPrefix(c.model, "manager") {
			spec.Warmup, spec.Trials = 1, max(3, trials()/3) // seconds per trial
		}
		cell, err := cellrun.Run(context.Background(), spec, cellrun.Options{CPUs: avail[:c.cores], Timeout: 5 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if cell.Failed() {
			t.Fatalf("%s: %s", cell.Key(), cell.Error)
		}
		run.Cells = append(run.Cells, cell)
	}
	harness.Summarize(run)
	get := func(workload, model string, cores int) *runfile.Summary {
		for _, c := range run.Cells {
			if c.Workload == workload && c.Model == model && c.Cores == cores {
				return c.Summary
			}
		}
		t.Fatalf("no cell %s/%s/%d", workload, model, cores)
		return nil
	}
	for _, c := range run.Cells {
		s := c.Summary
		line := fmt.Sprintf("%-7s %-14s c=%d cpus=%-4s median %10.0f ns (CV %4.1f%%)", c.Workload, c.Model, c.Cores, c.CPUs, s.MedianNs, 100*s.CV)
		if s.Speedup != nil {
			line += fmt.Sprintf("  speedup %.2f  overhead %.2f ns/task", *s.Speedup, *s.OverheadNsPerTask)
		}
		for _, k := range []string{"lock_ops_per_s", "worker0_lock_ops_per_s", "worker1_lock_ops_per_s", "results_stored_per_s"} {
			if v, ok := s.Metrics[k]; ok {
				line += fmt.Sprintf("  %s %.0f", k, v)
			}
		}
		t.Log(line)
		for _, w := range c.Warnings {
			t.Logf("        warning: %s", w)
		}
	}
	mgr := get("square", "manager", 1).Metrics["results_stored_per_s"]
	batch := get("square", "manager-batch", 1).Metrics["results_stored_per_s"]
	targets := []struct {
		name      string
		got, want float64
		atMost    bool
	}{
		{"shm cpu c=2 speedup", *get("cpu", "shm", 2).Speedup, 1.85, false},
		{"shm square c=2 overhead ns/task", *get("square", "shm", 2).OverheadNsPerTask, 10, true},
		{"shm-lock square c=2 lock ops/s", get("square", "shm-lock", 2).Metrics["lock_ops_per_s"], 10e6, false},
		{"manager square c=1 results/s", mgr, 50_000, false},
		{"manager-batch / manager", batch / mgr, 10, false},
	}
	for _, tg := range targets {
		ok := tg.got >= tg.want
		if tg.atMost {
			ok = tg.got <= tg.want
		}
		t.Logf("target %-34s got %14.2f want %s %g: %v", tg.name, tg.got, map[bool]string{true: "≤", false: "≥"}[tg.atMost], tg.want, ok)
		if !ok && mode == "check" {
			t.Errorf("target %s missed: %.2f", tg.name, tg.got)
		}
	}
}
