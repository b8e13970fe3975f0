package procpool

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/proc"
)

// Model is procpool, the Pool.map / Pool.starmap analogue.
type Model struct{}

// New returns the procpool model.
func New() Model { return Model{} }

// Name implements models.Model.
func (Model) Name() string { return "procpool" }

// Doc implements models.Model.
func (Model) Doc() string {
	return "c worker processes fed chunks over unix sockets, results in task order (Pool.map / Pool.starmap)"
}

// depth is how many chunks a worker has in flight: the one it computes
// and the next.
const depth = 2

// Setup starts the pool and hands each worker its configuration.
func (m Model) Setup(ctx context.Context, cfg models.Config) (models.Session, error) {
	n := len(cfg.Workload.Tasks)
	size := min(cfg.ChunkSize(), max(n, 1), maxFrameTasks)
	p, err := startPool(ctx, m.Name(), cfg, size)
	if err != nil {
		return nil, err
	}
	s := &mapSession{pool: p, cfg: cfg, size: size, results: make([]uint64, n)}
	// Touch the result slots now, so that compute does not page-fault.
	for i := range s.results {
		s.results[i] = 0
	}
	return s, nil
}

type mapSession struct {
	*pool
	cfg     models.Config
	size    int
	results []uint64
}

// span is a chunk in flight: tasks [lo, hi); lo < 0 marks a done frame.
type span struct{ lo, hi int }

// Compute hands out every chunk and collects the results.
func (s *mapSession) Compute(ctx context.Context) (models.Output, error) {
	tasks := s.cfg.Workload.Tasks
	n := len(tasks)
	var cursor atomic.Int64
	counts := make([]int, len(s.g.Procs))
	var fns []func(context.Context) error
	cores := len(s.g.Procs)
	// left is how many chunks nobody has taken yet.
	left := func() int { return (max(n-int(cursor.Load()), 0) + s.size - 1) / s.size }
	for i, w := range s.g.Procs {
		// inflight lists the chunks sent to this worker and not yet
		// answered, in order (and the done marker at the end).
		inflight := make(chan span, depth+1)
		// freed is signalled by the receiver after each answer.
		freed := make(chan struct{}, 1)
		rd, wr := s.rd[i], s.wr[i]
		send := func(ctx context.Context) error {
			for {
				// Queue a second chunk behind the one computing only
				// while at least c are left: in the last round a
				// worker takes one chunk at a time, so the last
				// chunks go to whichever worker is free.
				for len(inflight) >= depth || (len(inflight) > 0 && left() < cores) {
					select {
					case <-freed:
					case <-ctx.Done():
						return nil
					}
				}
				lo := int(cursor.Add(int64(s.size))) - s.size
				if lo >= n {
					inflight <- span{-1, -1}
					return wr.WriteControl(proc.FrameDone, 0, nil)
				}
				sp := span{lo, min(lo+s.size, n)}
				inflight <- sp
				if err := wr.WriteTasks(uint64(sp.lo), tasks[sp.lo:sp.hi], s.pairs); err != nil {
					return err
				}
			}
		}
		recv := func(ctx context.Context) error {
			for {
				f, err := rd.Next()
				if err != nil {
					return err
				}
				var sp span
				select {
				case sp = <-inflight:
				default:
					return unexpected(w.Pid, f, "nothing (no chunk in flight)")
				}
				if sp.lo < 0 {
					if f.Kind != proc.FrameDone {
						return unexpected(w.Pid, f, "done")
					}
					return nil
				}
				if f.Kind != proc.FrameResults || f.Seq != uint64(sp.lo) || f.Count() != sp.hi-sp.lo {
					return unexpected(w.Pid, f, fmt.Sprintf("results seq %d (%d items)", sp.lo, sp.hi-sp.lo))
				}
				if err := f.ResultsInto(s.results[sp.lo:sp.hi]); err != nil {
					return err
				}
				counts[i] += sp.hi - sp.lo
				select {
				case freed <- struct{}{}:
				default:
				}
			}
		}
		fns = append(fns, send, recv)
	}
	if err := s.g.Run(ctx, fns...); err != nil {
		return models.Output{}, fmt.Errorf("procpool: %w", err)
	}
	var workers []int
	for i, w := range s.g.Procs {
		if counts[i] > 0 {
			workers = append(workers, w.Pid)
		}
	}
	m := map[string]float64{"chunk_tasks": float64(s.size), "chunks": float64((n + s.size - 1) / s.size)}
	// How the chunks fell: with Pool.map's few large chunks, one extra
	// chunk on one worker is the whole difference from ideal scaling.
	for i, c := range counts {
		m[fmt.Sprintf("worker%d_tasks", i)] = float64(c)
	}
	return models.Output{
		Results: s.results,
		Workers: workers,
		Metrics: s.metrics(m),
	}, nil
}

// Teardown ends every worker's input and reaps them all.
func (s *mapSession) Teardown() error {
	if err := s.close(); err != nil {
		return fmt.Errorf("procpool: %w", err)
	}
	return nil
}

// Pids returns the workers' PIDs (tests use it).
func (s *mapSession) Pids() []int { return s.g.Pids() }
