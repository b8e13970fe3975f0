package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/mpbench/mpbench/compare"
	"github.com/mpbench/mpbench/harness"
	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1 // something ran and failed (cells, a write)
	exitUsage       = 2 // the command line was wrong
	exitInterrupted = 130
)

// version and revision are set by the Makefile through -ldflags; build
// info fills revision when the toolchain stamped it.
var (
	version  = "dev"
	revision = ""
)

func buildInfo() (ver, rev string, modified bool) {
	ver, rev = version, revision
	if bi, ok := debug.ReadBuildInfo(); ok {
		if ver == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			ver = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	return ver, rev, modified
}

// mpbench is the real entry point: it runs the command line args and
// returns the exit code. Ctrl-C cancels the context of the command.
func mpbench(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return execute(ctx, args, stdout, stderr)
}

func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	if !errors.Is(err, errSilent) {
		msg := err.Error()
		if code == exitUsage && cmd != nil && !strings.Contains(msg, "--help") {
			msg += fmt.Sprintf(" (see '%s --help')", cmd.CommandPath())
		}
		fmt.Fprintln(stderr, "mpbench: "+msg)
	}
	return code
}

// errSilent marks an error whose message was already printed.
var errSilent = errors.New("")

func exitCode(err error) int {
	var u *usageError
	switch {
	case errors.As(err, &u), errors.Is(err, harness.ErrUsage), errors.Is(err, compare.ErrOptions):
		return exitUsage
	case errors.Is(err, harness.ErrInterrupted), errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitFailure
}

type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	ver, rev, _ := buildInfo()
	root := &cobra.Command{
		Use:   "mpbench",
		Short: "Measure what each concurrency model costs as cores grow",
		Long: `mpbench runs deterministic workloads under real concurrency models (goroutines,
worker processes, pipes, queues, shared memory, a manager process), repeats
trials on 1..N cores, validates every result against a reference checksum,
and reports medians, confidence intervals, speedup, efficiency and overhead.`,
		Example: `  mpbench run                                   # the default sweep: every model, 1..max cores
  mpbench run --cores 1..2 --models sequential,goroutines --workloads cpu,square,pow
  mpbench list                                  # models and workloads
  mpbench version`,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(ver, rev),
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newCmdRun(stdout, stderr, nil), newCmdList(stdout), newCmdVersion(stdout))
	root.AddCommand(newCmdReport(stdout, nil))
	root.AddCommand(newCmdCompare(stdout, nil), newCmdExport(stdout, nil), newCmdAB(stdout, stderr, nil))
	root.AddCommand(newCmdProbe(stdout, nil))
	// Unknown commands and wrong argument counts are usage errors too.
	for _, c := range append(root.Commands(), root) {
		if c.Args == nil {
			c.Args = cobra.NoArgs
		}
		args := c.Args
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return &usageError{err}
			}
			return nil
		}
	}
	return root
}

func versionString(ver, rev string) string {
	if rev != "" {
		return ver + " (" + rev + ")"
	}
	return ver
}
