// Package goroutines runs a workload on c goroutines in one process, with
// GOMAXPROCS = c (the cell runner sets it): the analogue of Python's
// threads, and the ceiling the process models are measured against.
//
// Tasks are handed out in chunks over a buffered channel, the way Pool.map
// hands chunks to its workers; the chunk size is automatic (Pool.map's
// ceil(n / 4c)) unless --chunk sets it. Each worker writes its results
// straight into its chunk's slots of one result slice, so results are in
// task order without a merge.
package goroutines

import (
	"context"
	"sync"

	"github.com/mpbench/mpbench/models"
)

// Model is the goroutine model.
type Model struct{}

// New returns the goroutine model.
func New() Model { return Model{} }

// Name implements models.Model.
func (Model) Name() string { return "goroutines" }

// MemoryEstimate is the memory of a cell at its peak (models.MemoryEstimator):
// the task list and the results, as sequential.
func (Model) MemoryEstimate(tasks, cores int) int64 {
	return models.Footprint{Base: 16 * models.MiB, PerTask: 32}.Bytes(tasks, cores)
}

// Doc implements models.Model.
func (Model) Doc() string {
	return "c goroutines in one process, chunks over a channel (Python's threading; Pool.map without processes)"
}

type chunk struct{ lo, hi int }

// Setup starts c worker goroutines that wait for chunks.
func (Model) Setup(_ context.Context, cfg models.Config) (models.Session, error) {
	n := len(cfg.Workload.Tasks)
	size := cfg.ChunkSize()
	s := &session{
		cfg:     cfg,
		results: models.NewResults(n),
		size:    size,
		work:    make(chan chunk, (n+size-1)/size),
		accts:   make([]models.Account, cfg.Cores),
	}
	apply := cfg.Workload.Workload.Apply
	tasks := cfg.Workload.Tasks
	s.wg.Add(cfg.Cores)
	for w := range cfg.Cores {
		go func() {
			defer s.wg.Done()
			// The pool lives as long as the session: each pass puts its
			// chunks on work, and the workers keep taking until teardown
			// closes it. Worker w alone writes accts[w] during a pass;
			// Compute resets and reads it between passes (pass orders
			// both).
			for c := range s.work {
				acct := &s.accts[w]
				acct.Apply(apply, tasks[c.lo:c.hi], s.results[c.lo:c.hi])
				acct.NoteCPU()
				s.pass.Done()
			}
		}()
	}
	return s, nil
}

type session struct {
	cfg     models.Config
	results []uint64
	size    int
	work    chan chunk
	wg      sync.WaitGroup // the workers
	pass    sync.WaitGroup // the chunks of the pass under way
	closed  bool
	accts   []models.Account // worker w's account of this pass
}

// Compute is one pass: every chunk on the channel, then wait until each
// is done. The workers stay for the next pass.
func (s *session) Compute(ctx context.Context) (models.Output, error) {
	n := len(s.results)
	for w := range s.accts {
		s.accts[w] = models.NewAccount()
	}
	chunks := (n + s.size - 1) / s.size
	s.pass.Add(chunks)
	for lo := 0; lo < n; lo += s.size {
		s.work <- chunk{lo, min(lo+s.size, n)}
	}
	s.pass.Wait()
	return models.Output{Results: s.results, Accounts: s.accts}, ctx.Err()
}

func (s *session) Teardown() error {
	if !s.closed {
		close(s.work)
		s.closed = true
	}
	s.wg.Wait()
	return nil
}
