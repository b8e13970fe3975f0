// Package sequential is the baseline model: the plain loop of Python's examples, every
// task on one goroutine at c = 1. Every speedup in mpbench is measured
// against it, in the same run.
package sequential

import (
	"context"

	"github.com/mpbench/mpbench/models"
)

// Model is the sequential baseline.
type Model struct{}

// New returns the sequential model.
func New() Model { return Model{} }

// Name implements models.Model.
func (Model) Name() string { return "sequential" }

// Doc implements models.Model.
func (Model) Doc() string {
	return "one loop on one goroutine at c = 1, the baseline of every speedup (Python's `for x in data: f(x)`)"
}

// SingleCore implements models.SingleCore: the baseline runs at c = 1 only.
func (Model) SingleCore() bool { return true }

// MemoryEstimate is the memory of a cell at its peak (models.MemoryEstimator):
// the task list (16 B a task) and the results (8 B).
func (Model) MemoryEstimate(tasks, cores int) int64 {
	return models.Footprint{Base: 16 * models.MiB, PerTask: 32}.Bytes(tasks, cores)
}

// Setup implements models.Model.
func (Model) Setup(_ context.Context, cfg models.Config) (models.Session, error) {
	return &session{cfg: cfg, results: models.NewResults(len(cfg.Workload.Tasks))}, nil
}

type session struct {
	cfg     models.Config
	results []uint64
}

func (s *session) Compute(context.Context) (models.Output, error) {
	acct := models.NewAccount()
	acct.Apply(s.cfg.Workload.Workload.Apply, s.cfg.Workload.Tasks, s.results)
	acct.NoteCPU()
	return models.Output{Results: s.results, Accounts: []models.Account{acct}}, nil
}

func (s *session) Teardown() error { return nil }
