package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mpbench/mpbench/harness/probe"
	"github.com/mpbench/mpbench/reports"
	"github.com/spf13/cobra"
)

// probeOptions are the flags of `mpbench probe`.
type probeOptions struct {
	Format string
}

func newCmdProbe(stdout io.Writer, runF func(context.Context, *probeOptions) error) *cobra.Command {
	opts := &probeOptions{}
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Measure this machine's primitive costs: page fault, process start, wake-ups, CPU speeds",
		Long: `probe measures, in an mpbench-worker process confined as the cells are, what
this machine charges for the primitives the models are made of: a minor page
fault, starting a worker (to its first line, as worker_exec_ms, and to its
exit beside exec of /bin/true), a 1-byte pipe round trip on one CPU and across
two, a unix-socket request/response, and each CPU's speed alone and while
all run, as a ratio to CPU 0 alone, over 1, 10 and 100 ms. Medians with the
95 % CI of the median; about 10 s on 2 CPUs. mpbench run records a shorter
probe at its start and end (env.probe_start, env.probe_end).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return probeRun(cmd.Context(), opts, stdout)
		},
	}
	cmd.Flags().StringVarP(&opts.Format, "format", "f", "table", "output format: "+strings.Join(reports.ProbeFormats, "|"))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(reports.ProbeFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// probeSize is the size of `mpbench probe`; runProbeSize that of the
// probes `mpbench run` records. Tests make both tiny.
var (
	probeSize    = probe.Default()
	runProbeSize = probe.Short()
)

func probeRun(ctx context.Context, o *probeOptions, stdout io.Writer) error {
	if !contains(reports.ProbeFormats, o.Format) {
		return &usageError{fmt.Errorf("--format %q: accepted: %s", o.Format, strings.Join(reports.ProbeFormats, ", "))}
	}
	exe, err := findCompanion(workerCommand, envWorker, "probing")
	if err != nil {
		return err
	}
	res, err := probe.Run(ctx, exe, nil, probeSize)
	if err != nil {
		return err
	}
	return reports.WriteProbe(stdout, res, o.Format)
}
