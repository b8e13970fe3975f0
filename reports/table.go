package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/workloads"
)

// Formats are the accepted values of --format for a run's summary.
var Formats = []string{"table", "json", "csv", "markdown", "benchfmt"}

// WriteSummary writes the run's cells in format f: "table" (aligned, one
// block per workload, warnings beside the figures, then the scaling fits),
// "json" (the run file), "csv" (one row per cell), "markdown", or
// "benchfmt" (Go benchmark lines for benchstat, see WriteBenchfmt).
func WriteSummary(w io.Writer, run *runfile.Run, f string) error {
	switch f {
	case "table", "markdown":
		if err := writeTable(w, run, f == "markdown"); err != nil {
			return err
		}
		return writeFits(w, run, f == "markdown")
	case "benchfmt":
		return WriteBenchfmt(w, run)
	case "json":
		return run.Encode(w)
	case "csv":
		return writeCSV(w, run)
	}
	return fmt.Errorf("unknown format %q (accepted: %s)", f, strings.Join(Formats, ", "))
}

// Workloads returns the workloads of the run's cells in first-seen order.
func Workloads(run *runfile.Run) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range run.Cells {
		if !seen[c.Workload] {
			seen[c.Workload] = true
			out = append(out, c.Workload)
		}
	}
	return out
}

// Header is the Header of the summary table; Row fills its columns.
var Header = []string{"model", "cores", "median", "±CI", "cold", "speedup", "rel", "eff", "overhead/task", "setup", "teardown", "cpu", "peak RSS", "notes"}

// Row returns the formatted columns of one cell, as in Header.
func Row(c *runfile.Cell) []string {
	row := []string{c.Model, strconv.Itoa(c.Cores)}
	s := c.Summary
	if c.Failed() || s == nil {
		row = append(row, "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-")
		note := strings.Join(c.Warnings, "; ")
		if c.Failed() {
			note = "FAILED: " + c.Error
		}
		return append(row, note)
	}
	half := (s.CIHighNs - s.CILowNs) / 2
	ci := "-" // one trial has no confidence interval
	if s.MedianNs > 0 && len(c.Trials) > 1 {
		ci = fmt.Sprintf("±%.1f%%", 100*half/s.MedianNs)
	}
	row = append(row,
		Duration(s.MedianNs), ci, cold(s),
		ratio(s.Speedup, "×"), ratio(s.RelSpeedup, "×"), percent(s.Efficiency),
		overhead(s.OverheadNsPerTask),
		Duration(s.SetupNs), Duration(s.TeardnNs), Duration(s.CPUNs), Bytes(s.PeakRSSBytes),
		strings.Join(c.Warnings, "; "),
	)
	return row
}

// ceilingHeader are the columns a table gains after "eff" when one of its
// cells has effective cores (a model that keeps worker accounts):
// withCeiling inserts them and ceilingCols fills them.
var ceilingHeader = []string{"eff.cores", "of ceil."}

const ceilingAt = 8 // after "eff"

// cold formats a cell's median cold pass with its ratio to the warm
// median: "1.52ms (4.1×)"; "-" without cold passes.
func cold(s *runfile.Summary) string {
	if s.ColdNs == nil || s.MedianNs <= 0 {
		return "-"
	}
	return fmt.Sprintf("%s (%.1f×)", Duration(*s.ColdNs), *s.ColdNs/s.MedianNs)
}

func hasCeiling(cells []*runfile.Cell) bool {
	for _, c := range cells {
		if c.Summary != nil && c.Summary.EffectiveCores != nil {
			return true
		}
	}
	return false
}

func ceilingCols(c *runfile.Cell) []string {
	if c.Failed() || c.Summary == nil {
		return []string{"-", "-"}
	}
	return []string{ratio(c.Summary.EffectiveCores, ""), percent(c.Summary.OfCeiling)}
}

func withCeiling(cols, extra []string) []string {
	out := append(slices.Clone(cols[:ceilingAt]), extra...)
	return append(out, cols[ceilingAt:]...)
}

// group is the cells of one workload variant (a workload with one set of
// parameters), in run order.
type group struct {
	title string
	cells []*runfile.Cell
}

func groups(run *runfile.Run) []group {
	var out []group
	idx := map[string]int{}
	sweeping := len(run.Config.Sweeps) > 0
	for i := range run.Cells {
		c := &run.Cells[i]
		key := c.Workload
		if sweeping {
			key = c.Variant()
		}
		j, ok := idx[key]
		if !ok {
			j = len(out)
			idx[key] = j
			out = append(out, group{title: variantLabel(run, c)})
		}
		out[j].cells = append(out[j].cells, c)
	}
	for i := range out {
		out[i].title = groupTitle(run, out[i].title, out[i].cells)
	}
	return out
}

// variantLabel names the workload of c with the value of every parameter
// the run sweeps or sets away from its default: "cpu[n=1000]". A swept
// parameter is named even at its default value, so every block of a sweep
// says which value it holds.
func variantLabel(run *runfile.Run, c *runfile.Cell) string {
	if len(run.Config.Sweeps) == 0 {
		return c.Workload // one block per workload
	}
	swept := run.Config.Sweeps[c.Workload]
	if len(swept) == 0 {
		return c.Variant()
	}
	var defaults map[string]int64
	if w, err := workloads.Lookup(c.Workload); err == nil {
		defaults, _ = w.Resolve(nil)
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c.Params)) {
		v := c.Params[k]
		d, ok := defaults[k]
		if _, sw := swept[k]; sw || !ok || d != v {
			parts = append(parts, fmt.Sprintf("%s=%d", k, v))
		}
	}
	if len(parts) == 0 {
		return c.Workload
	}
	return c.Workload + "[" + strings.Join(parts, ",") + "]"
}

// groupTitle says what the cells of one block ran: their task count (per
// core under weak scaling) and how many trials each median is of, as a
// range where cells differ (--target-ci, --cell-budget).
func groupTitle(run *runfile.Run, label string, cells []*runfile.Cell) string {
	var tasks, perCore, trials []int
	for _, c := range cells {
		if c.Tasks > 0 {
			tasks = append(tasks, c.Tasks)
			perCore = append(perCore, c.Tasks/max(1, c.Cores))
		}
		if !c.Failed() && len(c.Trials) > 0 {
			trials = append(trials, len(c.Trials))
		}
	}
	var what []string
	switch lo, hi := span(tasks); {
	case len(tasks) == 0:
	case lo == hi:
		what = append(what, fmt.Sprintf("%d tasks", lo))
	case run.Config.Scaling == "weak" && slices.Min(perCore) == slices.Max(perCore):
		what = append(what, fmt.Sprintf("%d tasks per core: %s", perCore[0], rangeOf(lo, hi)))
	default:
		what = append(what, rangeOf(lo, hi)+" tasks")
	}
	what = append(what, run.Config.Scaling+" scaling")
	median := "compute phase"
	if lo, hi := span(trials); len(trials) > 0 {
		noun := "trials"
		if hi == 1 {
			noun = "trial"
		}
		median += fmt.Sprintf(", median of %s %s", rangeOf(lo, hi), noun)
	}
	return fmt.Sprintf("workload %s (%s; %s)", label, strings.Join(what, ", "), median)
}

// span returns the smallest and largest of xs (0, 0 when empty).
func span(xs []int) (lo, hi int) {
	if len(xs) == 0 {
		return 0, 0
	}
	return slices.Min(xs), slices.Max(xs)
}

// rangeOf writes "6" or "6–499".
func rangeOf(lo, hi int) string {
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

func writeTable(w io.Writer, run *runfile.Run, md bool) error {
	for i, g := range groups(run) {
		if i > 0 {
			fmt.Fprintln(w)
		}
		header, row := Header, Row
		if hasCeiling(g.cells) {
			header = withCeiling(Header, ceilingHeader)
			row = func(c *runfile.Cell) []string { return withCeiling(Row(c), ceilingCols(c)) }
		}
		if md {
			fmt.Fprintf(w, "### %s\n\n", g.title)
			fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat(" --- |", len(header)))
			for _, c := range g.cells {
				cols := row(c)
				for j := range cols {
					cols[j] = strings.ReplaceAll(cols[j], "|", `\|`)
				}
				fmt.Fprintf(w, "| %s |\n", strings.Join(cols, " | "))
			}
			continue
		}
		fmt.Fprintln(w, g.title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.ToUpper(strings.Join(header, "\t")))
		for _, c := range g.cells {
			fmt.Fprintln(tw, strings.Join(row(c), "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(run.BreakEven) > 0 {
		fmt.Fprintln(w)
		if md {
			fmt.Fprintf(w, "### Break-even task size\n\n| workload | parameter | model | cores | beats sequential from |\n| --- | --- | --- | --- | --- |\n")
		} else {
			fmt.Fprintln(w, "break-even task size (smallest value from which the model beats sequential, at its largest core count)")
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, b := range run.BreakEven {
			v := "never"
			if b.Value != nil {
				v = strconv.FormatInt(*b.Value, 10)
			}
			if b.Note != "" {
				v += " (" + b.Note + ")"
			}
			if md {
				fmt.Fprintf(w, "| %s | %s | %s | %d | %s |\n", b.Workload, b.Param, b.Model, b.Cores, v)
			} else {
				fmt.Fprintf(tw, "  %s.%s\t%s\tc=%d\t%s\n", b.Workload, b.Param, b.Model, b.Cores, v)
			}
		}
		return tw.Flush()
	}
	return nil
}

func writeCSV(w io.Writer, run *runfile.Run) error {
	cw := csv.NewWriter(w)
	head := []string{"workload", "model", "cores", "tasks", "trials", "median_ns", "ci_low_ns", "ci_high_ns", "cv",
		"speedup", "relative_speedup", "efficiency", "overhead_ns_per_task", "setup_median_ns", "teardown_median_ns",
		"cpu_ns", "peak_rss_bytes", "oversubscribed", "warnings", "error",
		// The counters come last, so that readers of the older columns
		// find them where they were.
		"minflt", "majflt", "nvcsw", "nivcsw",
		"effective_cores", "of_ceiling", "cold_median_ns",
	}
	// The attribution of the overhead (runfile.Attribution), ns per task,
	// one column per part of runfile.AttributionParts (attr_<part>_ns); a
	// part left empty is absent (its reason is in the JSON), or not in the
	// file (idle_edges in an older one).
	for _, name := range runfile.AttributionParts {
		head = append(head, "attr_"+name+"_ns")
	}
	cw.Write(append(head, "attr_exceeds"))
	// Plain notation: nanoseconds that are integers stay integers
	// (14375001, not 1.4375001e+07).
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	p := func(x *float64) string {
		if x == nil {
			return ""
		}
		return f(*x)
	}
	for _, c := range run.Cells {
		rec := []string{c.Workload, c.Model, strconv.Itoa(c.Cores), strconv.Itoa(c.Tasks), strconv.Itoa(len(c.Trials))}
		if s := c.Summary; s != nil {
			rec = append(rec, f(s.MedianNs), f(s.CILowNs), f(s.CIHighNs), f(s.CV), p(s.Speedup), p(s.RelSpeedup),
				p(s.Efficiency), p(s.OverheadNsPerTask), f(s.SetupNs), f(s.TeardnNs), f(s.CPUNs), strconv.FormatInt(s.PeakRSSBytes, 10))
		} else {
			rec = append(rec, make([]string, 12)...)
		}
		rec = append(rec, strconv.FormatBool(c.Oversubscribed), strings.Join(c.Warnings, "; "), c.Error)
		for _, name := range runfile.CounterNames {
			v := ""
			if c.Summary != nil && c.Summary.Counters != nil {
				v = f(c.Summary.Counters[name])
			}
			rec = append(rec, v)
		}
		if s := c.Summary; s != nil {
			rec = append(rec, p(s.EffectiveCores), p(s.OfCeiling), p(s.ColdNs))
		} else {
			rec = append(rec, "", "", "")
		}
		if a := attribution(c); a != nil {
			for _, name := range runfile.AttributionParts {
				v := ""
				if part := a.Part(name); part != nil {
					v = p(part.NsPerTask)
				}
				rec = append(rec, v)
			}
			rec = append(rec, strconv.FormatBool(a.Exceeds))
		} else {
			rec = append(rec, make([]string, len(runfile.AttributionParts)+1)...)
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// Duration formats nanoseconds with three significant digits and a unit.
func Duration(ns float64) string {
	abs := math.Abs(ns)
	switch {
	case abs >= 1e9:
		return Sig3(ns/1e9) + "s"
	case abs >= 1e6:
		return Sig3(ns/1e6) + "ms"
	case abs >= 1e3:
		return Sig3(ns/1e3) + "µs"
	}
	return Sig3(ns) + "ns"
}

// Sig3 formats x with three significant digits (at most two decimals).
func Sig3(x float64) string {
	a := math.Abs(x)
	switch {
	case a >= 100:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(x, 'f', 1, 64)
	case a > 0 && a < 0.01:
		// Two decimals would print a manager's 0.0012× on square as 0.00×.
		return strconv.FormatFloat(x, 'g', 3, 64)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

// Bytes formats a byte count in binary units.
func Bytes(b int64) string {
	switch {
	case b >= 1<<30:
		return Sig3(float64(b)/(1<<30)) + "GiB"
	case b >= 1<<20:
		return Sig3(float64(b)/(1<<20)) + "MiB"
	case b >= 1<<10:
		return Sig3(float64(b)/(1<<10)) + "KiB"
	}
	return strconv.FormatInt(b, 10) + "B"
}

func ratio(x *float64, unit string) string {
	if x == nil {
		return "-"
	}
	return Sig3(*x) + unit
}

func percent(x *float64) string {
	if x == nil {
		return "-"
	}
	return strconv.FormatFloat(100**x, 'f', 0, 64) + "%"
}

func overhead(x *float64) string {
	if x == nil {
		return "-"
	}
	return Duration(*x)
}

// attribution returns the cell's attribution, or nil.
func attribution(c runfile.Cell) *runfile.Attribution {
	if c.Summary == nil {
		return nil
	}
	return c.Summary.Attribution
}
