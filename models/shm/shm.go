package shm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/worker"
)

// WorkerRole is the worker role of a shm worker. It is registered when this
// package is initialised, so every binary that can run the models can also
// serve their workers.
const WorkerRole = "shm-worker"

func init() { worker.Register(WorkerRole, runWorker) }

// Model is the shm model, or shm-lock when it was made by NewLock.
type Model struct{ mode uint32 }

// New returns the shm model.
func New() Model { return Model{mode: modePlain} }

// NewLock returns the shm-lock model.
func NewLock() Model { return Model{mode: modeLock} }

// Name implements models.Model.
func (m Model) Name() string {
	if m.mode == modeLock {
		return "shm-lock"
	}
	return "shm"
}

// MemoryEstimate is the memory of a cell at its peak (models.MemoryEstimator):
// the runner's tasks and results, and the region of tasks and results
// (24 B a task), which the runner and every worker map and count.
func (Model) MemoryEstimate(tasks, cores int) int64 {
	return models.Footprint{Base: 16 * models.MiB, Worker: 8 * models.MiB, PerTask: 48, PerTaskCore: 48}.Bytes(tasks, cores)
}

// Doc implements models.Model.
func (m Model) Doc() string {
	if m.mode == modeLock {
		return "as shm, and every task does `value += 1; array[w] = value` under a futex lock in the region (multiprocessing's Value + Array + Lock)"
	}
	return "c worker processes share one memfd region of tasks and results and claim chunks by an atomic index (multiprocessing's Value/Array shared memory)"
}

// ErrLockCheck is wrapped when shm-lock's shared counter or array shows
// that an update was lost or a worker's slot holds a value it never set.
var ErrLockCheck = errors.New("lock-guarded updates are inconsistent")

// ErrIncomplete is wrapped when the workers report fewer tasks done than
// the region holds.
var ErrIncomplete = errors.New("not every task was done")

// Setup creates and fills the region and starts c workers that map it; it
// returns once every worker is ready.
func (m Model) Setup(ctx context.Context, cfg models.Config) (models.Session, error) {
	name := m.Name()
	if cfg.Workload == nil || cfg.Cores < 1 || cfg.Cores > maxWorkers {
		return nil, fmt.Errorf("%s: need a workload and 1..%d cores, got %d", name, maxWorkers, cfg.Cores)
	}
	l := newLayout(len(cfg.Workload.Tasks), cfg.Cores)
	r, err := createRegion(l.size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r.init(l, m.mode, cfg.ChunkSize())
	copy(r.tasks(l), cfg.Workload.Tasks)

	// Worker i is born pinned to the i-th CPU of the cell (worker.WorkerCPU).
	specs := make([]worker.Spec, cfg.Cores)
	for i := range specs {
		specs[i] = worker.Spec{
			Role:  WorkerRole,
			Env:   []string{"GOMAXPROCS=1"}, // one goroutine of work each
			Files: []*os.File{r.file},
			CPUs:  worker.WorkerCPU(i),
		}
	}
	g, err := worker.StartGroup(ctx, specs)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// The config names the workload, and its seq is the worker's index.
	wl := []byte(cfg.Workload.Workload.Name)
	err = g.Handshake(ctx, worker.HandshakeTimeout, func(i int) worker.Config {
		return worker.Config{Seq: uint64(i), Payload: wl}
	})
	if err != nil {
		g.Close(0)
		r.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &session{name: name, mode: m.mode, r: r, l: l, g: g}, nil
}

type session struct {
	name string
	mode uint32
	r    *region
	l    layout
	g    *worker.Group
	done bool
	// passes counts Compute calls: a later pass resets the region first.
	passes int
}

// reset readies the region for another pass over the same tasks: the
// claim index, the lock-guarded value and array, and the workers' stats
// start again from zero, so that the pass claims, counts and checks every
// task afresh. The results are left as they are: every task is claimed
// again and its slot rewritten (the caller checks that with a poisoned
// region, see modeltest.Passes).
func (s *session) reset() {
	h := s.r.header()
	h.Next.Store(0)
	h.Value = 0
	clear(s.r.array(s.l))
	clear(s.r.stats(s.l))
}

// Compute starts every worker at once and waits until each has run out of
// chunks to claim. The results are then in the region, in task order.
func (s *session) Compute(ctx context.Context) (models.Output, error) {
	if s.passes++; s.passes > 1 {
		s.reset() // no worker runs between passes
	}
	t0 := time.Now()
	m0 := monotonic()
	// Go and AwaitDone kill every worker if one fails: a dead worker may
	// hold the lock or a claimed chunk, and the others could not finish.
	if err := s.g.Go(); err != nil {
		return models.Output{}, fmt.Errorf("%s: %w", s.name, err)
	}
	if err := s.g.AwaitDone(ctx); err != nil {
		return models.Output{}, fmt.Errorf("%s: %w", s.name, err)
	}
	m1 := monotonic()
	elapsed := time.Since(t0).Seconds()

	stats := s.r.stats(s.l)
	out := models.Output{
		Results: s.r.results(s.l),
		Workers: s.g.Pids(),
		Metrics: s.g.StartMetrics(),
	}
	out.Metrics["tasks_per_s"] = float64(s.l.tasks) / elapsed
	// How long Go took to reach the last worker, and Done to come back
	// from the last one: the signalling part of the compute time.
	var lastStart, lastEnd uint64
	for _, st := range stats {
		lastStart, lastEnd = max(lastStart, st.StartNs), max(lastEnd, st.EndNs)
	}
	out.Metrics["start_latency_s"] = float64(int64(lastStart-m0)) / 1e9
	out.Metrics["finish_latency_s"] = float64(int64(m1-lastEnd)) / 1e9
	var done uint64
	for w, st := range stats {
		done += st.Tasks
		out.Metrics[fmt.Sprintf("worker%d_tasks", w)] = float64(st.Tasks)
		out.Metrics[fmt.Sprintf("worker%d_busy_s", w)] = float64(st.EndNs-st.StartNs) / 1e9
	}
	if done != uint64(s.l.tasks) {
		return out, fmt.Errorf("%s: %w: workers report %d of %d", s.name, ErrIncomplete, done, s.l.tasks)
	}
	if s.mode == modePlain {
		out.Accounts = make([]models.Account, len(stats))
		for w, st := range stats {
			out.Accounts[w] = models.Account{Busy: time.Duration(st.BusyNs), Tasks: int(st.Tasks), Chunks: int(st.Chunks), CPU: int(st.CPU),
				First: st.FirstNs, Last: st.LastNs}
		}
	}
	if s.mode == modeLock {
		if err := checkLock(s.r.header().Value, s.r.array(s.l), stats, uint64(s.l.tasks)); err != nil {
			return out, fmt.Errorf("%s: %w", s.name, err)
		}
		out.Metrics["lock_ops_per_s"] = float64(s.r.header().Value) / elapsed
		for w, st := range stats {
			out.Metrics[fmt.Sprintf("worker%d_lock_ops_per_s", w)] = float64(st.LockOps) / elapsed
		}
	}
	return out, nil
}

// checkLock checks the invariants of the lock-guarded update after every
// worker is done: value counts every task once, and array[w] is the last
// value worker w set (a value it really saw under the lock), so the slots
// of busy workers are distinct and at most value. The sum of all values
// seen must be 1 + 2 + … + n, which fails if two workers ever saw the same
// value.
func checkLock(value uint64, array []uint64, stats []workerStats, n uint64) error {
	if value != n {
		return fmt.Errorf("%w: value = %d after %d tasks", ErrLockCheck, value, n)
	}
	var ops, sum uint64
	seen := map[uint64]int{}
	for w, st := range stats {
		ops += st.LockOps
		sum += st.SeenSum
		if st.LockOps == 0 {
			if array[w] != 0 {
				return fmt.Errorf("%w: array[%d] = %d but worker %d took no lock", ErrLockCheck, w, array[w], w)
			}
			continue
		}
		if array[w] != st.Last || array[w] < 1 || array[w] > value {
			return fmt.Errorf("%w: array[%d] = %d, worker %d last set %d (value %d)", ErrLockCheck, w, array[w], w, st.Last, value)
		}
		if o, dup := seen[array[w]]; dup {
			return fmt.Errorf("%w: array[%d] = array[%d] = %d", ErrLockCheck, o, w, array[w])
		}
		seen[array[w]] = w
	}
	if ops != n {
		return fmt.Errorf("%w: %d lock operations for %d tasks", ErrLockCheck, ops, n)
	}
	// 1 + … + n mod 2^64, without overflow in the halving.
	want := n / 2 * (n + 1)
	if n%2 == 1 {
		want = (n + 1) / 2 * n
	}
	if sum != want {
		return fmt.Errorf("%w: values seen sum to %d, want 1+…+%d = %d", ErrLockCheck, sum, n, want)
	}
	return nil
}

// Teardown stops and reaps every worker, then unmaps and frees the region.
// Results returned by Compute are invalid afterwards.
func (s *session) Teardown() error {
	if s.done {
		return nil
	}
	s.done = true
	var errs []error
	if err := s.g.Close(worker.ExitGrace); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
	}
	if err := s.r.Close(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
	}
	return errors.Join(errs...)
}

// Pids returns the workers' PIDs (tests use it).
func (s *session) Pids() []int { return s.g.Pids() }
