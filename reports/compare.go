package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mpbench/mpbench/compare"
)

// CompareFormats are the accepted --format values of mpbench compare.
var CompareFormats = []string{"table", "json", "markdown"}

var compareHeader = []string{"cell", "old median", "new median", "change", "CI of change", "p", "p (Holm)", "detectable", "verdict", "notes"}

// CompareRow returns the formatted columns of one compared cell, as in the
// comparison table header.
func CompareRow(r *compare.Row) []string {
	med := func(ns float64, n int) string {
		if n == 0 {
			return "-"
		}
		return fmt.Sprintf("%s (n=%d)", Duration(ns), n)
	}
	row := []string{r.Key, med(r.OldMedianNs, r.OldN), med(r.NewMedianNs, r.NewN)}
	verdict := r.Verdict
	switch {
	case r.Regression:
		verdict += " (REGRESSION)"
	case r.Improvement:
		verdict += " (improvement)"
	}
	if r.OldN == 0 || r.NewN == 0 || r.Verdict == compare.VerdictUntested {
		return append(row, "-", "-", "-", "-", "-", verdict, strings.Join(r.Notes, "; "))
	}
	ci := "-"
	if r.ChangeLow != nil {
		ci = fmt.Sprintf("[%s, %s]", signedPct(*r.ChangeLow), signedPct(*r.ChangeHigh))
	}
	// The smallest change the cell's trials could show: "none" where no
	// outcome of their sizes reaches the Holm threshold.
	detect := "none"
	if r.MinDetectable != nil {
		detect = fmt.Sprintf("±%.1f%%", 100**r.MinDetectable)
	}
	return append(row, signedPct(r.Change), ci, pval(r.P), pval(r.PHolm), detect, verdict, strings.Join(r.Notes, "; "))
}

func signedPct(x float64) string { return fmt.Sprintf("%+.1f%%", 100*x) }

func pval(p float64) string { return strconv.FormatFloat(p, 'f', 3, 64) }

// WriteComparison writes a comparison as "table", "json" or "markdown".
func WriteComparison(w io.Writer, c *compare.Comparison, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	case "table", "markdown":
	default:
		return fmt.Errorf("unknown format %q (accepted: %s)", format, strings.Join(CompareFormats, ", "))
	}
	md := format == "markdown"
	title := fmt.Sprintf("compute time, old → new: Mann–Whitney U, Holm–Bonferroni over %d cells, alpha %g, noise threshold %s; CI at %.0f%%",
		c.Tested, c.Alpha, strings.TrimPrefix(signedPct(c.Threshold), "+"), 100*(1-c.Alpha))
	if md {
		fmt.Fprintf(w, "### %s\n\n| %s |\n|%s\n", title, strings.Join(compareHeader, " | "), strings.Repeat(" --- |", len(compareHeader)))
		for i := range c.Rows {
			cols := CompareRow(&c.Rows[i])
			for j := range cols {
				cols[j] = strings.ReplaceAll(cols[j], "|", `\|`)
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(cols, " | "))
		}
	} else {
		fmt.Fprintln(w, title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.ToUpper(strings.Join(compareHeader, "\t")))
		for i := range c.Rows {
			fmt.Fprintln(tw, strings.Join(CompareRow(&c.Rows[i]), "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	for _, warn := range c.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	_, err := fmt.Fprintln(w, c.String())
	return err
}
