package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mpbench/mpbench/workloads"
)

// Config is what a model is given for one trial.
type Config struct {
	// Workload is the resolved workload: its tasks and reference checksum.
	// Models must not modify its task list.
	Workload *workloads.Instance
	// Cores is c, the number of CPUs the cell runner is confined to and the
	// number of workers the model should use.
	Cores int
	// Chunk is the number of tasks handed out at once; 0 means automatic.
	Chunk int
}

// Model is one way of running a workload's tasks on c cores.
type Model interface {
	// Name is the word a user types: "goroutines", "procpool", …
	Name() string
	// Doc is one line: what runs, how data moves, and the Python
	// multiprocessing pattern it mirrors.
	Doc() string
	// Setup starts what the trial needs (workers, memory, servers) and
	// returns the session that computes. Its duration is the setup phase.
	Setup(ctx context.Context, cfg Config) (Session, error)
}

// Family is implemented by models that are not Go models: the Python
// reference models return "py". Models without it are "go".
type Family interface {
	Family() string
}

// FamilyOf returns m's family, "go" unless it says otherwise.
func FamilyOf(m Model) string {
	if f, ok := m.(Family); ok {
		return f.Family()
	}
	return "go"
}

// Availability is implemented by models that need something outside
// mpbench (an interpreter). Available returns why the model cannot run
// here, or nil.
type Availability interface {
	Available() error
}

// SingleCore is implemented by models that only run at c = 1 (sequential).
type SingleCore interface {
	SingleCore() bool
}

// Session is one trial of a model, between setup and teardown.
type Session interface {
	// Compute is one pass: it runs every task afresh and returns the
	// results. Its duration is the pass's compute time.
	//
	// Compute may be called more than once on one session (the cell
	// runner's cold pass, then K warm passes): each call is one pass that
	// runs every task again with the same workers, memory and servers
	// Setup made. A pass must not count on anything a previous pass left:
	// state that carries over (a shared results region, a manager's dict
	// and list, a ring, lock counters, claim indices) is reset or
	// overwritten, so that each pass's Output validates on its own and a
	// pass that ran no task cannot pass for one that did. Accounts and
	// Metrics describe that pass only. The caller may overwrite the
	// previous pass's Results before the next call (it poisons them, see
	// modeltest.Passes). After an error, only Teardown may be called.
	Compute(ctx context.Context) (Output, error)
	// Teardown releases everything Setup acquired. It is called exactly
	// once, after the last Compute or instead of it, also after an error;
	// its duration is the teardown phase.
	Teardown() error
}

// TeardownTimer is implemented by sessions that time their own teardown
// (a model driving another runtime): once Teardown has returned nil,
// TeardownTime is that runtime's teardown time, which replaces the
// harness's clock; ok is false when it has none.
type TeardownTimer interface {
	TeardownTime() (d time.Duration, ok bool)
}

// Output is what Compute returns.
type Output struct {
	// Results holds one result per task, in task order. It must stay valid
	// until the next Compute or Teardown (it may point into shared memory,
	// and the next pass may reuse it).
	Results []uint64
	// Workers lists the PIDs of the processes that ran tasks; empty for
	// in-process models.
	Workers []int
	// Accounts holds one Account per worker that ran tasks: its busy time
	// inside the task function, its tasks, its CPU. Nil for a model that
	// does not keep accounts; when set, its tasks sum to every task.
	Accounts []Account
	// Metrics are model-specific figures of this trial, e.g. lock
	// operations per second. Keys are snake_case with their unit.
	Metrics map[string]float64

	// Checksum, when set, stands for Results: a model whose results live in
	// another runtime (the Python reference models) reports their
	// workloads.Checksum, and Validate compares it with the Go workload's
	// reference like any other. Models that can
	// hand back Results must do so.
	Checksum *uint64
	// Phases, when set, replaces the harness's own clock: a model driving
	// another runtime reports that runtime's times, which exclude its
	// interpreter start. Setup is read from a session's first pass only;
	// Compute is this pass's. The teardown time comes from TeardownTimer.
	Phases *Phases
	// Info is recorded in the run file once per cell, e.g. the Python
	// version that ran.
	Info map[string]string
}

// Phases are durations measured by a model itself.
type Phases struct {
	Setup, Compute time.Duration
}

// ErrUnknownModel is returned by Registry.Lookup for an unknown name.
var ErrUnknownModel = errors.New("unknown model")

// Registry is an ordered set of models.
type Registry []Model

// Names returns the names of the models in order.
func (r Registry) Names() []string {
	names := make([]string, len(r))
	for i, m := range r {
		names[i] = m.Name()
	}
	return names
}

// Lookup returns the model called name.
func (r Registry) Lookup(name string) (Model, error) {
	for _, m := range r {
		if m.Name() == name {
			return m, nil
		}
	}
	return nil, fmt.Errorf("%w %q (valid: %s)", ErrUnknownModel, name, strings.Join(r.Names(), ", "))
}

// IsSingleCore reports whether m runs at c = 1 only.
func IsSingleCore(m Model) bool {
	s, ok := m.(SingleCore)
	return ok && s.SingleCore()
}

// AutoChunk returns the chunk size Python's Pool.map picks for n tasks on
// workers workers: ceil(n / (4·workers)), at least 1.
func AutoChunk(n, workers int) int {
	if workers < 1 {
		workers = 1
	}
	chunk, extra := n/(4*workers), n%(4*workers)
	if extra > 0 {
		chunk++
	}
	return max(chunk, 1)
}

// ChunkSize returns cfg.Chunk, or AutoChunk when it is 0.
func (cfg Config) ChunkSize() int {
	if cfg.Chunk > 0 {
		return cfg.Chunk
	}
	return AutoChunk(len(cfg.Workload.Tasks), cfg.Cores)
}

// NewResults returns a result slice for n tasks with every page already
// touched, so that page faults of fresh memory are paid in setup, not
// inside the compute phase where they would dwarf tiny tasks.
func NewResults(n int) []uint64 {
	r := make([]uint64, n)
	Prefault(r)
	return r
}

// Prefault writes one word in every page of s.
func Prefault(s []uint64) {
	const wordsPerPage = 4096 / 8
	for i := 0; i < len(s); i += wordsPerPage {
		s[i] = 0
	}
}
