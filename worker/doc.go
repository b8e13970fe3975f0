// Package worker is the process plumbing every multi-process part of mpbench
// shares: starting the same executable again in a child role, confining a
// child to a CPU set, the data channel, the child's stderr, and reaping.
//
// # Re-executing ourselves
//
// Go cannot fork a running program, so a child is the same executable
// (os.Executable) started again with the environment variable
// MPBENCH_CHILD_ROLE naming a role registered with Register. The mpbench
// binary's main and every test binary's TestMain call
//
//	if worker.IsChild() { os.Exit(worker.RunChild()) }
//
// before anything else, so the installed binary and `go test` binaries serve
// roles the same way (the standard library's os/exec tests do the same).
//
// # What every child gets
//
//   - fd 3: the data channel, one end of a unix stream socketpair, apart
//     from stdout so that a stray print cannot corrupt results;
//   - fd 4 onwards: Spec.Files, in order (pipes, a shared-memory fd, …);
//   - stderr written into a memfd the parent holds, read only for the last
//     lines of an error message;
//   - its own process group, Pdeathsig = SIGKILL, and a bounded shutdown:
//     cancelling the start context kills the whole group (with Spec.Grace,
//     SIGTERM first, so the role can tear down, and the group's kill only
//     after the grace), and Wait returns at most WaitDelay after that;
//   - the CPU set of Spec.CPUs from birth (see Start).
//
// Wait reaps the child and adds its resource usage to the totals that
// ReapedUsage reports, so the cell runner can charge each trial with the
// CPU time and memory of every process it started. The parent waits for
// the exit on the child's pidfd in Go's netpoller, not in a blocking
// waitid, so that a waiting parent leaves the Go runtime's sysmon asleep.
// WorkerCPU is the pinning rule of the process models' workers.
//
// # Groups
//
// A process model starts its workers for one trial as a Group
// (StartGroup): a child that exits before Group.Close is a failure of the
// trial, kept with its PID, status and stderr; Group.Run runs the model's
// per-worker goroutines and, on the first error, a child's death or the
// context's end, kills the children so that nothing stays blocked on a dead
// peer; Group.Close ends every child's input, kills stragglers after a
// grace period and reaps them all.
//
// # Frames
//
// Tasks and results move between processes as frames (frame.go): a 16-byte
// header — kind, version, payload length, seq — and packed little-endian
// uint64s, one frame and one write per batch of tasks. FrameReader bounds
// a frame's length before it allocates anything, and FuzzDecodeFrame keeps
// it honest.
//
// # Warming up
//
// A child says hello (WriteHello) when it is ready, after Warmup has
// burned CPU up to MPBENCH_WORKER_WARMUP (10 ms) of process CPU time: on
// the KVM guests mpbench was built on, a fresh process runs compute-bound
// code about 20 % slower until then, and workers start fresh in every
// trial's setup. The hello carries the warm-up, so a model reports how long
// starting its processes took without it (StartStats), and when the
// child's RunChild began and when it said hello, on CLOCK_MONOTONIC (one
// clock for parent and child), so that the start splits into exec and
// handshake.
package worker
