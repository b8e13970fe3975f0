package infer

import (
	"math"
	"slices"
	"sort"

	"golang.org/x/perf/benchmath"
	"gonum.org/v1/gonum/stat/distuv"
)

// UTest is benchstat's test of two samples: the two-sided Mann–Whitney U
// test of golang.org/x/perf/benchmath (AssumeNothing). Its warnings say
// when the samples are too small to ever reach alpha.
func UTest(old, new []float64, alpha float64) benchmath.Comparison {
	th := &benchmath.Thresholds{CompareAlpha: alpha}
	s1 := benchmath.NewSample(slices.Clone(old), th)
	s2 := benchmath.NewSample(slices.Clone(new), th)
	return benchmath.AssumeNothing.Compare(s1, s2)
}

// Holm returns the Holm–Bonferroni adjusted p-values of ps, in the order
// of ps: the i-th smallest p is multiplied by (m − i + 1), made
// non-decreasing, and capped at 1. Rejecting where the adjusted p ≤ α
// keeps the family-wise error rate within α.
func Holm(ps []float64) []float64 {
	m := len(ps)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ps[order[a]] < ps[order[b]] })
	adj := make([]float64, m)
	running := 0.0
	for rank, i := range order {
		running = math.Max(running, math.Min(1, float64(m-rank)*ps[i]))
		adj[i] = running
	}
	return adj
}

// RatioCI returns a distribution-free confidence interval, at the given
// level, of the ratio new/old of two samples of positive figures: the
// Hodges–Lehmann (Moses) interval of the shift between log(new) and
// log(old), the interval that inverts the Mann–Whitney test. With m and n
// samples it is [D(k), D(mn−k+1)] of the mn sorted pairwise differences,
// k from the exact null distribution of U (a normal approximation when
// m·n > 2500). ok is false when the samples are too small for the level.
func RatioCI(old, new []float64, level float64) (lo, hi float64, ok bool) {
	m, n := len(old), len(new)
	if m == 0 || n == 0 {
		return 0, 0, false
	}
	k := uLowerCount(m, n, (1-level)/2)
	if k < 1 {
		return 0, 0, false
	}
	d := make([]float64, 0, m*n)
	for _, x := range old {
		for _, y := range new {
			if !(x > 0 && y > 0) {
				return 0, 0, false
			}
			d = append(d, math.Log(y)-math.Log(x))
		}
	}
	sort.Float64s(d)
	return math.Exp(d[k-1]), math.Exp(d[m*n-k]), true
}

// uLowerCount returns the largest k with P(U ≤ k−1) ≤ tail under the null
// hypothesis for samples of m and n (no ties); 0 when even P(U ≤ 0)
// exceeds tail.
func uLowerCount(m, n int, tail float64) int {
	mn := m * n
	if mn > 2500 {
		sd := math.Sqrt(float64(mn) * float64(m+n+1) / 12)
		z := distuv.UnitNormal.Quantile(tail)
		// P(U ≤ k−1) ≈ Φ((k − 1 + ½ − mn/2) / sd) ≤ tail.
		return max(0, int(math.Floor(float64(mn)/2+0.5+z*sd)))
	}
	cdf := 0.0
	freq := uFrequencies(m, n)
	total := 0.0
	for _, f := range freq {
		total += f
	}
	k := 0
	for u := 0; u <= mn; u++ {
		cdf += freq[u] / total
		if cdf > tail {
			break
		}
		k = u + 1
	}
	return k
}

// uFrequencies returns, for u = 0 … m·n, the number of arrangements of
// m and n observations whose Mann–Whitney U is u: f(i, j, u) =
// f(i−1, j, u−j) + f(i, j−1, u), additions only, so float64 keeps full
// relative precision.
func uFrequencies(m, n int) []float64 {
	// f[i] holds f(i, j, ·) for the current j.
	f := make([][]float64, m+1)
	for i := range f {
		f[i] = make([]float64, m*n+1)
	}
	for i := 0; i <= m; i++ {
		f[i][0] = 1 // j = 0: only U = 0
	}
	for j := 1; j <= n; j++ {
		// f(0, j, ·) = [1, 0, …]: unchanged. For i ≥ 1, in place:
		// f(i, j, u) = f(i, j−1, u) + f(i−1, j, u−j).
		for i := 1; i <= m; i++ {
			prev := f[i-1]
			cur := f[i]
			for u := i * j; u >= j; u-- {
				cur[u] += prev[u-j]
			}
		}
	}
	return f[m]
}
