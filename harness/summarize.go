package harness

import (
	"fmt"
	"slices"
	"sort"

	"github.com/mpbench/mpbench/harness/cellrun"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
)

// Summarize computes every cell's summary and warnings, the break-even
// values and the scaling fits of r. Speedup, efficiency and overhead use
// the run's own sequential cell of the same workload and parameters
// (Run.Baseline); relative speedup uses the same model's c = 1 cell.
func Summarize(r *runfile.Run) {
	base := map[string]*runfile.Cell{}
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Cores == 1 && !c.Failed() && len(c.Trials) > 0 {
			base[c.Variant()+"/"+c.Model] = c
		}
	}
	// Baselines first, so that every other cell finds their summaries.
	for pass := 0; pass < 2; pass++ {
		for i := range r.Cells {
			c := &r.Cells[i]
			if (c.Cores == 1) == (pass == 0) {
				summarizeCell(c, r.Baseline(c), base[c.Variant()+"/"+c.Model])
			}
		}
	}
	r.BreakEven = breakEven(r)
	r.Fits = computeFits(r)
}

func summarizeCell(c, seq, one *runfile.Cell) {
	c.Summary, c.Warnings = nil, nil
	if c.Oversubscribed {
		c.Warnings = append(c.Warnings, fmt.Sprintf("oversubscribed: %d workers share CPUs %s", c.Cores, c.CPUs))
	}
	switch c.Stopped {
	case "budget":
		c.Warnings = append(c.Warnings, fmt.Sprintf("%d of %d trials ran (stopped by the cell budget)", len(c.Trials), c.TrialsPlanned))
	case cellrun.StoppedTimeout:
		c.Warnings = append(c.Warnings, fmt.Sprintf("timed out: %d of %d trials ran before the cell's time limit (kept)", len(c.Trials), c.TrialsPlanned))
	case "max-time", "trial-cap":
		c.Warnings = append(c.Warnings, fmt.Sprintf("CI target not met after %d trials (stopped by %s)", len(c.Trials), c.Stopped))
	}
	if c.Failed() || len(c.Trials) == 0 {
		return
	}
	pick := func(f func(runfile.Trial) float64) []float64 {
		xs := make([]float64, len(c.Trials))
		for i, t := range c.Trials {
			xs[i] = f(t)
		}
		return xs
	}
	d := stats.Summarize(pick(func(t runfile.Trial) float64 { return float64(t.ComputeNs) }))
	s := &runfile.Summary{
		MedianNs: d.Median, CILowNs: d.CILow, CIHighNs: d.CIHigh, CV: d.CV, Compute: d,
		SetupNs:  stats.Summarize(pick(func(t runfile.Trial) float64 { return float64(t.SetupNs) })).Median,
		TeardnNs: stats.Summarize(pick(func(t runfile.Trial) float64 { return float64(t.TeardownNs) })).Median,
		CPUNs:    stats.Summarize(pick(func(t runfile.Trial) float64 { return float64(t.UserNs + t.SysNs) })).Median,
	}
	for _, t := range c.Trials {
		s.PeakRSSBytes = max(s.PeakRSSBytes, t.PeakRSSBytes)
	}
	s.Metrics = medianMetrics(c.Trials)
	s.Counters = medianCounters(c.Trials)
	c.Summary = s // the baseline cell is its own baseline: speedup 1
	if seq != nil && seq.Summary != nil && c.Tasks > 0 && s.MedianNs > 0 {
		// Scale the baseline to this cell's task count (weak scaling).
		tseq := seq.Summary.MedianNs * float64(c.Tasks) / float64(seq.Tasks)
		sp := tseq / s.MedianNs
		eff := sp / float64(c.Cores)
		ovh := (float64(c.Cores)*s.MedianNs - tseq) / float64(c.Tasks)
		s.Speedup, s.Efficiency, s.OverheadNsPerTask = &sp, &eff, &ovh
	}
	if one != nil && one.Summary != nil && s.MedianNs > 0 {
		rel := one.Summary.MedianNs * float64(c.Tasks) / float64(one.Tasks) / s.MedianNs
		s.RelSpeedup = &rel
	}
	if d.CV > stats.NoisyCV {
		c.Warnings = append(c.Warnings, fmt.Sprintf("noisy: CV %.1f%% > %.0f%%", 100*d.CV, 100*stats.NoisyCV))
	}
	if d.N == 1 {
		c.Warnings = append(c.Warnings, "one trial: no confidence interval")
	}
	if d.N > 1 && d.CILevel < 0.95 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("too few trials for a 95%% CI (%d): interval is min..max, level %.1f%%", d.N, 100*d.CILevel))
	}
	if d.Outliers > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%d outlier trial(s) by Tukey's fences (kept)", d.Outliers))
	}
}

func medianMetrics(trials []runfile.Trial) map[string]float64 {
	vals := map[string][]float64{}
	for _, t := range trials {
		for k, v := range t.Metrics {
			vals[k] = append(vals[k], v)
		}
	}
	if len(vals) == 0 {
		return nil
	}
	out := make(map[string]float64, len(vals))
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		xs := slices.Clone(vals[k])
		out[k] = stats.Summarize(xs).Median
	}
	return out
}
