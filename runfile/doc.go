// Package runfile is the run file: the schema of run.json, its encoder and
// decoder, and the atomic write that keeps a run readable while it grows.
//
// A run (Run) holds the environment it was made in (Env), its resolved
// configuration (Config), and one Cell per (workload, model, cores) point
// with its raw trials (Trial) and summary (Summary), plus the models it
// skipped (Skip), the break-even task sizes (BreakEven) and the scaling
// fits (Fit). Schema and SchemaVersion identify the file; Decode and Load
// refuse a file of another schema or version with ErrSchema rather than
// guess at it; they also refuse a file over MaxBytes before reading it
// (ErrTooLarge), and one whose numbers no run can have, a negative time or
// a zero compute phase, naming the cell and the field (ErrInvalid, see
// Run.Validate), so that no report divides by them. Encode, Save and WriteFileAtomic write it; a reader never
// sees a half-written file.
//
// Package harness fills runs and computes their summaries; packages
// reports and reports/render, and the mpbench-draw executable, only read
// them. So runfile imports no process code: besides the standard library
// it imports package stats for the summary types it stores and package
// workloads for the parameter defaults that name a cell's variant.
package runfile
