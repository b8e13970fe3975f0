package render

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
)

// The series builders below turn runs into the numbers a chart draws. They
// copy figures from the run file as they are (nanoseconds, ratios): any
// change of unit happens when drawing.

// Metric is a figure drawn against core counts.
type Metric int

// The metrics drawn against core counts.
const (
	ComputeTime Metric = iota // median compute time (ns) with its 95 % CI
	Speedup                   // T(sequential) / T(model, c)
	Efficiency                // speedup / c
)

// Point is one cell on a chart over core counts.
type Point struct {
	Cores int
	// Y is the figure drawn; Low and High bound its confidence interval
	// (compute time) and equal Y where a figure has none.
	Y, Low, High float64
	// Hollow marks a noisy (CV over 10 %) or oversubscribed cell, or one
	// whose baseline is suspect (runfile.Summary.Suspect); Why says which,
	// and Suspect whether the last.
	Hollow  bool
	Why     string
	Suspect bool
	// Ceiling is, on a speedup point, the cell's ceiling speedup (its
	// effective cores, runfile.Summary.CeilingSpeedup); nil where the
	// model keeps no accounts.
	Ceiling *float64
}

// Series is one model of one run over core counts.
type Series struct {
	Run   int // index into the runs
	Model string
	// Points are in increasing core count.
	Points []Point
	// Missing lists the core counts that the run measured for the workload
	// where this model has no figure, and why ("failed", "no cell").
	Missing []Gap
}

// Gap is a core count where a model has nothing to draw.
type Gap struct {
	Cores  int
	Reason string
}

// Bar is one (run, model) cell at the largest core count of its run, as
// drawn by the bar and box charts.
type Bar struct {
	Run   int
	Model string
	Cores int
	// Overhead is the overhead per task (ns); nil without a baseline.
	Overhead *float64
	// Setup, Compute and Teardown are the median phases (ns).
	Setup, Compute, Teardown float64
	// Trials are the compute times of every measured trial (ns), in the
	// order they ran.
	Trials []float64
	// Attribution splits Overhead into its causes; nil without one.
	Attribution *runfile.Attribution
	Hollow      bool
	Why         string
	Suspect     bool
}

// hollow says whether a cell is drawn hollow, why, and whether its
// baseline is suspect (one of the reasons).
func hollow(c *runfile.Cell) (bool, string, bool) {
	var why []string
	if c.Oversubscribed {
		why = append(why, "oversubscribed")
	}
	if c.Summary != nil && c.Summary.CV > stats.NoisyCV {
		why = append(why, fmt.Sprintf("noisy, CV %.1f%%", 100*c.Summary.CV))
	}
	reason := c.Summary.SuspectReason(c.Cores)
	suspect := reason != ""
	if suspect {
		why = append(why, "suspect baseline: "+reason)
	}
	return len(why) > 0, strings.Join(why, ", "), suspect
}

// Models returns the models of a workload over all runs, in the order
// their cells first appear.
func Models(runs []*runfile.Run, workload string) []string {
	var out []string
	for _, r := range runs {
		for _, c := range r.Cells {
			if c.Workload == workload && !slices.Contains(out, c.Model) {
				out = append(out, c.Model)
			}
		}
	}
	return out
}

// AllWorkloads returns the workloads of all runs in first-seen order.
func AllWorkloads(runs []*runfile.Run) []string {
	var out []string
	for _, r := range runs {
		for _, w := range reports.Workloads(r) {
			if !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	return out
}

// runCores returns the core counts a run has cells for in a workload,
// in increasing order.
func runCores(r *runfile.Run, workload string) []int {
	var cs []int
	for _, c := range r.Cells {
		if c.Workload == workload && !slices.Contains(cs, c.Cores) {
			cs = append(cs, c.Cores)
		}
	}
	slices.Sort(cs)
	return cs
}

// Largest returns the largest core count at which a run has a passing
// cell of the workload, or 0.
func Largest(r *runfile.Run, workload string) int {
	n := 0
	for i := range r.Cells {
		if c := &r.Cells[i]; c.Workload == workload && reports.Drawable(c) {
			n = max(n, c.Cores)
		}
	}
	return n
}

// CoreSeries returns, per run and model, the metric at each core count of
// the workload. A model with a cell that failed or is missing at one of
// the run's core counts says so in Missing; a baseline (sequential,
// py-sequential), measured at c = 1 only, is never missing elsewhere.
// Speedup and efficiency points exist only where the run has the model's
// family baseline (runfile.Run.Baseline); a baseline's own are 1 by
// definition.
func CoreSeries(runs []*runfile.Run, workload string, m Metric) []Series {
	var out []Series
	for ri, r := range runs {
		cores := runCores(r, workload)
		for _, model := range Models(runs, workload) {
			s := Series{Run: ri, Model: model}
			have := map[int]bool{}
			failed := map[int]bool{}
			for i := range r.Cells {
				c := &r.Cells[i]
				if c.Workload != workload || c.Model != model {
					continue
				}
				if !reports.Drawable(c) {
					failed[c.Cores] = true
					continue
				}
				p := Point{Cores: c.Cores}
				sm := c.Summary
				switch m {
				case ComputeTime:
					p.Y, p.Low, p.High = sm.MedianNs, sm.CILowNs, sm.CIHighNs
				case Speedup, Efficiency:
					v := sm.Speedup
					if m == Efficiency {
						v = sm.Efficiency
					}
					switch {
					case v != nil:
						p.Y = *v
					case r.IsBaseline(model) && c.Cores == 1:
						p.Y = 1 // the baseline against itself, by definition
					default:
						continue
					}
					p.Low, p.High = p.Y, p.Y
					if m == Speedup {
						p.Ceiling = sm.CeilingSpeedup
					}
				}
				p.Hollow, p.Why, p.Suspect = hollow(c)
				have[c.Cores] = true
				s.Points = append(s.Points, p)
			}
			if len(s.Points) == 0 && len(failed) == 0 {
				continue // this run has no cell of the model at all
			}
			slices.SortFunc(s.Points, func(a, b Point) int { return a.Cores - b.Cores })
			if !r.IsBaseline(model) {
				for _, c := range cores {
					switch {
					case have[c]:
					case failed[c]:
						s.Missing = append(s.Missing, Gap{c, "failed"})
					default:
						s.Missing = append(s.Missing, Gap{c, "not measured"})
					}
				}
			}
			out = append(out, s)
		}
	}
	return out
}

// LargestBars returns every model's cell at its run's largest core count
// of the workload, and each baseline's cell (c = 1) as the reference, model
// by model in first-seen order and, within a model, run by run. Models
// without a passing cell there are left out: Absent names them.
func LargestBars(runs []*runfile.Run, workload string) []Bar {
	var out []Bar
	for _, model := range Models(runs, workload) {
		for ri, r := range runs {
			top := Largest(r, workload)
			if top == 0 {
				continue
			}
			for i := range r.Cells {
				c := &r.Cells[i]
				if c.Workload != workload || c.Model != model || !reports.Drawable(c) {
					continue
				}
				if c.Cores != top && !(r.IsBaseline(model) && c.Cores == 1) {
					continue
				}
				b := Bar{
					Run: ri, Model: model, Cores: c.Cores, Overhead: c.Summary.OverheadNsPerTask,
					Setup: c.Summary.SetupNs, Compute: c.Summary.MedianNs, Teardown: c.Summary.TeardnNs,
					Attribution: c.Summary.Attribution,
				}
				for _, t := range c.Trials {
					b.Trials = append(b.Trials, float64(t.ComputeNs))
				}
				b.Hollow, b.Why, b.Suspect = hollow(c)
				out = append(out, b)
			}
		}
	}
	return out
}

// Absent returns, per run, the models of the workload that have no
// passing cell at the run's largest core count (baselines aside).
func Absent(runs []*runfile.Run, workload string) [][]string {
	out := make([][]string, len(runs))
	for ri, r := range runs {
		top := Largest(r, workload)
		for _, model := range Models(runs, workload) {
			if r.IsBaseline(model) {
				continue
			}
			found, any := false, false
			for i := range r.Cells {
				c := &r.Cells[i]
				if c.Workload == workload && c.Model == model {
					any = true
					if c.Cores == top && reports.Drawable(c) {
						found = true
					}
				}
			}
			if any && !found {
				out[ri] = append(out[ri], model)
			}
		}
	}
	return out
}
