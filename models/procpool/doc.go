// Package procpool holds the process-pool models: procpool, the analogue of
// Python's Pool.map and Pool.starmap, and procpool-async, the analogue of
// Pool.apply_async followed by AsyncResult.get.
//
// Both run a pool of c worker processes, started in Setup as the
// "procpool-worker" role of the same executable (see models/proc). Each
// worker is joined to the parent by its own unix stream socket (its fd-3
// data channel) and speaks the proc frame codec: the parent sends a config
// frame (workload name, most tasks per frame), the worker answers hello
// with its PID, then every tasks frame is answered by a results frame with
// the same seq, in order. Setup ends when every worker has said hello, so
// the start of processes and the handshake are timed apart from compute.
// Before its hello a worker warms up (proc.Warmup: a fresh process runs
// slow for its first milliseconds of CPU on the machines this was built
// on); each trial's metrics report worker_start_ms and worker_warmup_ms
// apart.
//
// # procpool: map and starmap
//
// Compute cuts the tasks into chunks of models.Config.ChunkSize tasks
// (Pool.map's automatic ceil(n / 4c) unless --chunk sets it) and hands
// them out dynamically: one sender goroutine per worker takes the next
// chunk from a shared atomic cursor as soon as that worker has fewer than
// two chunks in flight, so a worker always has its next chunk queued
// while it computes, and a faster worker takes more chunks. Near the end
// (fewer than c chunks left) a worker takes one chunk at a time, so that
// the last chunks go to whichever worker is free rather than waiting
// queued behind a busy one. One receiver
// goroutine per worker reads results frames, checks that they answer that
// worker's chunks in the order they were sent, and copies them into their
// slots of one result slice: results are in task order without a merge.
// When the cursor runs out, each sender sends a done frame that its worker
// echoes after its last results, and the receiver stops there.
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
// # Faults
//
// A worker that dies mid-trial ends Compute with an error that names the
// model, the worker's PID, its signal or exit status and the last lines of
// its stderr (a proc.ExitError), after the other workers are killed so
// that no goroutine stays blocked; Teardown reaps every worker on every
// path. The workers live until Teardown or until the context given to
// Setup is done, whichever comes first.
package procpool
