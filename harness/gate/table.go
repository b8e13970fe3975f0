package gate

import (
	"fmt"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// Table formats the report's rows for people.
func (r *Report) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "baseline %s; limit: slowdown CI above %+.0f%% (Holm α %g); %d run(s) in %v\n",
		r.Baseline, 100*r.Opts.MaxSlowdown, r.Opts.Alpha, r.Runs, r.Elapsed.Round(time.Millisecond))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tFIGURE\tBASELINE\tNOW\tSLOWDOWN\tCI\tP (HOLM)\tOTHER LOAD\tRESULT\tNOTES")
	for _, row := range r.Rows {
		ci := "-"
		if row.CILow != nil {
			ci = fmt.Sprintf("[%+.1f%%, %+.1f%%]", 100**row.CILow, 100**row.CIHigh)
		}
		load := "n/a"
		if !math.IsNaN(row.Contention) {
			load = fmt.Sprintf("%.0f%%", 100*row.Contention)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%+.1f%%\t%s\t%.3f\t%s\t%s\t%s\n", row.Cell, row.Figure,
			formatFigure(row.Figure, row.Baseline), formatFigure(row.Figure, row.Current), 100*row.Slowdown, ci, row.PHolm, load,
			row.Verdict, strings.Join(row.Notes, "; "))
	}
	tw.Flush()
	if r.TimeSkipped != "" {
		fmt.Fprintf(&b, "note: %s\n", r.TimeSkipped)
	}
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
