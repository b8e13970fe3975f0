package shm

import (
	"context"
	"fmt"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
	"golang.org/x/sys/unix"
)

// runWorker is the body of a shm worker: the handshake (its config names
// the workload, its seq is the worker's index; it maps the region it was
// handed as fd 4 before it says hello), then one pass of the work on each
// go, answered by a done frame, until the parent closes the data channel.
func runWorker(_ context.Context, c *worker.Child) error {
	if len(c.Files) != 1 {
		return fmt.Errorf("want one region fd, got %d fds", len(c.Files))
	}
	rd, wr := worker.NewFrameReader(c.Data, 0), worker.NewFrameWriter(c.Data)
	var (
		r     *region
		l     layout
		idx   int
		apply func([]workloads.Task, []uint64)
	)
	defer func() {
		if r != nil {
			r.Close()
		}
	}()
	err := worker.Setup(rd, wr, func(cfg worker.Frame) error {
		w, err := workloads.Lookup(string(cfg.Payload))
		if err != nil {
			return err
		}
		apply = w.Apply
		if r, err = openRegion(c.Files[0]); err != nil {
			return err
		}
		if l, err = r.check(); err != nil {
			return err
		}
		if cfg.Seq >= uint64(l.workers) {
			return fmt.Errorf("worker index %d out of range 0..%d", cfg.Seq, l.workers-1)
		}
		idx = int(cfg.Seq)
		return nil
	})
	if err != nil {
		return err
	}
	return worker.GoDone(rd, wr, func() error {
		work(r, l, idx, apply)
		return nil
	})
}

// work claims chunks through the shared index until none is left, writing
// each result into its slot of the region. In shm-lock mode every task also
// does Python's `with lock: value += 1; array[i] = value`.
//
// In plain mode the worker keeps an account of each chunk (models.Account);
// shm-lock keeps none: its task function runs one task at a time between
// lock operations, and a clock read around each would change the very
// contention it measures.
func work(r *region, l layout, idx int, apply func([]workloads.Task, []uint64)) {
	h := r.header()
	tasks, results := r.tasks(l), r.results(l)
	n, chunk := uint64(l.tasks), h.Chunk
	lockMode := h.Mode == modeLock
	array := r.array(l)
	st := workerStats{StartNs: monotonic()}
	acct := models.NewAccount()
	for {
		lo := h.Next.Add(chunk) - chunk
		if lo >= n {
			break
		}
		hi := min(lo+chunk, n)
		if !lockMode {
			acct.Apply(apply, tasks[lo:hi], results[lo:hi])
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
	acct.NoteCPU()
	st.BusyNs, st.CPU = uint64(acct.Busy), int64(acct.CPU)
	st.FirstNs, st.LastNs = acct.First, acct.Last
	r.stats(l)[idx] = st
}

// monotonic returns CLOCK_MONOTONIC in nanoseconds, a clock that every
// process on the machine shares.
func monotonic() uint64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint64(ts.Nano())
}
