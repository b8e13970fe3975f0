package gate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/proc"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
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
	// Delay slows the named models down. Test-only: it proves that a gate
	// fails when a model gets slower.
	Delay map[string]time.Duration
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
	proc.Register(harness.CellRoleName, harness.CellRole(reg))
	if proc.IsChild() {
		os.Exit(proc.RunChild())
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

type target struct {
	cell   Cell
	figure Figure
}

func (g target) key() string { return g.cell.key() + " " + string(g.figure) }

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
	if !slices.Contains(proc.Roles(), harness.CellRoleName) {
		return rep, errors.New("the cell role is not registered in this test binary: call gate.Main(m, registry) from TestMain (see the package doc)")
	}
	avail, err := proc.AllowedCPUs()
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

func (o *Options) fill(base *runfile.Run) {
	if o.Registry == nil {
		o.Registry = mainRegistry
	}
	if len(o.Figures) == 0 {
		o.Figures = []Figure{Speedup}
	}
	if o.MaxSlowdown <= 0 {
		o.MaxSlowdown = 0.10
	}
	if o.Alpha <= 0 || o.Alpha >= 1 {
		o.Alpha = 0.05
	}
	if o.Trials <= 0 {
		o.Trials = base.Config.Trials
	}
	if o.Warmup <= 0 {
		o.Warmup = base.Config.Warmup
	}
	if o.Confirm <= 0 {
		o.Confirm = 2
	}
	switch {
	case o.Retries == 0:
		o.Retries = 3
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.MaxContention == 0 {
		o.MaxContention = 0.15
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
}

// targets expands the gated cells into (cell, figure) pairs and checks that
// the baseline has them.
func (o *Options) targets(base *runfile.Run, cpus int) ([]target, error) {
	cells := o.Cells
	if len(cells) == 0 {
		for _, c := range base.Cells {
			if c.Model != "sequential" && !c.Failed() && c.Cores <= cpus {
				cells = append(cells, Cell{Workload: c.Workload, Model: c.Model, Cores: c.Cores})
			}
		}
		if len(cells) == 0 {
			return nil, fmt.Errorf("baseline %s has no cell to gate on %d CPUs", o.Baseline, cpus)
		}
	}
	var out []target
	for _, c := range cells {
		if findCell(base, c.Workload, c.Model, c.Cores) == nil {
			return nil, fmt.Errorf("baseline %s has no passing cell %s: record it again (make baseline)", o.Baseline, c.key())
		}
		figs := c.Figures
		if len(figs) == 0 {
			figs = o.Figures
		}
		for _, f := range figs {
			switch f {
			case Speedup, Efficiency, Overhead, Time:
			default:
				return nil, fmt.Errorf("cell %s: unknown figure %q (speedup, efficiency, overhead, time)", c.key(), f)
			}
			if f.ratio() && c.Model == "sequential" {
				return nil, fmt.Errorf("cell %s: %s of sequential against itself is always 1; gate its time instead", c.key(), f)
			}
			out = append(out, target{c, f})
		}
	}
	return out, nil
}

func findCell(r *runfile.Run, wl, model string, cores int) *runfile.Cell {
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Workload == wl && c.Model == model && c.Cores == cores && !c.Failed() && len(c.Trials) > 0 {
			return c
		}
	}
	return nil
}

// sameMachine returns why absolute times of this process cannot be held
// against the baseline's, or "".
func sameMachine(base *runfile.Run) string {
	env := harness.CollectEnv("", "", false, nil)
	switch {
	case base.Env.Host != env.Host:
		return fmt.Sprintf("the baseline was recorded on host %q, this is %q", base.Env.Host, env.Host)
	case base.Env.CPUModel != env.CPUModel:
		return fmt.Sprintf("the baseline was recorded on a %q CPU, this is a %q", base.Env.CPUModel, env.CPUModel)
	case raceEnabled:
		return "this test binary is built with -race, which changes absolute times"
	}
	return ""
}

// execute runs the cells of the targets (and their sequential baselines)
// with the baseline's configuration, and returns the run with the CPU
// contention each cell ran under, by cell key: the share of the cell's
// CPUs that other processes used while its trials ran (busy time of those
// CPUs from /proc/stat, less the CPU time of the cell's own process tree,
// over wall time × CPUs). Unlike the kernel's pressure figures it does
// not count a model's processes competing among themselves.
func (o *Options) execute(ctx context.Context, base *runfile.Run, targets []target, dir string) (*runfile.Run, map[string]float64, error) {
	plan := &harness.Plan{
		Params: map[string]map[string]int64{}, Scaling: base.Config.Scaling, Warmup: o.Warmup, Trials: o.Trials,
		Chunk: base.Config.Chunk, Timeout: o.Timeout, Delay: o.Delay,
	}
	for _, g := range targets {
		c := g.cell
		if !slices.Contains(plan.Workloads, c.Workload) {
			plan.Workloads = append(plan.Workloads, c.Workload)
			if p := base.Config.Params[c.Workload]; p != nil {
				plan.Params[c.Workload] = p
			}
		}
		if !slices.Contains(plan.Models, c.Model) {
			plan.Models = append(plan.Models, c.Model)
		}
		if !slices.Contains(plan.Cores, c.Cores) {
			plan.Cores = append(plan.Cores, c.Cores)
		}
	}
	sort.Ints(plan.Cores)
	if plan.Scaling == "" {
		plan.Scaling = "strong"
	}
	return executePlan(ctx, plan, o.Registry, dir)
}

// executePlan runs plan in dir and measures the contention of its cells
// (see execute).
func executePlan(ctx context.Context, plan *harness.Plan, reg models.Registry, dir string) (*runfile.Run, map[string]float64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	type mark struct {
		at  time.Time
		cpu cpuTimes
	}
	starts, ends := map[int]mark{}, map[int]mark{}
	run, err := harness.Execute(ctx, plan, harness.Options{
		Registry: reg, Dir: dir, Env: harness.CollectEnv("gate", "", false, os.Args),
		Progress: func(p harness.Progress) {
			// The window runs from the first measured trial's report to
			// the cell's end, leaving out the runner's start-up and
			// warm-ups.
			switch {
			case p.Done:
				ends[p.Index] = mark{time.Now(), readCPUTimes()}
			case p.Trial == 1:
				starts[p.Index] = mark{time.Now(), readCPUTimes()}
			}
		},
	})
	if err != nil {
		return run, nil, fmt.Errorf("gate run: %w", err)
	}
	contention := map[string]float64{}
	for i := range run.Cells {
		c := &run.Cells[i]
		s, ok1 := starts[i+1]
		e, ok2 := ends[i+1]
		contention[c.Key()] = math.NaN()
		if ok1 && ok2 && s.cpu != nil && e.cpu != nil && len(c.Trials) > 1 {
			cpus, err := proc.ParseCPUList(c.CPUs)
			if err != nil || len(cpus) == 0 {
				continue
			}
			var busy, own float64
			for _, cpu := range cpus {
				busy += e.cpu[cpu] - s.cpu[cpu]
			}
			for _, t := range c.Trials[1:] {
				own += float64(t.UserNs+t.SysNs) / 1e9
			}
			wall := e.at.Sub(s.at).Seconds() * float64(len(cpus))
			contention[c.Key()] = math.Max(0, busy-own) / wall
		}
	}
	return run, contention, nil
}

// cpuTimes is the busy time (s) of each CPU since boot, from /proc/stat.
type cpuTimes map[int]float64

// clockTick is USER_HZ, the unit of /proc/stat; 100 on every Linux
// architecture Go supports.
const clockTick = 100

// readCPUTimes returns the busy time of every CPU (user, nice, system,
// irq, softirq and steal: everything but idle and iowait), or nil where
// /proc/stat cannot be read.
func readCPUTimes() cpuTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil
	}
	out := cpuTimes{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		n, err := strconv.Atoi(f[0][3:])
		if err != nil {
			continue
		}
		var busy float64
		for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system irq softirq steal
			v, _ := strconv.ParseFloat(f[i], 64)
			busy += v
		}
		out[n] = busy / clockTick
	}
	return out
}

// evaluate compares the figures of targets in cur with base. It is pure:
// contention holds the CPU contention of cur's cells by key (may be empty).
func evaluate(base, cur *runfile.Run, targets []target, contention map[string]float64, opt Options) ([]Row, error) {
	rows := make([]Row, len(targets))
	var ps []float64
	var idx []int
	for i, g := range targets {
		c := g.cell
		row := Row{Cell: c.key(), Figure: g.figure, Contention: math.NaN()}
		bc, cc := findCell(base, c.Workload, c.Model, c.Cores), findCell(cur, c.Workload, c.Model, c.Cores)
		if bc == nil || cc == nil {
			return nil, fmt.Errorf("cell %s missing from the baseline or from this run", c.key())
		}
		row.Contention = contentionOf(contention, cc.Key())
		bx, cx := times(bc), times(cc)
		if g.figure == Time {
			row.Baseline, row.Current = median(bx), median(cx)
			row.Slowdown = row.Current/row.Baseline - 1
			row.P = stats.UTest(bx, cx, opt.Alpha).P
			if lo, hi, ok := stats.RatioCI(bx, cx, 1-opt.Alpha); ok {
				lo, hi = lo-1, hi-1
				row.CILow, row.CIHigh = &lo, &hi
			}
		} else {
			bs, cs := base.Baseline(c.Workload), cur.Baseline(c.Workload)
			if bs == nil || cs == nil {
				return nil, fmt.Errorf("cell %s: no sequential cell to take the ratio against", c.key())
			}
			row.Contention = math.Max(row.Contention, contentionOf(contention, cs.Key()))
			bv, cv := ratioSample(g.figure, bx, times(bs), bc, bs), ratioSample(g.figure, cx, times(cs), cc, cs)
			row.Baseline, row.Current = median(bv), median(cv)
			if g.figure == Overhead {
				row.Slowdown = row.Current/row.Baseline - 1
			} else {
				row.Slowdown = row.Baseline/row.Current - 1
			}
			row.P = stats.UTest(bv, cv, opt.Alpha).P
			// Slowdown of T(model)/T(sequential): the model's ratio over
			// the sequential cell's ratio, each interval at 1 − α/2.
			a, b, ok1 := stats.RatioCI(bx, cx, 1-opt.Alpha/2)
			lo, hi, ok2 := stats.RatioCI(times(bs), times(cs), 1-opt.Alpha/2)
			if ok1 && ok2 {
				l, h := a/hi-1, b/lo-1
				row.CILow, row.CIHigh = &l, &h
			}
		}
		if row.CILow == nil {
			row.Notes = append(row.Notes, "too few trials for a confidence interval: cannot regress")
		}
		rows[i] = row
		ps, idx = append(ps, row.P), append(idx, i)
	}
	for j, p := range stats.Holm(ps) {
		r := &rows[idx[j]]
		r.PHolm = p
		r.Regressed = p <= opt.Alpha && r.Slowdown > 0 && r.CILow != nil && *r.CILow > opt.MaxSlowdown
		r.Busy = r.Regressed && opt.MaxContention >= 0 && r.Contention > opt.MaxContention
	}
	return rows, nil
}

func contentionOf(m map[string]float64, key string) float64 {
	if p, ok := m[key]; ok {
		return p
	}
	return math.NaN()
}

// ratioSample returns one value of the figure per trial of the model's
// cell, against the median of its run's sequential cell (scaled to the
// cell's task count).
func ratioSample(f Figure, model, seq []float64, mc, sc *runfile.Cell) []float64 {
	tseq := median(seq) * float64(mc.Tasks) / float64(sc.Tasks)
	out := make([]float64, len(model))
	for i, t := range model {
		sp := tseq / t
		switch f {
		case Speedup:
			out[i] = sp
		case Efficiency:
			out[i] = sp / float64(mc.Cores)
		case Overhead:
			out[i] = float64(mc.Cores) / sp
		}
	}
	return out
}

func times(c *runfile.Cell) []float64 {
	xs := make([]float64, len(c.Trials))
	for i, t := range c.Trials {
		xs[i] = float64(t.ComputeNs)
	}
	return xs
}

func median(xs []float64) float64 { return stats.Summarize(xs).Median }

// Table formats the report's rows for people.
func (r *Report) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "baseline %s; limit: slowdown CI above %+.0f%% (Holm α %g); %d run(s) in %v\n",
		r.Baseline, 100*r.Opts.MaxSlowdown, r.Opts.Alpha, r.Runs, r.Elapsed.Round(time.Millisecond))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tFIGURE\tBASELINE\tNOW\tSLOWDOWN\tCI\tP (HOLM)\tOTHER LOAD\tRESULT\tNOTES")
	for _, row := range r.Rows {
		ci := "-"
		if row.CILow != nil {
			ci = fmt.Sprintf("[%+.1f%%, %+.1f%%]", 100**row.CILow, 100**row.CIHigh)
		}
		load := "n/a"
		if !math.IsNaN(row.Contention) {
			load = fmt.Sprintf("%.0f%%", 100*row.Contention)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%+.1f%%\t%s\t%.3f\t%s\t%s\t%s\n", row.Cell, row.Figure,
			formatFigure(row.Figure, row.Baseline), formatFigure(row.Figure, row.Current), 100*row.Slowdown, ci, row.PHolm, load,
			row.Verdict, strings.Join(row.Notes, "; "))
	}
	tw.Flush()
	if r.TimeSkipped != "" {
		fmt.Fprintf(&b, "note: %s\n", r.TimeSkipped)
	}
	return b.String()
}

func formatFigure(f Figure, v float64) string {
	switch f {
	case Time:
		return time.Duration(v).Round(time.Microsecond).String()
	case Efficiency:
		return fmt.Sprintf("%.1f%%", 100*v)
	}
	return fmt.Sprintf("%.3f×", v)
}

// RecordOptions configure Record.
type RecordOptions struct {
	// MaxContention is the most CPU contention any cell may have run
	// under (default 0.10): a baseline recorded on a busy machine bakes
	// the noise into every later verdict.
	MaxContention float64
	// Attempts is how many runs Record makes to find a quiet machine
	// (default 5), pausing Pause (default 5 s) between them.
	Attempts int
	Pause    time.Duration
}

// Record runs plan and writes its run file to path, the baseline of later
// gates. It runs the plan again while any cell ran under more contention
// than opt.MaxContention, and fails when the machine stays busy. It is how
// `make baseline` records results/baseline.json, and how a project
// without the mpbench binary records its own.
func Record(ctx context.Context, path string, plan *harness.Plan, reg models.Registry, opt RecordOptions) (*runfile.Run, error) {
	if opt.MaxContention == 0 {
		opt.MaxContention = 0.10
	}
	if opt.Attempts <= 0 {
		opt.Attempts = 5
	}
	if opt.Pause <= 0 {
		opt.Pause = 5 * time.Second
	}
	dir, err := os.MkdirTemp("", "mpbench-record-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var busiest string
	for attempt := 1; attempt <= opt.Attempts; attempt++ {
		if attempt > 1 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(opt.Pause):
			}
		}
		sub := filepath.Join(dir, strconv.Itoa(attempt))
		run, contention, err := executePlan(ctx, plan, reg, sub)
		if err != nil {
			return run, err
		}
		worst, worstKey := 0.0, ""
		for k, c := range contention {
			if c > worst {
				worst, worstKey = c, k
			}
		}
		if opt.MaxContention < 0 || worst <= opt.MaxContention {
			data, err := os.ReadFile(filepath.Join(sub, "run.json"))
			if err != nil {
				return run, err
			}
			return run, runfile.WriteFileAtomic(path, data)
		}
		busiest = fmt.Sprintf("other processes took %.0f%% of the CPUs of %s", 100*worst, worstKey)
	}
	return nil, fmt.Errorf("record baseline: the machine stayed busy through %d runs (last: %s, limit %.0f%%): record it on an idle machine", opt.Attempts, busiest, 100*opt.MaxContention)
}
