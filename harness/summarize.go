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
// the run's own baseline cell of the model's family (Run.Baseline:
// sequential for Go, py-sequential for Python) with the same workload and
// parameters; relative speedup uses the same model's c = 1 cell. A cell
// whose family has no baseline in the run gets none of the three, and a
// warning saying so; a cell whose speedup or overhead is beyond what a
// sound baseline allows gets a warning that the baseline is suspect
// (suspectWarning).
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
				if c.Summary != nil && c.Summary.Speedup == nil && c.Tasks > 0 {
					c.Warnings = append(c.Warnings, noBaselineWarning(r, c))
				}
			}
		}
	}
	attribute(r)
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
	if c.OtherLoad != nil && *c.OtherLoad > cellrun.BusyLoad && cellrun.LoadWindow(c) >= cellrun.MinLoadWindow {
		c.Warnings = append(c.Warnings, fmt.Sprintf("machine busy: other processes took %.0f%% of the cell's CPUs", 100**c.OtherLoad))
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
	if c.Trials[0].ColdNs > 0 {
		cold := stats.Summarize(pick(func(t runfile.Trial) float64 { return float64(t.ColdNs) })).Median
		s.ColdNs = &cold
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
		if w := ceiling(s, c, tseq); w != "" {
			c.Warnings = append(c.Warnings, w)
		}
		if seq != c {
			derivedCIs(s, seq.Summary, c, tseq/seq.Summary.MedianNs)
			if s.Suspect(c.Cores) {
				c.Warnings = append(c.Warnings, suspectWarning(s, c.Cores, seq.Model))
			}
		}
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

// derivedCIs bounds the speedup and the overhead of a cell c (summary s)
// against its baseline (summary b, its times multiplied by scale to c's
// task count) by interval arithmetic on the confidence intervals of the
// two medians: speedup in [Tb_low/T_high, Tb_high/T_low], overhead in
// [(c·T_low − Tb_high)/tasks, (c·T_high − Tb_low)/tasks]. A median of one
// trial has no interval, and its figures get none.
//
// Note: taking the extremes of two 95 % intervals is conservative: the
// bounds cover the ratio at least as often as each interval covers its
// median, and usually more, so a figure flagged beyond them is beyond
// reasonable doubt. An exact interval of a ratio of medians needs the
// trials paired or resampled, which a run of independent cells has not.
func derivedCIs(s, b *runfile.Summary, c *runfile.Cell, scale float64) {
	if s.Compute.N < 2 || b.Compute.N < 2 || s.CILowNs <= 0 || b.CILowNs <= 0 {
		return
	}
	bLow, bHigh := b.CILowNs*scale, b.CIHighNs*scale
	cores, tasks := float64(c.Cores), float64(c.Tasks)
	spLow, spHigh := bLow/s.CIHighNs, bHigh/s.CILowNs
	ovLow, ovHigh := (cores*s.CILowNs-bHigh)/tasks, (cores*s.CIHighNs-bLow)/tasks
	s.SpeedupCILow, s.SpeedupCIHigh = &spLow, &spHigh
	s.OverheadCILow, s.OverheadCIHigh = &ovLow, &ovHigh
}

// suspectWarning says why a cell's figures are not to be believed: its
// speedup is above its core count, and so its overhead below zero, beyond
// their intervals (runfile.Summary.Suspect). Under interval arithmetic the
// two conditions are one (c·T_high < Tb_low either way), so one warning
// names both figures.
func suspectWarning(s *runfile.Summary, cores int, base string) string {
	if s.SuspectReason(cores) == "speedup above its effective cores beyond its CI" {
		return fmt.Sprintf("speedup %.2f× is %.0f%% of the %.2f effective cores its workers had, above 100%% beyond its CI (%.2f–%.2f): the %s baseline is suspect (slower than this model's workers ran?)",
			*s.Speedup, 100**s.OfCeiling, *s.EffectiveCores, *s.OfCeilingCILow, *s.OfCeilingCIHigh, base)
	}
	return fmt.Sprintf("speedup %.2f× above c = %d beyond its CI (%.2f–%.2f×), overhead %s per task below 0: the %s baseline is suspect (slower than this model at c = 1?)",
		*s.Speedup, cores, *s.SpeedupCILow, *s.SpeedupCIHigh, signedDuration(*s.OverheadNsPerTask), base)
}

// noBaselineWarning says why a cell has no speedup, efficiency or
// overhead: its family's baseline did not run or failed.
func noBaselineWarning(r *runfile.Run, c *runfile.Cell) string {
	fam := r.Family(c.Model)
	base := runfile.BaselineModel(fam)
	if fam == "go" {
		return fmt.Sprintf("no %s baseline for %s in this run: speedup, efficiency and overhead not given", base, c.Variant())
	}
	return fmt.Sprintf("no %s baseline for %s in this run: speedup, efficiency and overhead not given (a %s model is measured against %s, never against sequential)", base, c.Variant(), fam, base)
}

// signedDuration formats ns with a unit and a minus sign where negative.
func signedDuration(ns float64) string {
	sign := ""
	if ns < 0 {
		sign, ns = "−", -ns
	}
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%s%.3g s", sign, ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%s%.3g ms", sign, ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%s%.3g µs", sign, ns/1e3)
	}
	return fmt.Sprintf("%s%.3g ns", sign, ns)
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
