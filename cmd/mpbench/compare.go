package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mpbench/mpbench/compare"
	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
	"github.com/spf13/cobra"
)

// compareOptions are the arguments and flags of `mpbench compare`.
type compareOptions struct {
	Old, New  string
	Alpha     float64
	Threshold string
	Format    string
}

// errRegression is returned (exit 1) when a cell is significantly slower
// by more than the threshold.
var errRegression = errors.New("significantly slower")

// errFailedNew and errMissingNew are returned (exit 1) for cells that
// passed in the old run and failed in, or are missing from, the new one.
var (
	errFailedNew  = errors.New("failed in the new run")
	errMissingNew = errors.New("missing from the new run")
)

func newCmdCompare(stdout io.Writer, runF func(context.Context, *compareOptions) error) *cobra.Command {
	opts := &compareOptions{}
	cmd := &cobra.Command{
		Use:   "compare OLD NEW",
		Short: "Compare two runs cell by cell (Mann–Whitney U, Holm–Bonferroni)",
		Long: `compare matches the cells of two runs (run folders or run.json files) and,
for each cell both have, gives the old and new median compute time, the change
in %, its confidence interval, the Mann–Whitney U p-value (as benchstat
computes it), the smallest change its trials could detect, and a verdict:
faster, slower, no significant change, or inconclusive where the trials
could not have shown a change of --threshold. The
p-values are adjusted by Holm–Bonferroni over all the cells tested, and a
cell is a regression only when it is significantly slower and the whole
confidence interval of its change lies above --threshold. Cells present in
only one run are listed.

Exit status: 0 when no cell regressed, 1 when a cell is significantly slower
by more than the threshold or a cell of the old run failed in, or is missing
from, the new one, 2 for bad input (unreadable runs, bad flags).`,
		Example: `  mpbench compare results/old results/new
  mpbench compare old/run.json new/run.json --threshold 10% --alpha 0.01
  mpbench compare results/20251231T000000Z-host results/20260101T000000Z-host --format markdown`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Old, opts.New = args[0], args[1]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return compareRun(opts, stdout)
		},
	}
	addCompareFlags(cmd, opts)
	return cmd
}

// addCompareFlags adds the flags of a comparison to cmd.
func addCompareFlags(cmd *cobra.Command, opts *compareOptions) {
	f := cmd.Flags()
	f.Float64Var(&opts.Alpha, "alpha", 0.05, "family-wise significance level (Holm–Bonferroni over the cells)")
	f.StringVar(&opts.Threshold, "threshold", "5%", `noise threshold: a change whose CI lies within it is not a regression ("5%" or 0.05)`)
	f.StringVarP(&opts.Format, "format", "f", "table", "output format: "+strings.Join(reports.CompareFormats, "|"))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(reports.CompareFormats, cobra.ShellCompDirectiveNoFileComp))
}

func compareRun(o *compareOptions, stdout io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	old, err := runfile.Load(o.Old)
	if err != nil {
		return &usageError{fmt.Errorf("old run: %w", err)}
	}
	new, err := runfile.Load(o.New)
	if err != nil {
		return &usageError{fmt.Errorf("new run: %w", err)}
	}
	return compareAndJudge(old, new, o, stdout)
}

// check checks the flags of a comparison (mpbench compare, mpbench ab).
func (o *compareOptions) check() error {
	if !contains(reports.CompareFormats, o.Format) {
		return &usageError{fmt.Errorf("--format %q: accepted: %s", o.Format, strings.Join(reports.CompareFormats, ", "))}
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		return &usageError{fmt.Errorf("--alpha %v: must be between 0 and 1, e.g. 0.05", o.Alpha)}
	}
	_, err := parseFraction("threshold", o.Threshold)
	return err
}

// compareAndJudge writes the comparison of two runs to stdout in
// o.Format and returns what its verdicts add to the exit status: nil, or
// errRegression, errFailedNew and errMissingNew joined, each naming its
// cells. o's flags must have been checked.
func compareAndJudge(old, new *runfile.Run, o *compareOptions, stdout io.Writer) error {
	th, err := parseFraction("threshold", o.Threshold)
	if err != nil {
		return err
	}
	cmp, err := compare.Runs(old, new, compare.Options{Alpha: o.Alpha, Threshold: th})
	if err != nil {
		return err
	}
	if err := reports.WriteComparison(stdout, cmp, o.Format); err != nil {
		return err
	}
	var slower, missing, failed []string
	for _, r := range cmp.Regressions() {
		switch r.Verdict {
		case compare.VerdictOnlyOld:
			missing = append(missing, r.Key)
		case compare.VerdictFailedNew:
			failed = append(failed, r.Key)
		default:
			slower = append(slower, fmt.Sprintf("%s (%+.1f%%)", r.Key, 100*r.Change))
		}
	}
	var errs []error
	if len(slower) > 0 {
		errs = append(errs, fmt.Errorf("%w by more than %s: %s", errRegression, o.Threshold, strings.Join(slower, ", ")))
	}
	if len(failed) > 0 {
		errs = append(errs, fmt.Errorf("%w: %s", errFailedNew, strings.Join(failed, ", ")))
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("%w: %s", errMissingNew, strings.Join(missing, ", ")))
	}
	return errors.Join(errs...)
}
