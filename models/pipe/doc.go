// Package pipe is the pipe model, the analogue of Python's Pipe
// sender/receiver pattern: c worker processes, each joined to the parent by
// its own pair of os.Pipe — one carrying tasks to the worker, one carrying
// results back — passed to the worker as fd 4 and fd 5 (worker.Spec.Files;
// the fd-3 socket is not used).
//
// The split is static, as a sender with one receiver each would do it:
// worker i gets tasks [i·n/c, (i+1)·n/c). In Compute the parent streams
// each worker's share as tasks frames of models.Config.ChunkSize tasks
// (the worker frame codec, one write per frame), then a done frame; the
// worker answers every tasks frame with a results frame and the done frame
// with a done frame carrying its count, and the parent reads each
// worker's results, in order, straight into their slots until that done
// frame. A writer and a reader goroutine per worker keep both directions
// moving, so a full pipe never stalls the other direction.
//
// A worker writes its results frames when it has no further tasks frame
// buffered (or holds 64 KiB of them), so a share streamed ahead of it is
// answered in few writes: every write wakes the parent, whose wake-ups
// take CPU from the workers (docs/measurements.md).
//
// Setup creates the pipes, sizes each to 1 MiB where the system allows it
// (fewer wake-ups per frame than the default 64 KiB), starts the workers
// ("pipe-worker" role) and exchanges a config and a hello frame with each,
// so process start and handshake are timed apart from compute; a worker
// warms up before its hello (worker.Warmup). Teardown
// closes the task pipes (the workers' end of input) and reaps every worker.
// A worker that dies mid-trial fails Compute with an error naming the
// model, its PID, its signal or exit status and the last lines of its
// stderr.
package pipe
