package procpool

import (
	"context"
	"fmt"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/worker"
)

// Async is procpool-async, the apply_async + get analogue.
type Async struct{}

// NewAsync returns the procpool-async model.
func NewAsync() Async { return Async{} }

// Name implements models.Model.
func (Async) Name() string { return "procpool-async" }

// MemoryEstimate is the memory of a cell at its peak (models.MemoryEstimator):
// a future, a channel hand-off and a request per task on top of procpool's.
func (Async) MemoryEstimate(tasks, cores int) int64 {
	return models.Footprint{Base: 16 * models.MiB, Worker: 8 * models.MiB, PerTask: 220, PerTaskCore: 20}.Bytes(tasks, cores)
}

// Doc implements models.Model.
func (Async) Doc() string {
	return "the procpool workers, one pipelined request and future per task (Pool.apply_async + AsyncResult.get)"
}

// asyncWindow is how many requests a worker may have in flight.
const asyncWindow = 128

// Setup starts the pool, configured for one task per frame.
func (m Async) Setup(ctx context.Context, cfg models.Config) (models.Session, error) {
	p, err := startPool(ctx, m.Name(), cfg, 1, nil)
	if err != nil {
		return nil, err
	}
	n := len(cfg.Workload.Tasks)
	s := &asyncSession{pool: p, cfg: cfg, results: make([]uint64, n), futures: make([]Future, n)}
	for i := range s.results {
		s.results[i] = 0
	}
	for i := range s.futures {
		s.futures[i] = Future{}
	}
	return s, nil
}

type asyncSession struct {
	*pool
	cfg     models.Config
	results []uint64
	futures []Future
	// queue holds submitted task indices not yet sent, as Pool's task
	// queue does; closed when every task is submitted.
	queue chan int
}

// Future is the result of one submitted task: Python's AsyncResult.
type Future struct {
	done chan struct{}
	val  uint64
}

// Get waits for the result, or for ctx to end.
func (f *Future) Get(ctx context.Context) (uint64, error) {
	select {
	case <-f.done:
		return f.val, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// applyAsync submits task i and returns its future.
func (s *asyncSession) applyAsync(i int) *Future {
	f := &s.futures[i]
	f.done = make(chan struct{})
	s.queue <- i
	return f
}

// target is how many requests a worker may have in flight now: the whole
// window while many tasks wait, shrinking as the queue empties
// (guided self-scheduling: a 1/(2c) share of what waits), so that coarse
// tasks are not all handed to the first worker that asks.
func (s *asyncSession) target() int {
	return min(asyncWindow, max(1, len(s.queue)/(2*len(s.g.Procs))))
}

// Compute submits every task, then gets every future in task order.
func (s *asyncSession) Compute(ctx context.Context) (models.Output, error) {
	tasks := s.cfg.Workload.Tasks
	n := len(tasks)
	s.queue = make(chan int, n)
	counts := make([]int, len(s.g.Procs))
	accts, have := make([]models.Account, len(s.g.Procs)), make([]bool, len(s.g.Procs))
	main := func(ctx context.Context) error {
		futs := make([]*Future, n)
		for i := range tasks {
			futs[i] = s.applyAsync(i)
		}
		close(s.queue)
		for i, f := range futs {
			v, err := f.Get(ctx)
			if err != nil {
				return nil // Run reports why ctx ended
			}
			s.results[i] = v
		}
		return nil
	}
	fns := []func(context.Context) error{main}
	for i, w := range s.g.Procs {
		inflight := make(chan int, asyncWindow)
		rd, wr := s.g.Conns[i].R, s.g.Conns[i].W
		// freed is signalled by the collector whenever a reply frees a
		// slot of the window.
		freed := make(chan struct{}, 1)
		feed := func(ctx context.Context) error {
			for {
				// Wait for room under the target window.
				for len(inflight) >= s.target() {
					select {
					case <-freed:
					case <-ctx.Done():
						return nil
					}
				}
				var (
					j  int
					ok bool
				)
				select {
				case j, ok = <-s.queue:
				case <-ctx.Done():
					return nil
				}
				if !ok {
					inflight <- -1 // the window has room here
					return wr.WriteControl(worker.FrameDone, 0, nil)
				}
				inflight <- j
				wr.AppendTasks(uint64(j), tasks[j:j+1], s.pairs)
				// Pipelining: add the requests already submitted while
				// the window has room, and write them at once.
			more:
				for target := s.target(); len(inflight) < target; {
					select {
					case j, ok = <-s.queue:
						if !ok {
							break more // the outer loop ends the stream
						}
						inflight <- j
						wr.AppendTasks(uint64(j), tasks[j:j+1], s.pairs)
					default:
						break more
					}
				}
				if err := wr.Flush(); err != nil {
					return err
				}
			}
		}
		collect := func(ctx context.Context) error {
			for {
				f, err := rd.Next()
				if err != nil {
					return err
				}
				var j int
				select {
				case j = <-inflight:
				default:
					return worker.Unexpected(w.Pid, f, "nothing (no request in flight)")
				}
				if j < 0 {
					if f.Kind != worker.FrameDone {
						return worker.Unexpected(w.Pid, f, "done")
					}
					accts[i], have[i] = worker.DoneAccount(f, counts[i])
					return nil
				}
				if f.Kind != worker.FrameResults || f.Seq != uint64(j) || f.Count() != 1 {
					return worker.Unexpected(w.Pid, f, fmt.Sprintf("one result for task %d", j))
				}
				fut := &s.futures[j]
				var one [1]uint64
				if err := f.ResultsInto(one[:]); err != nil {
					return err
				}
				fut.val = one[0]
				close(fut.done)
				counts[i]++
				select {
				case freed <- struct{}{}:
				default:
				}
			}
		}
		fns = append(fns, feed, collect)
	}
	if err := s.g.Run(ctx, fns...); err != nil {
		return models.Output{}, fmt.Errorf("procpool-async: %w", err)
	}
	var workers []int
	for i, w := range s.g.Procs {
		if counts[i] > 0 {
			workers = append(workers, w.Pid)
		}
	}
	return models.Output{Results: s.results, Workers: workers, Metrics: s.metrics(map[string]float64{"window_requests": asyncWindow}),
		Accounts: models.AllAccounts(accts, have)}, nil
}

// Teardown ends every worker's input and reaps them all.
func (s *asyncSession) Teardown() error {
	if err := s.close(); err != nil {
		return fmt.Errorf("procpool-async: %w", err)
	}
	return nil
}

// Pids returns the workers' PIDs (tests use it).
func (s *asyncSession) Pids() []int { return s.g.Pids() }
