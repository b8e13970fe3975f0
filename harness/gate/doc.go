// Package gate turns mpbench runs into regression gates for go test, in
// this repository or any other Go project that has mpbench models.
//
// A gate is an A/B run on this machine: it builds OLD (by default the last
// commit of main the working tree is built on) and NEW (by default the
// working tree), runs the gated cells of both in one sweep, and fails the
// test with a readable table when NEW's figure has regressed significantly
// against OLD's:
//
//	func TestGates(t *testing.T) {
//		gate.Check(t, gate.Options{
//			Registry:    registry,
//			Cells:       []gate.Cell{{Workload: "cpu", Model: "goroutines", Cores: 2}},
//			MaxSlowdown: 0.10,
//		})
//	}
//
// # Why an A/B run and not a baseline
//
// The gates used to compare today's cells with a run file recorded
// once and committed. Recorded on an Intel VM and gated on an AMD one, it
// failed untouched models (manager/2 +53.7 %) beside one really slowed,
// and passed others 23–33 % slower only because their intervals reached
// under the limit: a machine's figures, even ratios within a run, are the
// machine's. Per-host baselines keyed by a host fingerprint were the
// alternative; they were not chosen because a baseline, even from this
// host, is from another hour (another kernel, another load, another
// thermal state) and must be re-recorded by hand after every intended
// change, while building OLD costs about a second once the build cache
// holds main's packages (see package workerbuild: -trimpath lets builds in
// any worktree share it) and answers the question asked — did this change
// make it slower, here, now?
//
// # The sides
//
// Options.Old and Options.New each name an executable that serves the
// cell role (mpbench-worker, or a test binary whose TestMain calls Main),
// or a git revision whose Options.Package (./cmd/mpbench-worker) is built
// in a temporary git worktree, removed on every way out. By default:
//
//   - OLD is the revision $MPBENCH_GATE_BASE names, else the merge base of
//     HEAD and main (else origin/main): the last commit of main that the
//     working tree was built on, so the gate measures the branch's
//     changes, not main's since. A checkout without git, outside a
//     repository, or without such a branch (a detached CI checkout that
//     fetched one commit) fails the gate, saying how to name a base; it
//     never passes silently. MPBENCH_GATE_BASE=HEAD gates the uncommitted
//     changes alone.
//   - NEW is the working tree as it is, uncommitted changes included,
//     built with the same flags. When it is exactly OLD's commit (CI on a
//     clean clone of main) it is built once and runs as both sides: the
//     null A/B, which still runs and is judged — a real test of the noise
//     and of the machinery. Two builds of the same bytes are reported as
//     the null A/B too.
//
// The cells of both sides alternate in shuffled rounds (harness.ExecuteSides:
// each cell's OLD and NEW visits back to back, the first taking turns), so
// a drift of the machine's speed falls on both alike.
//
// # What is gated, and why these statistics
//
//   - Time, by default: NEW's compute time of a cell against OLD's of the
//     same cell, measured minutes apart in one interleaved run. The ratio
//     figures (Speedup, Efficiency, Overhead: each side's cell against its
//     own sequential cell) were what made a baseline travel between
//     machines; within one A/B run they remove nothing the interleaving has
//     not removed, and add the sequential cell's noise to the interval
//     (they are still offered, to gate a model relative to sequential).
//   - Distributions, not single numbers. Every trial of a cell gives one
//     value of the figure, and OLD's and NEW's are compared with the
//     Mann–Whitney U test (benchstat's test, through
//     golang.org/x/perf/benchmath), which needs no normality and shrugs off
//     outliers. The p-values of all gated figures are adjusted by
//     Holm–Bonferroni, so gating more cells does not raise the chance of a
//     false alarm.
//   - Significant is not enough: a figure regresses only when the whole
//     confidence interval of its slowdown (Hodges–Lehmann, infer.RatioCI)
//     lies above MaxSlowdown.
//   - Power: a figure that did not regress passes only when its samples
//     could have shown a slowdown of MaxSlowdown at Holm's first threshold,
//     alpha over the number of figures (infer.MinDetectable, the DETECTS
//     column; the same test as mpbench compare's). Otherwise it is
//     inconclusive: not a pass, not a failure. Trials too few to show any
//     change after Holm (infer.TrialsFor) are refused before anything runs.
//   - Busy machines are recognised, not blamed on the code. For every cell,
//     on passes as on failures, the gate reads the share of its CPUs that
//     other processes took while its trials ran (runfile.Cell.OtherLoad:
//     the busy time of those CPUs in /proc/stat less the CPU time of the
//     cell's own process tree), shows it (OTHER LOAD, the higher of OLD's
//     and NEW's), and a regression seen while it was above MaxContention
//     is measured again rather than believed. A model that sleeps, waits
//     or burns more CPU of its own is not "other processes".
//   - Confirmed once, refuted once. A regression seen in a quiet run is
//     measured again, in a run of its own (its trials are not pooled with
//     the run that saw it): it fails the test only when that run shows it
//     too (Confirm = 2), and a quiet run that does not show it, with the
//     power to, refutes it (a run on a busy machine refutes nothing). A model that really got slower fails every run; a
//     one-off (a neighbour's build during NEW's visits) is seldom seen
//     twice.
//   - A figure left inconclusive by noise is measured again too, and
//     judged on the trials of every run so far pooled: more trials, more
//     power. Retries (default 2) bounds the runs.
//
// Check reports a gate whose figures stay inconclusive as a skip, with a
// message that says "NOT a pass" and names them, after the table: failing
// would blame the code for the machine (a shared CI runner would fail
// builds at random, and people learn to ignore a gate that does), and
// passing would claim what was not shown. Options.FailInconclusive makes
// it an error instead, for a dedicated machine where noise is itself news.
// `make test` runs the gates with -v so that a skip is seen.
//
// A gate run costs the builds (about a second with a warm build cache)
// and one A/B run of the gated cells and their sequential baselines; more
// runs only for the figures still open.
//
// # The cell role
//
// A side that is a test binary serves the cell role: its TestMain calls
// Main, or does what Main does itself — worker.Register(cellrun.RoleName,
// cellrun.Role(registry)) and, before m.Run, `if worker.IsChild() {
// os.Exit(worker.RunChild()) }`. Options.Registry must name the models as
// the sides serve them.
//
// # Files
//
// gate.go holds the API (Options, Main, Check, Run, Report) and the loop of
// runs, confirmations and refutations; plan.go fills the options, expands
// the targets and finds or builds the sides (package workerbuild);
// contention.go runs one A/B sweep and reads each cell's other load;
// eval.go judges the figures (U test, Holm, confidence intervals and power
// from package stats/infer); table.go formats a Report.
package gate
