// Package manager holds the manager models, manager and manager-batch:
// Python's multiprocessing.Manager() with its shared dict and list, rebuilt
// as a real server process and real client proxies.
//
// # What runs
//
// Setup makes a fresh private folder (os.MkdirTemp, mode 0700) and a unix
// socket in it (mode 0600; there is no TCP listener), and starts the
// manager process (role manager-server) with the listening socket as fd 4
// and c worker processes (role manager-worker), as one worker.Group. In
// the handshake each worker is sent the workload's name and its share of
// the tasks (a static split, as Python hands each Process its arguments),
// connects its own Client, warms up and says hello; the manager process
// says hello without warming up. The parent connects a client of its own.
// Once every process has connected, Setup removes the socket and its
// folder: the connections live on, and nothing is left on disk for the
// rest of the trial.
//
// Compute sends each worker a go frame; each worker computes its share a
// chunk at a time and stores every result under its task index (in
// decimal) in the shared dict, one Dict.Set round trip per result as
// Python's `d[i] = f(x)` does (manager), or a chunk's results at a time in
// Dict.SetMany calls of at most MaxBatch entries (manager-batch); then it
// appends the count it stored to the shared list and answers with a done
// frame, which the parent waits for in Go's netpoller
// (worker.Group.AwaitDone). The parent then reads the whole dict back
// through its client (Dict.Range, a frame of entries per round trip),
// places every result in task order and checks the list. The figure
// results_stored_per_s is tasks / (go → last done); readback_s is the time
// of the read-back that follows, also inside compute. The processes' start
// figures are reported too (worker.Group.StartMetrics).
//
// # Wire format
//
// Length-prefixed binary frames over the stream socket, described in
// wire.go: u32 length, then an op byte (requests) or a status byte
// (responses) and fixed-layout fields. The server reads the 4-byte length
// and rejects 0 or anything over MaxFrame before allocating; a bad length
// gets an error frame and that connection is closed (the stream cannot be
// resynchronised), while a well-framed but malformed body (unknown op,
// short or trailing fields, key over MaxKey, an entry count the frame
// cannot hold) gets an error frame and the connection goes on. Other
// connections are never affected. The decoder allocates nothing, and is
// fuzzed (FuzzDecodeRequest, FuzzServeConn; seeds in testdata/fuzz).
//
// Note: a binary frame rather than gob or JSON keeps one Set round trip at
// two small writes and two small reads, so the figures measure the
// manager pattern (a process hop per call) rather than an encoder.
//
// # Failure and cleanup
//
// Any process of the trial that dies fails its group: the others are
// killed at once, which also unblocks a client waiting on the manager, and
// Compute returns the failure, a *worker.ExitError (role, PID, status or
// signal, stderr tail) wrapped with the model's name; a context that ends
// during Compute kills every process too. Teardown always closes the
// parent's client, stops and reaps the manager and the workers, and
// removes the private folder if it still exists. A run killed with SIGKILL
// while a folder exists (setup only) leaves it behind; the next Setup of
// any run of the same user removes folders whose owner PID is dead.
package manager
