package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/harness/probe"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/all"
	"github.com/mpbench/mpbench/models/py"
	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
	"github.com/spf13/cobra"
)

// runOptions are the flags of `mpbench run`.
type runOptions struct {
	Cores         string
	Models        string
	Workloads     string
	Params        []string
	Scaling       string
	Warmup        int
	Trials        int
	Chunk         int
	Timeout       time.Duration
	CellBudget    time.Duration
	Rounds        int
	TargetCI      string
	MaxTime       time.Duration
	MinTime       time.Duration
	Oversubscribe bool
	Out           string
	ResultsDir    string
	Format        string
	Quiet         bool
	Python        string
	Report        bool
	Force         bool
	// Probe is "on" or "off": record the machine probe at the start and
	// end of the run (env.probe_start, env.probe_end).
	Probe string

	// Args is the whole command line, for the run file.
	Args []string
	// Progress is how to show progress on stderr: a bar on a terminal, a
	// line per finished cell elsewhere, nothing with --quiet.
	Progress progressMode
	// MaxTimeSet says whether --max-time was given: it only means
	// something with --target-ci.
	MaxTimeSet bool
}

func newCmdRun(stdout, stderr io.Writer, runF func(context.Context, *runOptions) error) *cobra.Command {
	opts := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run a sweep: every workload under every model at every core count",
		Long: `run expands the flags into cells (workload × model × cores), runs each cell in a
fresh child process confined to exactly c CPUs (GOMAXPROCS = c), and writes
results/<UTC time>-<host>/run.json after every cell. sequential is always
measured at c = 1 for each workload: it is the baseline of every speedup.

Exit status: 0 when every cell passed, 1 when a cell failed (the others still
ran), 2 for a bad command line, 130 when interrupted (completed cells are kept).`,
		Example: `  mpbench run                                     # default sweep, 1..max cores
  mpbench run --cores 1..2 --models sequential,goroutines --workloads cpu,square,pow
  mpbench run --cores 1,2..4 --oversubscribe       # more workers than CPUs, marked
  mpbench run --workloads cpu --param cpu.n=200000 --param cpu.tasks=96
  mpbench run --scaling weak --trials 20 --format markdown
  mpbench run --workloads cpu --param cpu.n=100..10000000/x10   # granularity: break-even task size
  mpbench run --rounds 3 --target-ci 2% --max-time 30s           # less noise
  mpbench run --models all --workloads cpu,square --python python3.12   # Go beside Python
  mpbench run --cores 1..2 --report                # and draw the charts into the run folder`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Args = append([]string{"mpbench"}, os.Args[1:]...)
			opts.Progress = progressModeOf(stderr, opts.Quiet)
			opts.MaxTimeSet = cmd.Flags().Changed("max-time")
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRun(cmd.Context(), opts, stdout, stderr)
		},
	}
	addPlanFlags(cmd, opts)
	f := cmd.Flags()
	f.StringVarP(&opts.Format, "format", "f", "table", "stdout format: "+strings.Join(reports.Formats, "|"))
	f.StringVar(&opts.Probe, "probe", "on", "on|off: measure the machine's primitive costs (mpbench probe, shorter) before and after the cells, into the run file")
	f.BoolVar(&opts.Report, "report", false, "draw the PNG report and index page into the run folder afterwards")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(reports.Formats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// addPlanFlags adds to cmd the flags of a run's plan and folder, and
// --quiet and --python: those mpbench run and mpbench ab share.
func addPlanFlags(cmd *cobra.Command, opts *runOptions) {
	f := cmd.Flags()
	f.StringVar(&opts.Cores, "cores", "1..max", `core counts: "1..N", "1,2,4", "1,2..4", "max"`)
	f.StringVar(&opts.Models, "models", "go", "comma-separated models, or a family: go, py, all (see mpbench list)")
	f.StringVar(&opts.Workloads, "workloads", "all", "comma-separated workloads, or all (see mpbench list)")
	f.StringArrayVar(&opts.Params, "param", nil, "workload parameter workload.key=value, or a sweep workload.key=a..b/xK (geometric) or a..b/+K (arithmetic); repeatable")
	f.StringVar(&opts.Scaling, "scaling", "strong", "strong: total work fixed across core counts; weak: tasks × c")
	f.IntVar(&opts.Warmup, "warmup", 2, "warm-up trials per cell, not recorded")
	f.IntVar(&opts.Trials, "trials", 10, "measured trials per cell")
	f.IntVar(&opts.Chunk, "chunk", 0, "tasks handed out at once; 0 = automatic (Pool.map's ceil(n/4c))")
	f.DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "limit for one cell (warm-ups and trials)")
	f.DurationVar(&opts.CellBudget, "cell-budget", 0, "stop a cell's trials after this much measured time (never below 3 trials); 0 = no budget")
	f.IntVar(&opts.Rounds, "rounds", 1, "visit the cells R times in a shuffled order, each visit running its share of the trials in a fresh cell runner")
	f.StringVar(&opts.TargetCI, "target-ci", "", `instead of a fixed --trials, add trials until the 95% CI half-width of the median is within this (e.g. "2%")`)
	f.DurationVar(&opts.MinTime, "min-time", 10*time.Millisecond, "the warm passes of a trial (same workers, after one cold pass) last at least this long; 0: one warm pass")
	f.DurationVar(&opts.MaxTime, "max-time", time.Minute, "with --target-ci: the measured time a cell may spend trying")
	f.BoolVar(&opts.Oversubscribe, "oversubscribe", false, "allow more cores than CPUs available (cells are marked oversubscribed)")
	f.StringVar(&opts.Out, "out", "", "run folder (default results/<UTC time>-<host>)")
	f.BoolVar(&opts.Force, "force", false, "replace the run in an existing run folder: first remove the files mpbench writes there (run.json, *.png, index.html, index.md), and no others")
	f.StringVar(&opts.ResultsDir, "results", "results", "where run folders are made when --out is not given")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "no progress (a bar on a terminal, else a line per finished cell)")
	f.StringVar(&opts.Python, "python", "", "Python 3.8+ interpreter for the py-* models (default: python3 in PATH)")
	_ = cmd.RegisterFlagCompletionFunc("models", completeList(func() []string { return append(registry.Names(), "go", "py", "all") }))
	_ = cmd.RegisterFlagCompletionFunc("workloads", completeList(func() []string { return append(workloads.Names(), "all") }))
	_ = cmd.RegisterFlagCompletionFunc("scaling", cobra.FixedCompletions(harness.Scalings, cobra.ShellCompDirectiveNoFileComp))
}

func completeList(names func() []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return names(), cobra.ShellCompDirectiveNoFileComp
	}
}

// runFlags names each input of a harness plan by the flag of mpbench run
// that sets it.
var runFlags = map[harness.Input]string{
	harness.InputCores:         "--cores",
	harness.InputOversubscribe: "--oversubscribe",
	harness.InputModels:        "--models",
	harness.InputWorkloads:     "--workloads",
	harness.InputParams:        "--param",
	harness.InputScaling:       "--scaling",
	harness.InputWarmup:        "--warmup",
	harness.InputTrials:        "--trials",
	harness.InputChunk:         "--chunk",
	harness.InputTimeout:       "--timeout",
	harness.InputCellBudget:    "--cell-budget",
	harness.InputRounds:        "--rounds",
	harness.InputTargetCI:      "--target-ci",
	harness.InputMaxTime:       "--max-time",
	harness.InputMinTime:       "--min-time",
	harness.InputOut:           "--out",
	harness.InputResults:       "--results",
	harness.InputReplace:       "--force",
}

// flagError returns err, when it is a harness input error, as a usage
// error that names each input by its flag: `--cores "0": …` where harness
// says `cores spec "0": …`. Other errors come back unchanged.
func flagError(err error) error {
	var ie *harness.InputError
	if !errors.As(err, &ie) {
		return err
	}
	return &usageError{errors.New(ie.Message(func(in harness.Input) string {
		if f, ok := runFlags[in]; ok {
			return f
		}
		return string(in)
	}))}
}

// plan turns the options into a checked harness plan.
func (o *runOptions) plan(available int) (*harness.Plan, error) {
	p, err := o.harnessPlan(available)
	return p, flagError(err)
}

func (o *runOptions) harnessPlan(available int) (*harness.Plan, error) {
	if !contains(reports.Formats, o.Format) {
		return nil, &usageError{fmt.Errorf("--format %q: accepted: %s", o.Format, strings.Join(reports.Formats, ", "))}
	}
	cores, err := harness.ParseCores(o.Cores, available, o.Oversubscribe)
	if err != nil {
		return nil, err
	}
	mods, err := harness.ParseModels(o.Models, registry)
	if err != nil {
		return nil, err
	}
	wls, err := harness.ParseList(harness.InputWorkloads, o.Workloads, workloads.Names())
	if err != nil {
		return nil, err
	}
	params, sweeps, err := harness.ParseParams(o.Params)
	if err != nil {
		return nil, err
	}
	target, err := parseFraction("target-ci", o.TargetCI)
	if err != nil {
		return nil, err
	}
	if o.TargetCI != "" && target == 0 {
		return nil, &usageError{fmt.Errorf("--target-ci %q: must be above 0", o.TargetCI)}
	}
	if o.MaxTimeSet && o.TargetCI == "" {
		// Without a CI target the trial count is fixed: a time limit
		// would be silently ignored.
		return nil, &usageError{fmt.Errorf("--max-time %s: only with --target-ci (use --cell-budget to cap a fixed --trials)", o.MaxTime)}
	}
	p := &harness.Plan{
		Cores: cores, Models: mods, Workloads: wls, Params: params, Sweeps: sweeps, Scaling: o.Scaling,
		Warmup: o.Warmup, Trials: o.Trials, Chunk: o.Chunk, Timeout: o.Timeout,
		CellBudget: o.CellBudget, Oversubscribe: o.Oversubscribe,
		Rounds: o.Rounds, TargetCI: target, Seed: time.Now().UnixNano(), MinTime: o.MinTime,
	}
	if target > 0 {
		p.MaxTime = o.MaxTime
	}
	return p, p.Check(registry)
}

// parseFraction parses a fraction written "5%" or "0.05", at least 0 and
// below 1; "" is 0.
func parseFraction(flag, s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	v, pct := strings.CutSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(v, 64)
	if err == nil && pct {
		f /= 100
	}
	if err != nil || f < 0 || f >= 1 {
		return 0, &usageError{fmt.Errorf(`--%s %q: want a percentage like 5%% or a fraction like 0.05, below 100%%`, flag, s)}
	}
	return f, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func runRun(ctx context.Context, o *runOptions, stdout, stderr io.Writer) error {
	if o.Probe != "on" && o.Probe != "off" {
		return &usageError{fmt.Errorf("--probe %q: want on or off", o.Probe)}
	}
	avail, err := worker.AllowedCPUs()
	if err != nil {
		return err
	}
	plan, err := o.plan(len(avail))
	if err != nil {
		return err
	}
	// Every cell runner and worker is an mpbench-worker process.
	exe, err := findCompanion(workerCommand, envWorker, "running cells")
	if err != nil {
		return err
	}
	// A run that cannot draw the report it was asked for fails before it
	// starts, not after it.
	var drawer string
	if o.Report {
		if drawer, err = findDrawer(); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
	}
	if o.Python != "" {
		// The cell runners inherit it: see py.EnvPython.
		defer setenv(py.EnvPython, o.Python)()
	}
	// Models that cannot run here are found before anything is written: a
	// --python that is not a usable Python is a bad command line, and a run
	// of which nothing can run leaves no empty run folder.
	if err := checkAvailable(plan, o.Python); err != nil {
		return err
	}
	ver, rev, modified := buildInfo()
	env := harness.CollectEnv(ver, rev, modified, o.Args, exe)
	dir, err := harness.PrepareDir(o.Out, o.ResultsDir, time.Now(), env.Host, o.Force)
	if err != nil {
		return flagError(err)
	}
	if w := plan.PowerWarning(registry); w != "" {
		fmt.Fprintln(stderr, "mpbench: warning: "+w)
	}
	if o.Probe == "on" {
		env.ProbeStart = runProbe(ctx, exe, avail)
	}
	prog := newProgress(stderr, o.Progress)
	run, err := harness.Execute(ctx, plan, harness.Options{
		Registry: registry, Dir: dir, Env: env, Executable: exe, Progress: prog.update, Table: all.Infos(),
	})
	prog.finish()
	if run == nil {
		return err
	}
	if o.Probe == "on" && ctx.Err() == nil {
		run.Env.ProbeEnd = runProbe(ctx, exe, avail)
		if serr := run.Save(dir); serr != nil {
			err = errors.Join(err, serr)
		}
	}
	printSkipped(stderr, run.Skipped)
	if werr := reports.WriteSummary(stdout, run, o.Format); werr != nil {
		return errors.Join(err, werr)
	}
	if rows := reports.PyRatios(run); len(rows) > 0 && (o.Format == "table" || o.Format == "markdown") {
		fmt.Fprintln(stdout)
		if werr := reports.WritePyRatios(stdout, rows, o.Format == "markdown"); werr != nil {
			return errors.Join(err, werr)
		}
	}
	for _, c := range run.Cells {
		if c.Failed() {
			fmt.Fprintf(stderr, "mpbench: cell failed: %s\n", c.Error)
		}
	}
	fmt.Fprintf(stderr, "run file: %s\n", filepath.Join(dir, "run.json"))
	if o.Report {
		derr := drawRun(ctx, drawer, dir, run, stderr)
		// An interrupted run's error already says so, in one line.
		if derr != nil && !(errors.Is(derr, context.Canceled) && err != nil && exitCode(err) == exitInterrupted) {
			err = errors.Join(err, derr)
		}
	}
	if errors.Is(err, harness.ErrInterrupted) {
		fmt.Fprintf(stderr, "mpbench: interrupted; the %d completed cells are in the run file\n", len(run.Cells))
	}
	return err
}

// checkAvailable fails when no model of the plan can run here
// (harness.ErrNothingRan, as Execute would say, but before the run folder
// is made). When the --python given is why, that is a usage error.
func checkAvailable(plan *harness.Plan, python string) error {
	var reasons []string
	pyOnly := true
	for _, name := range plan.Models {
		m, err := registry.Lookup(name)
		if err != nil {
			return err
		}
		a, ok := m.(models.Availability)
		if !ok {
			return nil
		}
		err = a.Available()
		if err == nil {
			return nil
		}
		reasons = append(reasons, name+": "+err.Error())
		pyOnly = pyOnly && models.FamilyOf(m) == "py"
	}
	if len(reasons) == 0 {
		return nil
	}
	err := fmt.Errorf("%w: every model asked for was skipped: %s", harness.ErrNothingRan, reasons[0])
	if python != "" && pyOnly {
		return &usageError{err}
	}
	return err
}

// drawRun draws the report of a finished run into its folder for --report
// and returns what the run's exit status must add: nothing when the report
// was drawn or there was nothing to draw (the run's own errors say why),
// context.Canceled when Ctrl-C came before or during drawing, and a
// failure, never a usage error (the command line was fine), otherwise.
func drawRun(ctx context.Context, drawer, dir string, run *runfile.Run, stderr io.Writer) error {
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "mpbench: report not drawn: the run was interrupted (draw it with: mpbench report %s)\n", dir)
		return ctx.Err()
	}
	if err := reports.Check(run); err != nil {
		fmt.Fprintf(stderr, "mpbench: report not drawn: %v\n", err)
		return nil
	}
	index, err := draw(ctx, drawer, dir, []string{dir}, nil)
	if u := (*usageError)(nil); errors.As(err, &u) {
		err = u.err
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(stderr, "report: %s\n", index)
	return nil
}

// printSkipped says once per reason which models were left out.
func printSkipped(w io.Writer, skipped []runfile.Skip) {
	var reasons []string
	byReason := map[string][]string{}
	for _, sk := range skipped {
		if byReason[sk.Reason] == nil {
			reasons = append(reasons, sk.Reason)
		}
		byReason[sk.Reason] = append(byReason[sk.Reason], sk.Model)
	}
	for _, r := range reasons {
		names := byReason[r]
		noun := "model"
		if len(names) > 1 {
			noun = "models"
		}
		fmt.Fprintf(w, "mpbench: skipped %s %s: %s\n", noun, strings.Join(names, ", "), r)
	}
}

// setenv sets an environment variable and returns what restores it.
func setenv(key, value string) (restore func()) {
	old, had := os.LookupEnv(key)
	os.Setenv(key, value)
	return func() {
		if had {
			os.Setenv(key, old)
		} else {
			os.Unsetenv(key)
		}
	}
}

func goVersion() string { return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH }

// runProbe measures the machine for the run file on the CPUs the cells
// use; a probe that fails is recorded with why, and the run goes on.
func runProbe(ctx context.Context, exe string, cpus []int) *runfile.Probe {
	p, err := probe.Run(ctx, exe, cpus, runProbeSize)
	if err != nil {
		return &runfile.Probe{CPUs: worker.FormatCPUList(cpus), Error: err.Error()}
	}
	return p
}
