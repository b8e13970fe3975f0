package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
	"github.com/spf13/cobra"
)

// reportOptions are the arguments and flags of `mpbench report`.
type reportOptions struct {
	Paths  []string
	Out    string
	Labels []string
}

func newCmdReport(stdout io.Writer, runF func(*reportOptions) error) *cobra.Command {
	opts := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report RUN_DIR_OR_JSON... [-o DIR]",
		Short: "Draw the PNG charts and index page of one run, or of several runs overlaid",
		Long: `report reads run folders or run.json files and draws, per workload, six charts
(compute time, speedup and efficiency vs cores; overhead per task, phases and
the trial distribution at the largest core count) and an index.html and
index.md that hold them with the environment and a summary table.

With one run the report goes into the run folder (beside run.json) unless -o
says otherwise; several runs are overlaid, each named by its host or --label,
and need -o. The report is drawn whole in a temporary folder, then moved into
place. The path of index.html is printed.

The drawing is done by mpbench-draw, a second executable: $MPBENCH_DRAW if
set, else the one beside mpbench, else the one on PATH. (mpbench does not
link the plotting library, so that the worker processes it starts are lean.)

Exit status: 0 when the report was written, 2 for bad input (a missing path,
a file that is not a run, an unknown schema version, a run with no cells or
only failed cells), 1 when writing failed.`,
		Example: `  mpbench report results/20250101T120000Z-vm/
  mpbench report a/run.json b/run.json -o cmp/ --label laptop --label server`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if runF != nil {
				return runF(opts)
			}
			return reportRun(cmd.Context(), opts, stdout)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Out, "out", "o", "", "report folder (default: the run folder; required for several runs)")
	f.StringArrayVar(&opts.Labels, "label", nil, "name of each run on the charts, in order, repeatable (default: its host)")
	return cmd
}

// loadRun reads a run for the report; every way it can fail is a usage
// error.
func loadRun(path string) (*runfile.Run, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &usageError{fmt.Errorf("%s: no such file or folder", path)}
		}
		return nil, &usageError{err}
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "run.json")); err != nil {
			return nil, &usageError{fmt.Errorf("%s: folder has no run.json", path)}
		}
	}
	r, err := runfile.Load(path)
	if err != nil {
		return nil, &usageError{err}
	}
	if err := reports.Check(r); err != nil {
		return nil, &usageError{fmt.Errorf("%s: %w", path, err)}
	}
	return r, nil
}

// runDir is the folder of a run path: the path itself or the folder of
// its run.json.
func runDir(path string) string {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return path
	}
	return filepath.Dir(path)
}

func (o *reportOptions) check() error {
	if len(o.Paths) > 1 && o.Out == "" {
		return &usageError{errors.New("several runs are drawn into one new report: give its folder with -o DIR")}
	}
	if len(o.Labels) > 0 && len(o.Labels) != len(o.Paths) {
		return &usageError{fmt.Errorf("%d --label for %d runs: give one per run, in order", len(o.Labels), len(o.Paths))}
	}
	if o.Out != "" {
		if st, err := os.Stat(o.Out); err == nil && !st.IsDir() {
			return &usageError{fmt.Errorf("-o %s: a file is in the way, cannot write there", o.Out)}
		}
	}
	return nil
}

func reportRun(ctx context.Context, o *reportOptions, stdout io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	drawer, err := findDrawer()
	if err != nil {
		return err
	}
	runs := make([]*runfile.Run, len(o.Paths))
	for i, p := range o.Paths {
		r, err := loadRun(p)
		if err != nil {
			return err
		}
		runs[i] = r
	}
	labels := o.Labels
	if len(labels) == 0 {
		labels = defaultLabels(o.Paths, runs)
	}
	out := o.Out
	if out == "" {
		out = runDir(o.Paths[0])
	}
	index, err := draw(ctx, drawer, out, o.Paths, labels)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, index)
	return err
}

// defaultLabels names runs by host; where hosts repeat, by the name of
// their run folder instead.
func defaultLabels(paths []string, runs []*runfile.Run) []string {
	labels := reports.DefaultLabels(runs)
	seen := map[string]int{}
	for _, r := range runs {
		seen[r.Env.Host]++
	}
	for i, r := range runs {
		if seen[r.Env.Host] > 1 {
			labels[i] = filepath.Base(filepath.Clean(runDir(paths[i])))
		}
	}
	return labels
}
