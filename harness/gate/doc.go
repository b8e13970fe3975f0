// Package gate turns mpbench runs into regression gates for go test, in
// this repository or any other Go project that has mpbench models.
//
// A gate runs a few cells now, compares them with a committed baseline run
// file, and fails the test with a readable table when a gated figure has
// regressed significantly:
//
//	func TestMain(m *testing.M) { gate.Main(m, registry) }
//
//	func TestGates(t *testing.T) {
//		gate.Check(t, gate.Options{
//			Baseline:    "testdata/baseline.json",
//			Registry:    registry,
//			Cells:       []gate.Cell{{Workload: "cpu", Model: "goroutines", Cores: 2}},
//			MaxSlowdown: 0.10,
//		})
//	}
//
// # The cell role must be registered
//
// Cells run in fresh child processes of the test binary (see package
// harness), so the test binary must serve the cell role: its TestMain calls
// Main, or does what Main does itself — worker.Register(cellrun.RoleName,
// cellrun.Role(registry)) and, before m.Run, `if worker.IsChild() {
// os.Exit(worker.RunChild()) }`. Check says so when the role is missing.
//
// # What is gated, and why these statistics
//
// Note: the figures and tests are chosen so that a gate does not fail on a
// noisy, shared 2-core machine while still catching a model that got
// slower. Each choice below serves that.
//
//   - Ratios, not times. The default figure is speedup, T(sequential) /
//     T(model, c), both measured in the same run moments apart, so the
//     machine's speed and the Go version cancel and a baseline recorded on
//     one machine gates another. Efficiency (speedup / c) and Overhead
//     (c·T(model, c) / T(sequential), core time relative to sequential) are
//     the same ratio shown another way. Time (absolute compute time) is
//     gated only against a baseline recorded on the same host and CPU model
//     and without -race; elsewhere those figures are skipped, saying so.
//   - Distributions, not single numbers. Every trial of a cell gives one
//     value of the figure, and the baseline's values and today's are
//     compared with the Mann–Whitney U test (benchstat's test, through
//     golang.org/x/perf/benchmath), which needs no normality and shrugs off
//     outliers. The p-values of all gated figures are adjusted by
//     Holm–Bonferroni, so gating more cells does not raise the chance of a
//     false alarm.
//   - Significant is not enough: a figure regresses only when the whole
//     confidence interval of its slowdown lies above MaxSlowdown. The
//     interval of a ratio figure combines the Hodges–Lehmann intervals of
//     the model's cell and of the sequential cell (each at 1 − α/2,
//     Bonferroni), so noise in either widens it.
//   - Busy machines are recognised, not blamed on the code. The gate
//     measures, for every cell, the share of its CPUs that other processes
//     took while its trials ran: the busy time of those CPUs in /proc/stat
//     less the CPU time of the cell's own process tree. (The kernel's
//     pressure figures would also count a model's processes competing
//     among themselves.) A regression seen while the cells behind it ran
//     under more than MaxContention is measured again rather than
//     reported; if the machine stays busy through every retry, the test is
//     skipped with a message saying so. This does not excuse a slower
//     model: a model that sleeps, waits or burns more CPU of its own is
//     not "other processes".
//   - Confirmed, not one-off. A regression must be seen in Confirm quiet
//     runs (default 2) before the test fails; a quiet run that passes
//     ends the question. A model that really got slower fails every run.
//
// A gate run costs one short run of the gated cells and their sequential
// baselines (the trials and parameters of the baseline), and more runs
// only when something looks regressed.
//
// # Files
//
// gate.go holds the API (Options, Main, Check, Run, Report) and the loop
// of runs and retries; plan.go turns options and the baseline into gated
// targets and a harness.Plan; contention.go runs that plan and reads
// each cell's CPU contention as the cell runner recorded it
// (runfile.Cell.OtherLoad, measured from /proc/stat by package cellrun,
// as for every mpbench run); eval.go judges the figures
// (U test, Holm, confidence intervals from package stats); table.go
// formats a Report; record.go records a baseline.
package gate
