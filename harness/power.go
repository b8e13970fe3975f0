package harness

import (
	"fmt"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/stats/infer"
)

// CompareAlpha is the significance level that PowerWarning holds a run's
// trials to: mpbench compare's default --alpha.
const CompareAlpha = 0.05

// PowerWarning returns a one-line warning when no comparison of a run
// with trials per cell and that many cells with another like it could
// find any change significant: a U test of trials against trials cannot
// give a p-value below infer.MinP(trials, trials), and Holm–Bonferroni
// over the cells needs one at CompareAlpha/cells first. It returns "" when
// the trials suffice.
//
// Note: this is the bound no spread can beat; whether a 10 % change is
// then detectable also depends on how noisy the cells turn out, which
// mpbench compare judges per cell (compare.Row.MinDetectable).
func PowerWarning(trials, cells int) string {
	if trials <= 0 || cells <= 0 || infer.MinP(trials, trials) <= CompareAlpha/float64(cells) {
		return ""
	}
	return fmt.Sprintf("with %d trials per cell and %d cells, no comparison of this run with another can reach p ≤ %g after Holm–Bonferroni: use --trials %d or more",
		trials, cells, CompareAlpha, infer.TrialsFor(cells, CompareAlpha))
}

// PowerWarning is PowerWarning for the cells of p, or "" under a CI
// target, where the trial count is not fixed.
func (p *Plan) PowerWarning(reg models.Registry) string {
	if p.TargetCI > 0 {
		return ""
	}
	return PowerWarning(p.Trials, len(p.CellSpecs(reg)))
}
