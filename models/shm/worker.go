package shm

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/mpbench/mpbench/models/internal/workers"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
	"golang.org/x/sys/unix"
)

// runWorker is the body of a shm worker: map the region it was handed as
// fd 4, say Ready, and run one pass of the work on each Go until the parent
// closes the data channel. Args: the workload name and the worker's index.
func runWorker(_ context.Context, c *worker.Child) error {
	if len(c.Args) != 2 || len(c.Files) != 1 {
		return fmt.Errorf("want args [workload index] and one region fd, got %q and %d fds", c.Args, len(c.Files))
	}
	w, err := workloads.Lookup(c.Args[0])
	if err != nil {
		return err
	}
	r, err := openRegion(c.Files[0])
	if err != nil {
		return err
	}
	defer r.Close()
	l, err := r.check()
	if err != nil {
		return err
	}
	idx, err := strconv.Atoi(c.Args[1])
	if err != nil || idx < 0 || idx >= l.workers {
		return fmt.Errorf("worker index %q out of range 0..%d", c.Args[1], l.workers-1)
	}
	// Like every process model's workers, warm up before saying Ready, so
	// a fresh process's slow start is paid in setup (see worker.Warmup).
	worker.Warmup()
	if err := workers.Signal(c.Data, workers.Ready); err != nil {
		return err
	}
	for {
		b, err := workers.Next(c.Data)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if b != workers.Go {
			return fmt.Errorf("unexpected signal %q", b)
		}
		work(r, l, idx, w.Apply)
		if err := workers.Signal(c.Data, workers.Done); err != nil {
			return err
		}
	}
}

// work claims chunks through the shared index until none is left, writing
// each result into its slot of the region. In shm-lock mode every task also
// does the notes' `with lock: value += 1; array[i] = value`.
func work(r *region, l layout, idx int, apply func([]workloads.Task, []uint64)) {
	h := r.header()
	tasks, results := r.tasks(l), r.results(l)
	n, chunk := uint64(l.tasks), h.Chunk
	lockMode := h.Mode == modeLock
	array := r.array(l)
	st := workerStats{StartNs: monotonic()}
	for {
		lo := h.Next.Add(chunk) - chunk
		if lo >= n {
			break
		}
		hi := min(lo+chunk, n)
		if !lockMode {
			apply(tasks[lo:hi], results[lo:hi])
		} else {
			for i := lo; i < hi; i++ {
				apply(tasks[i:i+1], results[i:i+1])
				lockWord(&h.Lock)
				v := h.Value + 1
				h.Value = v
				array[idx] = v
				unlockWord(&h.Lock)
				st.Last = v
				st.SeenSum += v
			}
			st.LockOps += hi - lo
		}
		st.Tasks += hi - lo
		st.Chunks++
	}
	st.EndNs = monotonic()
	r.stats(l)[idx] = st
}

// monotonic returns CLOCK_MONOTONIC in nanoseconds, a clock that every
// process on the machine shares.
func monotonic() uint64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint64(ts.Nano())
}
