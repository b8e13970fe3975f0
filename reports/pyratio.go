package reports

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mpbench/mpbench/runfile"
)

// PyPair is a Go model and the Python reference model that mirrors it.
type PyPair struct {
	Go, Py string
}

// PyPairs returns the twin pairs the run file records (Run.Models), in its
// order: every Python model with the Go model it mirrors. A run file made
// before models were recorded has none.
func PyPairs(run *runfile.Run) []PyPair {
	var out []PyPair
	for _, m := range run.Models {
		if m.Family == "py" && m.Twin != "" {
			out = append(out, PyPair{Go: m.Twin, Py: m.Name})
		}
	}
	return out
}

// PyRatio is one row of the "Go vs Python" table: a Python model's cell
// beside the cell of its Go counterpart with the same workload and cores.
type PyRatio struct {
	// Workload is the workload, or its variant ("cpu[n=1000,tasks=48]")
	// when the run sweeps parameters.
	Workload string
	Cores    int
	Go, Py   string
	// GoNs and PyNs are the compute-phase medians; nil when that cell is
	// missing, failed or has no trials.
	GoNs, PyNs *float64
	// Ratio is PyNs / GoNs: above 1 the Go model is faster. Nil unless both
	// medians are there.
	Ratio *float64
	// Note says why a figure is missing, or that Python was faster.
	Note string
	// Differs says how the pair's work differs beyond the language, as
	// the run file records it (runfile.ModelInfo.Differs); empty in run
	// files that do not.
	Differs string
}

// PyRatios pairs every Python model cell of the run with its Go
// counterpart's cell of the same workload (variant) and core count. Rows
// come per workload in run order, then in PyPairs order, then by cores.
// A Go counterpart that failed, or did not run at this core count, leaves
// the ratio nil with a note; a pair whose Go model has no cell in the run
// at all (`--models py`) gives no rows. Runs without Python cells give no
// rows, and so do run files that do not record their models' twins.
func PyRatios(run *runfile.Run) []PyRatio {
	sweeping := len(run.Config.Sweeps) > 0
	groupOf := func(c *runfile.Cell) string {
		if sweeping {
			return c.Variant()
		}
		return c.Workload
	}
	type key struct {
		group, model string
		cores        int
	}
	cells := map[key]*runfile.Cell{}
	var groups []string
	seen := map[string]bool{}
	for i := range run.Cells {
		c := &run.Cells[i]
		g := groupOf(c)
		if !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
		cells[key{g, c.Model, c.Cores}] = c
	}
	ran := map[string]bool{}
	for _, c := range run.Cells {
		ran[c.Model] = true
	}
	var rows []PyRatio
	pairs := PyPairs(run)
	for _, g := range groups {
		for _, pair := range pairs {
			if !ran[pair.Go] {
				continue
			}
			info, _ := run.ModelInfo(pair.Py)
			for i := range run.Cells {
				pc := &run.Cells[i]
				if pc.Model != pair.Py || groupOf(pc) != g {
					continue
				}
				row := PyRatio{Workload: g, Cores: pc.Cores, Go: pair.Go, Py: pair.Py, Differs: info.Differs}
				var notes []string
				row.PyNs, notes = cellMedian(pc, pair.Py, notes)
				if gc := cells[key{g, pair.Go, pc.Cores}]; gc != nil {
					row.GoNs, notes = cellMedian(gc, pair.Go, notes)
				} else {
					notes = append(notes, fmt.Sprintf("%s at c=%d not in this run", pair.Go, pc.Cores))
				}
				if row.GoNs != nil && row.PyNs != nil && *row.GoNs > 0 {
					r := *row.PyNs / *row.GoNs
					row.Ratio = &r
					if r < 1 {
						notes = append(notes, "Python faster")
					}
				}
				row.Note = strings.Join(notes, "; ")
				rows = append(rows, row)
			}
		}
	}
	return rows
}

func cellMedian(c *runfile.Cell, model string, notes []string) (*float64, []string) {
	switch {
	case c.Failed():
		return nil, append(notes, model+" failed")
	case c.Summary == nil || len(c.Trials) == 0:
		return nil, append(notes, model+" has no trials")
	}
	m := c.Summary.MedianNs
	return &m, notes
}

var pyRatioHeader = []string{"workload", "cores", "go", "python", "go median", "python median", "python/go", "notes"}

// WritePyRatios writes rows as the "Go vs Python" table: aligned text, or
// markdown when md is set, followed by how each pair's work differs beyond
// the language, once per pair, and a line that counts the pairs the Go
// model won.
func WritePyRatios(w io.Writer, rows []PyRatio, md bool) error {
	const title = "Go vs Python (compute-phase medians; python/go above 1× means the Go model is faster)"
	cols := func(r PyRatio) []string {
		return []string{r.Workload, strconv.Itoa(r.Cores), r.Go, r.Py,
			optDuration(r.GoNs), optDuration(r.PyNs), ratio(r.Ratio, "×"), r.Note}
	}
	if md {
		fmt.Fprintf(w, "### %s\n\n| %s |\n|%s\n", title, strings.Join(pyRatioHeader, " | "), strings.Repeat(" --- |", len(pyRatioHeader)))
		for _, r := range rows {
			c := cols(r)
			for j := range c {
				c[j] = strings.ReplaceAll(c[j], "|", `\|`)
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(c, " | "))
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintln(w, title)
		var buf bytes.Buffer
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.ToUpper(strings.Join(pyRatioHeader, "\t")))
		for _, r := range rows {
			fmt.Fprintln(tw, strings.Join(cols(r), "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		// An empty last cell leaves blanks at the end of its line.
		for _, l := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
			if _, err := fmt.Fprintln(w, strings.TrimRight(l, " ")); err != nil {
				return err
			}
		}
	}
	if err := writeDiffers(w, rows, md); err != nil {
		return err
	}
	won, measured := 0, 0
	for _, r := range rows {
		if r.Ratio != nil {
			measured++
			if *r.Ratio > 1 {
				won++
			}
		}
	}
	_, err := fmt.Fprintf(w, "Go faster in %d of %d pairs measured (%d rows without a ratio)\n", won, measured, len(rows)-measured)
	return err
}

// writeDiffers writes one line per pair of rows that records how its work
// differs, in the order of the rows.
func writeDiffers(w io.Writer, rows []PyRatio, md bool) error {
	seen := map[PyPair]bool{}
	first := true
	for _, r := range rows {
		p := PyPair{Go: r.Go, Py: r.Py}
		if r.Differs == "" || seen[p] {
			continue
		}
		seen[p] = true
		if first {
			first = false
			if _, err := fmt.Fprintln(w, "How each pair's work differs beyond the language (both run the same tasks, checked by the same checksum, with workers warmed up alike):"); err != nil {
				return err
			}
			if md {
				fmt.Fprintln(w)
			}
		}
		bullet := "  "
		if md {
			bullet = "- "
		}
		if _, err := fmt.Fprintf(w, "%s%s vs %s: %s\n", bullet, r.Py, r.Go, r.Differs); err != nil {
			return err
		}
	}
	if md && !first {
		_, err := fmt.Fprintln(w)
		return err
	}
	return nil
}

func optDuration(ns *float64) string {
	if ns == nil {
		return "-"
	}
	return Duration(*ns)
}
