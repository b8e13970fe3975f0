package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/harness/workerbuild"
	"github.com/mpbench/mpbench/models/all"
	"github.com/mpbench/mpbench/models/py"
	"github.com/mpbench/mpbench/worker"
	"github.com/spf13/cobra"
)

// abOptions are the arguments and flags of `mpbench ab`: two workers, the
// plan of mpbench run, and the comparison of mpbench compare.
type abOptions struct {
	Old, New string
	Run      runOptions
	Compare  compareOptions
}

func newCmdAB(stdout, stderr io.Writer, runF func(context.Context, *abOptions) error) *cobra.Command {
	opts := &abOptions{}
	cmd := &cobra.Command{
		Use:   "ab OLD NEW",
		Short: "Measure two builds of mpbench-worker in one run and compare them",
		Long: `ab runs one sweep (the flags of mpbench run) with two builds of the worker,
OLD and NEW, and compares them as mpbench compare does. Cells run in the
worker (mpbench-worker); this mpbench only plans, summarizes and compares.

OLD and NEW each name a worker by one of:
  - a path to an mpbench-worker executable (any name other than mpbench);
  - a path to an mpbench executable, or to a folder, with mpbench-worker
    beside it, or in it (bin/ after make build);
  - a git revision of the repository of the current folder, when no file
    has that name: ab builds ./cmd/mpbench-worker at that revision in a
    temporary git worktree (CGO_ENABLED=0, as make build does, and
    -trimpath, so the build cache serves every worktree), and removes
    the worktree and the build when it ends, however it ends.

Each round visits the cells in a shuffled order, and runs each cell with
OLD and NEW back to back, the one that goes first taking turns, so that a
drift in the machine's speed falls on both alike. The run folder holds
old/run.json and new/run.json, each a run folder of its own (env.side,
env.worker_source, env.worker_revision say which build it measured).

Exit status: 0 when no cell regressed from OLD to NEW, 1 when one did (see
mpbench compare) or a cell failed, 2 for a bad command line, a revision
that does not exist or a build that fails, 130 when interrupted.`,
		Example: `  mpbench ab main HEAD --models goroutines,procpool --workloads square --rounds 3
  mpbench ab v1.2.0 bin/mpbench-worker --cores 1..2 --trials 20 --threshold 10%
  mpbench ab /opt/old/bin ./bin/mpbench`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Old, opts.New = args[0], args[1]
			opts.Run.Args = append([]string{"mpbench"}, os.Args[1:]...)
			opts.Run.Progress = progressModeOf(stderr, opts.Run.Quiet)
			opts.Run.MaxTimeSet = cmd.Flags().Changed("max-time")
			opts.Run.Format, opts.Run.Probe = "table", "off"
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return abRun(cmd.Context(), opts, stdout, stderr)
		},
	}
	addPlanFlags(cmd, &opts.Run)
	addCompareFlags(cmd, &opts.Compare)
	return cmd
}

func abRun(ctx context.Context, o *abOptions, stdout, stderr io.Writer) (err error) {
	if err := o.Compare.check(); err != nil {
		return err
	}
	avail, err := worker.AllowedCPUs()
	if err != nil {
		return err
	}
	plan, err := o.Run.plan(len(avail))
	if err != nil {
		return err
	}
	if o.Run.Python != "" {
		defer setenv(py.EnvPython, o.Run.Python)()
	}
	if err := checkAvailable(plan, o.Run.Python); err != nil {
		return err
	}
	// Both workers are found, or built, before anything is written; what
	// was built goes on every way out (an interrupt cancels ctx, and the
	// build or run in flight returns).
	builds := &workerBuilds{stderr: stderr, quiet: o.Run.Quiet}
	defer func() {
		if cerr := builds.cleanup(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	var sides []harness.Side
	ver, rev, modified := buildInfo()
	for _, s := range []struct{ name, arg string }{{"old", o.Old}, {"new", o.New}} {
		w, err := builds.resolve(ctx, s.name, s.arg)
		if err != nil {
			return err
		}
		env := harness.CollectEnv(ver, rev, modified, o.Run.Args, w.exe)
		env.Side, env.WorkerSource = s.name, s.arg
		if w.commit != "" {
			env.WorkerRevision = w.commit
		}
		sides = append(sides, harness.Side{Name: s.name, Env: env, Executable: w.exe})
	}
	dir, err := harness.PrepareDir(o.Run.Out, o.Run.ResultsDir, time.Now(), sides[0].Env.Host+"-ab", o.Run.Force)
	if err != nil {
		return flagError(err)
	}
	for i := range sides {
		if sides[i].Dir, err = harness.PrepareDir(filepath.Join(dir, sides[i].Name), "", time.Time{}, "", o.Run.Force); err != nil {
			return flagError(err)
		}
	}
	if w := plan.PowerWarning(registry); w != "" {
		fmt.Fprintln(stderr, "mpbench: warning: "+w)
	}
	prog := newProgress(stderr, o.Run.Progress)
	runs, err := harness.ExecuteSides(ctx, plan, harness.Options{Registry: registry, Progress: prog.update, Table: all.Infos()}, sides)
	prog.finish()
	if runs == nil {
		return err
	}
	printSkipped(stderr, runs[0].Skipped)
	for _, run := range runs {
		for _, c := range run.Cells {
			if c.Failed() {
				fmt.Fprintf(stderr, "mpbench: cell failed [%s]: %s\n", run.Env.Side, c.Error)
			}
		}
	}
	fmt.Fprintf(stderr, "run files: %s, %s\n", filepath.Join(sides[0].Dir, "run.json"), filepath.Join(sides[1].Dir, "run.json"))
	if errors.Is(err, harness.ErrInterrupted) {
		return err
	}
	return errors.Join(err, compareAndJudge(runs[0], runs[1], &o.Compare, stdout))
}

// workerBuilds finds the worker executable of each side of mpbench ab,
// building those named by a git revision with package workerbuild (the
// builds the regression gates use too), which removes them in cleanup.
type workerBuilds struct {
	stderr io.Writer
	quiet  bool
	b      workerbuild.Builds
}

// abWorker is the worker of one side, and the commit it was built from
// when it was named by a revision.
type abWorker struct{ exe, commit string }

// resolve returns the worker that arg names for the side name: an
// executable when a file or folder of that name exists, else a git
// revision, built. Bad names and failed builds are usage errors.
func (b *workerBuilds) resolve(ctx context.Context, name, arg string) (abWorker, error) {
	label := strings.ToUpper(name)
	if st, err := os.Stat(arg); err == nil {
		p := arg
		switch {
		case st.IsDir():
			p = filepath.Join(arg, workerCommand)
		case filepath.Base(arg) == "mpbench":
			p = filepath.Join(filepath.Dir(arg), workerCommand)
		}
		if err := isExecutable(p); err != nil {
			return abWorker{}, &usageError{fmt.Errorf("%s %s: %s: %v", label, arg, p, err)}
		}
		abs, err := filepath.Abs(p)
		return abWorker{exe: abs}, err
	}
	if !b.quiet {
		b.b.Log = b.stderr
	}
	w, err := b.b.Revision(ctx, name, arg)
	var rerr *workerbuild.RevisionError
	var berr *workerbuild.BuildError
	switch {
	case errors.As(err, &rerr):
		if _, err := b.b.Repo(ctx); err != nil {
			return abWorker{}, &usageError{fmt.Errorf("%s %q: no such file, and no git repository here to find it as a revision in", label, arg)}
		}
		return abWorker{}, &usageError{fmt.Errorf("%s %q: neither a file nor a revision of the repository at %s", label, arg, b.repo())}
	case errors.As(err, &berr):
		return abWorker{}, &usageError{fmt.Errorf("%s %v", label, err)}
	case err != nil:
		return abWorker{}, fmt.Errorf("%s %w", label, err)
	}
	return abWorker{exe: w.Executable, commit: w.Commit}, nil
}

func (b *workerBuilds) repo() string {
	top, _ := b.b.Repo(context.Background())
	return top
}

// cleanup removes the worktrees and the temporary folder.
func (b *workerBuilds) cleanup() error { return b.b.Cleanup() }
