package gate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mpbench/mpbench/harness/cellrun"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/worker"
)

// Figure is a gated figure of a cell.
type Figure string

// The figures a gate can watch. Speedup, Efficiency and Overhead are
// ratios within one run and gate across machines; Time needs a baseline
// from the same host.
const (
	// Speedup is T(sequential) / T(model, c); higher is better.
	Speedup Figure = "speedup"
	// Efficiency is Speedup / c; higher is better.
	Efficiency Figure = "efficiency"
	// Overhead is c·T(model, c) / T(sequential): the core time the model
	// spends relative to sequential (1 is ideal); lower is better.
	Overhead Figure = "overhead"
	// Time is the absolute compute time; lower is better.
	Time Figure = "time"
)

func (f Figure) ratio() bool { return f != Time }

// Cell names a gated cell.
type Cell struct {
	Workload string
	Model    string
	Cores    int
	// Figures gated for this cell; empty means Options.Figures.
	Figures []Figure
}

func (c Cell) key() string { return fmt.Sprintf("%s/%s/%d", c.Workload, c.Model, c.Cores) }

// Options configure a gate.
type Options struct {
	// Baseline is the path of the baseline run file (or run folder). Its
	// parameters, scaling, trials and warm-ups are the gate's.
	Baseline string
	// Registry holds the models; nil uses the one given to Main.
	Registry models.Registry
	// Cells are the gated cells; empty means every cell of the baseline
	// but sequential, on the CPUs this machine has.
	Cells []Cell
	// Figures are gated for cells that name none (default: Speedup).
	Figures []Figure
	// MaxSlowdown is the largest tolerated slowdown as a fraction
	// (default 0.10): a figure regresses only when the whole confidence
	// interval of its slowdown lies above it. For speedup a slowdown of
	// 0.10 is a speedup 1/1.10 of the baseline's.
	MaxSlowdown float64
	// Alpha is the family-wise significance level (default 0.05).
	Alpha float64
	// Trials and Warmup override the baseline's when positive.
	Trials, Warmup int
	// Confirm is how many quiet runs must show a regression before it is
	// reported (default 2).
	Confirm int
	// Retries is how many runs beyond the first a gate may make to
	// confirm a regression or to find a quiet machine (default 3;
	// negative: none).
	Retries int
	// MaxContention is the CPU contention (the share of a cell's CPUs
	// that other processes used while it ran) above which a regression
	// counts as seen on a busy machine (default 0.15). Negative turns the
	// check off.
	MaxContention float64
	// Timeout limits one cell (default 2 minutes).
	Timeout time.Duration
	// Dir holds the gate's run folders (default: a temporary folder that
	// is removed afterwards).
	Dir string
	// AllowRace lets Check judge in a -race binary. Without it Check skips
	// there: the race detector slows each model by its own factor (a
	// worker's frame handling far more than a tight compute loop), so
	// figures measured under it say nothing of a baseline recorded
	// without it. Tests of the gate itself set it.
	AllowRace bool
}

var mainRegistry models.Registry

// Main is a TestMain for packages with gates: it registers the cell role
// for reg, serves it when the test binary was started as a cell runner,
// and otherwise runs the tests. Check uses reg when Options.Registry is
// nil.
func Main(m *testing.M, reg models.Registry) {
	mainRegistry = reg
	worker.Register(cellrun.RoleName, cellrun.Role(reg))
	if worker.IsChild() {
		os.Exit(worker.RunChild())
	}
	os.Exit(m.Run())
}

// Row is one gated figure of one cell.
type Row struct {
	Cell   string `json:"cell"`
	Figure Figure `json:"figure"`
	// Baseline and Current are the medians of the figure.
	Baseline float64 `json:"baseline"`
	Current  float64 `json:"current"`
	// Slowdown is the change oriented so that positive is worse: for
	// speedup and efficiency baseline/current − 1, for overhead and time
	// current/baseline − 1. CILow..CIHigh is its confidence interval.
	Slowdown float64  `json:"slowdown"`
	CILow    *float64 `json:"ci_low"`
	CIHigh   *float64 `json:"ci_high"`
	P        float64  `json:"p"`
	PHolm    float64  `json:"p_holm"`
	// Contention is the highest CPU contention of the cells behind the
	// figure in this run; NaN where it cannot be measured.
	Contention float64 `json:"contention"`
	// Regressed: significant after Holm, and the whole CI above the limit.
	Regressed bool `json:"regressed"`
	// Busy: regressed, but the machine was busy (contention above
	// MaxContention), so it proves nothing.
	Busy bool `json:"busy,omitempty"`
	// Verdict is the final word: "ok", "REGRESSED", "inconclusive (busy)".
	Verdict string   `json:"verdict"`
	Runs    int      `json:"runs"`
	Notes   []string `json:"notes,omitempty"`
}

// Report is the outcome of a gate.
type Report struct {
	Baseline string
	// Rows are the final rows, one per gated figure.
	Rows []Row
	// Skip, when set, says why the gate could not run at all here (too few
	// CPUs, every figure needs the baseline's host).
	Skip string
	// TimeSkipped says why absolute-time figures were skipped.
	TimeSkipped string
	// Runs is the number of runs the gate made.
	Runs    int
	Elapsed time.Duration
	// Opts are the options with defaults filled in.
	Opts Options
}

// Regressed returns the rows that regressed.
func (r *Report) Regressed() []Row { return r.filter("REGRESSED") }

// Inconclusive returns the rows the gate could not judge on a busy machine.
func (r *Report) Inconclusive() []Row { return r.filter(verdictBusy) }

const verdictBusy = "inconclusive (busy)"

func (r *Report) filter(v string) []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Verdict == v {
			out = append(out, row)
		}
	}
	return out
}

// Check runs the gate and reports through t: a table in the log, an error
// when a figure regressed, a skip when the machine lacks the CPUs, the
// baseline's host (for Time figures), or stayed too busy to judge.
func Check(t testing.TB, opt Options) *Report {
	t.Helper()
	if raceEnabled && !opt.AllowRace {
		t.Skip("gate skipped: this test binary is built with -race, which slows each model by its own factor; the gates run without -race (make gates, part of make test)")
		return nil
	}
	rep, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatalf("gate: %v", err)
		return rep
	}
	if rep.Skip != "" {
		t.Skipf("gate skipped: %s", rep.Skip)
		return rep
	}
	t.Logf("gate:\n%s", rep.Table())
	if regs := rep.Regressed(); len(regs) > 0 {
		names := make([]string, len(regs))
		for i, r := range regs {
			names[i] = fmt.Sprintf("%s %s %+.1f%%", r.Cell, r.Figure, 100*r.Slowdown)
		}
		t.Errorf("gate: %d figure(s) regressed by more than %.0f%% (%s):\n%s", len(regs), 100*rep.Opts.MaxSlowdown, strings.Join(names, ", "), rep.Table())
		return rep
	}
	if busy := rep.Inconclusive(); len(busy) > 0 {
		t.Skipf("gate: the machine stayed too busy to judge %d figure(s) in %d runs (other processes took more than %.0f%% of the CPUs): rerun on a quieter machine", len(busy), rep.Runs, 100*rep.Opts.MaxContention)
		return rep
	}
	if rep.TimeSkipped != "" {
		t.Skipf("gate: ratio figures passed; %s", rep.TimeSkipped)
	}
	return rep
}

// Run runs the gate without a testing.TB: Check is Run plus reporting.
// The error is for what stops the gate (an unreadable baseline, a cell the
// baseline lacks, failing cells); regressions are in the report.
func Run(ctx context.Context, opt Options) (*Report, error) {
	start := time.Now()
	rep := &Report{Baseline: opt.Baseline}
	defer func() { rep.Elapsed = time.Since(start) }()
	if opt.Baseline == "" {
		return rep, errors.New("Options.Baseline is empty")
	}
	base, err := runfile.Load(opt.Baseline)
	if err != nil {
		return rep, fmt.Errorf("read baseline: %w (record one with `make baseline` or gate.Record)", err)
	}
	opt.fill(base)
	rep.Opts = opt
	if opt.Registry == nil {
		return rep, errors.New("no registry: set Options.Registry or call gate.Main(m, registry) from TestMain")
	}
	if !slices.Contains(worker.Roles(), cellrun.RoleName) {
		return rep, errors.New("the cell role is not registered in this test binary: call gate.Main(m, registry) from TestMain (see the package doc)")
	}
	avail, err := worker.AllowedCPUs()
	if err != nil {
		return rep, err
	}
	targets, err := opt.targets(base, len(avail))
	if err != nil {
		return rep, err
	}
	need := 0
	for _, g := range targets {
		need = max(need, g.cell.Cores)
	}
	if need > len(avail) {
		rep.Skip = fmt.Sprintf("the gated cells need %d CPUs, this machine allows %d", need, len(avail))
		return rep, nil
	}
	if why := sameMachine(base); why != "" {
		var kept []target
		for _, g := range targets {
			if g.figure.ratio() {
				kept = append(kept, g)
			}
		}
		if len(kept) < len(targets) {
			rep.TimeSkipped = "absolute-time figures skipped: " + why
		}
		if len(kept) == 0 {
			rep.Skip = rep.TimeSkipped
			return rep, nil
		}
		targets = kept
	}
	if opt.Dir == "" {
		dir, err := os.MkdirTemp("", "mpbench-gate-")
		if err != nil {
			return rep, err
		}
		defer os.RemoveAll(dir)
		opt.Dir = dir
	}

	final := map[string]*Row{}
	quiet := map[string]int{}
	pending := targets
	for attempt := 1; attempt <= 1+opt.Retries && len(pending) > 0; attempt++ {
		cur, contention, err := opt.execute(ctx, base, pending, filepath.Join(opt.Dir, fmt.Sprintf("run%d", attempt)))
		rep.Runs = attempt
		if err != nil {
			return rep, err
		}
		rows, err := evaluate(base, cur, pending, contention, opt)
		if err != nil {
			return rep, err
		}
		var next []target
		for i, row := range rows {
			g := pending[i]
			row.Runs = attempt
			if prev := final[g.key()]; prev != nil {
				// Earlier runs' notes first, each note once.
				notes := slices.Clone(prev.Notes)
				for _, n := range row.Notes {
					if !slices.Contains(notes, n) {
						notes = append(notes, n)
					}
				}
				row.Notes = notes
			}
			switch {
			case !row.Regressed:
				row.Verdict = "ok"
			case row.Busy:
				row.Verdict = verdictBusy
				row.Notes = append(row.Notes, fmt.Sprintf("run %d: regressed while other processes took %.0f%% of the CPUs", attempt, 100*row.Contention))
				next = append(next, g)
			default:
				quiet[g.key()]++
				row.Verdict = "REGRESSED"
				if quiet[g.key()] < opt.Confirm {
					row.Verdict = "unconfirmed"
					row.Notes = append(row.Notes, fmt.Sprintf("run %d: regressed, confirming", attempt))
					next = append(next, g)
				}
			}
			final[g.key()] = &row
		}
		pending = next
	}
	for _, g := range targets {
		row := final[g.key()]
		if row.Verdict == "unconfirmed" {
			// Retries ran out between busy runs: not confirmed.
			row.Verdict = verdictBusy
		}
		rep.Rows = append(rep.Rows, *row)
	}
	return rep, nil
}
