// Package worker owns the whole life of a worker process, for every part of
// mpbench that starts one: the process models (Python's multiprocessing
// patterns rebuilt as real processes), the harness's cell runner, and the
// tests. A worker is started confined to its CPUs, told what to do and
// says hello (the handshake), is told go and says done, and is stopped
// gracefully and reaped; a worker that dies on the way fails its trial
// with its PID, status and the tail of its stderr.
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
// before anything else, so the installed binary and `go test` binaries
// serve roles the same way (the standard library's os/exec tests do the
// same).
//
// # What every child gets
//
//   - fd 3: the data channel, one end of a unix stream socketpair, apart
//     from stdout so that a stray print cannot corrupt results;
//   - fd 4 onwards: Spec.Files, in order (pipes, a shared-memory fd, …);
//   - stderr written into a memfd the parent holds, read only for the last
//     lines of an error message (ExitError);
//   - its own process group, and Pdeathsig = SIGKILL: a child dies with
//     its parent, however the parent dies;
//   - the CPU set of Spec.CPUs from birth (Start; WorkerCPU is the pinning
//     rule of the process models' workers).
//
// Wait reaps a child and adds its resource usage to the totals that
// ReapedUsage reports, so the cell runner can charge each trial with the
// CPU time and memory of every process it started.
//
// # A worker's life
//
// A process model starts its workers for one trial as a Group:
//
//	StartGroup   fork and exec each child, confined to its CPUs
//	Handshake    a config frame to each child (Config: a workload's name,
//	             a frame size, tasks that follow), its hello back
//	Run / Go     the trial: the model's own I/O with each child (Run), or
//	AwaitDone    a go frame to each child and its done frame back
//	Close        end of input, a bounded grace, SIGKILL, reaping
//
// A child serves its side with one helper whatever its role, Setup: read
// the config, do the role's own setup (map memory, size buffers, read
// tasks, connect), warm up (Warmup) and say hello. The hello carries the
// warm-up and two readings of CLOCK_MONOTONIC (one clock for parent and
// child), so every process model reports what starting its processes cost
// (Group.StartMetrics: worker_start_ms, worker_exec_ms,
// worker_handshake_ms, worker_warmup_ms). AwaitGo and AwaitEnd are the
// child's side of go and of the end of input.
//
// A child that exits before Close, whatever its status, fails the group:
// its *ExitError is kept, the other children are killed at once so that
// nothing stays blocked on a dead peer, and the phase under way (Run,
// AwaitDone, Handshake, Go) returns the failure. Close reports a failure
// only if no phase returned it, and a child that had to be killed at
// teardown; children ended by Kill are not failures.
//
// # Contexts
//
// The context given to Start or StartGroup bounds the start only, and
// Handshake's bounds the handshake. A started child lives until Close,
// Kill or Stop ends it (or it exits). Run and AwaitDone take the context
// of their phase: when it ends they kill the children and return its
// error.
//
// Note: a trial's phases need not share one context (a test may set up
// with one and compute with another), and the code that notices an ended
// context is the one waiting in that phase. Had the children died with
// the start context, a setup context that ended after Setup would kill a
// session's workers, and a cancelled context would reach a model as a
// child's death by SIGKILL, indistinguishable from a real failure unless
// the model checked its context first. Lives end explicitly instead:
// Close at teardown, Kill on a failure or an ended phase, Stop (SIGTERM,
// then SIGKILL after a grace) where the child has something to tear down,
// as the cell runner does on Ctrl-C or at its timeout.
//
// # Waiting
//
// The parent's end of each data channel is non-blocking, so a goroutine
// waiting on it parks in Go's netpoller; the parent learns of a child's
// exit on the child's pidfd, in the netpoller too. AwaitDone reads the
// done frames in the calling goroutine, so a done frame wakes the waiter
// itself.
//
// Note: a goroutine blocked in a read or waitid system call holds its
// thread and its P. With GOMAXPROCS = c, the goroutines it readies can
// wait until the runtime's sysmon thread takes that P back, which delays
// the moment the parent sees a worker's done; and while a P is held in a
// system call, sysmon does not sleep but polls, its wake-ups landing on
// CPUs the workers compute on. Parked in the netpoller, an idle parent
// holds no P and sysmon sleeps.
//
// # Frames
//
// Control messages, tasks and results move between processes as frames
// (frame.go): a 16-byte header — kind, version, payload length, seq — and
// packed little-endian uint64s, one frame and one write per batch of
// tasks. FrameReader bounds a frame's length before it allocates anything,
// and FuzzDecodeFrame keeps it honest.
package worker
