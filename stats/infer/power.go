package infer

import (
	"math"
	"sort"
)

// MinP returns the smallest two-sided p-value the Mann–Whitney U test can
// give samples of sizes m and n: 2 / C(m+n, m), the p of complete
// separation (every new value beyond every old one) without ties. It is 1
// when either sample is empty.
func MinP(m, n int) float64 {
	if m <= 0 || n <= 0 {
		return 1
	}
	// log C(m+n, m) through Lgamma: exact enough, and no overflow.
	a, _ := math.Lgamma(float64(m + n + 1))
	b, _ := math.Lgamma(float64(m + 1))
	c, _ := math.Lgamma(float64(n + 1))
	return math.Min(1, 2*math.Exp(b+c-a))
}

// MinDetectable returns the smallest relative change (0.10 = 10 %) of the
// new sample against the old that the two-sided Mann–Whitney U test at
// level alpha would call significant, given the samples' sizes and spread;
// ok is false when no outcome at all can reach alpha (MinP(m, n) > alpha).
//
// Note: the method is the inversion of the test. The Hodges–Lehmann (Moses)
// interval of the shift in log time at level 1 − alpha, [D(k), D(mn−k+1)]
// of the sorted pairwise differences (see RatioCI), is exactly the set of
// shifts the test does not reject. Shifting the whole new sample by s moves
// every pairwise difference, and so the interval, by s; the test rejects
// "no change" once the interval no longer holds 0. Measured from the
// Hodges–Lehmann estimate of the shift (the median of the differences), a
// slowdown is therefore detected once it exceeds the distance from the
// estimate down to D(k), and a speedup once it exceeds the distance up to
// D(mn−k+1); MinDetectable returns the larger of the two, as a relative
// change exp(d) − 1. When k = 1 that distance is the shift that separates
// the samples completely given their observed ranges. It is an estimate
// from the observed spread: samples that happen to be tight promise more
// than the machine may deliver, and ties (which the exact count ignores)
// make the test a little more conservative than it says.
func MinDetectable(old, new []float64, alpha float64) (change float64, ok bool) {
	m, n := len(old), len(new)
	if m == 0 || n == 0 || MinP(m, n) > alpha {
		return 0, false
	}
	k := uLowerCount(m, n, alpha/2)
	if k < 1 {
		return 0, false
	}
	d := make([]float64, 0, m*n)
	for _, x := range old {
		for _, y := range new {
			if !(x > 0 && y > 0) {
				return 0, false
			}
			d = append(d, math.Log(y)-math.Log(x))
		}
	}
	sort.Float64s(d)
	mid := len(d) / 2
	hl := d[mid]
	if len(d)%2 == 0 {
		hl = (d[mid-1] + d[mid]) / 2
	}
	w := math.Max(hl-d[k-1], d[m*n-k]-hl)
	return math.Expm1(w), true
}

// TrialsFor returns the fewest trials per sample, t, for which a
// comparison of t against t trials can reach p ≤ alpha/cells, the
// threshold Holm–Bonferroni sets for the first of cells tests
// (MinP(t, t) ≤ alpha/cells). It stops at 1000.
func TrialsFor(cells int, alpha float64) int {
	cells = max(cells, 1)
	t := 2
	for t < 1000 && MinP(t, t) > alpha/float64(cells) {
		t++
	}
	return t
}
