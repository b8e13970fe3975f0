// Package harness plans and runs sweeps: it expands a plan into cells, runs
// each cell in a cell runner, and fills the run file (package runfile) with
// the trials and their summaries.
//
// The flow of one run:
//
//  1. A Plan (cores spec, models, workloads, trials, parameters) is checked
//     and expanded into cells: one per (workload, model, cores). sequential
//     is always measured at c = 1 for every workload, asked for or not, so
//     every speedup has its baseline in the same run.
//  2. Each cell runs in a cell runner: a fresh child process of the same
//     executable (role "cell", see cellrun.Role), born confined to exactly c CPUs
//     with GOMAXPROCS = c. Fresh processes keep cells from polluting each
//     other's heap, caches and threads; everything the runner starts
//     inherits its CPU set.
//  3. The cell runner does the warm-ups and trials. A trial times Setup,
//     Compute and Teardown with the monotonic clock, charges it the CPU time
//     and peak memory of the runner and every child it reaped, and checks
//     the results against the workload's reference checksum between compute
//     and teardown, outside every timed phase. A mismatch fails the cell.
//  4. The parent collects the trials, summarizes them (summarize.go, with
//     package stats), fits the scaling laws per (workload, model) over its
//     core counts (fits.go: Amdahl, USL, Karp–Flatt through
//     infer.FitScaling), and rewrites run.json atomically after every
//     cell, so completed cells survive a crash or Ctrl-C.
//
// Package harness/gate turns the two-sample tests of package stats into
// regression gates for go test; package compare compares two saved runs
// cell by cell.
//
// This package never prints, reads flags or exits, and never spells a
// flag. ParseCores, ParseModels, ParseList and ParseParams read the specs
// a caller got from its user; what they, Plan.Check and PrepareDir reject
// is an *InputError that names the input in harness's words
// (`cores spec "0": …`) and wraps ErrUsage. cmd/mpbench names each input
// by its flag through InputError.Message (`--cores "0": …`).
package harness
