package gate

import (
	"context"
	"errors"
	"fmt"
	"math"
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

// The figures a gate can watch, each NEW's against OLD's, measured in the
// same run.
const (
	// Time is the cell's compute time; lower is better. The default: see
	// the package doc for why.
	Time Figure = "time"
	// Speedup is T(sequential) / T(model, c), each side against its own
	// sequential cell; higher is better.
	Speedup Figure = "speedup"
	// Efficiency is Speedup / c; higher is better.
	Efficiency Figure = "efficiency"
	// Overhead is c·T(model, c) / T(sequential): the core time the model
	// spends relative to sequential (1 is ideal); lower is better.
	Overhead Figure = "overhead"
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

// Side names the worker executable of one side of the gate's A/B run: an
// executable that serves the cell role (mpbench-worker, or a test binary
// whose TestMain calls Main), or a git revision whose Options.Package is
// built in a temporary worktree. Executable wins when both are set. The
// zero value is the default of its side (see Options.Old and New).
type Side struct {
	Executable string
	Revision   string
}

// EnvBase names the base revision of a gate whose Options.Old is empty:
// `MPBENCH_GATE_BASE=v1.2.0 make gates`. It overrides the default (the
// merge base of HEAD and main), not an Options.Old that a test sets.
const EnvBase = "MPBENCH_GATE_BASE"

// Options configure a gate.
type Options struct {
	// Old is the base of the A/B run. Default: the revision $MPBENCH_GATE_BASE
	// names, else the merge base of HEAD and main (else origin/main) —
	// the last commit of main that the working tree is built on. No git,
	// no repository, or no such branch: the gate fails, saying so.
	Old Side
	// New is what is gated. Default: the working tree as it is, changes
	// not committed included. When the working tree is exactly OLD's
	// commit (a clean checkout of main, as in CI) it is built once and
	// runs as both sides: the null A/B, still run and judged.
	New Side
	// Package is the main package built for a side given by revision or
	// by default, relative to the repository's top (default
	// ./cmd/mpbench-worker). RepoDir is a folder in the repository
	// (default: the current folder; go test runs in the package's).
	Package, RepoDir string

	// Registry holds the models the cells name, as the workers serve
	// them; nil uses the one given to Main.
	Registry models.Registry
	// Cells are the gated cells.
	Cells []Cell
	// Figures are gated for cells that name none (default: Time).
	Figures []Figure
	// Params are the workloads' parameters by workload (default: each
	// workload's defaults); Scaling is "strong" (default) or "weak".
	Params  map[string]map[string]int64
	Scaling string
	// Trials per cell and side (default 12), Warmup trials per visit
	// (default 1), Rounds of visits (default 2): each cell is visited
	// Rounds times per side, OLD and NEW back to back, in shuffled order.
	Trials, Warmup, Rounds int

	// MaxSlowdown is the largest tolerated slowdown as a fraction
	// (default 0.10): a figure regresses only when the whole confidence
	// interval of its slowdown lies above it. For speedup a slowdown of
	// 0.10 is a speedup 1/1.10 of OLD's.
	MaxSlowdown float64
	// Alpha is the family-wise significance level (default 0.05).
	Alpha float64
	// Confirm is how many quiet runs must show a regression before it is
	// reported (default 2: seen once, confirmed once).
	Confirm int
	// Retries is how many runs beyond the first a gate may make, of the
	// cells still undecided, to confirm or refute a regression, to judge
	// one seen on a busy machine, or to judge one whose run was too noisy
	// to judge (default 2; negative: none).
	Retries int
	// MaxContention is the CPU contention (the share of a cell's CPUs
	// that other processes used while it ran) above which a regression
	// counts as seen on a busy machine (default 0.15). Negative turns the
	// check off.
	MaxContention float64
	// FailInconclusive makes Check fail, not skip, when a figure stays
	// inconclusive: for a dedicated machine, where noise is itself news.
	FailInconclusive bool
	// Timeout limits one cell (default 2 minutes).
	Timeout time.Duration
	// Dir holds the gate's run folders (default: a temporary folder that
	// is removed afterwards).
	Dir string
	// AllowRace lets Check judge in a -race binary. Without it Check skips
	// there: a side that is this test binary would carry the detector and
	// the other not. Tests of the gate itself, whose sides are both this
	// binary, set it.
	AllowRace bool
}

var mainRegistry models.Registry

// Main is a TestMain for packages whose test binary is a side of a gate
// (Side.Executable is the test binary): it registers the cell role for
// reg, serves it when the test binary was started as a cell runner, and
// otherwise runs the tests. Check uses reg when Options.Registry is nil.
func Main(m *testing.M, reg models.Registry) {
	mainRegistry = reg
	worker.Register(cellrun.RoleName, cellrun.Role(reg))
	if worker.IsChild() {
		os.Exit(worker.RunChild())
	}
	// A race-enabled child sleeps a second at exit (GORACE
	// atexit_sleep_ms), and a gate starts dozens: under -race (where the
	// gates only check their machinery) that was most of their time.
	// Races are still reported as they happen; a GORACE of the caller's
	// own is kept.
	if _, set := os.LookupEnv("GORACE"); !set {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	os.Exit(m.Run())
}

// Row is one gated figure of one cell.
type Row struct {
	Cell   string `json:"cell"`
	Figure Figure `json:"figure"`
	// Old and New are the medians of the figure.
	Old float64 `json:"old"`
	New float64 `json:"new"`
	// Slowdown is the change oriented so that positive is worse: for
	// speedup and efficiency old/new − 1, for time and overhead
	// new/old − 1. CILow..CIHigh is its confidence interval.
	Slowdown float64  `json:"slowdown"`
	CILow    *float64 `json:"ci_low"`
	CIHigh   *float64 `json:"ci_high"`
	P        float64  `json:"p"`
	PHolm    float64  `json:"p_holm"`
	// MinDetectable is the smallest change the U test on these samples
	// could call significant at Holm's first threshold, alpha over the
	// number of figures (infer.MinDetectable); nil when none could be.
	MinDetectable *float64 `json:"min_detectable,omitempty"`
	// Contention is the highest CPU contention of the cells behind the
	// figure, OLD's and NEW's, in this run; NaN where it was not measured.
	Contention float64 `json:"contention"`
	// Regressed: significant after Holm, and the whole CI above the limit.
	Regressed bool `json:"regressed"`
	// Busy: Contention is above MaxContention.
	Busy bool `json:"busy,omitempty"`
	// Underpowered: not regressed, and the samples could not have shown a
	// slowdown of MaxSlowdown (MinDetectable above it, or none).
	Underpowered bool `json:"underpowered,omitempty"`
	// Verdict is the final word: "ok", "REGRESSED", or one of the
	// "inconclusive: ..." verdicts.
	Verdict string   `json:"verdict"`
	Runs    int      `json:"runs"`
	Notes   []string `json:"notes,omitempty"`
}

// The verdicts of a row.
const (
	VerdictOK        = "ok"
	VerdictRegressed = "REGRESSED"
	// A regression seen only while other processes took more than
	// MaxContention of the cells' CPUs, in every run that tried.
	VerdictBusy = "inconclusive: busy"
	// Trials too few, or too noisy, to show a slowdown of MaxSlowdown,
	// in every run that tried.
	VerdictPower = "inconclusive: power"
	// A regression seen in a quiet run that no later run confirmed or
	// refuted before the retries ran out.
	VerdictUnconfirmed = "inconclusive: unconfirmed"
)

// Report is the outcome of a gate.
type Report struct {
	// Old and New say what the sides were: a revision and its commit, the
	// working tree, an executable.
	Old, New string
	// Identical is set when both sides ran the same executable, or
	// executables of the same bytes: the null A/B.
	Identical bool
	// Rows are the final rows, one per gated figure.
	Rows []Row
	// Skip, when set, says why the gate could not run at all here (too few
	// CPUs).
	Skip string
	// Runs is the number of runs the gate made; Build the time spent
	// building the sides, Elapsed the whole gate's.
	Runs           int
	Build, Elapsed time.Duration
	// Opts are the options with defaults filled in.
	Opts Options
}

// Regressed returns the rows that regressed.
func (r *Report) Regressed() []Row {
	return r.filter(func(v string) bool { return v == VerdictRegressed })
}

// Inconclusive returns the rows the gate could not judge.
func (r *Report) Inconclusive() []Row {
	return r.filter(func(v string) bool { return strings.HasPrefix(v, "inconclusive") })
}

func (r *Report) filter(keep func(string) bool) []Row {
	var out []Row
	for _, row := range r.Rows {
		if keep(row.Verdict) {
			out = append(out, row)
		}
	}
	return out
}

// Check runs the gate and reports through t: a table in the log, an error
// when a figure regressed or the gate could not run (no base revision, a
// build that fails), a skip when the machine lacks the CPUs, and a skip
// (an error with FailInconclusive) when a figure stayed inconclusive.
func Check(t testing.TB, opt Options) *Report {
	t.Helper()
	if raceEnabled && !opt.AllowRace {
		t.Skip("gate skipped: this test binary is built with -race; the gates run without it (make gates, part of make test)")
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
		t.Errorf("gate: %d figure(s) regressed by more than %.0f%% (%s):\n%s", len(regs), 100*rep.Opts.MaxSlowdown, rowNames(regs), rep.Table())
		return rep
	}
	if inc := rep.Inconclusive(); len(inc) > 0 {
		msg := fmt.Sprintf("gate INCONCLUSIVE: %d of %d figure(s) could not be judged in %d run(s) (%s): NOT a pass; see the notes of the table above",
			len(inc), len(rep.Rows), rep.Runs, rowNames(inc))
		if rep.Opts.FailInconclusive {
			t.Error(msg)
		} else {
			t.Skip(msg)
		}
	}
	return rep
}

func rowNames(rows []Row) string {
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = fmt.Sprintf("%s %s %+.1f%%", r.Cell, r.Figure, 100*r.Slowdown)
		if strings.HasPrefix(r.Verdict, "inconclusive") {
			names[i] = fmt.Sprintf("%s %s %s", r.Cell, r.Figure, strings.TrimPrefix(r.Verdict, "inconclusive: "))
		}
	}
	return strings.Join(names, ", ")
}

// state is what the runs so far said of one target.
type state struct {
	seen int // quiet runs that showed it regressed
	row  *Row
	done bool
}

// Run runs the gate without a testing.TB: Check is Run plus reporting.
// The error is for what stops the gate (no base revision, a build that
// fails, failing cells, bad options); regressions are in the report.
func Run(ctx context.Context, opt Options) (rep *Report, err error) {
	start := time.Now()
	rep = &Report{}
	defer func() { rep.Elapsed = time.Since(start) }()
	if err := opt.fill(); err != nil {
		return rep, err
	}
	rep.Opts = opt
	avail, err := worker.AllowedCPUs()
	if err != nil {
		return rep, err
	}
	targets, err := opt.targets()
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
	sides, cleanup, err := opt.sides(ctx, rep)
	defer func() {
		if cerr := cleanup(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	if err != nil {
		return rep, err
	}
	if opt.Dir == "" {
		dir, err := os.MkdirTemp("", "mpbench-gate-")
		if err != nil {
			return rep, err
		}
		defer os.RemoveAll(dir)
		opt.Dir = dir
	}

	states := map[string]*state{}
	for _, g := range targets {
		states[g.key()] = &state{}
	}
	pending := targets
	var pool pooled
	for attempt := 1; attempt <= 1+opt.Retries && len(pending) > 0; attempt++ {
		old, cur, contention, err := opt.execute(ctx, pending, sides, filepath.Join(opt.Dir, fmt.Sprintf("run%d", attempt)))
		rep.Runs = attempt
		if err != nil {
			return rep, err
		}
		pool.add(old, cur, contention)
		// A target that no run has seen regressed is judged on the trials
		// of every run so far: more trials, more power, for a question
		// that noise left open. One seen regressed is judged on this run
		// alone, so that a confirmation is a measurement of its own.
		var fresh, pooled []target
		for _, g := range pending {
			if states[g.key()].seen > 0 {
				fresh = append(fresh, g)
			} else {
				pooled = append(pooled, g)
			}
		}
		rows := map[string]Row{}
		for _, part := range []struct {
			targets       []target
			old, cur      *runfile.Run
			contention    map[string]float64
			pooledRunNote bool
		}{{fresh, old, cur, contention, false}, {pooled, pool.old, pool.cur, pool.contention, attempt > 1}} {
			if len(part.targets) == 0 {
				continue
			}
			rs, err := evaluate(part.old, part.cur, part.targets, part.contention, opt)
			if err != nil {
				return rep, err
			}
			for i, r := range rs {
				if part.pooledRunNote {
					r.Notes = append(r.Notes, fmt.Sprintf("runs 1–%d pooled", attempt))
				}
				rows[part.targets[i].key()] = r
			}
		}
		var next []target
		for _, g := range pending {
			st, row := states[g.key()], rows[g.key()]
			row.Runs = attempt
			if st.row != nil {
				row.Notes = append(slices.Clone(st.row.Notes), row.Notes...)
			}
			st.done = judge(st, &row, attempt, opt.Confirm)
			st.row = &row
			if !st.done {
				next = append(next, g)
			}
		}
		pending = next
	}
	for _, g := range targets {
		st := states[g.key()]
		if !st.done {
			st.row.Verdict = openVerdict(st.row)
		}
		rep.Rows = append(rep.Rows, *st.row)
	}
	return rep, nil
}

// judge sets the verdict of this run's row of a target and reports whether
// the target is decided: confirmed once, refuted once.
//
//   - Regressed in a quiet run: seen; REGRESSED once Confirm quiet runs
//     saw it, else measured again.
//   - Regressed in a busy run: proves nothing; measured again.
//   - Not regressed, with the power to show MaxSlowdown: ok, and that
//     refutes a regression an earlier run saw (a busy machine can hide a
//     regression only by widening the spread, which the power check sees).
//   - Not regressed without that power: measured again.
func judge(st *state, row *Row, attempt, confirm int) bool {
	switch {
	case row.Regressed && !row.Busy:
		st.seen++
		if st.seen >= confirm {
			row.Verdict = VerdictRegressed
			return true
		}
		row.Verdict = "confirming"
		row.Notes = append(row.Notes, fmt.Sprintf("run %d: regressed, measuring again", attempt))
	case row.Regressed:
		row.Verdict = "busy"
		row.Notes = append(row.Notes, fmt.Sprintf("run %d: regressed while other processes took %.0f%% of the CPUs", attempt, 100*row.Contention))
	case st.seen > 0 && row.Busy:
		// A run on a busy machine confirms nothing, and it refutes
		// nothing either: the load that can fake a regression can as
		// well hide one (it fell on OLD's trials more than on NEW's).
		row.Verdict = "busy"
		row.Notes = append(row.Notes, fmt.Sprintf("run %d: not regressed, but while other processes took %.0f%% of the CPUs: no refutation", attempt, 100*row.Contention))
	case row.Underpowered:
		row.Verdict = "noisy"
		row.Notes = append(row.Notes, fmt.Sprintf("run %d: could not show %s", attempt, detectNote(row)))
	default:
		row.Verdict = VerdictOK
		if st.seen > 0 {
			row.Notes = append(row.Notes, fmt.Sprintf("run %d: not regressed, with the power to show it: refuted", attempt))
		} else if attempt > 1 {
			row.Notes = append(row.Notes, fmt.Sprintf("run %d: judged", attempt))
		}
		return true
	}
	return false
}

// pooled holds the cells of every run so far, each side's trials of a
// cell appended run after run, and the highest contention each ran under.
type pooled struct {
	old, cur   *runfile.Run
	contention map[string]float64
}

func (p *pooled) add(old, cur *runfile.Run, contention map[string]float64) {
	p.old, p.cur = poolRun(p.old, old), poolRun(p.cur, cur)
	if p.contention == nil {
		p.contention = map[string]float64{}
	}
	for k, v := range contention {
		if prev, ok := p.contention[k]; !ok || v > prev || math.IsNaN(prev) {
			p.contention[k] = v
		}
	}
}

// poolRun returns into with r's trials appended to its cells (a copy;
// neither run changes).
func poolRun(into, r *runfile.Run) *runfile.Run {
	out := *r
	if into != nil {
		out = *into
	}
	out.Cells = nil
	if into != nil {
		for _, c := range into.Cells {
			c.Trials = slices.Clone(c.Trials)
			out.Cells = append(out.Cells, c)
		}
	}
	for _, c := range r.Cells {
		i := slices.IndexFunc(out.Cells, func(o runfile.Cell) bool { return o.Key() == c.Key() && o.Failed() == c.Failed() })
		if i < 0 || into == nil {
			c.Trials = slices.Clone(c.Trials)
			out.Cells = append(out.Cells, c)
			continue
		}
		out.Cells[i].Trials = append(out.Cells[i].Trials, c.Trials...)
	}
	return &out
}

// openVerdict is the verdict of a row whose question the retries left
// open: an inconclusive one, saying why.
func openVerdict(row *Row) string {
	switch {
	case row.Busy && (row.Regressed || row.Verdict == "busy"):
		return VerdictBusy
	case row.Regressed:
		return VerdictUnconfirmed
	}
	return VerdictPower
}

func detectNote(row *Row) string {
	if row.MinDetectable == nil {
		return "any change (too few trials)"
	}
	return fmt.Sprintf("the limit (smallest detectable change %.1f%%)", 100**row.MinDetectable)
}
