package stats

import (
	"math"
	"slices"

	mstats "github.com/montanaflynn/stats"
)

// NoisyCV is the coefficient of variation above which a cell is flagged.
const NoisyCV = 0.10

// Dist summarizes one sample of durations (ns) or other figures.
type Dist struct {
	N        int     `json:"n"`
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`
	Mean     float64 `json:"mean"`
	Median   float64 `json:"median"`
	Stddev   float64 `json:"stddev"`
	CV       float64 `json:"cv"`
	P95      float64 `json:"p95"`
	CILow    float64 `json:"ci_low"`
	CIHigh   float64 `json:"ci_high"`
	CILevel  float64 `json:"ci_level"`
	Outliers int     `json:"outliers"`
}

// Summarize computes the distribution of xs: min, max, mean, median,
// sample standard deviation, CV (stddev/mean), p95, the confidence interval
// of the median and the Tukey outlier count.
//
// The CI of the median is distribution-free: the order statistics
// x(j), x(n−j+1) with the largest j whose binomial coverage
// 1 − 2·P(Bin(n, ½) < j) is at least 95 %. Below 6 samples no pair reaches
// 95 %; the interval is then [min, max] and CILevel says its real level.
// Outliers are counted by Tukey's fences (beyond 1.5 IQR from the
// quartiles), never dropped.
func Summarize(xs []float64) Dist {
	d := Dist{N: len(xs)}
	if len(xs) == 0 {
		return d
	}
	data := mstats.Float64Data(xs)
	d.Min, _ = mstats.Min(data)
	d.Max, _ = mstats.Max(data)
	d.Mean, _ = mstats.Mean(data)
	d.Median, _ = mstats.Median(data)
	if len(xs) > 1 {
		d.Stddev, _ = mstats.StandardDeviationSample(data)
	}
	if d.Mean != 0 {
		d.CV = d.Stddev / d.Mean
	}
	d.P95, _ = mstats.Percentile(data, 95)
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	lo, hi, level := medianCI(len(sorted), 0.95)
	d.CILow, d.CIHigh, d.CILevel = sorted[lo], sorted[hi], level
	if len(xs) >= 4 {
		if o, err := mstats.QuartileOutliers(data); err == nil {
			d.Outliers = len(o.Mild) + len(o.Extreme)
		}
	}
	return d
}

// medianCI returns 0-based indexes into a sorted sample of n for the
// distribution-free confidence interval of the median, and its coverage.
func medianCI(n int, want float64) (lo, hi int, level float64) {
	// cdf[k] = P(Bin(n, ½) ≤ k)
	cdf := make([]float64, n+1)
	var sum float64
	for k := 0; k <= n; k++ {
		sum += binomPMF(n, k)
		cdf[k] = sum
	}
	lo, hi, level = 0, n-1, 1-2*math.Pow(0.5, float64(n))
	if n == 1 {
		level = 0
	}
	for j := 2; 2*j <= n+1; j++ { // 1-based order statistic j
		cov := 1 - 2*cdf[j-1]
		if cov < want {
			break
		}
		lo, hi, level = j-1, n-j, cov
	}
	return lo, hi, level
}

func binomPMF(n, k int) float64 {
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x + 1)); return v }
	return math.Exp(lg(n) - lg(k) - lg(n-k) - float64(n)*math.Ln2)
}
