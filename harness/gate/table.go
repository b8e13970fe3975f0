package gate

import (
	"fmt"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// Table formats the report for people: what the sides were, and a row per
// gated figure with its other load (the contention of its cells) and its
// power (the smallest change its samples could show).
func (r *Report) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "A/B on this machine: OLD %s; NEW %s", r.Old, r.New)
	if r.Identical {
		b.WriteString("; identical executables: the null A/B")
	}
	fmt.Fprintf(&b, "\nlimit: slowdown CI above %+.0f%% (Holm α %g); inconclusive where a %.0f%% change could not be shown; %d run(s), build %v, in all %v\n",
		100*r.Opts.MaxSlowdown, r.Opts.Alpha, 100*r.Opts.MaxSlowdown, r.Runs, r.Build.Round(time.Millisecond), r.Elapsed.Round(time.Millisecond))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tFIGURE\tOLD\tNEW\tSLOWDOWN\tCI\tP (HOLM)\tDETECTS\tOTHER LOAD\tRESULT\tNOTES")
	for _, row := range r.Rows {
		ci := "-"
		if row.CILow != nil {
			ci = fmt.Sprintf("[%+.1f%%, %+.1f%%]", 100**row.CILow, 100**row.CIHigh)
		}
		detects := "nothing"
		if row.MinDetectable != nil {
			detects = fmt.Sprintf("±%.1f%%", 100**row.MinDetectable)
		}
		load := "n/a"
		if !math.IsNaN(row.Contention) {
			load = fmt.Sprintf("%.0f%%", 100*row.Contention)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%+.1f%%\t%s\t%.3f\t%s\t%s\t%s\t%s\n", row.Cell, row.Figure,
			formatFigure(row.Figure, row.Old), formatFigure(row.Figure, row.New), 100*row.Slowdown, ci, row.PHolm, detects, load,
			row.Verdict, strings.Join(row.Notes, "; "))
	}
	tw.Flush()
	return b.String()
}

func formatFigure(f Figure, v float64) string {
	switch f {
	case Time:
		return time.Duration(v).Round(time.Microsecond).String()
	case Efficiency:
		return fmt.Sprintf("%.1f%%", 100*v)
	}
	return fmt.Sprintf("%.3f×", v)
}
