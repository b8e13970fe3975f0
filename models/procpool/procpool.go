package procpool

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/worker"
	"golang.org/x/sys/unix"
)

// Model is procpool, the Pool.map / Pool.starmap analogue.
type Model struct{}

// New returns the procpool model.
func New() Model { return Model{} }

// Name implements models.Model.
func (Model) Name() string { return "procpool" }

// MemoryEstimate is the memory of a cell at its peak (models.MemoryEstimator):
// the runner's tasks and results, and each worker's chunks and results frames.
func (Model) MemoryEstimate(tasks, cores int) int64 {
	return models.Footprint{Base: 16 * models.MiB, Worker: 8 * models.MiB, PerTask: 48, PerTaskCore: 20}.Bytes(tasks, cores)
}

// Doc implements models.Model.
func (Model) Doc() string {
	return "c worker processes take chunks from one shared seqpacket socket, results back in task order (Pool.map / Pool.starmap)"
}

// Setup makes the task queue, starts the pool and hands each worker its
// configuration.
//
// The task queue is one unix SOCK_SEQPACKET socket pair: the parent writes
// chunks into its end, every worker reads from the other, and the kernel
// hands each message to exactly one reader, whole: Pool's shared inqueue,
// with the kernel as its lock. A message must fit the parent's send
// buffer, so a chunk is at most maxQueueTasks(buffer) tasks.
func (m Model) Setup(ctx context.Context, cfg models.Config) (models.Session, error) {
	n := len(cfg.Workload.Tasks)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: task queue: %w", m.Name(), err)
	}
	// As big a send buffer as the system allows (net.core.wmem_max): it
	// bounds both one message and what waits in the queue.
	_ = unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_SNDBUF, 64<<20)
	// Note: the parent's end stays blocking, out of Go's netpoller. Each
	// message a worker takes frees send-buffer space, and a registered
	// socket then reports itself writable, waking the parent's netpoller
	// for nothing: about 8 more switches to the parent per cpu compute
	// phase at c = 2 (perf sched: 10.5 against 3.0). Writes block only
	// when the queue is full, and fail once every worker has gone.
	sndbuf, err := unix.GetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_SNDBUF)
	if err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return nil, fmt.Errorf("%s: task queue: %w", m.Name(), err)
	}
	queue := os.NewFile(uintptr(fds[0]), "procpool-tasks")
	workerEnd := os.NewFile(uintptr(fds[1]), "procpool-tasks-workers")
	size := min(cfg.ChunkSize(), max(n, 1), maxFrameTasks, maxQueueTasks(sndbuf))
	p, err := startPool(ctx, m.Name(), cfg, size, workerEnd)
	// The workers hold their copies; without the parent's, the queue's
	// far end closes when they are all gone.
	workerEnd.Close()
	if err != nil {
		queue.Close()
		return nil, err
	}
	s := &mapSession{pool: p, cfg: cfg, size: size, queue: queue, results: make([]uint64, n)}
	// Touch the result slots and the frame buffer now, so that compute
	// does not page-fault.
	clear(s.results)
	s.frame = make([]byte, worker.FrameHeaderSize+16*size)
	clear(s.frame)
	return s, nil
}

// maxQueueTasks is the most tasks one message on a task queue whose send
// buffer is sndbuf bytes may carry: a unix datagram must leave 32 bytes of
// the buffer free, and a task takes at most 16 bytes (a pair).
func maxQueueTasks(sndbuf int) int {
	return max((sndbuf-32-worker.FrameHeaderSize)/16, 1)
}

type mapSession struct {
	*pool
	cfg     models.Config
	size    int
	queue   *os.File // the parent's end of the task queue
	frame   []byte
	results []uint64
	passes  int // Compute calls so far
}

// Compute puts every chunk on the task queue, then one sentinel per
// worker, and collects the results each worker sends back on its data
// channel until its own done frame.
func (s *mapSession) Compute(ctx context.Context) (models.Output, error) {
	tasks := s.cfg.Workload.Tasks
	n, c := len(tasks), len(s.g.Procs)
	chunks := newLedger(n, s.size)
	counts := make([]int, c)
	accts, have := make([]models.Account, c), make([]bool, c)
	put := func(context.Context) error {
		for lo := 0; lo < n; lo += s.size {
			hi := min(lo+s.size, n)
			s.frame = worker.AppendTasksFrame(s.frame[:0], uint64(lo), tasks[lo:hi], s.pairs)
			if _, err := s.queue.Write(s.frame); err != nil {
				return fmt.Errorf("task queue: %w", err)
			}
		}
		// None sentinels, one per worker: each worker stops taking at
		// its first, so every worker gets exactly one.
		s.frame = worker.AppendControlFrame(s.frame[:0], worker.FrameDone, 0, nil)
		for range c {
			if _, err := s.queue.Write(s.frame); err != nil {
				return fmt.Errorf("task queue: %w", err)
			}
		}
		return nil
	}
	if s.passes++; s.passes > 1 {
		// Every worker took its sentinel last pass and waits for go;
		// the first pass needs none (the workers start taking at once).
		put0 := put
		put = func(ctx context.Context) error {
			if err := s.g.Go(); err != nil {
				return err
			}
			return put0(ctx)
		}
	}
	fns := []func(context.Context) error{put}
	for i, w := range s.g.Procs {
		rd := s.g.Conns[i].R
		fns = append(fns, func(context.Context) error {
			for {
				f, err := rd.Next()
				if err != nil {
					return err
				}
				switch f.Kind {
				case worker.FrameResults:
					lo, count := int(f.Seq), f.Count()
					if want := chunks.claim(lo, count); want != "" {
						return worker.Unexpected(w.Pid, f, want)
					}
					if err := f.ResultsInto(s.results[lo : lo+count]); err != nil {
						return err
					}
					counts[i] += count
				case worker.FrameDone:
					if f.Seq != uint64(counts[i]) {
						return worker.Unexpected(w.Pid, f, fmt.Sprintf("done after its %d results", counts[i]))
					}
					accts[i], have[i] = worker.DoneAccount(f, counts[i])
					return nil
				default:
					return worker.Unexpected(w.Pid, f, "results or done")
				}
			}
		})
	}
	if err := s.g.Run(ctx, fns...); err != nil {
		return models.Output{}, fmt.Errorf("procpool: %w", err)
	}
	if got := chunks.claimed(); got != n {
		return models.Output{}, fmt.Errorf("procpool: %w: every worker took its sentinel with %d of %d results in", worker.ErrProtocol, got, n)
	}
	var workers []int
	for i, w := range s.g.Procs {
		if counts[i] > 0 {
			workers = append(workers, w.Pid)
		}
	}
	m := map[string]float64{"chunk_tasks": float64(s.size), "chunks": float64(chunks.len())}
	// How the chunks fell: with Pool.map's few large chunks, one extra
	// chunk on one worker is the whole difference from ideal scaling.
	for i, c := range counts {
		m[fmt.Sprintf("worker%d_tasks", i)] = float64(c)
	}
	return models.Output{
		Results:  s.results,
		Workers:  workers,
		Metrics:  s.metrics(m),
		Accounts: models.AllAccounts(accts, have),
	}, nil
}

// ledger checks that results answer the chunks put on the queue, each
// once.
type ledger struct {
	n, size int
	seen    []atomic.Bool
	got     atomic.Int64
}

func newLedger(n, size int) *ledger {
	return &ledger{n: n, size: size, seen: make([]atomic.Bool, (n+size-1)/size)}
}

func (l *ledger) len() int { return len(l.seen) }

// claim records the results of tasks [lo, lo+count): they must be exactly
// one chunk, not answered before. Otherwise it says what it wanted.
func (l *ledger) claim(lo, count int) (want string) {
	k := lo / l.size
	switch {
	case lo < 0 || lo >= l.n || lo%l.size != 0:
		return fmt.Sprintf("results for a chunk (seq %d is no chunk of %d tasks by %d)", lo, l.n, l.size)
	case count != min(l.size, l.n-lo):
		return fmt.Sprintf("results for all %d tasks of chunk %d", min(l.size, l.n-lo), k)
	case !l.seen[k].CompareAndSwap(false, true):
		return fmt.Sprintf("results for a chunk not answered yet (chunk %d was)", k)
	}
	l.got.Add(int64(count))
	return ""
}

// claimed is how many results have been claimed.
func (l *ledger) claimed() int { return int(l.got.Load()) }

// Teardown ends the task queue and every worker's input, and reaps them
// all. The queue closes as part of the group's Close: a worker that takes
// its end of the queue exits, and that is no failure once Close has begun.
func (s *mapSession) Teardown() error {
	if err := s.close(s.queue); err != nil {
		return fmt.Errorf("procpool: %w", err)
	}
	return nil
}

// Pids returns the workers' PIDs (tests use it).
func (s *mapSession) Pids() []int { return s.g.Pids() }
