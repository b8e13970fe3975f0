// Package py holds the Python reference models: mpbench's workloads run by
// a real Python interpreter under Python's multiprocessing patterns
// (scripts/pyref/pyref.py), so that users coming from Python see, in the same tables, what each Go
// model costs against the pattern it replaces.
//
//	py-sequential   the plain loop
//	py-pool         Pool.map / starmap
//	py-pool-async   apply_async + get
//	py-pipe         one Pipe per worker
//	py-queue        Queue, None sentinels
//	py-shm-lock     Value + Array + Lock
//	py-manager      Manager().dict() / .list()
//
// The model table (models/all) names the Go model each one mirrors, its
// twin.
//
// # One trial
//
// Setup writes the embedded scripts/pyref/pyref.py to a temporary folder and
// starts it (python3, or $MPBENCH_PYTHON, which `mpbench run --python` sets)
// with --wait: the script builds its task list and writes a ready line on
// fd 3. Compute writes "go" on its stdin; the script runs one trial, timing
// its own setup (pool, processes, manager), compute (first task handed out →
// last result back) and teardown (close, join, shutdown) with
// time.perf_counter_ns, and writes them with the checksum of its results as
// one JSON line. Compute hands these back as Output.Phases and
// Output.Checksum, so the harness validates the Python results against the
// Go workload's reference like any other model's, and the interpreter's
// start-up counts in no phase. Teardown waits for the script to exit and
// removes the folder.
//
// # Nothing left behind
//
// The session's folder is made by worker.MkdirOwned (its name carries the
// cell runner's PID) and is the interpreter's TMPDIR, so Python's own
// temporary files (multiprocessing's pymp-* folder, the Manager's socket)
// live in it; Teardown removes it on every way a trial ends, a cancelled
// one included. The interpreter dies with the cell runner (Pdeathsig), and
// pyref.py asks the same, prctl(PR_SET_PDEATHSIG), for every process it
// starts: Pool workers, Process targets, the Manager's server process. So a
// cell runner killed outright (SIGKILL of mpbench: the runner dies by its
// own Pdeathsig) takes every Python process with it. What such a kill
// leaves is the session's folder, with no process behind it: the next
// session, or the next run (harness.Execute), removes it with
// worker.SweepStale.
//
// # Same work as the Go twins
//
// The script's task lists are the Go workload's (cpu's per-task n_i too),
// and its checksum is workloads.Checksum, position-weighted, computed over
// its results in task order. Its workers warm up like Go's: each burns
// MPBENCH_WORKER_WARMUP of CPU time (a Go duration, default 10ms, counting
// its start) before it says it is ready, so a fresh worker's slow start
// lands in setup for both families. py-queue puts one item per task, as
// the Go queue model does. The differences that remain are listed per pair
// in models/all (Entry.Differs) and shown in the Go-vs-Python table.
//
// The cell runner is confined to the cell's CPUs, and the interpreter and
// its workers inherit that set. A script that prints garbage, exits early or
// fails is reported with the script, the pattern, the cell and the last
// lines of its stderr.
//
// Models report family "py" (`--models py` selects them) and Available
// returns why they cannot run here: no python3, a --python path that is not
// an executable, a Python older than 3.8.
package py
