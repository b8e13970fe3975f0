package compare

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
	"github.com/mpbench/mpbench/stats/infer"
	"github.com/mpbench/mpbench/workloads"
)

// Verdicts of a compared cell.
const (
	VerdictFaster   = "faster"
	VerdictSlower   = "slower"
	VerdictSame     = "no significant change"
	VerdictOnlyOld  = "only in old run"
	VerdictOnlyNew  = "only in new run"
	VerdictUntested = "not compared"
	// VerdictInconclusive: not significant, but the cell's trials could
	// not have shown a change of Threshold either (see Row.MinDetectable),
	// so "no significant change" would claim more than they know.
	VerdictInconclusive = "inconclusive"
	// VerdictFailedNew: the cell passed in the old run and failed, or
	// has no trials, in the new one. It counts as a regression.
	VerdictFailedNew = "failed in new run"
)

// Options configure Runs.
type Options struct {
	// Alpha is the family-wise significance level (default 0.05).
	Alpha float64
	// Threshold is the noise threshold as a fraction (0.05 = 5 %): a cell
	// regresses only when the whole confidence interval of its change
	// lies above +Threshold, and a cell whose trials cannot detect a
	// change of Threshold is inconclusive rather than unchanged. With 0,
	// only cells that can detect no change at all are inconclusive.
	Threshold float64
}

// ErrOptions is wrapped by the error Runs returns for options out of
// range: the caller's input, not the runs'.
var ErrOptions = errors.New("comparison options out of range")

type optionsError struct{ msg string }

func (e *optionsError) Error() string        { return e.msg }
func (e *optionsError) Is(target error) bool { return target == ErrOptions }

// Comparison is the cell-by-cell comparison of two runs.
type Comparison struct {
	Alpha     float64 `json:"alpha"`
	Threshold float64 `json:"threshold"`
	Rows      []Row   `json:"rows"`
	// Tested is the number of cells tested, the family that
	// Holm–Bonferroni corrects for.
	Tested   int      `json:"tested"`
	Warnings []string `json:"warnings,omitempty"`
}

// Row is one cell of a comparison. Times are of the compute phase.
type Row struct {
	Key      string           `json:"key"`
	Workload string           `json:"workload"`
	Model    string           `json:"model"`
	Cores    int              `json:"cores"`
	Params   map[string]int64 `json:"params,omitempty"`
	OldN     int              `json:"old_n"`
	NewN     int              `json:"new_n"`
	// OldMedianNs and NewMedianNs are 0 where the cell is missing.
	OldMedianNs float64 `json:"old_median_ns"`
	NewMedianNs float64 `json:"new_median_ns"`
	// Change is new median / old median − 1 (+0.10 = 10 % slower).
	Change float64 `json:"change"`
	// ChangeLow..ChangeHigh is the confidence interval (level CILevel) of
	// the change: the Hodges–Lehmann interval of the shift in log time
	// that belongs to the Mann–Whitney test. nil when the samples are
	// too small for that level.
	ChangeLow  *float64 `json:"change_ci_low"`
	ChangeHigh *float64 `json:"change_ci_high"`
	CILevel    float64  `json:"ci_level,omitempty"`
	// P is the Mann–Whitney U p-value (benchstat's); PHolm is P adjusted
	// by Holm–Bonferroni over the Tested cells. The verdict uses PHolm.
	P       float64 `json:"p"`
	PHolm   float64 `json:"p_holm"`
	Verdict string  `json:"verdict"`
	// Regression: significantly slower and the whole CI of the change
	// above +Threshold. Improvement: the mirror image.
	//
	// A cell that passed in the old run and is missing from the new one
	// or failed there is a regression too (VerdictOnlyOld,
	// VerdictFailedNew): a benchmark that stopped working has not got
	// faster.
	Regression  bool `json:"regression,omitempty"`
	Improvement bool `json:"improvement,omitempty"`
	// MinP is the smallest p-value the U test can give samples of OldN
	// and NewN trials (infer.MinP). Holm–Bonferroni needs at least one
	// cell at p ≤ Alpha/Tested before it declares anything, so a cell
	// whose MinP is above that cannot show a change on its own.
	MinP float64 `json:"min_p,omitempty"`
	// MinDetectable is the smallest relative change (0.10 = 10 %) this
	// cell could show as significant at Alpha/Tested, estimated from the
	// spread of its samples (infer.MinDetectable). nil where it was not
	// tested or where no outcome of its sample sizes can reach
	// Alpha/Tested. A cell that is not significant and cannot detect
	// Threshold is inconclusive.
	MinDetectable *float64 `json:"min_detectable_change,omitempty"`
	Notes         []string `json:"notes,omitempty"`

	tested bool
	xs, ys []float64 // compute times, old and new
}

// Regressions returns the rows that regressed: significantly slower by
// more than the threshold, or missing or failed in the new run.
func (c *Comparison) Regressions() []Row {
	var out []Row
	for _, r := range c.Rows {
		if r.Regression {
			out = append(out, r)
		}
	}
	return out
}

// Runs compares the compute times of every cell the two runs share and
// lists the cells that only one of them has. Cells match on workload,
// model, cores, resolved parameters and task count.
//
// Each shared cell is tested with the Mann–Whitney U test
// (golang.org/x/perf/benchmath.AssumeNothing, as benchstat does); the
// p-values are adjusted by Holm–Bonferroni over all tested cells, so the
// chance of any false verdict in the whole table stays within alpha. A
// cell is faster or slower when its adjusted p-value is at most alpha, and
// a regression only when, on top of that, the whole confidence interval of
// the change lies beyond the threshold. A cell that is not significant is
// "no significant change" only when its trials could have detected a
// change of the threshold at alpha/Tested (Row.MinDetectable), else
// inconclusive. A cell that passed in the old run and is missing or failed
// in the new one is a regression.
func Runs(old, new *runfile.Run, opt Options) (*Comparison, error) {
	if opt.Alpha == 0 {
		opt.Alpha = 0.05
	}
	if !(opt.Alpha > 0 && opt.Alpha < 1) {
		return nil, &optionsError{fmt.Sprintf("alpha %v: must be between 0 and 1, e.g. 0.05", opt.Alpha)}
	}
	if !(opt.Threshold >= 0 && opt.Threshold < 10) {
		return nil, &optionsError{fmt.Sprintf("threshold %v: must be a fraction ≥ 0, e.g. 0.05 for 5%%", opt.Threshold)}
	}
	cmp := &Comparison{Alpha: opt.Alpha, Threshold: opt.Threshold}
	if old.Env.Host != new.Env.Host || old.Env.CPUModel != new.Env.CPUModel {
		cmp.Warnings = append(cmp.Warnings, fmt.Sprintf("the runs come from different machines (%s, %s / %s, %s): absolute times compare the machines as well as the code",
			old.Env.Host, old.Env.CPUModel, new.Env.Host, new.Env.CPUModel))
	}
	newByKey := map[string]*runfile.Cell{}
	for i := range new.Cells {
		newByKey[matchKey(&new.Cells[i])] = &new.Cells[i]
	}
	seen := map[string]bool{}
	for i := range old.Cells {
		o := &old.Cells[i]
		k := matchKey(o)
		seen[k] = true
		cmp.Rows = append(cmp.Rows, compareCells(o, newByKey[k], opt.Alpha))
	}
	for i := range new.Cells {
		if n := &new.Cells[i]; !seen[matchKey(n)] {
			cmp.Rows = append(cmp.Rows, compareCells(nil, n, opt.Alpha))
		}
	}
	var ps []float64
	var idx []int
	for i, r := range cmp.Rows {
		if r.tested {
			ps, idx = append(ps, r.P), append(idx, i)
		}
	}
	cmp.Tested = len(ps)
	perCell := opt.Alpha / float64(max(1, cmp.Tested))
	inconclusive, trials := 0, 0
	for j, p := range infer.Holm(ps) {
		r := &cmp.Rows[idx[j]]
		r.PHolm = p
		r.MinP = infer.MinP(len(r.xs), len(r.ys))
		if d, ok := infer.MinDetectable(r.xs, r.ys, perCell); ok {
			r.MinDetectable = &d
		}
		judge(r, opt.Alpha, opt.Threshold)
		if r.Verdict == VerdictInconclusive {
			inconclusive++
			trials = max(trials, min(len(r.xs), len(r.ys)))
		}
	}
	if inconclusive > 0 {
		need := infer.TrialsFor(cmp.Tested, opt.Alpha)
		advice := fmt.Sprintf("at least %d trials per cell before any outcome can reach p ≤ %.2g", need, perCell)
		if trials >= need {
			advice = "more trials or a quieter machine"
		}
		size := "any change"
		if opt.Threshold > 0 {
			size = fmt.Sprintf("a change of %.3g%%", 100*opt.Threshold)
		}
		cmp.Warnings = append(cmp.Warnings, fmt.Sprintf("%d of %d cells tested are inconclusive: their trials cannot show %s at p ≤ %.2g (alpha %g, Holm–Bonferroni over %d cells); they need %s",
			inconclusive, cmp.Tested, size, perCell, opt.Alpha, cmp.Tested, advice))
	}
	return cmp, nil
}

// judge sets the verdict of a tested row from its Holm-adjusted p-value
// and its confidence interval.
func judge(r *Row, alpha, threshold float64) {
	r.Verdict = VerdictSame
	if r.PHolm > alpha {
		// With no threshold any change counts, so only a cell that can
		// detect nothing at all is inconclusive.
		if r.MinDetectable == nil || (threshold > 0 && *r.MinDetectable > threshold) {
			r.Verdict = VerdictInconclusive
		}
		return
	}
	switch {
	case r.Change > 0:
		r.Verdict = VerdictSlower
		r.Regression = r.ChangeLow != nil && *r.ChangeLow > threshold
	case r.Change < 0:
		r.Verdict = VerdictFaster
		r.Improvement = r.ChangeHigh != nil && *r.ChangeHigh < -threshold
	}
}

func matchKey(c *runfile.Cell) string {
	params := c.Params
	if w, err := workloads.Lookup(c.Workload); err == nil {
		if p, err := w.Resolve(c.Params); err == nil {
			params = p
		}
	}
	return fmt.Sprintf("%s/%s/%d/%s/tasks=%d", c.Workload, c.Model, c.Cores, workloads.FormatParams(params), c.Tasks)
}

// DisplayKey names a cell for people: workload/model/cores, with its
// parameter overrides when it has any.
func DisplayKey(c *runfile.Cell) string {
	k := c.Key()
	if p := workloads.FormatParams(c.Params); p != "" {
		k += "/" + p
	}
	return k
}

func compareCells(o, n *runfile.Cell, alpha float64) Row {
	c0 := o
	if c0 == nil {
		c0 = n
	}
	r := Row{Key: DisplayKey(c0), Workload: c0.Workload, Model: c0.Model, Cores: c0.Cores, Params: c0.Params}
	if o != nil {
		r.OldN = len(o.Trials)
		if o.Summary != nil {
			r.OldMedianNs = o.Summary.MedianNs
		}
	}
	if n != nil {
		r.NewN = len(n.Trials)
		if n.Summary != nil {
			r.NewMedianNs = n.Summary.MedianNs
		}
	}
	switch {
	case o == nil:
		r.Verdict = VerdictOnlyNew
		return r
	case n == nil:
		r.Verdict = VerdictOnlyOld
		if r.Regression = !o.Failed() && len(o.Trials) > 0; r.Regression {
			r.Notes = []string{"missing from the new run"}
		}
		return r
	case o.Failed() || len(o.Trials) == 0:
		r.Verdict, r.Notes = VerdictUntested, []string{"failed or empty in the old run"}
		return r
	case n.Failed() || len(n.Trials) == 0:
		r.Verdict, r.Regression = VerdictFailedNew, true
		if n.Error != "" {
			r.Notes = []string{n.Error}
		} else {
			r.Notes = []string{"no trials in the new run"}
		}
		return r
	}
	xs, ys := o.ComputeTimes(), n.ComputeTimes()
	r.xs, r.ys = xs, ys
	r.OldMedianNs, r.NewMedianNs = stats.Summarize(xs).Median, stats.Summarize(ys).Median
	r.Change = r.NewMedianNs/r.OldMedianNs - 1
	t := infer.UTest(xs, ys, alpha)
	r.P, r.tested = t.P, true
	for _, w := range t.Warnings {
		r.Notes = append(r.Notes, w.Error())
	}
	if lo, hi, ok := infer.RatioCI(xs, ys, 1-alpha); ok {
		lo, hi = lo-1, hi-1
		r.ChangeLow, r.ChangeHigh, r.CILevel = &lo, &hi, 1-alpha
	} else {
		r.Notes = append(r.Notes, fmt.Sprintf("too few trials for a %.0f%% interval of the change", 100*(1-alpha)))
	}
	for _, c := range []*runfile.Cell{o, n} {
		if c.Oversubscribed {
			r.Notes = append(r.Notes, "oversubscribed")
			break
		}
	}
	return r
}

// String is a one-line summary of the comparison.
func (c *Comparison) String() string {
	counts := map[string]int{}
	for _, r := range c.Rows {
		counts[r.Verdict]++
	}
	var parts []string
	for _, v := range []string{VerdictSlower, VerdictFaster, VerdictSame, VerdictInconclusive, VerdictOnlyOld, VerdictFailedNew, VerdictOnlyNew, VerdictUntested} {
		if counts[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[v], v))
		}
	}
	return fmt.Sprintf("%d cells tested: %s", c.Tested, strings.Join(parts, ", "))
}
