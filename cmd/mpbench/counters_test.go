package main

import (
	"path/filepath"
	"testing"

	"github.com/mpbench/mpbench/runfile"
)

// TestProcessModelTrialCountsFaultsAndSwitches checks that a trial of a
// process model records the faults and context switches of its tree: its
// workers are fresh processes (page faults) that wait on their sockets
// (voluntary switches).
func TestProcessModelTrialCountsFaultsAndSwitches(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr := runCLI(t, "run", "--cores", "1", "--models", "procpool", "--workloads", "square",
		"--param", "square.tasks=1000", "--trials", "2", "--warmup", "0", "--out", out, "-q")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	run, err := runfile.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range run.Cells {
		if c.Model != "procpool" {
			continue
		}
		for i, tr := range c.Trials {
			if tr.MinFlt <= 0 || tr.Nvcsw <= 0 {
				t.Errorf("trial %d: minflt %d, nvcsw %d: want both counted", i, tr.MinFlt, tr.Nvcsw)
			}
		}
		if c.Summary == nil || c.Summary.Counters["minflt"] <= 0 {
			t.Errorf("summary counters %v: want the median minflt", c.Summary)
		}
		return
	}
	t.Fatal("no procpool cell")
}
