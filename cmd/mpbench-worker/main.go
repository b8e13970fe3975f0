// Command mpbench-worker is the executable of every process that mpbench
// starts to measure: the cell runner of each cell, and the worker
// processes of the process models, which each cell runner starts from its
// own executable. mpbench finds it ($MPBENCH_WORKER, else beside mpbench,
// else on PATH) and names the role in the child's environment (see package
// worker).
//
// It links only what those roles need: the models, the workloads, the
// worker platform and the run file's types. No CLI, no progress bar, no
// net/http, no gonum and no plotting, so that starting a worker costs the
// Go runtime's start and little else; a test holds this.
package main

import (
	"fmt"
	"os"

	"github.com/mpbench/mpbench/harness/cellrun"
	"github.com/mpbench/mpbench/harness/probe"
	"github.com/mpbench/mpbench/models/all"
	"github.com/mpbench/mpbench/worker"
)

func main() {
	if !worker.IsChild() {
		fmt.Fprintln(os.Stderr, "mpbench-worker: runs the cells and worker processes of mpbench; run mpbench instead")
		os.Exit(2)
	}
	// Model packages register their workers' roles in their init.
	worker.Register(cellrun.RoleName, cellrun.Role(all.Registry()))
	probe.Register()
	os.Exit(worker.RunChild())
}
