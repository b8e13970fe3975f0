package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/mpbench/mpbench/runfile"
)

// ProbeFormats are the formats of WriteProbe.
var ProbeFormats = []string{"table", "json"}

// WriteProbe writes what the probe measured: "table" (name, median, 95 %
// CI, unit, n, then the parts skipped and why) or "json" (the
// runfile.Probe).
func WriteProbe(w io.Writer, p *runfile.Probe, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	if format != "table" {
		return fmt.Errorf("unknown format %q (accepted: table, json)", format)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "machine probe on CPUs %s (%s): a snapshot of this machine now, not of every minute\n", p.CPUs, Duration(float64(p.WallNs)))
	fmt.Fprintln(tw, "NAME\tMEDIAN\t95% CI\tUNIT\tN\tNOTE")
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 3, 64) }
	for _, it := range p.Items {
		ci := g(it.CILow) + " … " + g(it.CIHigh)
		if it.CILevel < 0.95 {
			ci += fmt.Sprintf(" (%.0f%%)", 100*it.CILevel)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", it.Name, g(it.Median), ci, it.Unit, it.N, it.Note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range p.Skipped {
		fmt.Fprintf(w, "not measured: %s: %s\n", s.Model, s.Reason)
	}
	if p.Error != "" {
		fmt.Fprintf(w, "probe failed: %s\n", p.Error)
	}
	return nil
}
