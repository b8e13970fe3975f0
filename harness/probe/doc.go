// Package probe measures what the machine charges for the primitives
// mpbench's models are made of, so that a user can tell the machine's
// part of a figure from the model's: a minor page fault, starting a
// worker process against exec of a trivial program, a wake-up over a
// pipe on one CPU and across two, a unix-socket request/response, and
// how fast each CPU computes alone and while all compute, over windows of
// 1, 10 and 100 ms.
//
// Run starts the probe in a fresh process of the executable the cells
// use (mpbench-worker, role RoleName), confined to the CPUs the cells
// use, as a cell runner is; every figure is the median of its samples
// with the 95 % CI of that median (stats.Summarize). A part that cannot
// run here (one CPU, a pinning failure) is listed in Probe.Skipped with
// why, and the others go on.
//
// Worker start is measured as the models' worker_exec_ms is: from just
// before the fork to the child's first line of role code (a role that
// exits at once, probe-exit), and also to the child's exit, beside the
// exec of /bin/true to its exit through the same start path. The two to
// exit differ by what a Go worker pays before its first line (runtime
// start, package initialisation) over a trivial program; /bin/true is
// named with whether it is statically linked, since a dynamic one pays
// the loader.
//
// The CPU speed snapshot runs a fixed kernel (the cpu workload's task
// function) on a thread pinned to each CPU, first each alone, then all at
// once, and reports each CPU's speed as a ratio to CPU 0 alone over the
// same window. On a virtual machine whose vCPUs share a host core, or
// whose second vCPU gets less of the host than the first, the ratios say
// so; they are a snapshot of minutes that can differ.
//
// This package links nothing of the CLI or the statistics libraries: it
// runs inside mpbench-worker.
package probe
