// Package procpool holds the process-pool models: procpool, the analogue of
// Python's Pool.map and Pool.starmap, and procpool-async, the analogue of
// Pool.apply_async followed by AsyncResult.get.
//
// Both run a pool of c worker processes, started in Setup as the
// "procpool-worker" role of the same executable (see package worker). Each
// worker is joined to the parent by its own unix stream socket (its fd-3
// data channel) and speaks the worker frame codec: the parent sends a config
// frame (workload name, most tasks per frame), the worker answers hello
// with its PID; then procpool's workers take chunks from a shared task
// queue, and procpool-async's answer every request frame on their data
// channel with a results frame with the same seq, in order. Workers are
// pinned, one CPU of the cell each (worker.WorkerCPU). Setup ends when every
// worker has said hello, so the start of processes and the handshake are
// timed apart from compute.
// Before its hello a worker warms up (worker.Warmup); each trial's metrics
// report the workers' start figures (worker.Group.StartMetrics).
//
// # procpool: map and starmap
//
// Compute cuts the tasks into chunks of models.Config.ChunkSize tasks
// (Pool.map's automatic ceil(n / 4c) unless --chunk sets it) and puts
// them all on one task queue that every worker reads, then one sentinel (a
// done frame) per worker: Pool's shared inqueue and its None sentinels.
// The queue is a unix SOCK_SEQPACKET socket pair made in Setup: the parent
// writes into its end, the workers share the other, and the kernel hands
// each message, one chunk, whole to exactly one reader, so no lock is
// needed. A free worker takes the next chunk itself, without asking the
// parent: the parent is off the path from one chunk to the next, and a
// faster worker takes more chunks. A worker stops taking at its first
// sentinel, so each gets exactly one. A message must fit the parent's
// send buffer (raised to net.core.wmem_max), which bounds a chunk
// (maxQueueTasks: about 26,000 tasks with Linux's default 208 KiB; 262,000
// with 4 MiB); the chunk_tasks metric says what ran.
//
// Each worker sends its results frames back on its own data channel, in
// one write when it takes its sentinel (or whenever it holds 64 KiB), then
// a done frame with its count; one reader goroutine per worker copies them
// into their slots of one result slice, so results are in task order
// without a merge. A ledger checks that every results frame answers one
// chunk put on the queue, exactly once, and that all were answered.
//
// Note: the parent does not hand chunks out on request. A chunk handed
// out per request costs a round trip through the parent, whose wake-ups
// take CPU from the workers, and in the last round leaves a worker idle
// while another finishes (docs/measurements.md).
//
// Tasks whose second argument is zero everywhere (cpu, square) take the
// map path: args frames carry one uint64 per task. A workload with
// argument pairs (pow: base and exponent) takes the starmap path: pairs
// frames carry both. Setup decides by scanning the task list once.
//
// # procpool-async: apply_async and get
//
// Compute submits every task on its own, as apply_async does, each
// submission returning a future; then it gets the futures in task order.
// A submission is one request frame carrying one task; each reply is one
// results frame carrying one result, which completes its future. This is
// the per-task round trip the model exists to price: a frame, a channel
// hand-off and a future per task, against one frame per chunk for
// procpool.
//
// Note: requests are pipelined, not sent one round trip at a time. Each
// worker has up to asyncWindow requests in flight — fewer as the queue of
// submitted tasks empties (a 1/(2c) share of what waits), so that coarse
// tasks are not all handed to the first worker that asks; its feeder
// goroutine writes every request already submitted (up to that window)
// with one write, and the worker writes its replies with one write
// whenever it has no further whole request buffered, never holding a reply
// back more than 20 µs. Each task still travels as its own frame and is
// computed, answered and completed on its own; only the system calls are
// shared, as a pipelined RPC transport shares them.
//
// # procpool-async against Python's apply_async
//
// Python's apply_async also returns at once, so its submissions are
// pipelined too, but differently: every task is pickled and written on its
// own, by the pool's task-handler thread, to one pipe that all workers read
// under a lock; each worker writes each result on its own to one shared
// result pipe, under a lock, and a result-handler thread completes its
// AsyncResult. Nothing holds a reply back, and there is no window: all
// submitted tasks wait in the shared pipe. procpool-async keeps the
// per-task frame, future and reply, but gives each worker its own socket,
// up to asyncWindow (128) requests in flight, requests written together,
// and replies held up to 20 µs to share a write; what it saves against
// py-pool-async is system calls and lock hand-offs per task, not
// per-task work. The Go-vs-Python table says so beside their ratio
// (models/all, Entry.Differs).
//
// # Faults
//
// A worker that dies mid-trial ends Compute with an error that names the
// model, the worker's PID, its signal or exit status and the last lines of
// its stderr (a worker.ExitError), after the other workers are killed so
// that no goroutine stays blocked; Teardown reaps every worker on every
// path. The workers live until Teardown; a context that ends during Setup
// or Compute kills them, and that phase returns the context's error.
package procpool
