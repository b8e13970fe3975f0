package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
	"github.com/spf13/cobra"
)

// exportOptions are the arguments and flags of `mpbench export`.
type exportOptions struct {
	Run    string
	Format string
}

func newCmdExport(stdout io.Writer, runF func(context.Context, *exportOptions) error) *cobra.Command {
	opts := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export RUN",
		Short: "Write a saved run in another format (benchfmt for benchstat, csv, markdown, …)",
		Long: `export reads a run (a run folder or a run.json file) and writes it to stdout in
one of the formats of mpbench run --format. benchfmt writes the standard Go
benchmark lines, one per trial, so that benchstat can read mpbench runs:

  mpbench export results/old --format benchfmt > old.txt
  mpbench export results/new --format benchfmt > new.txt
  benchstat old.txt new.txt`,
		Example: `  mpbench export results/example-2core --format benchfmt
  mpbench export results/20260101T000000Z-host --format markdown`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Run = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return exportRun(opts, stdout)
		},
	}
	cmd.Flags().StringVarP(&opts.Format, "format", "f", "benchfmt", "output format: "+strings.Join(reports.Formats, "|"))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(reports.Formats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func exportRun(o *exportOptions, stdout io.Writer) error {
	if !contains(reports.Formats, o.Format) {
		return &usageError{fmt.Errorf("--format %q: accepted: %s", o.Format, strings.Join(reports.Formats, ", "))}
	}
	run, err := runfile.Load(o.Run)
	if err != nil {
		return &usageError{err}
	}
	// Recompute the derived figures and fits with this version's code.
	harness.Summarize(run)
	return reports.WriteSummary(stdout, run, o.Format)
}
