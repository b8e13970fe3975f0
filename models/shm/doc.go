// Package shm holds the shared-memory models, shm and shm-lock: Python's
// multiprocessing.Value / Array (and, for shm-lock, Lock) rebuilt as one
// region of memory that c worker processes map.
//
// # shm
//
// Setup creates an anonymous memfd (memfd_create: it has no name, so no
// file in /dev/shm exists at any time), sizes and seals it, maps it
// MAP_SHARED, writes the header and every task into it once, and starts c
// worker processes (a worker.Group) that are handed the memfd as fd 4. In
// the handshake each worker is told the workload and its index, maps the
// region, populated, so that compute takes no page faults, warms up and
// says hello. Worker i is pinned to the i-th CPU of the cell's set, so
// that the c workers start on c distinct CPUs at once. Compute sends each
// worker a go frame over its data channel; each worker then claims chunks
// of task indices with one atomic add on a shared index, writes each
// result into its slot of the same region, and answers with a done frame,
// which the parent waits for in Go's netpoller (worker.Group.AwaitDone).
// No task or result crosses a socket: the parent's Output.Results is a
// view of the region's result area, valid until Teardown.
//
// The region's layout is in region.go; the chunk size is the run's (Pool.map
// style ceil(n/4c) unless --chunk sets it). Besides tasks_per_s and each
// worker's tasks and busy time, Compute reports start_latency_s (go sent →
// the last worker started) and finish_latency_s (the last worker done →
// the parent knows): the part of compute that is signalling, not work; and
// the workers' start figures (worker.Group.StartMetrics).
//
// # shm-lock
//
// As shm, and for every task the worker also does, under a cross-process
// mutex whose word lives in the region,
//
//	value += 1; array[worker] = value
//
// (Python's `with lock: counter.value += 1; arr[i] = counter.value`).
// After compute the parent checks value == tasks, that the values every
// worker saw sum to 1 + … + n (each value seen exactly once), and that
// array[w] is the last value worker w set. The figures reported are the
// lock-guarded updates per second, in total (lock_ops_per_s) and per worker
// (worker<i>_lock_ops_per_s, each over the whole compute time, so they add
// up to the total).
//
// Note: the lock is a futex mutex with a short spin (Drepper's "mutex 3",
// FUTEX_WAIT/FUTEX_WAKE without FUTEX_PRIVATE_FLAG because the word is
// shared between processes). Uncontended, lock and unlock are one atomic
// instruction each and no system call. Contended, a waiter first polls the
// word briefly, since the critical section is a few nanoseconds, and only
// then sleeps in the kernel. A pure spinlock was rejected because a process
// can be preempted while it holds the lock, and on an oversubscribed cell
// (more workers than CPUs, or the machine shared with other work) its
// waiters would then burn whole time slices spinning; a futex waiter sleeps
// and gives the CPU to the holder. The spin phase keeps most contended
// acquisitions free of system calls when the holder is running.
//
// # Failure and cleanup
//
// A worker that dies fails its group: the parent learns of it at once,
// kills the other workers (a dead worker may hold the lock or a claimed
// chunk) and Compute returns the worker's *worker.ExitError (PID, signal
// or exit status, stderr tail) wrapped with the model name. A context that
// ends during Compute kills the workers too. Teardown always closes the
// data channels, waits a bounded time, kills what is left, reaps every
// worker, unmaps the region and closes the memfd; after the last process
// lets go of it the kernel frees it.
package shm
