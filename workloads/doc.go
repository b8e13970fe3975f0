// Package workloads defines the deterministic work that mpbench runs under
// every concurrency model.
//
// A Workload is a named family of tasks and a pure function per task
// (cpu_intensive_task of the Python multiprocessing examples in scripts/pyref/pyref.py, square, pow). An Instance is a
// workload with its parameters resolved: the concrete task list and the
// reference checksum, Σ (i+1)·result_i mod 2^64: every result weighted by its
// position.
//
// Note: every reference checksum is computed independently of the task
// function (closed forms and math/big), so a wrong task function or a model
// that drops, repeats or misplaces results is caught by the check
// rather than agreeing with itself.
//
// This package imports nothing else of mpbench: it knows nothing of flags,
// files, processes or printing.
package workloads
