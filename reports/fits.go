package reports

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mpbench/mpbench/runfile"
)

var fitHeader = []string{"workload", "model", "cores", "basis", "Amdahl s ±SE", "USL σ", "USL κ", "USL peak", "predicted speedup", "Karp–Flatt e(c)", "notes"}

// FitRow returns the formatted columns of one scaling fit, as in the fits
// table header. Predicted figures say "predicted" in their column and are
// written with "≈" and the law that gave them.
func FitRow(f *runfile.Fit) []string {
	cores := make([]string, len(f.Points))
	var kf []string
	for i, p := range f.Points {
		cores[i] = strconv.Itoa(p.Cores)
		if p.KarpFlatt != nil {
			kf = append(kf, fmt.Sprintf("c=%d: %.3f", p.Cores, *p.KarpFlatt))
		}
	}
	karp := strings.Join(kf, ", ")
	if karp == "" {
		karp = "-"
	}
	name := f.Model
	// Only parameters that differ from the workload's defaults tell
	// variants apart; the defaults are noise in every row.
	if v := (&runfile.Cell{Workload: f.Workload, Params: f.Params}).Variant(); v != f.Workload {
		name += " " + strings.TrimPrefix(v, f.Workload)
	}
	row := []string{f.Workload, name, strings.Join(cores, ","), f.Basis}
	notes := strings.Join(f.Notes, "; ")
	if !f.Available {
		return append(row, "-", "-", "-", "-", "-", karp, joinNotes("not available: "+f.Reason, notes))
	}
	a, u := f.Amdahl, f.USL
	amdahl := fmt.Sprintf("%.4f", a.Serial)
	if a.SerialSE != nil {
		amdahl += fmt.Sprintf(" ±%.4f", *a.SerialSE)
	}
	peak := "none (κ = 0)"
	if u.PeakCores != nil {
		peak = fmt.Sprintf("≈%.0f cores (≈%s×)", *u.PeakCores, Sig3(*u.PeakSpeedup))
	}
	var pred []string
	for _, p := range f.Predictions {
		pred = append(pred, fmt.Sprintf("c=%d: ≈%s× Amdahl, ≈%s× USL", p.Cores, Sig3(p.Amdahl), Sig3(p.USL)))
	}
	return append(row, amdahl, fmt.Sprintf("%.4f", u.Sigma), fmt.Sprintf("%.2e", u.Kappa), peak, strings.Join(pred, "; "), karp, notes)
}

func joinNotes(a, b string) string {
	if b == "" {
		return a
	}
	return a + "; " + b
}

// writeFits writes the run's scaling fits after the cell tables; nothing
// when the run has none.
func writeFits(w io.Writer, run *runfile.Run, md bool) error {
	if len(run.Fits) == 0 {
		return nil
	}
	anyFit := false
	for _, f := range run.Fits {
		anyFit = anyFit || f.Available
	}
	if !anyFit {
		// A table of rows that all say "not available" tells nothing a line
		// cannot; Karp–Flatt figures stay in the run file.
		_, err := fmt.Fprintf(w, "\nscaling fits: not available (%s); Karp–Flatt serial fractions are in the run file\n", run.Fits[0].Reason)
		return err
	}
	title := "scaling fits (basis relative: speedup T(model, 1) / T(model, c); sequential: T(sequential) / T(model, c); predictions extrapolate the laws, they were not measured)"
	if md {
		fmt.Fprintf(w, "\n### %s\n\n", title)
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(fitHeader, " | "), strings.Repeat(" --- |", len(fitHeader)))
		for i := range run.Fits {
			cols := FitRow(&run.Fits[i])
			for j := range cols {
				cols[j] = strings.ReplaceAll(cols[j], "|", `\|`)
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(cols, " | "))
		}
		return nil
	}
	fmt.Fprintf(w, "\n%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// Upper case but the symbols: σ and κ would turn into Σ and Κ.
	fmt.Fprintln(tw, "WORKLOAD\tMODEL\tCORES\tBASIS\tAMDAHL s ±SE\tUSL σ\tUSL κ\tUSL PEAK\tPREDICTED SPEEDUP\tKARP–FLATT e(c)\tNOTES")
	for i := range run.Fits {
		fmt.Fprintln(tw, strings.Join(FitRow(&run.Fits[i]), "\t"))
	}
	return tw.Flush()
}
