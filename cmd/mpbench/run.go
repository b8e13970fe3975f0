package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/models/proc"
	"github.com/mpbench/mpbench/reports"
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
	Oversubscribe bool
	Out           string
	ResultsDir    string
	Format        string
	Quiet         bool
	Report        bool

	// Args is the whole command line, for the run file.
	Args []string
	// Progress says whether to draw the progress bar (stderr is a TTY and
	// not --quiet).
	Progress bool
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
  mpbench run --cores 1..2 --report                # and draw the charts into the run folder`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Args = append([]string{"mpbench"}, os.Args[1:]...)
			opts.Progress = !opts.Quiet && isTerminal(stderr)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRun(cmd.Context(), opts, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Cores, "cores", "1..max", `core counts: "1..N", "1,2,4", "1,2..4", "max"`)
	f.StringVar(&opts.Models, "models", "all", "comma-separated models, or all (see mpbench list)")
	f.StringVar(&opts.Workloads, "workloads", "all", "comma-separated workloads, or all (see mpbench list)")
	f.StringArrayVar(&opts.Params, "param", nil, "workload parameter workload.key=value, repeatable (e.g. cpu.n=200000)")
	f.StringVar(&opts.Scaling, "scaling", "strong", "strong: total work fixed across core counts; weak: tasks × c")
	f.IntVar(&opts.Warmup, "warmup", 2, "warm-up trials per cell, not recorded")
	f.IntVar(&opts.Trials, "trials", 10, "measured trials per cell")
	f.IntVar(&opts.Chunk, "chunk", 0, "tasks handed out at once; 0 = automatic (Pool.map's ceil(n/4c))")
	f.DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "limit for one cell (warm-ups and trials)")
	f.DurationVar(&opts.CellBudget, "cell-budget", 0, "stop a cell's trials after this much measured time (never below 3 trials); 0 = no budget")
	f.BoolVar(&opts.Oversubscribe, "oversubscribe", false, "allow more cores than CPUs available (cells are marked oversubscribed)")
	f.StringVar(&opts.Out, "out", "", "run folder (default results/<UTC time>-<host>)")
	f.StringVar(&opts.ResultsDir, "results", "results", "where run folders are made when --out is not given")
	f.StringVarP(&opts.Format, "format", "f", "table", "stdout format: "+strings.Join(reports.Formats, "|"))
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "no progress bar")
	f.BoolVar(&opts.Report, "report", false, "draw the PNG report and index page into the run folder afterwards")
	_ = cmd.RegisterFlagCompletionFunc("models", completeList(func() []string { return append(registry.Names(), "all") }))
	_ = cmd.RegisterFlagCompletionFunc("workloads", completeList(func() []string { return append(workloads.Names(), "all") }))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(reports.Formats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("scaling", cobra.FixedCompletions(harness.Scalings, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func completeList(names func() []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return names(), cobra.ShellCompDirectiveNoFileComp
	}
}

// plan turns the options into a checked harness plan.
func (o *runOptions) plan(available int) (*harness.Plan, error) {
	if !contains(reports.Formats, o.Format) {
		return nil, &usageError{fmt.Errorf("--format %q: accepted: %s", o.Format, strings.Join(reports.Formats, ", "))}
	}
	cores, err := harness.ParseCores(o.Cores, available, o.Oversubscribe)
	if err != nil {
		return nil, err
	}
	mods, err := harness.ParseList("models", o.Models, registry.Names())
	if err != nil {
		return nil, err
	}
	wls, err := harness.ParseList("workloads", o.Workloads, workloads.Names())
	if err != nil {
		return nil, err
	}
	params, err := harness.ParseParams(o.Params)
	if err != nil {
		return nil, err
	}
	p := &harness.Plan{
		Cores: cores, Models: mods, Workloads: wls, Params: params, Scaling: o.Scaling,
		Warmup: o.Warmup, Trials: o.Trials, Chunk: o.Chunk, Timeout: o.Timeout,
		CellBudget: o.CellBudget, Oversubscribe: o.Oversubscribe,
	}
	return p, p.Check(registry)
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
	avail, err := proc.AllowedCPUs()
	if err != nil {
		return err
	}
	plan, err := o.plan(len(avail))
	if err != nil {
		return err
	}
	ver, rev, modified := buildInfo()
	env := harness.CollectEnv(ver, rev, modified, o.Args)
	dir, err := harness.PrepareDir(o.Out, o.ResultsDir, time.Now(), env.Host)
	if err != nil {
		return err
	}
	prog := newProgress(stderr, o.Progress)
	run, err := harness.Execute(ctx, plan, harness.Options{
		Registry: registry, Dir: dir, Env: env, Progress: prog.update,
	})
	prog.finish()
	if run == nil {
		return err
	}
	if werr := reports.WriteSummary(stdout, run, o.Format); werr != nil {
		return errors.Join(err, werr)
	}
	for _, c := range run.Cells {
		if c.Failed() {
			fmt.Fprintf(stderr, "mpbench: cell failed: %s\n", c.Error)
		}
	}
	fmt.Fprintf(stderr, "run file: %s\n", filepath.Join(dir, "run.json"))
	if o.Report {
		index, rerr := reports.Write(dir, []*harness.Run{run}, nil)
		if rerr != nil {
			err = errors.Join(err, fmt.Errorf("report: %w", rerr))
		} else {
			fmt.Fprintf(stderr, "report: %s\n", index)
		}
	}
	if errors.Is(err, harness.ErrInterrupted) {
		fmt.Fprintf(stderr, "mpbench: interrupted; the %d completed cells are in the run file\n", len(run.Cells))
	}
	return err
}

func goVersion() string { return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH }
