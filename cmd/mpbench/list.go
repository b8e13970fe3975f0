package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/mpbench/mpbench/models/all"
	"github.com/mpbench/mpbench/workloads"
	"github.com/spf13/cobra"
)

func newCmdList(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the models and workloads, one line each",
		Example: "  mpbench list",
		RunE: func(*cobra.Command, []string) error {
			return listRun(stdout)
		},
	}
}

func listRun(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODELS\tFAMILY\tTWIN\t")
	for i, info := range all.Infos() {
		twin := info.Twin
		if twin == "" {
			twin = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", info.Name, info.Family, twin, all.Table[i].Model.Doc())
	}
	fmt.Fprintln(tw, "\t")
	fmt.Fprintln(tw, "WORKLOADS\t")
	for _, wl := range workloads.All() {
		fmt.Fprintf(tw, "  %s\t%s\n", wl.Name, wl.Doc)
		for _, p := range wl.Params {
			fmt.Fprintf(tw, "    %s.%s\t%s (default %d)\n", wl.Name, p.Name, p.Doc, p.Default)
		}
	}
	return tw.Flush()
}

func newCmdVersion(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the mpbench version, VCS revision and Go version",
		Example: "  mpbench version",
		RunE: func(*cobra.Command, []string) error {
			ver, rev, modified := buildInfo()
			if modified {
				rev += " (modified)"
			}
			if rev == "" {
				rev = "unknown"
			}
			_, err := fmt.Fprintf(stdout, "mpbench %s\nrevision %s\n%s\n", ver, rev, goVersion())
			return err
		},
	}
}
